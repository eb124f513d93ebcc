"""Azure RBAC: broad standing roles held by workloads, and custom roles that allow everything."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege_azure import arm_actions, scope_label
from standing.core.azure_builtins import CONTRIBUTOR, OWNER, USER_ACCESS_ADMINISTRATOR
from standing.core.facts import is_nhi
from standing.core.findings import Severity
from standing.core.model import GrantDuration, IdentityKind, Provider, ScopeKind
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule

_BROAD_ROLES = {OWNER: Severity.HIGH, USER_ACCESS_ADMINISTRATOR: Severity.HIGH, CONTRIBUTOR: Severity.MEDIUM}
_BROAD_SCOPES = frozenset({ScopeKind.SUBSCRIPTION, ScopeKind.MANAGEMENT_GROUP, ScopeKind.TENANT})
_WORKLOADS = frozenset({IdentityKind.SERVICE_PRINCIPAL, IdentityKind.MANAGED_IDENTITY})


class AzureStandingPrivilegedRole(Rule):
    """A service principal or managed identity holds Owner, Contributor or User Access
    Administrator on a subscription or management group, all the time.

    These roles are meant to be held for minutes, through PIM, by people; on a workload
    they are a standing key to every resource below the scope. Grant a narrower role on
    the resource group the workload needs, or make the assignment eligible or time-bound.
    Eligible and time-bound assignments are not flagged.
    """

    id = "azure-standing-privileged-role"
    title = "Workload holds a standing privileged Azure role at broad scope"
    severity = Severity.HIGH
    traits = frozenset({Trait.PRIVILEGED, Trait.PRIVILEGED_ROLE})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if identity.provider is not Provider.AZURE or identity.kind not in _WORKLOADS or not is_nhi(identity):
                continue
            for grant in graph.grants_of(identity.id):
                guid = grant.role_id.rsplit("/", 1)[-1]
                scope = graph.scope(grant.scope_id)
                if grant.duration is not GrantDuration.STANDING or guid not in _BROAD_ROLES:
                    continue
                if scope is None or scope.kind not in _BROAD_SCOPES:
                    continue
                role = graph.role(grant.role_id)
                role_name = role.name if role else guid
                where, _ = scope_label(grant.scope_id)
                via = "" if grant.principal_id == identity.id else f" through group {grant.principal_id}"
                yield Hit(
                    identity=identity,
                    severity=_BROAD_ROLES[guid],
                    discriminator=f"{grant.role_id}@{grant.scope_id}",
                    message=f"{identity.name} holds {role_name} on {where} permanently{via}",
                    evidence={
                        "role": role_name,
                        "role_id": grant.role_id,
                        "scope": grant.scope_id,
                        "duration": grant.duration.value,
                        "held_by": grant.principal_id,
                    },
                )


class AzureCustomRoleWildcard(Rule):
    """A workload holds a custom Azure role whose actions include ``*``.

    A custom role exists to be narrower than the built-ins; ``*`` makes it at least
    Contributor, and silently grows with every new resource provider. List the actions
    the workload uses instead. This finding is each workload's standing hold of the role (its
    fix is that holder's assignment); a definition whose ``*`` also reaches role assignments is,
    besides, reported once as a definition by ``privileged-custom-policy`` (its fix is the
    definition, for every holder at once).
    """

    id = "azure-custom-role-wildcard"
    title = "Custom Azure role allows every action"
    severity = Severity.HIGH

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if identity.provider is not Provider.AZURE or not is_nhi(identity):
                continue
            for grant in graph.grants_of(identity.id):
                if grant.duration is GrantDuration.ELIGIBLE:
                    continue
                role = graph.role(grant.role_id)
                if role is None or role.provider_managed or not role.documents:
                    continue
                if role.documents[0].get("kind") != "arm-role-definition":
                    continue
                actions, not_actions = arm_actions(role)
                if "*" not in actions:
                    continue
                where, _ = scope_label(grant.scope_id)
                yield Hit(
                    identity=identity,
                    discriminator=f"{grant.role_id}@{grant.scope_id}",
                    message=f"{identity.name} holds custom role {role.name}, which allows '*', on {where}",
                    evidence={
                        "role": role.name,
                        "role_id": role.id,
                        "scope": grant.scope_id,
                        "not_actions": not_actions,
                        "duration": grant.duration.value,
                    },
                )
