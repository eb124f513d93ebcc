"""The GCP collector in-process, with the real clients against the local fixture servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from google.oauth2.credentials import Credentials

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeLevel
from standing.analysis.privilege_gcp import assess
from standing.collectors.gcp import GcpScanOptions, ImportFiles, collect_gcp
from standing.collectors.gcp.importer import load_files
from standing.collectors.gcp.normalize import grant_duration, normalize_estate
from standing.core.errors import UserError
from standing.core.model import (
    CredentialKind,
    Grant,
    GrantDuration,
    Provider,
    Role,
    ScopeKind,
    TrustKind,
    UsageStatus,
    merge_inventories,
)
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.builders import inventory as aws_inventory
from tests.builders import role, user
from tests.support.gcp_wire import GcpWire, http_routes
from tests.test_gcp_end_to_end import AS_OF, COMPUTE, EXPECTED, sa


def clock() -> datetime:
    return AS_OF


@pytest.fixture(scope="module")
def inventory():
    with GcpWire() as wire:
        options = GcpScanOptions(
            organization="organizations/123456789012",
            max_workers=3,
            api_endpoint=wire.http.url,
            grpc_endpoint=wire.grpc.target,
        )
        return collect_gcp(options, credentials=Credentials(token="test-token"), now=clock)


def test_findings_are_exactly_the_planted_ones(inventory):
    assert {(f.rule_id, f.identity) for f in analyse(inventory, ScanConfig(), as_of=AS_OF)} == EXPECTED


def test_hierarchy_is_organization_folder_projects(inventory):
    scopes = {s.id: (s.kind, s.parent_id) for s in inventory.scopes if s.kind is not ScopeKind.RESOURCE}
    assert scopes == {
        "organizations/123456789012": (ScopeKind.ORGANIZATION, None),
        "folders/456": (ScopeKind.FOLDER, "organizations/123456789012"),
        "projects/acme-prod": (ScopeKind.PROJECT, "folders/456"),
        "projects/acme-locked": (ScopeKind.PROJECT, "folders/456"),
        "projects/acme-dev": (ScopeKind.PROJECT, "organizations/123456789012"),
    }


def test_keys_are_normalized(inventory):
    creds = {c.identity_id: c for c in inventory.credentials if c.user_managed}
    assert all(c.kind is CredentialKind.SA_KEY for c in inventory.credentials)
    assert creds[sa("forever-key")].expires is None  # valid_before 9999-12-31
    assert creds[sa("old-key")].expires == datetime(2026, 6, 20, tzinfo=UTC)
    assert creds[sa("exposed-key")].compromised == "key exposed" and creds[sa("exposed-key")].active
    assert not creds[sa("disabled-sa")].active  # a disabled account's key cannot authenticate
    assert creds[sa("disabled-sa")].last_used_status is UsageStatus.NEVER
    assert creds[sa("unused-key")].last_used == datetime(2026, 4, 2, 7, tzinfo=UTC)
    system = [c for c in inventory.credentials if not c.user_managed]
    assert {c.identity_id for c in system} == {sa("old-key"), sa("clean-control")}
    assert {i.id for i in inventory.identities if i.disabled} == {sa("disabled-sa")}


def test_google_managed_keys_are_facts_never_judged_or_counted(inventory):
    system = {c.id for c in inventory.credentials if not c.user_managed}
    user_managed_on_same_sa = {c.id for c in inventory.credentials if c.user_managed and c.identity_id == sa("old-key")}
    subjects = {f.subject for f in analyse(inventory, ScanConfig(), as_of=AS_OF)}
    assert system and not subjects & system  # keyType SYSTEM_MANAGED: no census, no key rule
    assert user_managed_on_same_sa <= subjects  # near miss: the user-managed key beside it is judged


def test_time_bound_binding_is_not_standing(inventory):
    grants = [g for g in inventory.grants if g.principal_id == sa("temp-admin")]
    assert [(g.role_id, g.duration, g.expires) for g in grants] == [
        ("roles/owner", GrantDuration.TIME_BOUND, datetime(2026, 7, 1, tzinfo=UTC))
    ]


def test_folder_token_creator_reaches_every_service_account_beneath(inventory):
    reached = {
        t.target_id
        for t in inventory.trusts
        if t.principal == sa("ci-deployer", "acme-dev") and t.kind is TrustKind.IMPERSONATION
    }
    beneath = {i.id for i in inventory.identities if i.account == "acme-prod"}
    assert reached == beneath and sa("gh-open", "acme-dev") not in reached


def test_workload_identity_providers_become_oidc_trusts(inventory):
    oidc = {(t.target_id, t.issuer, tuple(t.conditions)) for t in inventory.trusts if t.kind is TrustKind.OIDC}
    assert oidc == {
        (sa("gh-open", "acme-dev"), "token.actions.githubusercontent.com", ()),
        (sa("gh-pinned", "acme-dev"), "token.actions.githubusercontent.com", ("attributeCondition",)),
    }
    assert {f.account for f in inventory.federation} == {"acme-dev"}


def test_org_policies_are_recorded(inventory):
    policies = {(p.scope_id, p.constraint): p.enforced for p in inventory.scope_policies}
    assert policies[("projects/acme-prod", "iam.disableServiceAccountKeyCreation")] is False
    assert policies[("projects/acme-prod", "iam.disableServiceAccountKeyUpload")] is True
    assert policies[("projects/acme-dev", "iam.serviceAccountKeyExpiryHours")] is False


def test_a_scope_is_required():
    with pytest.raises(UserError, match="--organization"):
        collect_gcp(GcpScanOptions(), credentials=None, now=clock)


@pytest.mark.parametrize(
    "expression, duration",
    [
        ('request.time < timestamp("2026-07-01T00:00:00Z")', GrantDuration.TIME_BOUND),
        (
            "request.time <= timestamp('2026-07-01T00:00:00.000Z') && resource.name.startsWith('x')",
            GrantDuration.TIME_BOUND,
        ),
        ('request.time < timestamp("2026-07-01T00:00:00Z") || true', GrantDuration.STANDING),
        ("resource.name.startsWith('projects/_/buckets/logs')", GrantDuration.STANDING),
        (None, GrantDuration.STANDING),
    ],
)
def test_grant_duration_from_condition(expression, duration):
    assert grant_duration(expression)[0] is duration


def test_deleted_members_are_dropped_and_service_accounts_lowercased():
    raw = {
        "policies": [
            {
                "resource": "projects/p",
                "policy": {
                    "bindings": [
                        {
                            "role": "roles/viewer",
                            "members": [
                                "deleted:serviceAccount:x@p.iam.gserviceaccount.com?uid=1",
                                "serviceAccount:Y@p.iam.gserviceaccount.com",
                                "allUsers",
                            ],
                        }
                    ]
                },
            }
        ]
    }
    inventory = normalize_estate(raw, now=AS_OF)
    assert {g.principal_id for g in inventory.grants} == {"y@p.iam.gserviceaccount.com", "allUsers"}


def test_a_legacy_build_account_the_policies_name_is_known_and_one_of_another_organization_is_not():
    builder = {"role": "roles/cloudbuild.builds.builder", "members": [
        "serviceAccount:1001@cloudbuild.gserviceaccount.com",  # acme-prod's, never listed by the IAM API
        "serviceAccount:4242@cloudbuild.gserviceaccount.com",  # a project outside the scan
    ]}  # fmt: skip
    raw = {
        "projects": [{"name": "projects/1001", "projectId": "acme-prod"}],
        "policies": [{"resource": "projects/1001", "policy": {"bindings": [builder]}}],
    }
    inventory = normalize_estate(raw, now=AS_OF)
    [known] = inventory.identities
    assert (known.id, known.account, known.provider_managed) == (
        "1001@cloudbuild.gserviceaccount.com",
        "acme-prod",
        True,
    )
    # both keep their grants; only the scanned project's account becomes an identity
    assert {g.principal_id for g in inventory.grants} == {
        "1001@cloudbuild.gserviceaccount.com",
        "4242@cloudbuild.gserviceaccount.com",
    }


def _held(role_id: str, scope: str, permissions: tuple[str, ...] = ()) -> tuple[Grant, Role]:
    return (
        Grant(principal_id="a@p.iam.gserviceaccount.com", role_id=role_id, scope_id=scope),
        Role(id=role_id, provider=Provider.GCP, name=role_id, permissions=list(permissions)),
    )


@pytest.mark.parametrize(
    "held, level",
    [
        ([_held("roles/owner", "organizations/1")], PrivilegeLevel.ADMIN),
        ([_held("roles/owner", "projects/p/serviceAccounts/b@p.iam.gserviceaccount.com")], PrivilegeLevel.WRITE),
        ([_held("roles/iam.serviceAccountTokenCreator", "folders/4")], PrivilegeLevel.PRIVILEGE_MANAGEMENT),
        ([_held("roles/resourcemanager.projectIamAdmin", "projects/p")], PrivilegeLevel.PRIVILEGE_MANAGEMENT),
        (
            [_held("projects/p/roles/custom", "projects/p", ("resourcemanager.projects.setIamPolicy",))],
            PrivilegeLevel.PRIVILEGE_MANAGEMENT,
        ),
        ([_held("roles/editor", "projects/p")], PrivilegeLevel.WRITE),
        (
            [_held("roles/viewer", "projects/p"), _held("roles/iam.securityReviewer", "organizations/1")],
            PrivilegeLevel.READ,
        ),
        ([], PrivilegeLevel.NONE),
    ],
)
def test_gcp_privilege_depends_on_role_and_scope(held, level):
    assert assess(held).level is level


def test_gcp_privilege_evidence_names_role_and_scope():
    assert assess([_held("roles/owner", "projects/p")]).evidence == ("roles/owner on projects/p",)


def test_policy_analyzer_denied_makes_last_use_unknown_and_the_rest_is_still_judged():
    routes = http_routes()
    for route in [r for r in routes if "/projects/acme-prod/" in r and r.endswith("activities:query")]:
        routes[route] = {
            "status": 403,
            "body": {
                "error": {
                    "code": 403,
                    "status": "PERMISSION_DENIED",
                    "message": "Policy Analyzer API has not been used",
                }
            },
        }
    with GcpWire(routes) as wire:
        options = GcpScanOptions(projects=("acme-prod",), api_endpoint=wire.http.url, grpc_endpoint=wire.grpc.target)
        inventory = collect_gcp(options, credentials=Credentials(token="test-token"), now=clock)
    assert {(g.scope, g.operation) for g in inventory.gaps} == {
        ("projects/acme-prod", "policyanalyzer:projects.locations.activityTypes.activities.query")
    }
    assert {c.last_used_status for c in inventory.credentials if c.user_managed} == {UsageStatus.UNKNOWN}
    found = {(f.rule_id, f.identity) for f in analyse(inventory, ScanConfig(), as_of=AS_OF)}
    # key-unused cannot be judged without last use, nor can a keyless owner's dormancy (unknown
    # use is not idleness); project-level findings need no hierarchy
    assert found == {p for p in EXPECTED if "acme-prod" in p[1] or p[1] == COMPUTE} - {
        ("key-unused", sa("unused-key")),
        ("dormant-privileged-identity", sa("owner-sa")),
        ("dormant-privileged-identity", sa("role-setter")),
        ("dormant-privileged-identity", COMPUTE),
    }


def test_a_project_named_twice_is_read_once():
    with GcpWire() as wire:
        options = GcpScanOptions(
            folders=("456",), projects=("acme-prod",), api_endpoint=wire.http.url, grpc_endpoint=wire.grpc.target
        )
        inventory = collect_gcp(options, credentials=Credentials(token="test-token"), now=clock)
    assert wire.log.calls.count("POST /v3/projects/acme-prod:getIamPolicy") == 1
    assert sorted(s.id for s in inventory.scopes if s.kind is ScopeKind.PROJECT) == [
        "projects/acme-locked",
        "projects/acme-prod",
    ]


@pytest.mark.parametrize(
    "member, flagged",
    [
        ("principalSet://iam.googleapis.com/projects/9/locations/global/workloadIdentityPools/gh/*", True),
        (
            "principalSet://iam.googleapis.com/projects/9/locations/global/workloadIdentityPools/gh/attribute.repository/acme/app",
            False,
        ),
        (
            "principal://iam.googleapis.com/projects/9/locations/global/workloadIdentityPools/gh/subject/repo:acme/app:ref:refs/heads/main",
            False,
        ),
    ],
)
def test_a_pool_member_that_names_a_subject_or_attribute_pins_the_trust(member, flagged):
    account = "deploy@p.iam.gserviceaccount.com"
    raw = {
        "projects": [{"name": "projects/9", "projectId": "p"}],
        "serviceAccounts": [{"name": f"projects/p/serviceAccounts/{account}", "projectId": "p", "email": account}],
        "policies": [
            {
                "resource": f"projects/p/serviceAccounts/{account}",
                "policy": {"bindings": [{"role": "roles/iam.workloadIdentityUser", "members": [member]}]},
            }
        ],
        "workloadIdentityPools": [
            {
                "name": "projects/9/locations/global/workloadIdentityPools/gh",
                "providers": [
                    {
                        "name": "projects/9/locations/global/workloadIdentityPools/gh/providers/github",
                        "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"},
                    }
                ],
            }
        ],
    }
    found = {(f.rule_id, f.identity) for f in analyse(normalize_estate(raw, now=AS_OF), ScanConfig(), as_of=AS_OF)}
    assert found == ({("oidc-subject-unpinned", account)} if flagged else set())


@pytest.mark.parametrize(
    "member, source",
    [
        (
            "principalSet://iam.googleapis.com/projects/9/locations/global/workloadIdentityPools/aws/"
            "attribute.aws_role/arn:aws:sts::111122223333:assumed-role/etl",
            "arn:aws:iam::111122223333:role/etl",
        ),
        ("principalSet://iam.googleapis.com/projects/9/locations/global/workloadIdentityPools/aws/*", None),
    ],
)
def test_a_pool_that_accepts_aws_callers_is_a_door_from_aws_into_the_service_account(member, source):
    """A pool with an ``aws`` provider: the named assumed role, or every caller of the account."""
    account = "loader@p.iam.gserviceaccount.com"
    aws = normalize_estate(
        {
            "projects": [{"name": "projects/9", "projectId": "p"}],
            "serviceAccounts": [
                {
                    "name": f"projects/p/serviceAccounts/{account}",
                    "projectId": "p",
                    "email": account,
                    "uniqueId": "104470000000000000001",
                }
            ],
            "policies": [
                {
                    "resource": f"projects/p/serviceAccounts/{account}",
                    "policy": {"bindings": [{"role": "roles/iam.workloadIdentityUser", "members": [member]}]},
                }
            ],
            "workloadIdentityPools": [
                {
                    "name": "projects/9/locations/global/workloadIdentityPools/aws",
                    "providers": [
                        {
                            "name": "projects/9/locations/global/workloadIdentityPools/aws/providers/prod",
                            "aws": {"accountId": "111122223333"},
                        }
                    ],
                }
            ],
        },
        now=AS_OF,
    )
    estate = merge_inventories([aws_inventory(role("etl"), user("report")), aws], aws.meta)
    hops = {(h.source, h.kind.value) for h in PrivilegeGraph(estate).escalation_hops if h.target == account}
    expected = {source} if source else {"arn:aws:iam::111122223333:role/etl", "arn:aws:iam::111122223333:user/report"}
    assert hops == {(s, "federate") for s in expected}
    assert aws.identities[0].aliases == ["104470000000000000001"]
    assert [f.kind.value for f in aws.federation] == ["aws"]


def test_a_pools_listing_counts_as_the_providers_export_of_a_project_without_providers(tmp_path):
    """`gcloud iam workload-identity-pools list` of a project with a pool but no provider: no provider
    is invented, and the kind is given (no gap); the near miss, no such file, is a gap naming it."""
    pools = tmp_path / "pools.json"
    pools.write_text(json.dumps([{"name": "projects/acme-dev/locations/global/workloadIdentityPools/idle"}]))
    search = tmp_path / "search.json"
    search.write_text(
        json.dumps(
            [
                {
                    "resource": "//cloudresourcemanager.googleapis.com/projects/acme-dev",
                    "project": "projects/2002",
                    "policy": {"bindings": [{"role": "roles/owner", "members": ["user:dana@example.com"]}]},
                }
            ]
        )
    )
    given = load_files(ImportFiles(asset_search=(search,), wif_providers=(pools,)))
    assert given["workloadIdentityPools"] == [
        {"name": "projects/acme-dev/locations/global/workloadIdentityPools/idle", "state": "ACTIVE", "providers": []}
    ]
    pool_gaps = "iam:projects.locations.workloadIdentityPools.list"
    assert pool_gaps not in {c["operation"] for c in given["coverage"]}
    missing = load_files(ImportFiles(asset_search=(search,)))
    assert [c["detail"] for c in missing["coverage"] if c["operation"] == pool_gaps] == [
        "not imported: `gcloud iam workload-identity-pools list --location=global --project=acme-dev --format=json` "
        "and, per pool, `gcloud iam workload-identity-pools providers list --workload-identity-pool=POOL "
        "--location=global --project=acme-dev --format=json` (--from-wif-providers)"
    ]
