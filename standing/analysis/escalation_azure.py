"""Azure escalation hops derived from the ARM roles and Graph permissions an identity holds, where.

An ARM role assignment grants its definition's actions (less its notActions) on its scope and
everything beneath it: a management group covers its subscriptions, a subscription its
resource groups, a resource group its resources. A definition the collector read is judged by
its own actions; a built-in one without a definition by ``privilege_azure.BUILT_IN_ACTIONS``.

The hops, each with its method (``analysis.methods.azure``):

- ``Microsoft.Authorization/roleAssignments/write`` on a subscription, a management group or
  the root: the source assigns itself Owner there (the administrator sink). Held on a resource
  group or a resource it gives no admin hop, but there the source can grant itself any action,
  so it counts for the compute hops below (marked so in the reason);
- compute already running as the target identity (an ``Inventory.workloads`` entry whose
  ``identity_ids`` name it), changed or reached into: run command, or a write of the VM or of
  one of its extensions, on a VM; a runbook written and a job started in an Automation
  account; a deployment to a web app or function app (its definition written, or its
  publishing credentials read). Scope matters: the right must cover the workload's resource id;
- a Key Vault in the access-policy permission model whose access policy the source may write
  (``Microsoft.KeyVault/vaults/accessPolicies/write`` or ``.../vaults/write``, as Key Vault
  Contributor and Contributor hold): it grants itself get on every secret, key and certificate
  in it. The hop's target is the vault (``azure-keyvault-001``), not an identity: which
  identity's credential a vault holds is data-plane, never read, so the path ends there, as
  BloodHound's ``AZGetSecrets`` does. In the RBAC model those writes grant no data access
  (changing the model needs role assignment rights, the hop above): no hop;
- Microsoft Graph ``AppRoleAssignment.ReadWrite.All`` (the source grants itself any
  application permission: the administrator sink) and ``Application.ReadWrite.All`` (the
  source adds a credential to any application of the tenant: a hop to each application's
  service principal). App ownership is a ``Trust`` (OWNER) the collector records, followed by
  ``escalation`` with the method of ``methods.azure.TRUST_METHODS``; not repeated here.

Grants are judged the way the rest of the tool judges them. A PIM-eligible grant gives no hop:
it is the just-in-time access the planner recommends (activation, justification, approval),
not a standing path. A time-bound one (an active schedule with an end) gives conditional
compute hops but no hop to admin (admin for a while is just-in-time access, as a time-bound
GCP Owner is). One with an ABAC condition (how constrained delegation is written) gives a
conditional hop. A grant that ended before the scan's as-of gives nothing.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from standing.analysis.hops import ADMIN_SINK, Hop, HopKind
from standing.analysis.privilege import PrivilegeLevel
from standing.analysis.privilege_azure import arm_actions, scope_label
from standing.core.model import ComputeKind, GrantDuration, Identity, IdentityKind, Provider

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph

ROLE_ASSIGNMENTS_WRITE = "Microsoft.Authorization/roleAssignments/write"
# Compute already running as the target: (kind, the actions needed on it, all of them, method).
_EXISTING: tuple[tuple[ComputeKind, tuple[str, ...], str], ...] = (
    (ComputeKind.AZURE_VM, ("Microsoft.Compute/virtualMachines/runCommand/action",), "azure-compute-001"),
    (ComputeKind.AZURE_VM, ("Microsoft.Compute/virtualMachines/write",), "azure-compute-002"),
    (ComputeKind.AZURE_VM, ("Microsoft.Compute/virtualMachines/extensions/write",), "azure-compute-003"),
    (
        ComputeKind.AUTOMATION_ACCOUNT,
        (
            "Microsoft.Automation/automationAccounts/runbooks/write",
            "Microsoft.Automation/automationAccounts/jobs/write",
        ),
        "azure-automation-001",
    ),
    (ComputeKind.APP_SERVICE, ("Microsoft.Web/sites/write",), "azure-web-001"),
    (ComputeKind.FUNCTION_APP, ("Microsoft.Web/sites/write",), "azure-web-001"),
    (ComputeKind.APP_SERVICE, ("Microsoft.Web/sites/publishxml/action",), "azure-web-002"),
    (ComputeKind.FUNCTION_APP, ("Microsoft.Web/sites/publishxml/action",), "azure-web-002"),
)
_SOURCES = (IdentityKind.SERVICE_PRINCIPAL, IdentityKind.MANAGED_IDENTITY)
# Either rewrites a vault's access policy (vaults/write takes the whole properties, policies included).
VAULT_POLICY_WRITES = ("Microsoft.KeyVault/vaults/accessPolicies/write", "Microsoft.KeyVault/vaults/write")
GRAPH_APP_ROLE_ASSIGNMENT = "AppRoleAssignment.ReadWrite.All"
GRAPH_APPLICATION = "Application.ReadWrite.All"


@dataclass(frozen=True, slots=True)
class _Held:
    """One ARM grant an identity holds: its actions, where, and whether it may not be in force."""

    scope: str
    role: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    conditional: bool
    time_bound: bool

    def allows(self, action: str) -> bool:
        low = action.lower()
        return any(fnmatch.fnmatchcase(low, a.lower()) for a in self.actions) and not any(
            fnmatch.fnmatchcase(low, a.lower()) for a in self.not_actions
        )

    def describe(self, action: str) -> str:
        where, _ = scope_label(self.scope)
        return f"{self.role} on {where} allows {action}" + (" (conditional)" if self.conditional else "")


class _Hops:
    def __init__(self, graph: PrivilegeGraph) -> None:
        self.graph = graph
        self.identities = {i.id: i for i in graph.identities() if i.provider is Provider.AZURE}
        self.workloads = [w for w in graph.inventory.workloads if w.provider is Provider.AZURE and w.identity_ids]
        self.vaults = [
            w
            for w in graph.inventory.workloads
            if w.provider is Provider.AZURE
            and w.kind is ComputeKind.KEY_VAULT
            and w.attributes.get("permission_model") == "access-policy"
        ]
        self.applications = [
            i
            for i in self.identities.values()
            if i.kind is IdentityKind.SERVICE_PRINCIPAL
            and "entra.applicationObjectId" in i.tags  # an application of this tenant: its object can be edited
            and "entra.thirdParty" not in i.tags
        ]
        self._chains: dict[str, tuple[str, ...]] = {}

    def chain(self, resource_id: str) -> tuple[str, ...]:
        """Every scope whose grants cover ``resource_id``: itself, its parents, management groups, root."""
        rid = resource_id.rstrip("/").lower()
        if rid not in self._chains:
            parts = [p for p in rid.split("/") if p]
            found = ["/" + "/".join(parts[:n]) for n in range(len(parts), 1, -1)]
            subscription = "/" + "/".join(parts[:2]) if parts[:1] == ["subscriptions"] else ""
            seen = set(found)
            record = self.graph.scope(subscription) if subscription else None
            while record is not None and record.parent_id and record.parent_id not in seen:
                seen.add(record.parent_id)
                found.append(record.parent_id)
                record = self.graph.scope(record.parent_id)
            found.append("/")
            self._chains[rid] = tuple(found)
        return self._chains[rid]

    def held(self, source: Identity) -> tuple[list[_Held], dict[str, bool]]:
        """The source's ARM grants in force or pending, and its Graph permissions (value -> conditional)."""
        arm: list[_Held] = []
        graph_permissions: dict[str, bool] = {}
        for grant in self.graph.grants_of(source.id):
            if grant.duration is GrantDuration.ELIGIBLE:
                continue  # just-in-time access, not standing: no path
            if grant.expires is not None and grant.expires <= self.graph.as_of:
                continue  # ended: grants nothing at the as-of
            role = self.graph.role(grant.role_id)
            if role is None:
                continue
            conditional = grant.duration is not GrantDuration.STANDING or bool(grant.condition)
            kind = (role.documents[0] if role.documents else {}).get("kind", "arm-role-definition")
            if kind == "graph-app-role":
                graph_permissions[role.name] = graph_permissions.get(role.name, True) and conditional
            elif kind == "arm-role-definition":
                actions, not_actions = arm_actions(role)
                if actions:
                    arm.append(
                        _Held(
                            grant.scope_id.lower(),
                            role.name,
                            tuple(actions),
                            tuple(not_actions),
                            conditional,
                            grant.duration is GrantDuration.TIME_BOUND,
                        )
                    )
        return arm, graph_permissions

    def hops(self) -> Iterable[Hop]:
        for source in self.identities.values():
            if source.kind not in _SOURCES:
                continue  # people are counted, never judged; a group's grants are its members'
            if self.graph.privilege_of(source.id).level >= PrivilegeLevel.ADMIN:
                continue  # it already holds everything: its hops add nothing
            arm, graph_permissions = self.held(source)
            if arm:
                yield from self._to_admin(source, arm)
                yield from self._to_compute(source, arm)
                yield from self._to_vaults(source, arm)
            if graph_permissions:
                yield from self._graph(source, graph_permissions)

    def _to_admin(self, source: Identity, arm: list[_Held]) -> Iterable[Hop]:
        broad = sorted(
            (h for h in arm if not h.time_bound and scope_label(h.scope)[1] and h.allows(ROLE_ASSIGNMENTS_WRITE)),
            key=lambda h: h.conditional,
        )
        if broad:
            yield Hop(
                source.id,
                ADMIN_SINK,
                HopKind.SET_IAM_POLICY,
                f"{broad[0].describe(ROLE_ASSIGNMENTS_WRITE)}: it can assign itself Owner there",
                broad[0].conditional,
                "azure-authorization-001",
            )

    def _right(self, arm: list[_Held], action: str, resource_id: str) -> tuple[_Held, str] | None:
        """The grant that allows ``action`` on the resource (unconditional first), and how."""
        reach = set(self.chain(resource_id))
        covering = [h for h in arm if h.scope in reach]
        direct = sorted((h for h in covering if h.allows(action)), key=lambda h: h.conditional)
        if direct:
            return direct[0], direct[0].describe(action)
        # role assignments written there: it can give itself the action first
        delegated = sorted((h for h in covering if h.allows(ROLE_ASSIGNMENTS_WRITE)), key=lambda h: h.conditional)
        if delegated:
            return delegated[0], f"{delegated[0].describe(ROLE_ASSIGNMENTS_WRITE)}, so it can grant itself {action}"
        return None

    def _to_compute(self, source: Identity, arm: list[_Held]) -> Iterable[Hop]:
        done: set[tuple[str, str]] = set()
        for workload in self.workloads:
            targets = [t for t in workload.identity_ids if t in self.identities and t != source.id]
            if not targets:
                continue
            for kind, actions, method in _EXISTING:
                if workload.kind is not kind:
                    continue
                rights = [self._right(arm, action, workload.id) for action in actions]
                if any(r is None for r in rights):
                    continue
                found = [r for r in rights if r is not None]
                conditional = any(h.conditional for h, _ in found)
                why = " and ".join(text for _, text in found)
                for target in targets:
                    if (target, method) in done:
                        continue
                    done.add((target, method))
                    yield Hop(
                        source.id,
                        target,
                        HopKind.EXISTING_COMPUTE,
                        f"{why}; {kind.value} {workload.name} runs as {self.identities[target].name}",
                        conditional,
                        method,
                    )

    def _to_vaults(self, source: Identity, arm: list[_Held]) -> Iterable[Hop]:
        for vault in self.vaults:
            right = next((r for action in VAULT_POLICY_WRITES if (r := self._right(arm, action, vault.id))), None)
            if right is None:
                continue
            held, why = right
            yield Hop(
                source.id,
                vault.id,
                HopKind.SET_IAM_POLICY,
                f"{why}; Key Vault {vault.name} uses access policies: it can grant itself get on every "
                "secret, key and certificate in it",
                held.conditional,
                "azure-keyvault-001",
            )

    def _graph(self, source: Identity, permissions: dict[str, bool]) -> Iterable[Hop]:
        if GRAPH_APP_ROLE_ASSIGNMENT in permissions:
            yield Hop(
                source.id,
                ADMIN_SINK,
                HopKind.SET_IAM_POLICY,
                f"Microsoft Graph application permission {GRAPH_APP_ROLE_ASSIGNMENT}: it can grant itself "
                "RoleManagement.ReadWrite.Directory, then any directory role",
                permissions[GRAPH_APP_ROLE_ASSIGNMENT],
                "azure-graph-002",
            )
        if GRAPH_APPLICATION in permissions:
            for target in self.applications:
                if target.id != source.id:
                    yield Hop(
                        source.id,
                        target.id,
                        HopKind.CREATE_CREDENTIALS,
                        f"Microsoft Graph application permission {GRAPH_APPLICATION}: it can add a secret to "
                        f"application {target.name} and sign in as its service principal",
                        permissions[GRAPH_APPLICATION],
                        "azure-graph-001",
                    )


def azure_hops(graph: PrivilegeGraph) -> Iterable[Hop]:
    return _Hops(graph).hops()
