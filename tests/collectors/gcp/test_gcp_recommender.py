"""The IAM Recommender through the real ``google-cloud-recommender`` client (REST) against the
loopback server, and the same recommendations from ``gcloud recommender recommendations list``.

The fixture estate's acme-prod has three role recommendations (``fixtures/gcp/generate.py``):
the default compute account's Editor replaceable by an object viewer (active), the same advice
shape for a person (active) and a dismissed one on owner-sa. Only the first is evidence.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from standing.collectors.gcp import GcpScanOptions, ImportFiles, collect_gcp, import_gcp
from standing.collectors.gcp.normalize import parse_time
from standing.collectors.gcp.recommender import usage_records
from standing.core.model import CoverageStatus, Inventory, RoleReplacement, UsageSource
from standing.planner.narrowing import Narrowing, narrowed_gcp_grants
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.support.gcp_wire import GcpWire, http_routes
from tests.test_gcp_end_to_end import AS_OF, COMPUTE, EXPECTED, IMPORTS, analysis, cli, findings, sa

RECS = "GET /v1/projects/acme-prod/locations/global/recommenders/google.iam.policy.Recommender/recommendations"
LIST = "recommender:projects.locations.recommenders.recommendations.list"
EDITOR_ADVICE = RoleReplacement(
    scope_id="projects/acme-prod",
    role_id="roles/editor",
    replace_with=["roles/storage.objectViewer"],
    recommendation_id="projects/1001/locations/global/recommenders/google.iam.policy.Recommender/recommendations/"
    "7b3f2e4a-1c5d-4e6f-8a9b-0c1d2e3f4a5b",
)


def clock():
    return AS_OF


def scan(routes: dict | None = None, **scope: object) -> tuple[Inventory, list[str]]:
    with GcpWire(routes) as wire:
        options = GcpScanOptions(
            **{"projects": ("acme-prod",), **scope},
            api_endpoint=wire.http.url,
            grpc_endpoint=wire.grpc.target,
        )
        inventory = collect_gcp(options, credentials=Credentials(token="test-token"), now=clock)
    return inventory, wire.log.calls


def planted() -> list[dict]:
    return http_routes()[RECS]["pages"][""]["recommendations"]


def with_recommendations(recommendations: list[dict]) -> dict:
    routes = http_routes()
    routes[RECS] = {"pages": {"": {"recommendations": recommendations}}}
    return routes


def found(inventory: Inventory) -> set[tuple[str, str]]:
    return {(f.rule_id, f.identity) for f in analyse(inventory, ScanConfig(), as_of=AS_OF)}


def test_an_active_replacement_is_the_service_account_s_usage_record_and_nothing_else_is():
    inventory, calls = scan()
    assert RECS in calls  # read through the client library, over REST
    [record] = inventory.usage
    assert record.identity_id == COMPUTE
    assert record.source is UsageSource.GCP_RECOMMENDER
    assert record.window_days == 90
    assert record.observed_at.isoformat() == "2026-05-31T07:00:00+00:00"  # lastRefreshTime
    assert record.replacements == [EDITOR_ADVICE]
    # alice's advice is a person's (counted, left out); owner-sa's was dismissed
    [entry] = [c for c in inventory.coverage if c.operation == LIST]
    assert entry.status is CoverageStatus.OK and entry.scope == "projects/acme-prod"
    assert entry.detail == "2 active role recommendations: 1 for service accounts, 1 for people (left out)"


def test_the_replacement_is_a_permissions_unused_finding_naming_editor():
    inventory, _ = scan()
    [finding] = [f for f in analyse(inventory, ScanConfig(), as_of=AS_OF) if f.rule_id == "permissions-unused"]
    assert finding.identity == COMPUTE
    assert finding.evidence["unused"] == ["roles/editor"] and finding.evidence["scope"] == "projects/acme-prod"
    assert "replaceable by roles/storage.objectViewer" in finding.message


@pytest.mark.parametrize("state", ["CLAIMED", "SUCCEEDED", "FAILED", "DISMISSED"])
def test_a_recommendation_no_longer_active_is_no_evidence(state):
    recommendations = copy.deepcopy(planted())
    recommendations[0]["stateInfo"] = {"state": state}
    inventory, _ = scan(with_recommendations(recommendations))
    assert inventory.usage == []
    assert ("permissions-unused", COMPUTE) not in found(inventory)


def test_the_same_advice_for_a_person_is_counted_and_never_a_record():
    recommendations = copy.deepcopy(planted())
    text = json.dumps(recommendations[0]).replace(f"serviceAccount:{COMPUTE}", "user:carol@example.com")
    inventory, _ = scan(with_recommendations([json.loads(text)]))
    assert inventory.usage == []
    [entry] = [c for c in inventory.coverage if c.operation == LIST]
    assert entry.detail == "1 active role recommendation: 0 for service accounts, 1 for people (left out)"
    assert not any(f.rule_id == "permissions-unused" for f in analyse(inventory, ScanConfig(), as_of=AS_OF))


def test_no_recommendation_gives_no_finding():
    inventory, _ = scan(with_recommendations([]))
    assert inventory.usage == []
    assert ("permissions-unused", COMPUTE) not in found(inventory)


def test_a_denied_recommender_is_a_gap_naming_project_and_api_and_the_rest_is_intact():
    routes = http_routes()
    routes[RECS] = {
        "status": 403,
        "body": {
            "error": {
                "code": 403,
                "status": "PERMISSION_DENIED",
                "message": "Permission 'recommender.iamPolicyRecommendations.list' denied on resource.",
            }
        },
    }
    inventory, _ = scan(routes)
    assert [(g.scope, g.operation, g.status) for g in inventory.gaps] == [
        ("projects/acme-prod", LIST, CoverageStatus.DENIED)
    ]
    assert "recommender.iamPolicyRecommendations.list" in (inventory.gaps[0].detail or "")
    assert inventory.usage == []
    complete, _ = scan()
    assert found(inventory) == found(complete) - {("permissions-unused", COMPUTE)}
    assert len(inventory.identities) == len(complete.identities) and inventory.grants == complete.grants


def test_an_organization_scan_reads_the_organization_folder_and_projects_and_a_disabled_api_is_a_gap():
    inventory, calls = scan(projects=(), organization="organizations/123456789012")
    listed = {c.split("/locations/")[0] for c in calls if "google.iam.policy.Recommender" in c}
    assert listed == {
        "GET /v1/organizations/123456789012",
        "GET /v1/folders/456",
        "GET /v1/projects/acme-prod",
        "GET /v1/projects/acme-dev",
        "GET /v1/projects/acme-locked",
    }
    [gap] = [g for g in inventory.gaps if g.operation == LIST]
    assert gap.scope == "projects/acme-locked" and "Recommender API has not been used" in (gap.detail or "")
    assert [r.identity_id for r in inventory.usage] == [COMPUTE]


def import_files(recommendations: tuple[Path, ...]) -> ImportFiles:
    return ImportFiles(
        asset_search=(IMPORTS / "asset-search.json",),
        service_accounts=(IMPORTS / "service-accounts.json",),
        recommendations=recommendations,
    )


def test_the_gcloud_export_gives_the_same_records_as_the_live_read():
    live, _ = scan()
    imported = import_gcp(import_files(tuple(sorted(IMPORTS.glob("recommendations-*.json")))), now=clock)
    assert imported.usage == live.usage
    assert not [g for g in imported.gaps if g.operation == LIST]


def test_without_the_export_each_project_is_a_gap_naming_the_gcloud_command():
    imported = import_gcp(import_files(()), now=clock)
    details = {g.scope: g.detail for g in imported.gaps if g.operation == LIST}
    assert set(details) == {"projects/acme-prod", "projects/acme-dev"}
    assert (
        "`gcloud recommender recommendations list --recommender=google.iam.policy.Recommender "
        "--project=acme-prod --location=global --format=json` (--from-recommendations)" in details["projects/acme-prod"]
    )
    assert imported.usage == []


@pytest.mark.parametrize(
    "body",
    [
        '{"recommendations": [',  # truncated
        json.dumps(
            [
                {
                    "name": "projects/1/locations/global/recommenders/google.compute.instance.MachineTypeRecommender/"
                    "recommendations/x"
                }
            ]
        ),  # fmt: skip
        json.dumps(
            [
                {
                    "name": "projects/1/locations/global/recommenders/google.iam.policy.Recommender/recommendations/x",
                    "content": {"operationGroups": [{"operations": [{"pathFilters": "roles/editor"}]}]},
                }
            ]
        ),  # fmt: skip
    ],
    ids=["truncated", "another-recommender", "wrong-type"],
)
def test_a_malformed_export_is_one_line_naming_the_file_and_exit_2(tmp_path, body):
    bad = tmp_path / "recs.json"
    bad.write_text(body)
    run = cli(
        "scan",
        "gcp",
        "--from-service-accounts",
        str(IMPORTS / "service-accounts.json"),
        "--from-recommendations",
        str(bad),
        *analysis(tmp_path / "out"),
        out_dir=tmp_path / "out",
        home=tmp_path,
    )
    assert run.code == 2, run.stdout + run.stderr
    assert str(bad) in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_the_plan_binds_the_replacement_and_the_near_miss_keeps_editor(tmp_path):
    """The whole command: the finding names Editor, the plan's GCP binding is the object viewer."""

    def plan_roles(routes: dict, out: Path) -> tuple[set[str], list[dict]]:
        with GcpWire(routes) as wire:
            run = cli("scan", "gcp", "--project", "acme-prod", *wire.cli_args(), *analysis(out), out_dir=out,
                      home=tmp_path)  # fmt: skip
        assert run.code == 0, run.stdout + run.stderr
        [plan] = [p for p in json.loads((out / "plans.json").read_text())["plans"] if p["identity"] == COMPUTE]
        terraform = "\n".join(f["terraform"] for f in plan["iac"] if not f["filename"].startswith("cut-"))
        roles = {line.split('"')[1] for line in terraform.splitlines() if line.strip().startswith("role ")}
        return roles, [f for f in findings(out) if f["identity"] == COMPUTE]

    roles, hits = plan_roles(http_routes(), tmp_path / "advised")
    assert roles == {"roles/storage.objectViewer"}
    assert [f["evidence"]["unused"] for f in hits if f["rule_id"] == "permissions-unused"] == [["roles/editor"]]
    roles, hits = plan_roles(with_recommendations([]), tmp_path / "none")
    assert roles == {"roles/editor"}
    assert not [f for f in hits if f["rule_id"] == "permissions-unused"]


def test_the_export_files_are_what_the_live_server_replays():
    """One estate, two renderings: the import files hold exactly the replayed recommendations."""
    routes = http_routes()
    for pid in ("acme-prod", "acme-dev"):
        route = f"GET /v1/projects/{pid}/locations/global/recommenders/google.iam.policy.Recommender/recommendations"
        replayed = routes[route]["pages"][""]["recommendations"]
        assert json.loads((IMPORTS / f"recommendations-{pid}.json").read_text()) == replayed
    assert sa("owner-sa") in json.dumps(planted())  # the dismissed near miss is on the wire too
    assert ("permissions-unused", COMPUTE) in EXPECTED


def test_a_plan_s_bindings_take_the_advice_and_only_the_advice():
    used = Narrowing(
        source=UsageSource.GCP_RECOMMENDER,
        window_days=90,
        observed_at=datetime(2026, 5, 31, tzinfo=UTC),
        action_level=False,
        used_services=frozenset(),
        replacements=(
            EDITOR_ADVICE,
            RoleReplacement(scope_id="projects/acme-prod", role_id="roles/pubsub.admin", replace_with=[]),
        ),
    )
    grants = [
        ("projects/acme-prod", "roles/editor"),  # replaced
        ("projects/acme-prod", "roles/pubsub.admin"),  # removed
        ("projects/acme-dev", "roles/editor"),  # the advice is for another project: kept
        ("projects/acme-prod", "roles/logging.viewer"),  # no advice: kept
    ]
    assert narrowed_gcp_grants(grants, used) == [
        ("projects/acme-prod", "roles/storage.objectViewer"),
        ("projects/acme-dev", "roles/editor"),
        ("projects/acme-prod", "roles/logging.viewer"),
    ]
    assert narrowed_gcp_grants(grants, None) == grants


def test_usage_none_calls_no_recommender_and_says_so_without_a_gap():
    inventory, calls = scan(usage=False)
    assert not [c for c in calls if "google.iam.policy.Recommender" in c]
    assert inventory.usage == [] and inventory.gaps == []
    [entry] = [c for c in inventory.coverage if c.operation == LIST]
    assert (entry.scope, entry.status) == ("projects/acme-prod", CoverageStatus.SCOPED)
    assert "--usage none" in (entry.detail or "")
    assert ("permissions-unused", COMPUTE) not in found(inventory)


def test_usage_none_on_the_command_line_is_a_complete_scan_without_the_finding(tmp_path):
    with GcpWire() as wire:
        run = cli("scan", "gcp", "--project", "acme-prod", "--usage", "none", *wire.cli_args(), *analysis(tmp_path),
                  out_dir=tmp_path, home=tmp_path)  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    assert not [c for c in wire.log.calls if "google.iam.policy.Recommender" in c]
    assert not [f for f in findings(tmp_path) if f["rule_id"] == "permissions-unused"]


def test_a_customizable_replacement_reads_its_first_group_only():
    """REPLACE_ROLE_CUSTOMIZABLE: the first group swaps in predefined roles; a further group (a
    custom role to create instead) is an alternative, not more roles to grant."""
    [advice] = copy.deepcopy(planted()[:1])
    advice["recommenderSubtype"] = "REPLACE_ROLE_CUSTOMIZABLE"
    alternative = copy.deepcopy(advice["content"]["operationGroups"][0])
    alternative["operations"][0]["pathFilters"]["/iamPolicy/bindings/*/role"] = "projects/acme-prod/roles/custom"
    for operation in alternative["operations"]:
        operation["action"] = operation["action"].upper()  # the API calls the field case-insensitive
    advice["content"]["operationGroups"].append(alternative)
    records = usage_records([advice], canonical=str, parse_time=parse_time, observed=AS_OF)
    assert [r.replacements for r in records] == [[EDITOR_ADVICE]]
    advice["content"]["operationGroups"] = [alternative]
    [record] = usage_records([advice], canonical=str, parse_time=parse_time, observed=AS_OF)
    assert record.replacements[0].replace_with == ["projects/acme-prod/roles/custom"]
