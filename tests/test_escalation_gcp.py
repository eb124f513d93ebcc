"""GCP escalation hops: each method with its near miss (a wrong scope, a missing right, a lapsed binding)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import ADMIN_SINK, HopKind
from standing.analysis.methods import all_methods
from standing.analysis.privilege import PrivilegeLevel
from standing.core.model import (
    ComputeKind,
    Credential,
    CredentialKind,
    Grant,
    GrantDuration,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    Trust,
    TrustKind,
    Workload,
)
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.builders import NOW

ORG, FOLDER = "organizations/1", "folders/2"
SCOPES = [
    Scope(id=ORG, provider=Provider.GCP, kind=ScopeKind.ORGANIZATION, name="example.com"),
    Scope(id=FOLDER, provider=Provider.GCP, kind=ScopeKind.FOLDER, name="prod", parent_id=ORG),
    Scope(id="projects/p1", provider=Provider.GCP, kind=ScopeKind.PROJECT, name="p1", parent_id=FOLDER),
    Scope(id="projects/p2", provider=Provider.GCP, kind=ScopeKind.PROJECT, name="p2", parent_id=ORG),
]


def sa(name: str, project: str = "p1") -> Identity:
    email = f"{name}@{project}.iam.gserviceaccount.com"
    return Identity(
        id=email, provider=Provider.GCP, kind=IdentityKind.SERVICE_ACCOUNT, account=project, name=email, human=False
    )


SOURCE, TARGET, OTHER = sa("attacker"), sa("target"), sa("elsewhere", "p2")


def custom(*permissions: str, project: str = "p1") -> Role:
    name = "r" + str(abs(hash(permissions)) % 10**8)
    return Role(id=f"projects/{project}/roles/{name}", provider=Provider.GCP, name=name, permissions=list(permissions))


def on(identity: Identity) -> str:
    return f"projects/{identity.account}/serviceAccounts/{identity.id}"


def hold(role: Role | str, scope: str, who: Identity = SOURCE, **fields) -> Grant:
    return Grant(principal_id=who.id, role_id=role if isinstance(role, str) else role.id, scope_id=scope, **fields)


def running(kind: ComputeKind, identity: Identity, name: str = "app") -> Workload:
    return Workload(
        id=f"//x/{kind}/{name}", provider=Provider.GCP, kind=kind, name=name, account=identity.account,
        identity_ids=[identity.id],
    )  # fmt: skip


def hops(
    *records, identities=(SOURCE, TARGET, OTHER), source: Identity = SOURCE
) -> dict[tuple[str, str], tuple[HopKind, str, bool]]:
    """(source, target) -> (kind, method, conditional) of the GCP hops, the source's only."""
    roles = [r for r in records if isinstance(r, Role)]
    inventory = Inventory(
        meta=ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[Provider.GCP]),
        identities=list(identities),
        scopes=SCOPES,
        roles=roles,
        grants=[r for r in records if isinstance(r, Grant)],
        trusts=[r for r in records if isinstance(r, Trust)],
        workloads=[r for r in records if isinstance(r, Workload)],
    )
    return {
        (h.source, h.target): (h.kind, h.method, h.conditional)
        for h in PrivilegeGraph(inventory).escalation_hops
        if h.source == source.id
    }


def test_get_access_token_on_the_account_or_its_project_and_not_on_another():
    role = custom("iam.serviceAccounts.getAccessToken")
    expected = {(SOURCE.id, TARGET.id): (HopKind.IMPERSONATE, "gcp-iam-001", False)}
    assert hops(role, hold(role, on(TARGET))) == expected
    # on the project: every account of it (and only of it)
    assert hops(role, hold(role, "projects/p1")) == expected
    # near miss: the same right on another project reaches nobody here
    assert hops(role, hold(role, "projects/p2")) == {(SOURCE.id, OTHER.id): (HopKind.IMPERSONATE, "gcp-iam-001", False)}
    # the folder above p1 reaches p1's accounts, not p2's (beneath the organization only)
    assert set(hops(role, hold(role, FOLDER))) == {(SOURCE.id, TARGET.id)}


def test_sign_jwt_and_sign_blob_are_impersonation():
    jwt, blob = custom("iam.serviceAccounts.signJwt"), custom("iam.serviceAccounts.signBlob")
    assert hops(jwt, hold(jwt, on(TARGET)))[(SOURCE.id, TARGET.id)][:2] == (HopKind.IMPERSONATE, "gcp-iam-002")
    assert hops(blob, hold(blob, on(TARGET)))[(SOURCE.id, TARGET.id)][:2] == (HopKind.IMPERSONATE, "gcp-iam-003")
    # near miss: reading the account is no hop
    reader = custom("iam.serviceAccounts.get")
    assert hops(reader, hold(reader, on(TARGET))) == {}


def test_implicit_delegation():
    role = custom("iam.serviceAccounts.implicitDelegation")
    assert hops(role, hold(role, on(TARGET))) == {(SOURCE.id, TARGET.id): (HopKind.IMPERSONATE, "gcp-iam-004", False)}
    # near miss: a binding that ended before the scan grants nothing
    lapsed = hold(role, on(TARGET), duration=GrantDuration.TIME_BOUND, expires=NOW - timedelta(days=1))
    assert hops(role, lapsed) == {}


def test_key_creation_and_key_admin_trust():
    role = custom("iam.serviceAccountKeys.create")
    assert hops(role, hold(role, on(TARGET))) == {
        (SOURCE.id, TARGET.id): (HopKind.CREATE_CREDENTIALS, "gcp-iam-005", False)
    }
    # Key Admin is recorded as an ownership trust by the collector: followed once, with its method
    admin = "roles/iam.serviceAccountKeyAdmin"
    trust = Trust(target_id=TARGET.id, principal=SOURCE.id, kind=TrustKind.OWNER, actions=[admin])
    assert hops(hold(admin, on(TARGET)), trust) == {(SOURCE.id, TARGET.id): (HopKind.OWNER, "gcp-iam-010", False)}
    # near miss: listing keys is no hop
    lister = custom("iam.serviceAccountKeys.list")
    assert hops(lister, hold(lister, on(TARGET))) == {}


def test_set_iam_policy_on_a_service_account():
    assert hops(hold("roles/iam.serviceAccountAdmin", on(TARGET))) == {
        (SOURCE.id, TARGET.id): (HopKind.SET_IAM_POLICY, "gcp-iam-006", False)
    }
    # near miss: reading its policy
    reader = custom("iam.serviceAccounts.getIamPolicy")
    assert hops(reader, hold(reader, on(TARGET))) == {}


def test_trust_hops_carry_the_method_of_their_role():
    records = []
    for role, target in (
        ("roles/iam.serviceAccountTokenCreator", TARGET),
        ("roles/iam.serviceAccountUser", OTHER),
    ):
        records += [
            hold(role, on(target)),
            Trust(target_id=target.id, principal=SOURCE.id, kind=TrustKind.IMPERSONATION, actions=[role]),
        ]
    # Token Creator mints tokens: one hop, not one per permission. Service Account User is
    # recorded as a trust too, but actAs with nothing to launch is no hop (the retired gcp-iam-007)
    assert hops(*records) == {(SOURCE.id, TARGET.id): (HopKind.IMPERSONATE, "gcp-iam-009", False)}
    # Workload Identity User held by an inventoried account is a hop with its own method
    wi = sa("wi")
    binding = Trust(
        target_id=TARGET.id, principal=wi.id, kind=TrustKind.IMPERSONATION, actions=["roles/iam.workloadIdentityUser"]
    )
    assert hops(binding, identities=(wi, TARGET), source=wi) == {
        (wi.id, TARGET.id): (HopKind.IMPERSONATE, "gcp-iam-008", False)
    }
    # near miss: the same binding to a Kubernetes account (not an identity of the inventory) is no hop
    ksa = binding.model_copy(update={"principal": "p1.svc.id.goog[ci/runner]"})
    graph = PrivilegeGraph(Inventory(meta=ScanMeta(tool_version="t", started_at=NOW, finished_at=NOW),
                                     identities=[TARGET], scopes=SCOPES, trusts=[ksa]))  # fmt: skip
    assert graph.escalation_hops == []


def _judged(*records, identities=(SOURCE, TARGET, OTHER)):
    """(graph, rule ids flagged per identity id) of an estate where SOURCE holds a live key."""
    key = Credential(id="k1", identity_id=SOURCE.id, kind=CredentialKind.SA_KEY, active=True)
    inventory = Inventory(
        meta=ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[Provider.GCP]),
        identities=list(identities),
        scopes=SCOPES,
        credentials=[key],
        # predefined roles as the collector records them: by name, without permissions
        roles=[Role(id=r, provider=Provider.GCP, name=r, provider_managed=True) for r in {
            g.role_id for g in records if isinstance(g, Grant)}],
        grants=[r for r in records if isinstance(r, Grant)],
        trusts=[r for r in records if isinstance(r, Trust)],
        workloads=[r for r in records if isinstance(r, Workload)],
    )  # fmt: skip
    flagged: dict[str, set[str]] = {}
    for finding in analyse(inventory, ScanConfig(), as_of=NOW):
        flagged.setdefault(finding.identity, set()).add(finding.rule_id)
    return PrivilegeGraph(inventory, as_of=NOW), flagged


def _user_binding(target: Identity, scope: str) -> list[Grant | Trust]:
    """Service Account User as the collector records it: a grant and a trust into the account."""
    role = "roles/iam.serviceAccountUser"
    trust = Trust(target_id=target.id, principal=SOURCE.id, kind=TrustKind.IMPERSONATION, actions=[role])
    return [hold(role, scope), trust]


def test_service_account_user_alone_is_no_privilege_management_and_no_path_to_admin():
    # TARGET is an Owner of p1; SOURCE may act as every account of p1 but launch nothing
    owner = hold("roles/owner", "projects/p1", who=TARGET)
    graph, flagged = _judged(owner, *_user_binding(TARGET, "projects/p1"))
    assert graph.privilege_of(SOURCE.id).level is PrivilegeLevel.WRITE
    assert SOURCE.id not in graph.paths_to_admin
    assert not flagged.get(SOURCE.id, set()) & {"admin-equivalent", "path-to-admin"}
    # Workload Identity User on the account is an impersonation hop to it, not management of p1
    wi = "roles/iam.workloadIdentityUser"
    wi_trust = Trust(target_id=TARGET.id, principal=SOURCE.id, kind=TrustKind.IMPERSONATION, actions=[wi])
    graph, flagged = _judged(owner, hold(wi, on(TARGET)), wi_trust)
    assert graph.privilege_of(SOURCE.id).level is PrivilegeLevel.WRITE
    assert [h.method for h in graph.paths_to_admin[SOURCE.id]] == ["gcp-iam-008"]
    assert "admin-equivalent" not in flagged.get(SOURCE.id, set())


def test_service_account_user_with_an_instance_launcher_is_a_path_naming_both():
    owner = hold("roles/owner", "projects/p1", who=TARGET)
    launcher = hold("roles/compute.instanceAdmin.v1", "projects/p1")
    graph, flagged = _judged(owner, launcher, *_user_binding(TARGET, "projects/p1"))
    assert graph.privilege_of(SOURCE.id).level is PrivilegeLevel.WRITE  # still not admin-equivalent itself
    [hop] = graph.paths_to_admin[SOURCE.id]
    assert (hop.target, hop.kind, hop.method) == (TARGET.id, HopKind.PASS_ROLE, "gcp-compute-001")
    assert "roles/iam.serviceAccountUser on projects/p1 grants iam.serviceAccounts.actAs" in hop.reason
    assert "roles/compute.instanceAdmin.v1 on projects/p1 grants compute.instances.create" in hop.reason
    assert "path-to-admin" in flagged[SOURCE.id] and "admin-equivalent" not in flagged[SOURCE.id]
    # near miss: the launcher held on p2, where the admin account does not live
    graph, flagged = _judged(
        owner, hold("roles/compute.instanceAdmin.v1", "projects/p2"), *_user_binding(TARGET, "projects/p1")
    )
    assert SOURCE.id not in graph.paths_to_admin
    assert "path-to-admin" not in flagged.get(SOURCE.id, set())


def test_instance_creation_needs_act_as_and_create_in_the_accounts_project():
    compute = custom("compute.instances.create")
    act_as = hold("roles/iam.serviceAccountUser", on(TARGET))
    assert hops(compute, hold(compute, "projects/p1"), act_as) == {
        (SOURCE.id, TARGET.id): (HopKind.PASS_ROLE, "gcp-compute-001", False)
    }
    # near miss: create rights on another project do not launch p1's account
    other = custom("compute.instances.create", project="p2")
    assert hops(other, hold(other, "projects/p2"), act_as) == {}
    # near miss: create rights without actAs
    assert hops(compute, hold(compute, "projects/p1")) == {}
    # Editor on the project holds both
    assert hops(hold("roles/editor", "projects/p1"))[(SOURCE.id, TARGET.id)][:2] == (
        HopKind.PASS_ROLE,
        "gcp-compute-001",
    )


def test_set_service_account_needs_an_existing_instance():
    role = custom("compute.instances.setServiceAccount", "iam.serviceAccounts.actAs")
    held = hold(role, "projects/p1")
    instance = running(ComputeKind.GCE_INSTANCE, sa("someone-else"), "vm-1")
    assert hops(role, held, instance) == {(SOURCE.id, TARGET.id): (HopKind.EXISTING_COMPUTE, "gcp-compute-002", False)}
    # near miss: no instance in the project to switch
    assert hops(role, held) == {}


def test_set_metadata_on_an_instance_running_as_the_account():
    role = custom("compute.instances.setMetadata", "iam.serviceAccounts.actAs")
    held = hold(role, "projects/p1")
    assert hops(role, held, running(ComputeKind.GCE_INSTANCE, TARGET)) == {
        (SOURCE.id, TARGET.id): (HopKind.EXISTING_COMPUTE, "gcp-compute-003", False)
    }
    # near miss: the project's instance runs as another account
    assert hops(role, held, running(ComputeKind.GCE_INSTANCE, sa("someone-else"))) == {}


@pytest.mark.parametrize(
    "permission, workload, method, kind",
    [
        ("cloudfunctions.functions.create", None, "gcp-cloudfunctions-001", HopKind.PASS_ROLE),
        (
            "cloudfunctions.functions.update",
            ComputeKind.CLOUD_FUNCTION,
            "gcp-cloudfunctions-002",
            HopKind.EXISTING_COMPUTE,
        ),
        ("run.services.create", None, "gcp-run-001", HopKind.PASS_ROLE),
        ("run.services.update", ComputeKind.CLOUD_RUN_SERVICE, "gcp-run-002", HopKind.EXISTING_COMPUTE),
    ],
)
def test_functions_and_run_create_or_update(permission, workload, method, kind):
    role = custom(permission, "iam.serviceAccounts.actAs")
    records = [role, hold(role, "projects/p1")]
    if workload is not None:
        # near miss first: nothing of that kind runs as the target, so there is nothing to update
        assert hops(*records) == {}
        records.append(running(workload, TARGET))
    assert hops(*records) == {(SOURCE.id, TARGET.id): (kind, method, False)}
    # near miss: the same rights held with a condition make the hop conditional, not gone
    conditional = hold(role, "projects/p1", condition="resource.name.startsWith('x')")
    assert hops(role, conditional, *records[2:])[(SOURCE.id, TARGET.id)] == (kind, method, True)


def test_cloud_build_runs_as_the_build_account():
    builder = Identity(
        id="1001@cloudbuild.gserviceaccount.com", provider=Provider.GCP, kind=IdentityKind.SERVICE_ACCOUNT,
        account="p1", name="1001@cloudbuild.gserviceaccount.com",
    )  # fmt: skip
    builds = hold("roles/cloudbuild.builds.editor", "projects/p1")
    assert hops(builds, identities=(SOURCE, TARGET, builder)) == {
        (SOURCE.id, builder.id): (HopKind.PASS_ROLE, "gcp-cloudbuild-002", False)
    }
    # with actAs on an account of the project, a build can run as that account too
    found = hops(builds, hold("roles/iam.serviceAccountUser", on(TARGET)), identities=(SOURCE, TARGET, builder))
    assert found[(SOURCE.id, TARGET.id)] == (HopKind.PASS_ROLE, "gcp-cloudbuild-001", False)
    # near miss: build rights on another project
    assert hops(hold("roles/cloudbuild.builds.editor", "projects/p2"), identities=(SOURCE, TARGET, builder)) == {}
    # near miss: Google owns the build account; a token right on the project reaches p1's own accounts only
    tokens = custom("iam.serviceAccounts.getAccessToken")
    assert hops(tokens, hold(tokens, "projects/p1"), identities=(SOURCE, TARGET, builder)) == {
        (SOURCE.id, TARGET.id): (HopKind.IMPERSONATE, "gcp-iam-001", False)
    }


def test_set_iam_policy_on_a_project_folder_or_organization():
    project = custom("resourcemanager.projects.setIamPolicy")
    assert hops(project, hold(project, "projects/p1")) == {
        (SOURCE.id, ADMIN_SINK): (HopKind.SET_IAM_POLICY, "gcp-resourcemanager-001", False)
    }
    assert hops(hold("roles/resourcemanager.folderIamAdmin", FOLDER))[(SOURCE.id, ADMIN_SINK)][1] == (
        "gcp-resourcemanager-002"
    )
    assert hops(hold("roles/iam.securityAdmin", ORG))[(SOURCE.id, ADMIN_SINK)][1] == "gcp-resourcemanager-003"
    # an expiring binding still in force: conditional
    later = hold(project, "projects/p1", duration=GrantDuration.TIME_BOUND, expires=NOW + timedelta(days=3))
    assert hops(project, later)[(SOURCE.id, ADMIN_SINK)][2] is True
    # near miss: setting IAM policy on one service account is not setting the project's
    assert (SOURCE.id, ADMIN_SINK) not in hops(project, hold(project, on(TARGET)))


def test_every_gcp_method_names_a_test_here_or_through_the_wire():
    names = {name for name in globals() if name.startswith("test_")}
    gcp = [m for m in all_methods().values() if m.provider is Provider.GCP]
    wire = "tests/test_escalation_methods_wire.py::test_gcp_method_through_the_wire_and_its_near_miss"
    assert gcp and all((m.test.split("::")[1] in names or m.test == wire) and m.id.startswith("gcp-") for m in gcp)


def test_broad_service_account_user_is_said_to_run_compute_not_to_impersonate():
    """Service Account User on a project mints no token: the finding says what it allows; Token
    Creator beside it is still impersonation (the near miss)."""
    from standing.rules.analyse import analyse
    from standing.rules.config import ScanConfig
    from tests.builders import NOW
    from tests.planner.cases import PROJECT, sa
    from tests.rule_cases import estate, gcp_grant, gcp_role

    user_only, both = sa("sa-user-only"), sa("sa-user-and-minter")
    inv = estate(
        gcp_role("roles/iam.serviceAccountUser"),
        gcp_role("roles/iam.serviceAccountTokenCreator"),
        user_only,
        both,
        gcp_grant(user_only, "roles/iam.serviceAccountUser"),
        gcp_grant(both, "roles/iam.serviceAccountUser"),
        gcp_grant(both, "roles/iam.serviceAccountTokenCreator"),
    )
    found = {
        f.identity: f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "gcp-impersonation-granted-broadly"
    }
    assert found[user_only.id].message == (
        f"{user_only.name} can run compute (with a launcher) as every service account under projects/{PROJECT}"
    )
    assert "can_run_compute_as" in found[user_only.id].evidence
    assert "can impersonate every service account" in found[both.id].message
