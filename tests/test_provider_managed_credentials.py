"""Provider-managed credentials are facts, never standing secrets, on every path into an inventory.

Azure shows a certificate in a managed identity's ``keyCredentials`` (Graph and ``az ad sp list``
alike): Azure issues and rotates it. A managed identity holding it and Owner gets its Owner
findings and no secret finding, from a live scan (the real azure-core clients against the
loopback Graph/ARM server), an offline ``az`` import, and a snapshot an older version wrote with
``user_managed: true``. The near miss beside it: an ordinary app's service principal with a
certificate and Owner is judged through that certificate. AWS service-linked roles likewise.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pytest

from standing.collectors.azure import AzureScanOptions, collect_azure
from standing.collectors.azure.clients import StaticTokenCredential
from standing.collectors.azure.importer import import_azure
from standing.core.findings import Severity
from standing.core.model import Inventory
from standing.core.snapshot import dump_snapshot, read_snapshot
from standing.core.traits import Trait
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from standing.rules.registry import traits_of
from tests.builders import NOW, allow, grant, inventory, policy, role
from tests.support.azure_wire import FIXTURES, TENANT, AzureWireServer, fixture_wire

AS_OF = datetime.fromisoformat(TENANT["as_of"])
TOKEN = "provider-managed-test-token"
SUB = TENANT["subscriptions"]["prod"]
MI = TENANT["service_principals"]["mi-deploy"]
APP_WITH_CERT = TENANT["service_principals"]["sp-owner-subscription"]  # an app SP with a user-uploaded cert
OWNER = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
MI_CERT_ID = "5b0c2f9e-7a41-4c8e-9d3b-2f6a1e8c4d70"
# The certificate as Graph and `az ad sp list` show it on a managed identity's service principal.
MI_CERT = {
    "customKeyIdentifier": "8F2A6C0D1E3B5A7C9E1F2A3B4C5D6E7F8A9B0C1D",
    "displayName": "CN=ad5d74c8-8f91-5062-a845-b79fe9dee7ec",
    "endDateTime": "2026-08-20T11:32:00Z",
    "key": None,
    "keyId": MI_CERT_ID,
    "startDateTime": "2026-05-22T11:32:00Z",
    "type": "AsymmetricX509Cert",
    "usage": "Verify",
}


def _with_mi_cert(service_principals: list[dict]) -> list[dict]:
    for sp in service_principals:
        if sp["id"] == MI:
            sp["keyCredentials"] = [MI_CERT]
    return service_principals


def _owner_assignment(assignment: dict, *, arm: bool) -> dict:
    """The managed identity's Reader assignment, made Owner on the whole subscription."""
    body = assignment["properties"] if arm else assignment
    body.update(roleDefinitionId=OWNER, scope=f"/subscriptions/{SUB}")
    if not arm:
        body["roleDefinitionName"] = "Owner"
    return assignment


def _judged(inv: Inventory) -> dict[str, list]:
    by_identity: dict[str, list] = {}
    for f in analyse(inv, ScanConfig(), as_of=AS_OF):
        by_identity.setdefault(f.identity, []).append(f)
    return by_identity


def _assert_managed_cert_is_a_fact_and_owner_is_judged(inv: Inventory) -> None:
    [cert] = [c for c in inv.credentials if c.id == MI_CERT_ID]
    assert cert.identity_id == MI and cert.active and cert.user_managed is False  # kept, as a fact
    found = _judged(inv)
    mi = {f.rule_id: f for f in found[MI]}
    assert {"admin-equivalent", "azure-standing-privileged-role"} <= set(mi)  # Owner is judged
    assert (
        mi["admin-equivalent"].severity is Severity.HIGH and mi["admin-equivalent"].evidence["long_lived_secrets"] == []
    )
    assert "long-lived secret" not in mi["admin-equivalent"].message
    assert not [f for f in found[MI] if Trait.ABOUT_SECRET in traits_of(f.rule_id) or MI_CERT_ID in f.message]
    # near miss: an ordinary app's service principal with a certificate and Owner is judged through it
    app = {f.rule_id: f for f in found[APP_WITH_CERT]}
    assert app["admin-equivalent"].severity is Severity.CRITICAL
    assert app["admin-equivalent"].evidence["long_lived_secrets"] and "long-lived-secret" in app


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Inventory:
    overlay = tmp_path_factory.mktemp("wire")
    wire = fixture_wire(TOKEN)
    sp_page = "/v1.0/servicePrincipals@page2"
    assignments = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments@page2"
    for key, change in (
        (sp_page, lambda doc: {**doc, "value": _with_mi_cert(doc["value"])}),
        (
            assignments,
            lambda doc: {
                **doc,
                "value": [
                    _owner_assignment(a, arm=True) if a["properties"]["principalId"] == MI else a for a in doc["value"]
                ],
            },
        ),
    ):
        source = wire._index[key.lower()]
        changed = overlay / source.name
        changed.write_text(json.dumps(change(json.loads(source.read_text()))))
        wire._index[key.lower()] = changed
    with AzureWireServer(wire) as url:
        return collect_azure(
            AzureScanOptions(arm_endpoint=url, graph_endpoint=url),
            credential=StaticTokenCredential(TOKEN),
            now=lambda: AS_OF,
            sleep=lambda seconds: None,
        )


def test_live_scan_keeps_a_managed_identity_certificate_as_a_fact_and_judges_its_owner_role(live):
    _assert_managed_cert_is_a_fact_and_owner_is_judged(live)


def test_offline_import_reads_the_same_certificate_the_same_way(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "export", export)
    sp_list = export / "az-ad-sp-list.json"
    sp_list.write_text(json.dumps(_with_mi_cert(json.loads(sp_list.read_text()))))
    assignments = export / "az-role-assignment-list.json"
    items = json.loads(assignments.read_text())
    assignments.write_text(
        json.dumps([_owner_assignment(a, arm=False) if a["principalId"] == MI else a for a in items])
    )
    inv = import_azure(
        sp_list=sp_list,
        app_list=export / "az-ad-app-list.json",
        role_assignments=[assignments],
        role_definitions=export / "az-role-definition-list.json",
        now=lambda: AS_OF,
    )
    _assert_managed_cert_is_a_fact_and_owner_is_judged(inv)


def test_a_snapshot_an_older_version_wrote_with_user_managed_true_is_read_right(live, tmp_path):
    text = dump_snapshot(live)
    document = json.loads(text)
    [cert] = [c for c in document["inventory"]["credentials"] if c["id"] == MI_CERT_ID]
    cert["user_managed"] = True  # what the import wrote before provider-managed credentials were settled
    old = tmp_path / "old-snapshot.json"
    old.write_text(json.dumps(document))
    reread = read_snapshot(old)
    _assert_managed_cert_is_a_fact_and_owner_is_judged(reread)
    assert _judged(reread).keys() == _judged(live).keys()


def test_an_aws_service_linked_role_is_never_judged_even_from_an_old_snapshot(tmp_path):
    admin = policy("Everything", allow("*"))
    linked = role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/")
    ordinary = role("deploy-admin", path="/")  # near miss: the same policy on a role of the estate's own
    inv = inventory(linked, ordinary, admin, grant(linked, admin), grant(ordinary, admin))
    document = json.loads(dump_snapshot(inv))
    for identity in document["inventory"]["identities"]:
        identity["provider_managed"] = False  # as a collector that did not mark it would have written
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document))
    found = {(f.rule_id, f.identity_name) for f in analyse(read_snapshot(old), ScanConfig(), as_of=NOW)}
    assert ("admin-equivalent", "deploy-admin") in found
    assert not [f for f in found if f[1] == "AWSServiceRoleForSupport"]


def test_explain_shows_the_managed_certificate_as_provider_managed(live):
    import io

    from rich.console import Console

    from standing.analysis.graph import PrivilegeGraph
    from standing.reports.explain import render_explanation

    graph = PrivilegeGraph(live)
    console = Console(file=io.StringIO(), width=200, color_system=None)
    identity = graph.identity(MI)
    assert identity is not None
    render_explanation(console, graph, identity, [])
    assert "certificate (provider-managed: not a standing secret)" in console.file.getvalue()


def test_a_managed_identity_certificate_is_no_standing_secret_in_the_exposure_either(live):
    from standing.scan import scan_inventory

    without = live.model_copy(update={"credentials": [c for c in live.credentials if c.id != MI_CERT_ID]})
    with_cert = scan_inventory(live, ScanConfig(), as_of=AS_OF, generated_at=AS_OF, output_dir=None)
    without_cert = scan_inventory(without, ScanConfig(), as_of=AS_OF, generated_at=AS_OF, output_dir=None)
    assert with_cert.document.exposure == without_cert.document.exposure
    assert len(with_cert.findings) == len(without_cert.findings)


def test_an_ml_compute_managed_identity_is_no_ai_workload_holding_a_static_key():
    from datetime import timedelta

    from standing.core.model import Credential, CredentialKind, Identity, IdentityKind, Provider, WorkloadKind

    def azure(name: str, kind: IdentityKind) -> Identity:
        return Identity(
            id=f"{name}-0000",
            provider=Provider.AZURE,
            kind=kind,
            account=TENANT["tenant_id"],
            name=name,
            human=False,
            workload=WorkloadKind.TRAINING,
        )

    def cert(holder: Identity) -> Credential:
        return Credential(
            id=f"{holder.name}-cert",
            identity_id=holder.id,
            kind=CredentialKind.CERTIFICATE,
            active=True,
            created=NOW - timedelta(days=10),
            expires=NOW + timedelta(days=80),
        )

    compute = azure("mlw-training-compute", IdentityKind.MANAGED_IDENTITY)
    app = azure("trainer-app", IdentityKind.SERVICE_PRINCIPAL)  # near miss: an app's uploaded certificate
    found = {
        (f.rule_id, f.identity_name)
        for f in analyse(inventory(compute, cert(compute), app, cert(app)), ScanConfig(), as_of=NOW)
    }
    assert ("ai-workload-standing-access", "trainer-app") in found and ("long-lived-secret", "trainer-app") in found
    assert not [f for f in found if f[1] == "mlw-training-compute"]
