"""IAM deny policies read through the real discovery client from the replay server, cutting hops."""

from __future__ import annotations

from datetime import datetime

from google.oauth2.credentials import Credentials

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.guardrails import cut_hops
from standing.collectors.gcp import GcpScanOptions, collect_gcp
from standing.collectors.gcp.guardrails import attachment_parent
from standing.core.model import CoverageStatus, GuardrailKind
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.collectors.gcp.test_gcp_fixtures import check
from tests.support.gcp_wire import GcpWire, http_routes
from tests.test_gcp_end_to_end import AS_OF

PROD = "projects/acme-prod"
LIST = f"GET /v2/{attachment_parent(PROD)}"
NAME = f"{attachment_parent(PROD)}/no-impersonation"
EVERY_WAY_TO_IMPERSONATE = [
    "iam.googleapis.com/serviceAccounts.getAccessToken",
    "iam.googleapis.com/serviceAccounts.signBlob",
    "iam.googleapis.com/serviceAccounts.signJwt",
    "iam.googleapis.com/serviceAccounts.implicitDelegation",
    "iam.googleapis.com/serviceAccountKeys.create",
    "iam.googleapis.com/serviceAccounts.*",
]


def clock() -> datetime:
    return AS_OF


def scan(routes):
    with GcpWire(routes) as wire:
        options = GcpScanOptions(projects=("acme-prod",), api_endpoint=wire.http.url, grpc_endpoint=wire.grpc.target)
        return collect_gcp(options, credentials=Credentials(token="test-token"), now=clock), wire.log.calls


def with_deny_policy(permissions):
    """The listing names the policy without its rules (as Google's does); ``policies.get`` has them."""
    routes = http_routes()
    routes[LIST] = {
        "pages": {"": {"policies": [{"name": NAME, "kind": "DenyPolicy", "displayName": "No impersonation"}]}}
    }
    routes[f"GET /v2/{NAME}"] = {
        "pages": {
            "": {
                "name": NAME,
                "displayName": "No impersonation",
                "rules": [
                    {
                        "denyRule": {
                            "deniedPrincipals": ["principalSet://goog/public:all"],
                            "deniedPermissions": permissions,
                        }
                    }
                ],
            }
        }
    }
    return routes


def test_the_replayed_deny_policy_pages_hold_to_google_s_iam_v2_schema():
    routes = with_deny_policy(EVERY_WAY_TO_IMPERSONATE)
    check(routes[LIST]["pages"][""], "iam.v2", "GoogleIamV2ListPoliciesResponse", LIST)
    check(routes[f"GET /v2/{NAME}"]["pages"][""], "iam.v2", "GoogleIamV2Policy", NAME)


def paths(inv):
    return {f.identity for f in analyse(inv, ScanConfig(), as_of=AS_OF) if f.rule_id == "path-to-admin"}


def test_a_deny_policy_on_the_project_is_read_with_its_rules_and_cuts_impersonation_hops():
    plain, _ = scan(http_routes())
    denied, calls = scan(with_deny_policy(EVERY_WAY_TO_IMPERSONATE))
    [guardrail] = denied.guardrails
    assert (guardrail.id, guardrail.kind, guardrail.name, guardrail.targets) == (
        NAME,
        GuardrailKind.GCP_DENY,
        "No impersonation",
        [PROD],
    )
    assert f"GET /v2/{NAME}" in calls  # the rules come from policies.get
    cut = cut_hops(PrivilegeGraph(denied))
    assert cut and all(c.guardrail.id == NAME for c in cut)
    # actAs is a serviceAccounts permission: launching compute as another account is stopped.
    assert "pass-role" in {c.hop.kind.value for c in cut}
    assert all(c.action.startswith("iam.serviceAccounts.") for c in cut)
    # setIamPolicy on the project is not denied: that way to admin stays.
    assert any(h.kind.value == "set-iam-policy" for h in PrivilegeGraph(denied).escalation_hops)
    assert paths(denied) <= paths(plain)


def test_near_miss_a_deny_policy_on_another_permission_cuts_nothing():
    plain, _ = scan(http_routes())
    other, _ = scan(with_deny_policy(["storage.googleapis.com/buckets.delete"]))
    assert len(other.guardrails) == 1
    assert cut_hops(PrivilegeGraph(other)) == []
    assert paths(other) == paths(plain)


def test_a_denied_listing_is_a_gap_naming_the_project_and_the_scan_goes_on():
    routes = http_routes()
    routes[LIST] = {
        "status": 403,
        "body": {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "iam.denypolicies.list denied"}},
    }
    inv, _ = scan(routes)
    assert inv.guardrails == []
    assert {(g.scope, g.operation, g.status) for g in inv.gaps} == {
        (PROD, "iam:policies.listPolicies", CoverageStatus.DENIED)
    }
    assert inv.identities
