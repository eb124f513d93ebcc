"""Entra's own "unused credentials" recommendation (``staleAppCreds``), read by the real Azure
collector (azure-core's pipeline) from the loopback Graph server, and what the rules make of it.

Each case beside its near miss: an open recommendation's open impacted resource marks the
credential it names; a dismissed, postponed or completed recommendation or resource marks
nothing; a managed identity is never marked; a 403 is a skipped read and the rest of the scan
stands.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from standing.collectors.azure import AzureScanOptions, collect_azure
from standing.collectors.azure.clients import StaticTokenCredential
from standing.core.model import CoverageStatus, Inventory, UsageStatus
from standing.rules.config import ScanConfig
from standing.scan import scan_inventory
from tests.support.azure_wire import TENANT, AzureWire, AzureWireServer, fixture_wire
from tests.support.published import PublishedAzureWire

TOKEN = "recommendations-test-token"
FIXTURE_AS_OF = datetime.fromisoformat(TENANT["as_of"])
RECS = "/beta/directory/recommendations"
LIST_OP = "graph:beta.directoryRecommendations"
IMPACTED_OP = "graph:beta.directoryRecommendations.impactedResources"
OLD_SECRET = "c321a3a5-e7ea-59e3-92a9-3a3a87e59b2c"  # app-old-secret's client secret in the fixture tenant
DISMISSED_SECRET = "9bc234f3-585a-5405-987a-6111b2d32752"  # app-two-secrets: its resource is dismissed

# A small tenant of our own for the near misses.
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
OURS = "5e5e5e5e-0000-4000-8000-000000000000"
REC_ID = f"{OURS}_staleAppCreds"
APP = {"id": "a0000000-0000-4000-8000-000000000001", "appId": "c0000000-0000-4000-8000-000000000001"}
SP = {"id": "50000000-0000-4000-8000-000000000001", "appId": APP["appId"]}
SECRET = "5ec00000-0000-4000-8000-000000000001"
OTHER_APP = {"id": "a0000000-0000-4000-8000-000000000002", "appId": "c0000000-0000-4000-8000-000000000002"}
OTHER_SP = {"id": "50000000-0000-4000-8000-000000000002", "appId": OTHER_APP["appId"]}
MI = {"id": "31000000-0000-4000-8000-000000000001", "appId": "c1000000-0000-4000-8000-000000000001"}
MI_KEY = "3c000000-0000-4000-8000-000000000001"


def findings_by_subject(inv: Inventory, as_of: datetime) -> dict[str, dict[str, dict[str, Any]]]:
    """subject -> rule id -> evidence, from the whole analysis a scan runs."""
    doc = scan_inventory(inv, ScanConfig(), as_of=as_of, generated_at=as_of, output_dir=None).document
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for f in doc.findings:
        out.setdefault(f.subject, {})[f.rule_id] = f.evidence
    return out


def statuses(inv: Inventory, operation: str) -> set[CoverageStatus]:
    return {c.status for c in inv.coverage if c.operation == operation}


def collect(wire: AzureWire, now: datetime) -> Inventory:
    """The real collector against ``wire`` on loopback, never waiting."""
    with AzureWireServer(wire) as url:
        return collect_azure(
            AzureScanOptions(arm_endpoint=url, graph_endpoint=url, max_workers=2),
            credential=StaticTokenCredential(TOKEN),
            now=lambda: now,
            sleep=lambda _: None,
        )


# -- the fixture tenant -------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_tenant():
    wire = fixture_wire(TOKEN)
    return collect(wire, FIXTURE_AS_OF), wire


def test_credential_entra_reports_unused_is_evidence_on_its_existing_findings(fixture_tenant):
    inv, _ = fixture_tenant
    cred = next(c for c in inv.credentials if c.id == OLD_SECRET)
    assert cred.reported_unused is not None
    assert (cred.reported_unused.source, cred.reported_unused.reference, cred.reported_unused.window_days) == (
        "entra-recommendation:staleAppCreds",
        f"{TENANT['tenant_id']}_staleAppCreds",
        30,
    )
    assert cred.reported_unused.reported_at == datetime(2026, 5, 31, 6, tzinfo=UTC)  # the recommendation's check
    # no dated use anywhere: "no use in the last 30 days", Entra's window, judged by the rules' own limits
    assert (cred.last_used_status, cred.usage_window_days) == (UsageStatus.NOT_IN_WINDOW, 30)
    found = findings_by_subject(inv, FIXTURE_AS_OF)
    # 120 days old: key-too-old and the census carry Entra's word; 30 days of disuse is under
    # key-unused's 45-day limit, so no new finding is made from it
    assert set(found[OLD_SECRET]) == {"key-too-old", "long-lived-secret"}
    for evidence in found[OLD_SECRET].values():
        assert evidence["provider_reports_unused"]["reference"] == f"{TENANT['tenant_id']}_staleAppCreds"
        assert evidence["provider_reports_unused"]["window_days"] == 30


def test_explain_shows_entras_report_beside_the_credentials_last_use(fixture_tenant):
    import io

    from rich.console import Console

    from standing.analysis.graph import PrivilegeGraph
    from standing.reports.explain import render_explanation

    inv, _ = fixture_tenant
    graph = PrivilegeGraph(inv)
    shown = {}
    for name in ("app-old-secret", "app-two-secrets"):
        console = Console(file=io.StringIO(), width=250, color_system=None)
        identity = next(i for i in inv.identities if i.name == name)
        render_explanation(console, graph, identity, [])
        shown[name] = console.file.getvalue()
    assert "entra-recommendation:staleAppCreds: unused 30 days" in shown["app-old-secret"]
    assert "staleAppCreds" not in shown["app-two-secrets"]  # its resource was dismissed


def test_the_plan_states_entras_report_in_the_current_state(fixture_tenant):
    inv, _ = fixture_tenant
    plans = scan_inventory(
        inv, ScanConfig(), as_of=FIXTURE_AS_OF, generated_at=FIXTURE_AS_OF, output_dir=None, with_plans=True
    ).plans
    assert plans is not None
    state = {p.identity_name: " | ".join(p.current_state) for p in plans.plans}
    assert (
        f"{OLD_SECRET}: 120 days old, use not_in_window, entra-recommendation:staleAppCreds reports it unused "
        "for 30 days" in state["app-old-secret"]
    )
    assert "staleAppCreds" not in state["app-two-secrets"]


def test_dismissed_impacted_resource_marks_nothing(fixture_tenant):
    inv, _ = fixture_tenant
    cred = next(c for c in inv.credentials if c.id == DISMISSED_SECRET)
    assert cred.reported_unused is None and cred.last_used_status is UsageStatus.UNKNOWN
    found = findings_by_subject(inv, FIXTURE_AS_OF)
    assert all("provider_reports_unused" not in e for e in found[DISMISSED_SECRET].values())


def test_only_the_unused_credentials_recommendation_is_read_further(fixture_tenant):
    inv, wire = fixture_tenant
    reads = [p for p in wire.paths() if p.startswith(RECS)]
    assert reads == [RECS, f"{RECS}/{TENANT['tenant_id']}_staleAppCreds/impactedResources"]  # not the expiry one
    assert statuses(inv, LIST_OP) == statuses(inv, IMPACTED_OP) == {CoverageStatus.OK}


def test_recommendations_denied_is_a_skipped_read_and_the_rest_of_the_scan_stands():
    wire = fixture_wire(TOKEN)
    wire.forbidden_prefixes.append("/beta/directory/")
    inv = collect(wire, FIXTURE_AS_OF)
    (listed,) = [c for c in inv.coverage if c.operation == LIST_OP]
    assert listed.status is CoverageStatus.SKIPPED
    assert "DirectoryRecommendations.Read.All" in (listed.detail or "") and "403" in (listed.detail or "")
    assert statuses(inv, IMPACTED_OP) == {CoverageStatus.SKIPPED}
    assert not any(p.endswith("/impactedResources") for p in wire.paths())  # nothing read past the 403
    # the rest is intact: sign-in reports read, every credential there, none marked
    assert statuses(inv, "graph:beta.appCredentialSignInActivities") == {CoverageStatus.OK}
    assert OLD_SECRET in {c.id for c in inv.credentials}
    assert all(c.reported_unused is None for c in inv.credentials)
    assert not [
        g for g in inv.gaps if g.status in (CoverageStatus.FAILED, CoverageStatus.DENIED) and "beta" in g.operation
    ]


# -- near misses on a tenant of our own -----------------------------------------------------


def recommendation(status: str = "active", rec_type: str = "staleAppCreds", **extra: Any) -> dict[str, Any]:
    return {
        "id": REC_ID if rec_type == "staleAppCreds" else f"{OURS}_{rec_type}",
        "recommendationType": rec_type,
        "status": status,
        "lastCheckedDateTime": "2026-05-30T00:00:00Z",
        **extra,
    }


def resource(key_id: str, app_id: str, status: str = "active", last_active: str | None = None) -> dict[str, Any]:
    detail = [{"key_id": key_id, "key_type": "Password", "last_active_date": last_active}]
    return {
        "id": f"res-{key_id}",
        "subjectId": app_id,
        "recommendationId": REC_ID,
        "resourceType": "app",
        "status": status,
        "addedDateTime": "2026-05-01T00:00:00Z",
        "additionalDetails": [{"key": "credentials", "value": json.dumps(detail)}],
    }


def secret(key_id: str, start: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    return {"keyId": key_id, "startDateTime": start, "endDateTime": "2027-01-01T00:00:00Z"}


def our_scan(
    recommendations: list[dict[str, Any]],
    impacted: list[dict[str, Any]] | None = None,
    *,
    sign_ins: list[dict[str, Any]] | None = None,
) -> tuple[Inventory, PublishedAzureWire]:
    routes: dict[str, Any] = {
        "/v1.0/organization": {"value": [{"id": OURS, "displayName": "ours"}]},
        "/v1.0/applications": {
            "value": [
                {**APP, "displayName": "app-ours", "passwordCredentials": [secret(SECRET)]},
                {
                    **OTHER_APP,
                    "displayName": "app-other",
                    "passwordCredentials": [secret(SECRET.replace("5ec", "5ed"))],
                },
            ]
        },
        "/v1.0/servicePrincipals": {
            "value": [
                {**SP, "displayName": "app-ours", "servicePrincipalType": "Application"},
                {**OTHER_SP, "displayName": "app-other", "servicePrincipalType": "Application"},
                {
                    **MI,
                    "displayName": "mi-ours",
                    "servicePrincipalType": "ManagedIdentity",
                    "keyCredentials": [{**secret(MI_KEY), "usage": "Verify", "type": "AsymmetricX509Cert"}],
                },
            ]
        },
        RECS: {"value": recommendations},
        f"{RECS}/{REC_ID}/impactedResources": {"value": impacted or []},
        "/beta/reports/appCredentialSignInActivities": {"value": sign_ins or []},
    }
    wire = PublishedAzureWire(token=TOKEN, routes=routes)
    return collect(wire, AS_OF), wire


def cred(inv: Inventory, key_id: str):
    return next(c for c in inv.credentials if c.id == key_id)


def test_entra_last_active_date_is_the_credentials_last_use_and_key_unused_cites_entra():
    inv, _ = our_scan([recommendation()], [resource(SECRET, APP["appId"], last_active="2026-02-15T00:00:00Z")])
    c = cred(inv, SECRET)
    assert (c.last_used, c.last_used_status) == (datetime(2026, 2, 15, tzinfo=UTC), UsageStatus.USED)
    evidence = findings_by_subject(inv, AS_OF)[SECRET]["key-unused"]  # 106 days idle > 45
    assert evidence["idle_days"] == 106
    assert evidence["provider_reports_unused"]["last_active"] == "2026-02-15T00:00:00+00:00"


def test_a_dated_sign_in_is_never_overwritten_by_the_recommendation():
    sign_in = {"keyId": SECRET, "appId": APP["appId"], "signInActivity": {"lastSignInDateTime": "2026-05-30T00:00:00Z"}}
    inv, _ = our_scan([recommendation()], [resource(SECRET, APP["appId"])], sign_ins=[sign_in])
    c = cred(inv, SECRET)
    assert (c.last_used, c.last_used_status) == (datetime(2026, 5, 30, tzinfo=UTC), UsageStatus.USED)
    assert c.reported_unused is not None  # Entra's word still shown, beside the fact
    assert "key-unused" not in findings_by_subject(inv, AS_OF)[SECRET]


@pytest.mark.parametrize("status", ["dismissed", "postponed", "completedByUser", "completedBySystem"])
def test_a_closed_recommendation_marks_nothing_and_is_not_read_further(status):
    inv, wire = our_scan([recommendation(status)], [resource(SECRET, APP["appId"])])
    assert cred(inv, SECRET).reported_unused is None
    assert cred(inv, SECRET).last_used_status is UsageStatus.UNKNOWN
    assert not any(p.endswith("/impactedResources") for p in wire.paths())
    assert statuses(inv, IMPACTED_OP) == {CoverageStatus.OK}


@pytest.mark.parametrize("status", ["dismissed", "postponed", "completedByUser", "completedBySystem"])
def test_a_closed_impacted_resource_marks_nothing(status):
    inv, _ = our_scan([recommendation()], [resource(SECRET, APP["appId"], status=status)])
    assert cred(inv, SECRET).reported_unused is None
    assert all("provider_reports_unused" not in e for e in findings_by_subject(inv, AS_OF)[SECRET].values())


def test_an_open_resource_marks_its_credential_and_the_near_miss_beside_it_stays_clean():
    inv, _ = our_scan([recommendation()], [resource(SECRET, APP["appId"])])
    assert cred(inv, SECRET).reported_unused is not None
    other = SECRET.replace("5ec", "5ed")
    assert cred(inv, other).reported_unused is None
    found = findings_by_subject(inv, AS_OF)
    assert "provider_reports_unused" in found[SECRET]["long-lived-secret"]
    assert "provider_reports_unused" not in found[other]["long-lived-secret"]


def test_a_key_id_named_under_another_app_is_not_attributed():
    inv, _ = our_scan([recommendation()], [resource(SECRET, OTHER_APP["appId"])])
    assert cred(inv, SECRET).reported_unused is None


def test_a_managed_identity_is_never_marked_and_never_judged():
    inv, _ = our_scan([recommendation()], [resource(MI_KEY, MI["appId"])])
    mi_cred = cred(inv, MI_KEY)
    assert mi_cred.reported_unused is None and mi_cred.user_managed is False
    assert mi_cred.last_used_status is UsageStatus.UNKNOWN
    assert MI_KEY not in findings_by_subject(inv, AS_OF)


def test_a_credential_id_given_as_its_own_key_value_pair_is_read():
    res = {**resource(SECRET, APP["appId"]), "additionalDetails": [{"key": "CredentialId", "value": SECRET.upper()}]}
    inv, _ = our_scan([recommendation()], [res])
    assert cred(inv, SECRET).reported_unused is not None


@pytest.mark.parametrize(
    "details",
    [
        None,
        [],
        [{"key": "ExpiringCredentialsCount", "value": "1"}],  # a count names no credential
        [{"key": "credentials", "value": "[" * 5000}],  # unreadable JSON text
        [{"key": "credentials", "value": json.dumps([{"key_id": SECRET, "last_active_date": "not a date"}])}],
    ],
)
def test_details_that_name_no_readable_credential_never_crash_or_guess(details):
    res = {**resource(SECRET, APP["appId"]), "additionalDetails": details}
    inv, _ = our_scan([recommendation()], [res])
    c = cred(inv, SECRET)
    if details and "not a date" in json.dumps(details):
        # the id is named: marked, with the unreadable date left unknown rather than invented
        assert c.reported_unused is not None and c.reported_unused.last_active is None
    else:
        assert c.reported_unused is None


def test_docs_state_what_is_read_and_the_query_that_would_give_per_permission_use():
    from pathlib import Path

    from standing.planner.narrowing import AZURE_ACTIVITY_QUERY

    page = (Path(__file__).parents[3] / "docs" / "azure.md").read_text()
    section = page.split("## What Azure says about use", 1)[1].split("\n## ", 1)[0]
    assert "`DirectoryRecommendations.Read.All`" in section and "`staleAppCreds`" in section
    assert "Per-permission use is not possible from Azure's data" in section
    assert AZURE_ACTIVITY_QUERY in section


# -- the offline import -----------------------------------------------------------------------

EXPORT = Path(__file__).parents[3] / "fixtures" / "azure" / "export"


def imported(**extras: Any) -> Inventory:
    from standing.collectors.azure.importer import Extras, import_azure

    return import_azure(
        sp_list=EXPORT / "az-ad-sp-list.json",
        app_list=EXPORT / "az-ad-app-list.json",
        role_assignments=[EXPORT / "az-role-assignment-list.json"],
        extras=Extras(**extras),
        now=lambda: FIXTURE_AS_OF,
    )


def test_the_offline_export_marks_what_the_api_path_marks(fixture_tenant):
    api, _ = fixture_tenant
    inv = imported(recommendations=EXPORT / "az-rest-directory-recommendations.json")

    def marked(i: Inventory) -> dict[str, Any]:
        return {c.id: (c.reported_unused, c.last_used_status) for c in i.credentials if c.reported_unused}

    assert marked(inv) == marked(api) and set(marked(inv)) == {OLD_SECRET}
    assert LIST_OP not in {g.operation for g in inv.gaps}
    # near miss: without the export, nothing is marked and the gap names the command that writes it
    bare = imported()
    assert all(c.reported_unused is None for c in bare.credentials)
    (gap,) = [g for g in bare.gaps if g.operation == LIST_OP]
    assert "directory/recommendations?$expand=impactedResources" in (gap.detail or "")


def test_a_malformed_recommendations_export_names_the_file_and_field(tmp_path):
    from standing.core.errors import UserError

    bad = tmp_path / "recs.json"
    bad.write_text(json.dumps({"value": [{"id": REC_ID, "impactedResources": [{"additionalDetails": "x"}]}]}))
    with pytest.raises(UserError) as err:
        imported(recommendations=bad)
    assert "recs.json" in str(err.value) and "additionalDetails" in str(err.value)


def test_a_recommendation_id_cannot_steer_the_read_elsewhere():
    """A hostile id is one quoted path segment: the read stays the declared impactedResources read."""
    hostile = "x/../../../v1.0/servicePrincipals?$top=1#"
    inv, wire = our_scan([{**recommendation(), "id": hostile}])
    (call,) = [c for c in wire.calls if c.path.startswith(f"{RECS}/")]
    assert call.path.endswith("/impactedResources") and "/../" not in call.path and call.query == ""
    assert statuses(inv, IMPACTED_OP) == {CoverageStatus.FAILED}  # no such recommendation here: a gap, not a crash
    assert cred(inv, SECRET).reported_unused is None
