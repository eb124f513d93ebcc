"""GCP-only ideas: basic and admin roles, default service accounts, broad impersonation, key policy.

The ideas shared with other clouds (key age and use, expiry, exposed keys, admin-equivalent,
unpinned federation) are judged by the shared rules from the normalized inventory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.methods.gcp import ONLY_WITH_A_LAUNCHER
from standing.analysis.privilege_gcp import is_container_scope
from standing.core.facts import is_nhi
from standing.core.findings import Severity
from standing.core.model import Grant, Identity, Provider, ScopeKind
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule

BASIC_ROLES = frozenset({"roles/owner", "roles/editor"})
_ADMIN_ROLE = re.compile(r"^roles/[A-Za-z0-9]+\.admin$")
_DEFAULT_SA = re.compile(r"^(\d+-compute@developer\.gserviceaccount\.com|[a-z0-9-]+@appspot\.gserviceaccount\.com)$")
BROAD_IMPERSONATION_ROLES = frozenset({"roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountUser"})
KEY_CREATION_CONSTRAINTS = ("iam.disableServiceAccountKeyCreation", "iam.managed.disableServiceAccountKeyCreation")
_CONTAINERS = (ScopeKind.PROJECT, ScopeKind.FOLDER, ScopeKind.ORGANIZATION)


def _service_accounts(graph: PrivilegeGraph) -> Iterable[Identity]:
    return (i for i in graph.identities() if i.provider is Provider.GCP and is_nhi(i))


def _on_container(graph: PrivilegeGraph, grant: Grant) -> bool:
    scope = graph.scope(grant.scope_id)
    return scope.kind in _CONTAINERS if scope is not None else is_container_scope(grant.scope_id)


def _describe(grants: list[Grant]) -> list[str]:
    return sorted({f"{g.role_id} on {g.scope_id}" + (f" if {g.condition}" if g.condition else "") for g in grants})


class GcpBasicOrAdminRole(Rule):
    """A service account holds a basic role (Owner, Editor) or a predefined ``*.admin`` role, all the time.

    Basic roles grant thousands of permissions across every service; ``*.admin`` roles hand
    over a whole service. A workload needs a few permissions: grant a predefined or custom
    role that lists them, on the narrowest resource, or a time-bound conditional binding.
    Bindings that end with a ``request.time`` condition are not standing and are not flagged.
    """

    id = "gcp-basic-or-admin-role"
    title = "Service account holds a basic or admin role"
    severity = Severity.HIGH
    traits = frozenset({Trait.PRIVILEGED, Trait.PRIVILEGED_ROLE})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in _service_accounts(graph):
            broad = [
                g
                for g in graph.standing_grants_of(identity.id)
                if g.role_id in BASIC_ROLES or _ADMIN_ROLE.match(g.role_id)
            ]
            if broad:
                grants = _describe(broad)
                yield Hit(
                    identity=identity,
                    message=f"{identity.name} holds {', '.join(grants)}",
                    evidence={"grants": grants},
                )


class GcpDefaultServiceAccountEditor(Rule):
    """A default Compute Engine or App Engine service account still holds Editor (or Owner).

    Google used to grant Editor to these accounts automatically, and every VM or app that
    runs as the default account inherits it. Give workloads their own service accounts,
    remove Editor from the default one, and enforce
    ``iam.automaticIamGrantsForDefaultServiceAccounts``.
    """

    id = "gcp-default-sa-editor"
    title = "Default service account with Editor"
    severity = Severity.HIGH
    traits = frozenset({Trait.PRIVILEGED, Trait.PRIVILEGED_ROLE})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in _service_accounts(graph):
            if not _DEFAULT_SA.match(identity.id):
                continue
            held = [g for g in graph.standing_grants_of(identity.id) if g.role_id in BASIC_ROLES]
            if held:
                yield Hit(
                    identity=identity,
                    message=f"default service account {identity.name} holds {', '.join(_describe(held))}",
                    evidence={"grants": _describe(held)},
                )


class GcpImpersonationGrantedBroadly(Rule):
    """Token Creator or Service Account User granted on a project, folder or organization.

    Granted there, the role lets its holder act as every service account beneath, including
    ones created later: a chain from one workload to the most privileged account in the
    scope. Grant it on the one service account that is needed, or make it time-bound.
    """

    id = "gcp-impersonation-granted-broadly"
    title = "Impersonation of every service account in a scope"
    severity = Severity.HIGH
    traits = frozenset({Trait.BROAD_IMPERSONATION})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in _service_accounts(graph):
            broad = [
                g
                for g in graph.standing_grants_of(identity.id)
                if g.role_id in BROAD_IMPERSONATION_ROLES and _on_container(graph, g)
            ]
            if broad:
                # Service Account User mints no token: it lets its holder run compute as the
                # accounts (with a launcher), which is what the message says when it is all there is.
                mints = any(g.role_id not in ONLY_WITH_A_LAUNCHER for g in broad)
                reach = sorted(
                    {
                        t.target_id
                        for t in graph.inventory.trusts
                        if t.principal == identity.id and t.actions and t.actions[0] in BROAD_IMPERSONATION_ROLES
                    }
                )
                verb = "can impersonate" if mints else "can run compute (with a launcher) as"
                yield Hit(
                    identity=identity,
                    message=f"{identity.name} {verb} every service account under "
                    f"{', '.join(sorted({g.scope_id for g in broad}))}",
                    evidence={"grants": _describe(broad), "can_impersonate" if mints else "can_run_compute_as": reach},
                )


class GcpKeyCreationUnrestricted(Rule):
    """Service-account keys can be created in a project where this account already holds one.

    The organization policy ``iam.disableServiceAccountKeyCreation`` is the guardrail that
    stops new standing keys; where it is not enforced, any key admin can mint another. Enforce
    it (with exceptions by tag where a key is truly needed), and set
    ``iam.serviceAccountKeyExpiryHours`` so the keys that remain expire.
    """

    id = "gcp-key-creation-unrestricted"
    title = "Key creation not restricted by organization policy"
    severity = Severity.MEDIUM

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        policies = {(p.scope_id, p.constraint): p for p in graph.inventory.scope_policies if p.provider is Provider.GCP}
        for identity in _service_accounts(graph):
            scope = f"projects/{identity.account}"
            creation = [policies[(scope, c)] for c in KEY_CREATION_CONSTRAINTS if (scope, c) in policies]
            if not creation or any(p.enforced for p in creation):
                continue  # enforced, or unknown (the policy could not be read)
            secrets = graph.standing_secrets_of(identity.id)
            if not secrets:
                continue
            expiry = policies.get((scope, "iam.serviceAccountKeyExpiryHours"))
            yield Hit(
                identity=identity,
                message=f"{identity.name} holds user-managed keys and {scope} does not enforce "
                "iam.disableServiceAccountKeyCreation",
                evidence={
                    "scope": scope,
                    "keys": secrets,
                    "key_expiry_enforced": expiry.enforced if expiry else None,
                    "key_upload_disabled": policies[(scope, "iam.disableServiceAccountKeyUpload")].enforced
                    if (scope, "iam.disableServiceAccountKeyUpload") in policies
                    else None,
                },
            )
