"""A plan's permissions cut down to what the identity used, from the usage record a collector wrote.

Only a record that says *what* was used narrows (``analysis.usage.WHAT_SOURCES``); without one
the plan carries permissions over unchanged and says so. AWS documents keep each Allow
statement's own resources and conditions and only lose actions: actions where the source reports
them (Access Analyzer, action-level Access Advisor), whole services otherwise. A GCP binding
takes the Recommender's replacement. Azure reports sign-ins, never which operations: its role is
kept and the plan names the Log Analytics query that would show the operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from standing.analysis import catalogue
from standing.analysis.usage import WHAT_SOURCES, is_unused
from standing.core.model import PermissionUsage, Provider, RoleReplacement, UsageSource
from standing.planner.aws_documents import allowed_actions, as_list
from standing.planner.model import AwsPolicyDocument, Permissions, PolicyKind, UsageBasis

if TYPE_CHECKING:
    from standing.planner.context import PlanContext

# The window a plan narrows on when no setting is given: the rule permissions-unused's default
# (a scan passes the rule's configured ``unused_days`` through ``RiskModel.usage_window_days``).
WINDOW_DAYS = 90

AZURE_ACTIVITY_QUERY = (
    "AzureActivity | where TimeGenerated > ago(90d) and Caller == '<principal object id>' "
    "| summarize count() by OperationNameValue"
)


@dataclass(frozen=True)
class Narrowing:
    """What one identity's record says it used and left unused: the basis of its narrowed plan.

    A plan drops only what the source *saw unused*, and keeps what the source says nothing about:
    Access Analyzer names the unused part alone, Access Advisor tracks actions for some services
    only (S3's data-plane reads are never in its action list), and a grant added after the report
    is not in it. Dropping what is merely unreported would break the workload the plan migrates.
    """

    source: UsageSource
    window_days: int
    observed_at: datetime
    action_level: bool
    used_services: frozenset[str]  # lower-case prefixes seen used; empty unless the source lists every service
    unused_services: frozenset[str] = frozenset()  # lower-case prefixes it saw unused: every action goes
    unused_actions: frozenset[str] = frozenset()  # lower-case qualified actions it saw unused
    replacements: tuple[RoleReplacement, ...] = ()

    def keeps(self, action: str) -> bool:
        """Whether a concrete action (``s3:GetObject``) stays: anything the source did not see unused."""
        lowered = action.lower()
        return lowered.split(":", 1)[0] not in self.unused_services and lowered not in self.unused_actions

    @property
    def evidence(self) -> str:
        return f"{self.source.value}, {self.window_days}-day window to {self.observed_at.date().isoformat()}"


def narrowing_for(
    records: tuple[PermissionUsage, ...], as_of: datetime, window_days: int = WINDOW_DAYS
) -> Narrowing | None:
    """The best record that names what was used: action level first, then the longest window."""
    usable = [r for r in records if r.source in WHAT_SOURCES]
    if not usable:
        return None
    record = max(usable, key=lambda r: (r.action_level, r.window_days))
    cutoff = as_of - timedelta(days=window_days)
    whole = {a.lower().removesuffix(":*") for a in record.unused_actions if a.endswith(":*")}
    return Narrowing(
        source=record.source,
        window_days=record.window_days,
        observed_at=record.observed_at,
        action_level=record.action_level and bool(record.actions or record.unused_actions),
        # Only Access Advisor lists every service the grants allow; a finding lists the idle part only.
        used_services=frozenset(u.name.lower() for u in record.services if not is_unused(u, cutoff))
        if record.source is UsageSource.AWS_ACCESS_ADVISOR
        else frozenset(),
        unused_services=frozenset(u.name.lower() for u in record.services if is_unused(u, cutoff)) | whole,
        unused_actions=frozenset(u.name.lower() for u in record.actions if is_unused(u, cutoff))
        | {a.lower() for a in record.unused_actions if not a.endswith(":*")},
        replacements=tuple(record.replacements),
    )


def _concrete(pattern: str) -> list[str]:
    """The catalogue actions an action pattern stands for (``*`` included)."""
    return [a.qualified for a in catalogue.expand(pattern)] if pattern != "*" else []


def _narrowed_actions(pattern: str, used: Narrowing) -> tuple[set[str], set[str]]:
    """What one Allow pattern becomes (kept, dropped)."""
    if pattern == "*":
        if not used.used_services:  # a source that names only the unused part cannot bound a wildcard
            return {"*"}, set()
        return {f"{s}:*" for s in used.used_services}, {"*"}
    concrete = _concrete(pattern)
    keep = [a for a in concrete if used.keeps(a)]
    if len(keep) == len(concrete) and (concrete or used.keeps(pattern)):
        return {pattern}, set()  # nothing it stands for was seen unused: kept as written
    dropped = {a for a in concrete if not used.keeps(a)}
    return set(keep), dropped if keep else {pattern}


def narrowed_aws_policy(
    documents: tuple[dict[str, Any], ...], used: Narrowing
) -> tuple[AwsPolicyDocument | None, list[str]]:
    """Each Allow statement less what the source saw unused, resources kept; and what was dropped.
    ``None`` when nothing is dropped: the plan then carries the grants over and says why."""
    kept: list[dict[str, Any]] = []
    dropped: set[str] = set()
    for document in documents:
        for statement in as_list(document.get("Statement", [])):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or "Action" not in statement:
                continue
            actions: set[str] = set()
            for pattern in (str(a) for a in as_list(statement["Action"])):
                kept_here, dropped_here = _narrowed_actions(pattern, used)
                actions |= kept_here
                dropped |= dropped_here
            if actions:
                kept.append({**{k: v for k, v in statement.items() if k != "Sid"}, "Action": sorted(actions)})
    if not dropped:
        return None, []
    if not kept:
        # Nothing was used in the window: carrying the grants over would keep what went unused
        # (admin included). The new role gets only the call every principal may make.
        kept = [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]
    document = {"Version": "2012-10-17", "Statement": kept}
    return AwsPolicyDocument(kind=PolicyKind.NARROWED, name="narrowed-to-usage", document=document), sorted(dropped)


def narrowed_gcp_grants(
    grants: tuple[tuple[str, str], ...] | list[tuple[str, str]], used: Narrowing | None
) -> list[tuple[str, str]]:
    """(scope, role) bindings with each one the Recommender advises on replaced by its advice.

    A binding the Recommender would remove goes; one it would replace becomes the smaller roles
    on the same scope; bindings it says nothing about stay. Without a record, unchanged.
    """
    if used is None or not used.replacements:
        return list(grants)
    advice = {(r.scope_id, r.role_id): r.replace_with for r in used.replacements}
    result: list[tuple[str, str]] = []
    for scope, role in grants:
        for kept in advice.get((scope, role), [role]):
            if (scope, kept) not in result:
                result.append((scope, kept))
    return result


def permissions_note(provider: Provider, used: Narrowing | None, dropped: list[str], verify: str) -> str | None:
    """What the plan says about its narrowing; None when there is no record (the caller says so)."""
    if provider is Provider.AZURE:
        return (
            "Azure reports whether this identity signed in, never which operations it ran, so its role cannot be "
            f"narrowed per permission and is kept; the operations it ran are in the activity log: {AZURE_ACTIVITY_QUERY}"
        )
    if used is None:
        return None
    if provider is Provider.GCP:
        changes = [
            f"{r.role_id} on {r.scope_id} -> {', '.join(r.replace_with) or 'removed'}" for r in used.replacements
        ]
        if not changes:
            return None
        return (
            f"narrowed to what was used ({used.evidence}): the IAM Recommender's replacements "
            + "; ".join(changes)
            + f"; if a rare job needs a removed permission it fails with PERMISSION_DENIED: find out with {verify}"
        )
    grain = "actions" if used.action_level else "services"
    shown = ", ".join(dropped[:12]) + (f" and {len(dropped) - 12} more" if len(dropped) > 12 else "")
    return (
        f"narrowed to the {grain} used ({used.evidence}); admin-level permissions that were used stay behind "
        f"approval; dropped: {shown or 'nothing'}; a rare job that needs a dropped permission fails with "
        f"AccessDenied: find out with {verify}"
    )


def usage_permissions(ctx: PlanContext, verify: str) -> Permissions | None:
    """The plan's permissions section when a usage record (or Azure's lack of one) has something to say."""
    dropped = ctx.narrowed_aws[1] if ctx.identity.provider is Provider.AWS else []
    note = permissions_note(ctx.identity.provider, ctx.narrowing, dropped, verify)
    if note is None:
        return None
    if ctx.narrowing is None:
        return Permissions(basis=UsageBasis.NO_USAGE_DATA, note=note)
    return Permissions(basis=UsageBasis.USAGE_DATA, services_in_use=sorted(ctx.narrowing.used_services), note=note)


def session_actions(ctx: PlanContext) -> list[str]:
    """The actions a session policy allows: the used ones with a usage record, else all held today."""
    narrowed, _ = ctx.narrowed_aws
    return allowed_actions((narrowed.document,) if narrowed is not None else ctx.policy_documents)
