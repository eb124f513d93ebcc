"""GCP escalation hops derived from the permissions of the roles a service account holds, where.

A binding grants its role's permissions on its scope and everything beneath it: on a service
account, that account only; on a project, folder or organization, every service account and
every project beneath. The permissions are a custom role's own (the collector reads them), or,
for a predefined role, the escalation-relevant part of Google's published list (``_PREDEFINED``:
only the permissions a method below needs; a role absent from it gives no hop).

The hops, each with its method (``analysis.methods.gcp``):

- on a service account: mint a token, sign a JWT or blob, delegate, create a key, rewrite its
  IAM policy;
- ``iam.serviceAccounts.actAs`` on it AND, in its own project (or above it), the right to
  create an instance, function, Cloud Run service or build running as it, or to change one
  already running as it. Scope matters: a create right held on another project gives no hop
  (cross-project service-account use is off by default), and a change to existing compute
  needs compute that the collector saw running as the target;
- ``cloudbuild.builds.create`` in a project: builds run as its legacy Cloud Build account
  (``<number>@cloudbuild.gserviceaccount.com``, known when the project's policy names it).
  Google owns that account: a binding on the project reaches the project's own accounts, not it;
- ``setIamPolicy`` on a project, folder or organization: the source grants itself Owner
  (the administrator sink).

A binding that ended before the scan's as-of gives nothing; one with a condition, or one that
ends later, gives a conditional hop. Bindings of the roles the collector already turns into
trusts (token creator, workload identity user, key admin) are followed there, with their method
attached, and are not repeated here. Service Account User is a trust too, but no hop by itself:
its ``actAs`` counts here, and only beside a launcher in the account's project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from standing.analysis.hops import ADMIN_SINK, Hop, HopKind
from standing.analysis.methods.gcp import TRUST_ROLE_METHODS
from standing.analysis.privilege import PrivilegeLevel
from standing.analysis.privilege_gcp import ADMIN_ROLES, is_container_scope
from standing.core.model import ComputeKind, GrantDuration, Identity, IdentityKind, Provider

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph

ACT_AS = "iam.serviceAccounts.actAs"
# Permissions on a service account that reach it directly: (permission, hop kind, method).
_ON_ACCOUNT = (
    ("iam.serviceAccounts.getAccessToken", HopKind.IMPERSONATE, "gcp-iam-001"),
    ("iam.serviceAccounts.signJwt", HopKind.IMPERSONATE, "gcp-iam-002"),
    ("iam.serviceAccounts.signBlob", HopKind.IMPERSONATE, "gcp-iam-003"),
    ("iam.serviceAccounts.implicitDelegation", HopKind.IMPERSONATE, "gcp-iam-004"),
    ("iam.serviceAccountKeys.create", HopKind.CREATE_CREDENTIALS, "gcp-iam-005"),
    ("iam.serviceAccounts.setIamPolicy", HopKind.SET_IAM_POLICY, "gcp-iam-006"),
)
# Project rights that, with actAs on an account of the project, run code as it:
# (permission, hop kind, method, compute that must already run as the target or None).
_LAUNCH = (
    ("compute.instances.create", HopKind.PASS_ROLE, "gcp-compute-001", None),
    ("cloudfunctions.functions.create", HopKind.PASS_ROLE, "gcp-cloudfunctions-001", None),
    ("run.services.create", HopKind.PASS_ROLE, "gcp-run-001", None),
    ("cloudbuild.builds.create", HopKind.PASS_ROLE, "gcp-cloudbuild-001", None),
    ("compute.instances.setMetadata", HopKind.EXISTING_COMPUTE, "gcp-compute-003", ComputeKind.GCE_INSTANCE),
    ("cloudfunctions.functions.update", HopKind.EXISTING_COMPUTE, "gcp-cloudfunctions-002", ComputeKind.CLOUD_FUNCTION),
    ("run.services.update", HopKind.EXISTING_COMPUTE, "gcp-run-002", ComputeKind.CLOUD_RUN_SERVICE),
)
SET_SERVICE_ACCOUNT = "compute.instances.setServiceAccount"
BUILDS_CREATE = "cloudbuild.builds.create"
# Container policy rights: (permission, the scope kind it is checked on, method).
_CONTAINER_POLICY = (
    ("resourcemanager.projects.setIamPolicy", "projects", "gcp-resourcemanager-001"),
    ("resourcemanager.folders.setIamPolicy", "folders", "gcp-resourcemanager-002"),
    ("resourcemanager.organizations.setIamPolicy", "organizations", "gcp-resourcemanager-003"),
)
_RELEVANT = frozenset(
    [p for p, _, _ in _ON_ACCOUNT]
    + [p for p, _, _, _ in _LAUNCH]
    + [p for p, _, _ in _CONTAINER_POLICY]
    + [ACT_AS, SET_SERVICE_ACCOUNT]
)
_LAUNCHES = frozenset(p for p, _, _, _ in _LAUNCH) | {SET_SERVICE_ACCOUNT}
_DEPLOY = (
    ACT_AS,
    "compute.instances.create",
    "compute.instances.setMetadata",
    SET_SERVICE_ACCOUNT,
    "cloudfunctions.functions.create",
    "cloudfunctions.functions.update",
    "run.services.create",
    "run.services.update",
)
# The escalation-relevant permissions of predefined roles, from Google's predefined roles reference.
_PREDEFINED: dict[str, frozenset[str]] = {
    "roles/owner": _RELEVANT,
    "roles/editor": frozenset((*_DEPLOY, BUILDS_CREATE)),
    "roles/iam.serviceAccountAdmin": frozenset(("iam.serviceAccounts.setIamPolicy",)),
    # the four the collector records as trusts (their direct hops come from those trusts)
    "roles/iam.serviceAccountUser": frozenset((ACT_AS,)),
    "roles/iam.serviceAccountTokenCreator": frozenset(
        (
            "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.signJwt",
            "iam.serviceAccounts.signBlob",
            "iam.serviceAccounts.implicitDelegation",
        )
    ),
    "roles/iam.serviceAccountKeyAdmin": frozenset(("iam.serviceAccountKeys.create",)),
    "roles/iam.securityAdmin": frozenset(p for p, _, _ in _CONTAINER_POLICY) | {"iam.serviceAccounts.setIamPolicy"},
    "roles/resourcemanager.projectIamAdmin": frozenset(("resourcemanager.projects.setIamPolicy",)),
    "roles/resourcemanager.folderIamAdmin": frozenset(("resourcemanager.folders.setIamPolicy",)),
    "roles/resourcemanager.folderAdmin": frozenset(
        ("resourcemanager.folders.setIamPolicy", "resourcemanager.projects.setIamPolicy")
    ),
    "roles/resourcemanager.organizationAdmin": frozenset(p for p, _, _ in _CONTAINER_POLICY),
    "roles/compute.admin": frozenset(
        ("compute.instances.create", "compute.instances.setMetadata", SET_SERVICE_ACCOUNT)
    ),
    "roles/compute.instanceAdmin.v1": frozenset(
        ("compute.instances.create", "compute.instances.setMetadata", SET_SERVICE_ACCOUNT)
    ),
    "roles/cloudfunctions.admin": frozenset(("cloudfunctions.functions.create", "cloudfunctions.functions.update")),
    "roles/cloudfunctions.developer": frozenset(("cloudfunctions.functions.create", "cloudfunctions.functions.update")),
    "roles/run.admin": frozenset(("run.services.create", "run.services.update")),
    "roles/run.developer": frozenset(("run.services.create", "run.services.update")),
    "roles/cloudbuild.builds.editor": frozenset((BUILDS_CREATE,)),
    "roles/cloudbuild.builds.builder": frozenset((BUILDS_CREATE,)),
}


@dataclass(frozen=True, slots=True)
class _Held:
    """One permission from one binding: where, through which role, and whether it may lapse."""

    scope: str
    role: str
    conditional: bool

    def describe(self, permission: str) -> str:
        return f"{self.role} on {self.scope} grants {permission}" + (" (conditional)" if self.conditional else "")


class _Hops:
    def __init__(self, graph: PrivilegeGraph) -> None:
        self.graph = graph
        self.accounts = [
            i for i in graph.identities() if i.provider is Provider.GCP and i.kind is IdentityKind.SERVICE_ACCOUNT
        ]
        self.by_project: dict[str, list[Identity]] = {}
        for account in self.accounts:
            self.by_project.setdefault(account.account, []).append(account)
        self.running: dict[tuple[ComputeKind, str], list[str]] = {}  # (kind, identity) -> workload names
        self.instances: dict[str, list[str]] = {}  # project -> instance names
        for workload in graph.inventory.workloads:
            if workload.provider is not Provider.GCP:
                continue
            for identity in workload.identity_ids:
                self.running.setdefault((workload.kind, identity), []).append(workload.name)
            if workload.kind is ComputeKind.GCE_INSTANCE:
                self.instances.setdefault(workload.account, []).append(workload.name)
        self._chains: dict[str, tuple[str, ...]] = {}
        # scope -> the accounts a binding there reaches: the account itself, or all beneath
        self.beneath: dict[str, list[Identity]] = {}
        # project -> its legacy Cloud Build account: Google's, so a binding on the project does
        # not reach it; only a build does (gcp-cloudbuild-002)
        self.builders: dict[str, list[Identity]] = {}
        for account in self.accounts:
            if _legacy_build_account(account):
                self.builders.setdefault(account.account, []).append(account)
                continue
            for scope in (_resource(account), *self.chain(account.account)):
                self.beneath.setdefault(scope, []).append(account)

    def chain(self, project: str) -> tuple[str, ...]:
        """``projects/p`` and every folder and organization above it."""
        if project not in self._chains:
            found, scope = [], f"projects/{project}"
            seen: set[str] = set()
            while scope and scope not in seen:
                seen.add(scope)
                found.append(scope)
                record = self.graph.scope(scope)
                scope = record.parent_id if record is not None and record.parent_id else ""
            self._chains[project] = tuple(found)
        return self._chains[project]

    def held(self, source: Identity) -> dict[str, list[_Held]]:
        """Escalation-relevant permission -> where the source holds it (lapsed bindings left out)."""
        found: dict[str, list[_Held]] = {}
        for grant in self.graph.grants_of(source.id):
            if grant.expires is not None and grant.expires <= self.graph.as_of:
                continue  # ended: grants nothing at the as-of
            if grant.role_id in ADMIN_ROLES and is_container_scope(grant.scope_id):
                # Owner of a project is its administrator outright: the privilege assessment judges
                # that (a time-bound Owner is just-in-time access, not a path to build)
                continue
            role = self.graph.role(grant.role_id)
            permissions = (
                frozenset(role.permissions) & _RELEVANT
                if role is not None and role.permissions
                else _PREDEFINED.get(grant.role_id, frozenset())
            )
            conditional = grant.duration is not GrantDuration.STANDING or bool(grant.condition)
            for permission in permissions:
                found.setdefault(permission, []).append(_Held(grant.scope_id, grant.role_id, conditional))
        return found

    def on_account(self, held: list[_Held], target: Identity, *, via_trust_roles: bool = True) -> _Held | None:
        """The binding that grants a permission on ``target``, unconditional ones first."""
        reach = {_resource(target), *self.chain(target.account)}
        matches = [h for h in held if h.scope in reach and (via_trust_roles or h.role not in TRUST_ROLE_METHODS)]
        return min(matches, key=lambda h: h.conditional) if matches else None

    def on_project(self, held: list[_Held], project: str) -> _Held | None:
        reach = set(self.chain(project))
        matches = [h for h in held if h.scope in reach]
        return min(matches, key=lambda h: h.conditional) if matches else None

    def hops(self) -> Iterable[Hop]:
        for source in self.accounts:
            if self.graph.privilege_of(source.id).level >= PrivilegeLevel.ADMIN:
                continue  # it already holds everything: its hops add nothing
            held = self.held(source)
            if not held:
                continue
            yield from self._to_accounts(source, held)
            yield from self._to_admin(source, held)

    def _to_accounts(self, source: Identity, held: dict[str, list[_Held]]) -> Iterable[Hop]:
        launches = bool(held.keys() & _LAUNCHES) and ACT_AS in held
        # only accounts beneath a scope where it holds something: linear in what it reaches
        scopes = {h.scope for found in held.values() for h in found}
        candidates = {t.id: t for scope in scopes for t in self.beneath.get(scope, ())}
        for target in sorted(candidates.values(), key=lambda t: t.id):
            if target.id == source.id:
                continue
            for permission, kind, method in _ON_ACCOUNT:
                # bindings the collector made trusts of are followed as trusts, with this method family
                grant = self.on_account(held.get(permission, []), target, via_trust_roles=False)
                if grant is not None:
                    yield Hop(source.id, target.id, kind, grant.describe(permission), grant.conditional, method)
            if launches:
                yield from self._launch(source, target, held)
        for builder in sorted((b for found in self.builders.values() for b in found), key=lambda b: b.id):
            build = self.on_project(held.get(BUILDS_CREATE, []), builder.account)
            if build is not None and builder.id != source.id:
                yield Hop(
                    source.id,
                    builder.id,
                    HopKind.PASS_ROLE,
                    f"{build.describe(BUILDS_CREATE)}; builds run as {builder.name}",
                    build.conditional,
                    "gcp-cloudbuild-002",
                )

    def _launch(self, source: Identity, target: Identity, held: dict[str, list[_Held]]) -> Iterable[Hop]:
        act_as = self.on_account(held[ACT_AS], target)
        if act_as is None:
            return
        for permission, kind, method, running in _LAUNCH:
            right = self.on_project(held.get(permission, []), target.account)
            if right is None:
                continue
            where = ""
            if running is not None:
                names = self.running.get((running, target.id), [])
                if not names:
                    continue  # nothing of that kind runs as the target: nothing to change
                where = f"; {', '.join(sorted(names)[:3])} runs as {target.name}"
            yield Hop(
                source.id,
                target.id,
                kind,
                f"{act_as.describe(ACT_AS)} and {right.describe(permission)}{where}",
                act_as.conditional or right.conditional,
                method,
            )
        switch = self.on_project(held.get(SET_SERVICE_ACCOUNT, []), target.account)
        instances = self.instances.get(target.account, [])
        if switch is not None and instances:
            yield Hop(
                source.id,
                target.id,
                HopKind.EXISTING_COMPUTE,
                f"{act_as.describe(ACT_AS)} and {switch.describe(SET_SERVICE_ACCOUNT)}; "
                f"instance {sorted(instances)[0]} can be switched to run as {target.name}",
                act_as.conditional or switch.conditional,
                "gcp-compute-002",
            )

    def _to_admin(self, source: Identity, held: dict[str, list[_Held]]) -> Iterable[Hop]:
        for permission, kind, method in reversed(_CONTAINER_POLICY):  # the broadest first
            # held on that kind of container or one above it: a project binding cannot set a folder's policy
            grants = sorted(
                (
                    h
                    for h in held.get(permission, [])
                    if is_container_scope(h.scope) and h.scope.split("/")[0] in _ABOVE[kind]
                ),
                key=lambda h: h.conditional,
            )
            if grants:
                yield Hop(
                    source.id,
                    ADMIN_SINK,
                    HopKind.SET_IAM_POLICY,
                    f"{grants[0].describe(permission)}: it can grant itself Owner",
                    grants[0].conditional,
                    method,
                )
                return


_ABOVE = {
    "projects": ("projects", "folders", "organizations"),
    "folders": ("folders", "organizations"),
    "organizations": ("organizations",),
}


def _resource(account: Identity) -> str:
    """The scope id of a binding on the account itself."""
    return f"projects/{account.account}/serviceAccounts/{account.id}"


def _legacy_build_account(target: Identity) -> bool:
    """``<project number>@cloudbuild.gserviceaccount.com``: builds run as it unless told otherwise."""
    local, _, domain = target.id.partition("@")
    return domain == "cloudbuild.gserviceaccount.com" and local.isdigit()


def gcp_hops(graph: PrivilegeGraph) -> Iterable[Hop]:
    return _Hops(graph).hops()
