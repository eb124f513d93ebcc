"""GCP custom roles are read with their permissions and judged by them (issue 15, item 11).

Live: the real ``IAMClient`` lists each project's and the organization's custom roles from the
replay server, which answers as Google does (permissions only in the FULL view, deleted roles
only when asked for). Offline: ``gcloud iam roles describe`` output. Each positive case sits
beside its near miss: a role that only reads objects, a disabled and a deleted role that would
set IAM policy, a listing without permissions, a denied read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.cloud import iam_admin_v1
from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport
from google.oauth2.credentials import Credentials

from standing.analysis.privilege import PrivilegeLevel
from standing.analysis.privilege_gcp import role_level
from standing.collectors.gcp import GcpScanOptions, ImportFiles, collect_gcp, import_gcp
from standing.collectors.gcp.normalize import normalize_estate
from standing.core.errors import UserError
from standing.core.findings import Finding, Severity
from standing.core.model import CoverageStatus, Inventory
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.support.gcp_wire import FIXTURES, GcpWire, http_routes
from tests.test_gcp_end_to_end import AS_OF, ORG, sa

SETTER = "projects/acme-prod/roles/iamSetter"
READER = "projects/acme-prod/roles/objectReader"
RETIRED = "projects/acme-prod/roles/retiredSetter"
GONE = "projects/acme-prod/roles/goneSetter"
MINTER = f"organizations/{ORG}/roles/keyMinter"
IMPORTS = FIXTURES / "import"


def live(routes: dict[str, Any] | None = None, grpc: dict[str, Any] | None = None, **scope: Any) -> Inventory:
    with GcpWire(routes) as wire:
        for method, table in (grpc or {}).items():
            wire.grpc.responses[method].update(table)
        options = GcpScanOptions(
            **(scope or {"organization": f"organizations/{ORG}"}),
            max_workers=2,
            api_endpoint=wire.http.url,
            grpc_endpoint=wire.grpc.target,
        )
        return collect_gcp(options, credentials=Credentials(token="test-token"), now=lambda: AS_OF)


def offline(*roles: Path, search: Path = IMPORTS / "asset-search.json") -> Inventory:
    files = ImportFiles(
        asset_search=(search,), service_accounts=(IMPORTS / "service-accounts.json",), custom_roles=roles
    )
    return import_gcp(files, now=lambda: AS_OF)


def found(inventory: Inventory) -> dict[tuple[str, str], Finding]:
    return {(f.rule_id, f.subject): f for f in analyse(inventory, ScanConfig(), as_of=AS_OF)}


@pytest.fixture(scope="module")
def live_inventory() -> Inventory:
    return live()


@pytest.fixture(scope="module")
def offline_inventory() -> Inventory:
    return offline(*sorted(IMPORTS.glob("custom-roles-*.json")))


@pytest.mark.parametrize("path", ["live", "offline"])
def test_a_custom_role_that_sets_iam_policy_names_its_holder_and_the_holder_is_admin_equivalent(
    path, live_inventory, offline_inventory
):
    findings = found(live_inventory if path == "live" else offline_inventory)
    policy = findings[("privileged-custom-policy", SETTER)]
    assert policy.severity is Severity.HIGH and policy.evidence["privilege"] == "privilege-management"
    assert policy.evidence["holders"] == [{"id": sa("role-setter"), "name": sa("role-setter")}]
    assert policy.message == f"IAM setter grants privilege-management, attached to 1 identity: {sa('role-setter')}"
    assert "resourcemanager.projects.setIamPolicy" in policy.evidence["because"][0]
    holder = findings[("admin-equivalent", sa("role-setter"))]
    assert SETTER in json.dumps(holder.evidence)
    # Near miss: a custom role that only reads objects, and the account holding it.
    assert not [k for k in findings if READER in k or sa("object-reader") in k]


@pytest.mark.parametrize("path", ["live", "offline"])
def test_a_disabled_or_deleted_custom_role_grants_nothing(path, live_inventory, offline_inventory):
    inventory = live_inventory if path == "live" else offline_inventory
    roles = {r.id: r for r in inventory.roles}
    assert roles[RETIRED].permissions == [] and roles[RETIRED].documents[0]["stage"] == "DISABLED"
    assert roles[GONE].permissions == []  # live: absent from the listing; offline: `deleted: true`
    assert not [g for g in inventory.grants if g.principal_id == sa("retired-setter")]
    findings = found(inventory)
    assert not [k for k in findings if sa("retired-setter") in k or k[1] in (RETIRED, GONE)]
    assert ("admin-equivalent", sa("role-setter")) in findings  # the active role beside them still counts


def test_an_unattached_organization_role_that_mints_keys_is_medium(live_inventory, offline_inventory):
    for inventory in (live_inventory, offline_inventory):
        minter = found(inventory)[("privileged-custom-policy", MINTER)]
        assert minter.severity is Severity.MEDIUM and minter.message == (
            "Key minter grants privilege-management, not attached"
        )
        assert minter.account == "acme-dev"  # no project of its own: a scanned one of its cloud


def test_the_collector_asks_for_the_full_view_without_which_no_permission_comes_back():
    with GcpWire() as wire:
        channel = grpc.insecure_channel(wire.grpc.target)
        client = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
        basic = list(client.list_roles(request={"parent": "projects/acme-prod"}))
        full = list(client.list_roles(request={"parent": "projects/acme-prod", "view": "FULL", "show_deleted": True}))
    assert basic and all(not r.included_permissions for r in basic)  # Google's default view
    assert {r.name for r in full} - {r.name for r in basic} == {GONE}  # deleted only when asked for
    collected = {r.id: r.permissions for r in live(projects=("acme-prod",)).roles}
    assert collected[SETTER] == ["resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy"]


def test_a_denied_role_listing_is_a_gap_and_the_bound_role_is_not_judged_privileged():
    inventory = live(
        grpc={"ListRoles": {"projects/acme-prod": {"error": "PERMISSION_DENIED"}}}, projects=("acme-prod",)
    )
    assert ("projects/acme-prod", "iam:ListRoles", CoverageStatus.DENIED) in {
        (g.scope, g.operation, g.status) for g in inventory.gaps
    }
    assert {r.id: r.permissions for r in inventory.roles}[SETTER] == []
    findings = found(inventory)
    assert ("privileged-custom-policy", SETTER) not in findings
    # unknown is not "deleted": the bindings of roles that were not read stay grants
    assert {g.role_id for g in inventory.grants if g.principal_id == sa("retired-setter")} == {RETIRED, GONE}


def test_a_project_scan_reads_the_organization_roles_its_bindings_name():
    routes = http_routes()
    policy = routes["POST /v3/projects/acme-dev:getIamPolicy"]["pages"][""]
    policy["bindings"].append({"role": MINTER, "members": [f"serviceAccount:{sa('gh-pinned', 'acme-dev')}"]})
    with_binding = live(routes, projects=("acme-dev",))
    assert {r.id: r.permissions for r in with_binding.roles}[MINTER] == [
        "iam.serviceAccountKeys.create",
        "iam.serviceAccountKeys.list",
    ]
    findings = found(with_binding)
    assert findings[("privileged-custom-policy", MINTER)].evidence["attached"] == 1
    assert ("admin-equivalent", sa("gh-pinned", "acme-dev")) in findings
    # Near miss: the same project without that binding never reads the organization's roles.
    assert MINTER not in {r.id for r in live(projects=("acme-dev",)).roles}


def test_a_gcloud_roles_listing_without_permissions_is_a_gap_naming_describe(tmp_path):
    listing = tmp_path / "roles-list.json"
    entries = json.loads((IMPORTS / "custom-roles-acme-prod.json").read_text())
    listing.write_text(json.dumps([{k: v for k, v in e.items() if k != "includedPermissions"} for e in entries]))
    inventory = offline(listing, IMPORTS / "custom-roles-organization.json")
    gaps = {g.detail for g in inventory.gaps if g.operation == "iam:ListRoles"}
    assert (
        "not imported: `gcloud iam roles describe iamSetter --project=acme-prod --format=json` (--from-custom-roles); its permissions are unknown"
        in gaps
    )
    assert ("privileged-custom-policy", SETTER) not in found(inventory)
    # Near miss: the disabled and deleted entries say all there is to say without permissions.
    assert not [d for d in gaps if "retiredSetter" in d or "goneSetter" in d]


def test_a_single_describe_output_is_accepted_and_a_bound_role_missing_from_the_files_is_a_gap(tmp_path):
    one = tmp_path / "iam-setter.json"
    one.write_text(json.dumps(json.loads((IMPORTS / "custom-roles-acme-prod.json").read_text())[0]))
    inventory = offline(one)
    assert ("privileged-custom-policy", SETTER) in found(inventory)
    missing = {g.scope: g.detail for g in inventory.gaps if g.operation == "iam:ListRoles"}
    assert (
        set(missing) == {"projects/acme-prod"}
        and len([g for g in inventory.gaps if g.operation == "iam:ListRoles"]) == 3
    )  # objectReader, retiredSetter, goneSetter: a missing role is not a deleted one


def test_without_custom_role_files_each_project_and_the_organization_is_a_gap():
    inventory = offline()
    gaps = {g.scope: g.detail for g in inventory.gaps if g.operation == "iam:ListRoles"}
    assert set(gaps) == {"projects/acme-prod", "projects/acme-dev", f"organizations/{ORG}"}
    assert (
        "`gcloud iam roles list --organization=123456789012 --show-deleted --format=json`"
        in gaps[f"organizations/{ORG}"]
    )
    assert all("(--from-custom-roles)" in d for d in gaps.values())


def test_a_file_that_is_not_roles_is_one_error_naming_it(tmp_path):
    wrong = tmp_path / "accounts.json"
    wrong.write_text((IMPORTS / "service-accounts.json").read_text())
    with pytest.raises(UserError, match="accounts.json"):
        offline(wrong)


@pytest.mark.parametrize(
    "permissions, level",
    [
        (["storage.objects.get", "storage.objects.list"], PrivilegeLevel.READ),
        (["storage.objects.get", "storage.objects.create"], PrivilegeLevel.WRITE),
        (["secretmanager.versions.access"], PrivilegeLevel.WRITE),  # reads secret data: not metadata
        (["resourcemanager.projects.setIamPolicy"], PrivilegeLevel.PRIVILEGE_MANAGEMENT),
    ],
)
def test_a_custom_role_read_with_its_permissions_is_judged_by_them_not_by_its_name(permissions, level):
    assert role_level("projects/p/roles/auditViewer", permissions) is level
    # Near miss: a custom role whose definition was not read is still judged by its name.
    assert role_level("projects/p/roles/auditViewer") is PrivilegeLevel.READ


@pytest.mark.parametrize("stage, granted", [(None, True), ("DISABLED", False)], ids=["alpha", "disabled"])
def test_an_alpha_role_whose_stage_is_left_out_on_the_wire_still_grants(stage, granted):
    """``stage`` is omitted for ALPHA (the enum's zero); only DISABLED (or deleted) stops a role."""
    role = {"name": SETTER, "includedPermissions": ["resourcemanager.projects.setIamPolicy"]}
    binding = {"role": SETTER, "members": [f"serviceAccount:{sa('role-setter')}"]}
    raw = {
        "customRoles": [{**role, **({"stage": stage} if stage else {})}],
        "policies": [{"resource": "projects/acme-prod", "policy": {"bindings": [binding]}}],
    }
    inventory = normalize_estate(raw, now=AS_OF)
    assert bool(inventory.grants) is granted
    assert bool({r.id: r for r in inventory.roles}[SETTER].permissions) is granted
