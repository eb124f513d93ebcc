"""Over-broad standing grants held by workloads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeLevel
from standing.core.facts import is_nhi
from standing.core.findings import Severity
from standing.core.model import IdentityKind
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule


class AdminEquivalent(Rule):
    """A non-human identity that holds admin, or can grant itself admin, all the time.

    Admin-equivalent means ``*`` on ``*`` (AdministratorAccess and its copies), or IAM write
    on every resource, which lets the holder attach any policy or mint keys for any user.
    Judged against AWS's own action catalogue, through groups and capped by permission
    boundaries. Held through a long-lived secret it is critical: one leaked key is the account.
    An IAM user counts when it holds a live secret, console password or not: the key acts alone.
    """

    id = "admin-equivalent"
    title = "Workload holds admin-equivalent standing permissions"
    severity = Severity.HIGH
    traits = frozenset({Trait.PRIVILEGED})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if not is_nhi(identity):
                continue
            secrets = graph.standing_secrets_of(identity.id)
            if identity.kind is IdentityKind.USER and not secrets:
                continue  # a user with no live secret cannot authenticate as a workload
            assessment = graph.privilege_of(identity.id)
            if assessment.level < PrivilegeLevel.PRIVILEGE_MANAGEMENT:
                continue
            severity = Severity.CRITICAL if assessment.level is PrivilegeLevel.ADMIN and secrets else Severity.HIGH
            via = f" through long-lived secret(s) {', '.join(secrets)}" if secrets else ""
            yield Hit(
                identity=identity,
                severity=severity,
                message=f"{identity.name} holds {assessment.level.label} permissions{via}",
                evidence={
                    "privilege": assessment.level.label,
                    "because": list(assessment.evidence),
                    "long_lived_secrets": secrets,
                },
            )
