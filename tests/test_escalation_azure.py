"""Azure escalation hops: each method with its near miss (another resource group, a missing right,
a compute with no identity, an eligible or ended grant)."""

from __future__ import annotations

from datetime import timedelta

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import ADMIN_SINK, HopKind
from standing.analysis.methods import all_methods
from standing.analysis.methods.azure import APP_OWNER_ACTION
from standing.collectors.azure.normalize import normalize_tenant
from standing.collectors.azure.raw import RawTenant
from standing.core.model import (
    ComputeKind,
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
from tests.builders import NOW

TENANT = "11111111-1111-1111-1111-111111111111"
MG = "/providers/microsoft.management/managementgroups/prod"
SUB = "/subscriptions/s1"
RG = f"{SUB}/resourcegroups/rg1"
OTHER_RG = f"{SUB}/resourcegroups/rg2"
SCOPES = [
    Scope(id=MG, provider=Provider.AZURE, kind=ScopeKind.MANAGEMENT_GROUP, name="prod"),
    Scope(id=SUB, provider=Provider.AZURE, kind=ScopeKind.SUBSCRIPTION, name="s1", parent_id=MG),
]


def principal(name: str, kind: IdentityKind = IdentityKind.SERVICE_PRINCIPAL, **tags: str) -> Identity:
    return Identity(
        id=f"00000000-0000-0000-0000-{name:0>12}", provider=Provider.AZURE, kind=kind, account=TENANT, name=name,
        human=False, tags=tags,
    )  # fmt: skip


SOURCE = principal("a1")
TARGET = principal("b2", IdentityKind.MANAGED_IDENTITY)
APP = principal("c3", **{"entra.applicationObjectId": "app-c3"})
THIRD_PARTY = principal("d4", **{"entra.applicationObjectId": "app-d4", "entra.thirdParty": "other-tenant"})


def custom(*actions: str, not_actions: tuple[str, ...] = ()) -> Role:
    name = "r" + str(abs(hash((actions, not_actions))) % 10**8)
    return Role(
        id=f"/providers/microsoft.authorization/roledefinitions/{name}", provider=Provider.AZURE, name=name,
        documents=[{"kind": "arm-role-definition",
                    "permissions": [{"actions": list(actions), "notActions": list(not_actions)}]}],
    )  # fmt: skip


def graph_permission(value: str) -> Role:
    return Role(
        id=f"approle:graph/{value}", provider=Provider.AZURE, name=value, permissions=[value],
        documents=[{"kind": "graph-app-role", "value": value}],
    )  # fmt: skip


def hold(role: Role, scope: str, who: Identity = SOURCE, **fields) -> Grant:
    return Grant(principal_id=who.id, role_id=role.id, scope_id=scope, **fields)


def vm(kind: ComputeKind = ComputeKind.AZURE_VM, rg: str = RG, identities=(TARGET,), name: str = "vm1") -> Workload:
    provider = {
        ComputeKind.AZURE_VM: "microsoft.compute/virtualmachines",
        ComputeKind.AUTOMATION_ACCOUNT: "microsoft.automation/automationaccounts",
    }.get(kind, "microsoft.web/sites")
    return Workload(
        id=f"{rg}/providers/{provider}/{name}", provider=Provider.AZURE, kind=kind, name=name, account="s1",
        identity_ids=[i.id for i in identities],
    )  # fmt: skip


def hops(
    *records, source: Identity = SOURCE, extra: tuple[Identity, ...] = ()
) -> dict[tuple[str, str], tuple[HopKind, str, bool]]:
    """(source, target) -> (kind, method, conditional) of the source's hops."""
    inventory = Inventory(
        meta=ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[Provider.AZURE]),
        identities=[SOURCE, TARGET, APP, THIRD_PARTY, *extra],
        scopes=SCOPES,
        roles=[r for r in records if isinstance(r, Role)],
        grants=[r for r in records if isinstance(r, Grant)],
        trusts=[r for r in records if isinstance(r, Trust)],
        workloads=[r for r in records if isinstance(r, Workload)],
    )
    return {
        (h.source, h.target): (h.kind, h.method, h.conditional)
        for h in PrivilegeGraph(inventory).escalation_hops
        if h.source == source.id
    }


def test_role_assignment_write_on_a_subscription_and_not_on_a_resource_group():
    rbac = custom("Microsoft.Authorization/roleAssignments/write", "*/read")
    admin = {(SOURCE.id, ADMIN_SINK): (HopKind.SET_IAM_POLICY, "azure-authorization-001", True)}
    # an ABAC condition (constrained delegation) limits it: a conditional hop, on the management group too
    condition = "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {x}"
    assert hops(rbac, hold(rbac, SUB, condition=condition)) == admin
    assert hops(rbac, hold(rbac, MG, condition=condition)) == admin
    # near miss: PIM-eligible, or active for a while, is just-in-time access, not a standing path
    assert hops(rbac, hold(rbac, SUB, duration=GrantDuration.ELIGIBLE)) == {}
    later = NOW + timedelta(days=1)
    assert hops(rbac, hold(rbac, SUB, duration=GrantDuration.TIME_BOUND, expires=later)) == {}
    # near miss: on one resource group, no admin hop (Owner of a resource group is not admin)
    assert hops(rbac, hold(rbac, RG)) == {}


def test_run_command_on_a_vm_in_scope_and_not_in_another_resource_group():
    run = custom("Microsoft.Compute/virtualMachines/runCommand/action")
    expected = {(SOURCE.id, TARGET.id): (HopKind.EXISTING_COMPUTE, "azure-compute-001", False)}
    assert hops(run, hold(run, RG), vm()) == expected
    assert hops(run, hold(run, SUB), vm()) == expected  # the subscription covers its resource groups
    assert hops(run, hold(run, MG), vm()) == expected  # and the management group above it
    # near miss: the right on another resource group reaches no VM here
    assert hops(run, hold(run, OTHER_RG), vm()) == {}
    # near miss: a notAction takes it away
    denied = custom("Microsoft.Compute/*", not_actions=("Microsoft.Compute/virtualMachines/runCommand/*",))
    assert (SOURCE.id, TARGET.id) not in {
        k for k, v in hops(denied, hold(denied, RG), vm()).items() if v[1] == "azure-compute-001"
    }
    # active for a while: a conditional hop; ended before the scan, or only eligible: none
    later, earlier = NOW + timedelta(days=1), NOW - timedelta(days=1)
    bound = hold(run, RG, duration=GrantDuration.TIME_BOUND, expires=later)
    assert hops(run, bound, vm())[(SOURCE.id, TARGET.id)][2] is True
    assert hops(run, hold(run, RG, duration=GrantDuration.TIME_BOUND, expires=earlier), vm()) == {}
    assert hops(run, hold(run, RG, duration=GrantDuration.ELIGIBLE), vm()) == {}
    # near miss: a person holding the same right is counted, not judged (no hop from people)
    person = principal("e5", IdentityKind.USER)
    assert hops(run, hold(run, RG, who=person), vm(), source=person, extra=(person,)) == {}
    # role assignments written on the resource group: it can grant itself run command there
    rbac = custom("Microsoft.Authorization/roleAssignments/write")
    assert hops(rbac, hold(rbac, RG), vm())[(SOURCE.id, TARGET.id)][:2] == (
        HopKind.EXISTING_COMPUTE,
        "azure-compute-001",
    )


def test_vm_write_and_extension_write_need_a_vm_with_an_identity():
    write = custom("Microsoft.Compute/virtualMachines/write")
    extension = custom("Microsoft.Compute/virtualMachines/extensions/write")
    assert hops(write, hold(write, RG), vm())[(SOURCE.id, TARGET.id)][1] == "azure-compute-002"
    assert hops(extension, hold(extension, RG), vm())[(SOURCE.id, TARGET.id)][1] == "azure-compute-003"
    # near miss: a VM with no managed identity gives nothing to become
    assert hops(write, hold(write, RG), vm(identities=())) == {}
    # near miss: reading VMs is no hop
    reader = custom("Microsoft.Compute/virtualMachines/read")
    assert hops(reader, hold(reader, RG), vm()) == {}


def test_runbook_edit_needs_job_create_too():
    both = custom(
        "Microsoft.Automation/automationAccounts/runbooks/write", "Microsoft.Automation/automationAccounts/jobs/write"
    )
    account = vm(ComputeKind.AUTOMATION_ACCOUNT, name="aa1")
    assert hops(both, hold(both, RG), account) == {
        (SOURCE.id, TARGET.id): (HopKind.EXISTING_COMPUTE, "azure-automation-001", False)
    }
    # near miss: editing a runbook without starting a job runs nothing
    edit = custom("Microsoft.Automation/automationAccounts/runbooks/write")
    assert hops(edit, hold(edit, RG), account) == {}


def test_web_and_function_app_deploy():
    write = custom("Microsoft.Web/sites/write")
    publish = custom("Microsoft.Web/sites/publishxml/action")
    for kind in (ComputeKind.APP_SERVICE, ComputeKind.FUNCTION_APP):
        site = vm(kind, name="site1")
        assert hops(write, hold(write, RG), site)[(SOURCE.id, TARGET.id)][1] == "azure-web-001"
        assert hops(publish, hold(publish, RG), site)[(SOURCE.id, TARGET.id)][1] == "azure-web-002"
        # near miss: the same right on a VM is no deployment
        assert hops(write, hold(write, RG), vm()) == {}


def vault(name: str, model: str, rg: str = RG) -> Workload:
    return Workload(
        id=f"{rg}/providers/microsoft.keyvault/vaults/{name}", provider=Provider.AZURE, kind=ComputeKind.KEY_VAULT,
        name=name, account="s1", attributes={"permission_model": model},
    )  # fmt: skip


def test_key_vault_access_policy_write_reaches_the_vault_only_in_the_access_policy_model():
    contributor = custom("Microsoft.KeyVault/vaults/write")  # Key Vault Contributor's action on vaults
    policies, rbac = vault("kv-policies", "access-policy"), vault("kv-rbac", "rbac")
    found = hops(contributor, hold(contributor, RG), policies, rbac)
    assert found == {(SOURCE.id, policies.id): (HopKind.SET_IAM_POLICY, "azure-keyvault-001", False)}
    writer = custom("Microsoft.KeyVault/vaults/accessPolicies/write")
    assert hops(writer, hold(writer, SUB), policies)[(SOURCE.id, policies.id)][1] == "azure-keyvault-001"
    # near misses: the right on another resource group; a reader of the vault; the RBAC vault (above)
    assert hops(contributor, hold(contributor, OTHER_RG), policies) == {}
    reader = custom("Microsoft.KeyVault/vaults/read")
    assert hops(reader, hold(reader, RG), policies) == {}
    # the vault is no identity: nobody becomes it, and no path to admin goes through it
    graph = PrivilegeGraph(
        Inventory(
            meta=ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[Provider.AZURE]),
            identities=[SOURCE, TARGET],
            scopes=SCOPES,
            roles=[contributor],
            grants=[hold(contributor, RG)],
            workloads=[policies],
        )
    )
    assert SOURCE.id not in graph.paths_to_admin


def test_graph_application_readwrite_and_app_role_assignment():
    apps = graph_permission("Application.ReadWrite.All")
    tenant = f"entra:{TENANT}"
    # a secret on any application of this tenant; a third-party application's object lives elsewhere
    assert hops(apps, hold(apps, tenant)) == {
        (SOURCE.id, APP.id): (HopKind.CREATE_CREDENTIALS, "azure-graph-001", False)
    }
    assignments = graph_permission("AppRoleAssignment.ReadWrite.All")
    assert hops(assignments, hold(assignments, tenant)) == {
        (SOURCE.id, ADMIN_SINK): (HopKind.SET_IAM_POLICY, "azure-graph-002", False)
    }
    # near miss: reading applications is no hop
    reader = graph_permission("Application.Read.All")
    assert hops(reader, hold(reader, tenant)) == {}


def test_app_owner_trust_carries_its_method():
    # the owner trust as the collector writes it, from an application and its owner
    raw = RawTenant(
        tenant_id=TENANT,
        applications=[{"id": "app-c3", "appId": "c3-app-id", "displayName": "c3"}],
        service_principals=[
            {"id": APP.id, "appId": "c3-app-id", "displayName": "c3"},
            {"id": SOURCE.id, "appId": "a1-app-id", "displayName": "a1"},
        ],
        app_owners={"app-c3": [{"id": SOURCE.id, "@odata.type": "#microsoft.graph.servicePrincipal"}]},
    )
    meta = ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[Provider.AZURE])
    inventory = normalize_tenant(raw, now=NOW, meta=meta)
    found = [(h.source, h.target, h.kind, h.method) for h in PrivilegeGraph(inventory).escalation_hops]
    assert found == [(SOURCE.id, APP.id, HopKind.OWNER, "azure-entra-001")]
    assert inventory.trusts[0].actions == [APP_OWNER_ACTION]
    # near miss: an owner of nothing here reaches nobody
    assert hops(Trust(target_id="unknown", principal=SOURCE.id, kind=TrustKind.OWNER, actions=[APP_OWNER_ACTION])) == {}


def test_every_azure_method_names_a_test_here_or_through_the_wire():
    azure = [m for m in all_methods().values() if m.provider is Provider.AZURE]
    assert len(azure) == 11
    names = {name for name in globals() if name.startswith("test_")}
    wire = "tests/test_escalation_methods_wire.py::test_azure_method_through_the_wire_and_its_near_miss"
    assert all(m.test.split("::")[1] in names or m.test == wire for m in azure)
