"""What part of an identity's grants a usage record shows unused, and what that part reaches.

One reading of ``PermissionUsage`` shared by the rule ``permissions-unused`` and the planner,
so a finding and a plan never disagree about what was used. Only records that say *what* was
used are read (Access Analyzer, Access Advisor, the GCP Recommender); the credential report's
one service per key, GCP activity and Azure sign-ins say only *whether*, and give nothing here.

What the unused part reaches is judged by the existing analysis, never a list of its own: AWS
services and actions are expanded through the action catalogue, kept only where the identity's
own policies could allow them, and graded by ``privilege.assess_aws_policies`` and the
sensitive-data table; a GCP role by ``privilege_gcp.role_level`` and the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from standing.analysis import catalogue, privilege_gcp, sensitive
from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeLevel, assess_aws_policies
from standing.core.model import ActionUse, PermissionUsage, UsageSource

# Sources that name what was used; the others say only whether the identity authenticated.
WHAT_SOURCES = frozenset({UsageSource.AWS_ACCESS_ANALYZER, UsageSource.AWS_ACCESS_ADVISOR, UsageSource.GCP_RECOMMENDER})


@dataclass(frozen=True)
class UnusedPart:
    """One unused part of one identity's grants: AWS services/actions, or one GCP binding."""

    grain: str  # "service", "action" or "role"
    names: tuple[str, ...]  # "s3", "iam:CreateUser", "roles/editor"
    level: PrivilegeLevel
    sensitive: frozenset[str]
    scope: str | None = None  # the GCP binding's scope
    replace_with: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.grain}:{self.scope or ''}:{','.join(self.names)}"

    def describe(self) -> str:
        if self.grain == "role":
            instead = f", replaceable by {', '.join(self.replace_with)}" if self.replace_with else ""
            return f"{self.names[0]} on {self.scope}{instead}"
        noun = "service" if self.grain == "service" else "action"
        return f"{noun}{'s' if len(self.names) > 1 else ''} {', '.join(self.names)}"


def is_unused(use: ActionUse, cutoff: datetime) -> bool:
    """Not seen in the record's window, or last seen before ``cutoff``."""
    return use.last_used is None or use.last_used < cutoff


def unused_parts(
    graph: PrivilegeGraph, record: PermissionUsage, *, cutoff: datetime, min_window_days: int
) -> list[UnusedPart]:
    """The unused parts one record shows; none when its window is shorter than asked for."""
    if record.source not in WHAT_SOURCES or record.window_days < min_window_days:
        return []
    if record.source is UsageSource.GCP_RECOMMENDER:
        return [p for r in record.replacements if (p := _gcp_part(graph, r.role_id, r.scope_id, r.replace_with))]
    return _aws_parts(graph, record, cutoff)


def _aws_parts(graph: PrivilegeGraph, record: PermissionUsage, cutoff: datetime) -> list[UnusedPart]:
    services = sorted({u.name.lower() for u in record.services if is_unused(u, cutoff)})
    actions = sorted(
        {u.name for u in record.actions if is_unused(u, cutoff)} | set(record.unused_actions),
        key=str.lower,
    )
    actions = [a for a in actions if a.split(":", 1)[0].lower() not in services]
    parts = []
    for grain, names, patterns in (
        ("service", services, [f"{s}:*" for s in services]),
        ("action", actions, actions),
    ):
        if names:
            level, kinds = _aws_reach(graph, record.identity_id, patterns)
            parts.append(UnusedPart(grain, tuple(names), level, kinds))
    return parts


def _aws_reach(graph: PrivilegeGraph, identity_id: str, patterns: list[str]) -> tuple[PrivilegeLevel, frozenset[str]]:
    """What the named services/actions reach, counting only actions the identity's policies allow."""
    policy = graph.aws_policy_set(identity_id)
    granted = sorted({a.qualified for p in patterns for a in catalogue.expand(p) if policy.may(a.qualified)})
    if not granted:
        return PrivilegeLevel.NONE, frozenset()
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": granted, "Resource": "*"}]}
    level = assess_aws_policies([("unused", document)]).level
    lowered = {a.lower() for a in granted}
    kinds = frozenset(k for k, acts in sensitive.AWS_ACTIONS.items() if any(a.lower() in lowered for a in acts))
    return level, kinds


def _gcp_kinds(role_id: str, permissions: list[str]) -> set[str]:
    if role_id in privilege_gcp.ADMIN_ROLES:
        return set(sensitive.KINDS)
    return {
        k
        for k in sensitive.KINDS
        if role_id in sensitive.GCP_ROLES[k] or any(p in sensitive.GCP_PERMISSIONS[k] for p in permissions)
    }


def _gcp_part(graph: PrivilegeGraph, role_id: str, scope_id: str, replace_with: list[str]) -> UnusedPart | None:
    """The binding's role less what the Recommender would keep in its place."""
    role = graph.role(role_id)
    permissions = list(role.permissions) if role is not None else []
    level = privilege_gcp.role_level(role_id, permissions)
    kinds = _gcp_kinds(role_id, permissions)
    kept_level = PrivilegeLevel.NONE
    for kept_id in replace_with:
        kept = graph.role(kept_id)
        kept_permissions = list(kept.permissions) if kept is not None else []
        kept_level = max(kept_level, privilege_gcp.role_level(kept_id, kept_permissions))
        kinds -= _gcp_kinds(kept_id, kept_permissions)
    if kept_level >= level:
        level = PrivilegeLevel.READ  # the same tier kept: only permissions within it go
    return UnusedPart("role", (role_id,), level, frozenset(kinds), scope=scope_id, replace_with=tuple(replace_with))


@lru_cache(maxsize=4)
def records_by_identity(graph: PrivilegeGraph) -> dict[str, tuple[PermissionUsage, ...]]:
    """Every usage record of the inventory, by identity id: read once per graph, not per plan."""
    index: dict[str, list[PermissionUsage]] = {}
    for record in graph.inventory.usage:
        index.setdefault(record.identity_id, []).append(record)
    return {k: tuple(v) for k, v in index.items()}
