"""AWS usage responses -> ``PermissionUsage`` records. Pure: parses JSON, calls nothing.

Two sources, one record shape (``core.model.PermissionUsage``):

- IAM Access Analyzer unused-access findings (``GetFindingV2`` of an ``UnusedPermission``
  finding): the services and actions the analyzer itself flags as unused in its
  ``unusedAccessAge`` window. The finding names the idle part only, so ``unused_actions``
  carries it and ``services`` lists the idle services with their last access.
- IAM Access Advisor (``GetServiceLastAccessedDetails``, ``Granularity=ACTION_LEVEL``): every
  service the identity's policies allow, with the last authentication in AWS's 400-day
  tracking period; actions only for the services AWS tracks at action level, so
  ``action_level`` is true only when at least one service reported tracked actions.

The live reads and the CLI exports (``aws accessanalyzer get-finding-v2``, ``aws iam
get-service-last-accessed-details``) share these parsers: the JSON is the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from standing.core.model import ActionUse, PermissionUsage, UsageSource

ACCESS_ADVISOR_WINDOW_DAYS = 400
"""AWS's tracking period for last-accessed information (IAM User Guide, "Refining
permissions using last accessed information")."""

UNUSED_ACCESS_TYPES = frozenset({"ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS"})
DEFAULT_UNUSED_ACCESS_AGE = 90
"""The analyzer's default ``unusedAccessAge`` when its configuration does not state one."""


class UsageParseError(ValueError):
    """A response or export that is not the shape AWS documents."""


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageParseError(f"not a timestamp: {str(value)[:40]!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def unused_access_analyzers(analyzers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The active analyzers of an unused-access type, from ``ListAnalyzers``; an external-access
    analyzer reports no usage and is not one of them."""
    return [a for a in analyzers if a.get("type") in UNUSED_ACCESS_TYPES and a.get("status", "ACTIVE") == "ACTIVE"]


def analyzer_window_days(analyzer: dict[str, Any]) -> int:
    """``configuration.unusedAccess.unusedAccessAge`` (days), the window its findings rest on."""
    age = ((analyzer.get("configuration") or {}).get("unusedAccess") or {}).get("unusedAccessAge")
    return int(age) if age else DEFAULT_UNUSED_ACCESS_AGE


def unused_permission_finding_ids(findings: list[dict[str, Any]]) -> list[str]:
    """Ids of the active ``UnusedPermission`` findings of a ``ListFindingsV2`` page, the only
    type whose details name services and actions."""
    return [
        str(f["id"])
        for f in findings
        if f.get("findingType") == "UnusedPermission" and f.get("status", "ACTIVE") == "ACTIVE"
    ]


def flagged_resources(findings: list[dict[str, Any]]) -> list[str]:
    """ARNs of the identities any active unused-access finding names (roles, users)."""
    seen: dict[str, None] = {}
    for f in findings:
        if f.get("status", "ACTIVE") == "ACTIVE" and f.get("resource"):
            seen.setdefault(str(f["resource"]), None)
    return list(seen)


def usage_from_finding(finding: dict[str, Any], window_days: int, observed_at: datetime) -> PermissionUsage | None:
    """One ``GetFindingV2`` response -> a record, or ``None`` for a finding that names no
    permission (an unused role, key or password: the credential rules judge those)."""
    if not isinstance(finding, dict) or "resource" not in finding:
        raise UsageParseError("not a GetFindingV2 response: no 'resource'")
    if finding.get("findingType") != "UnusedPermission":
        return None
    services: list[ActionUse] = []
    unused: list[str] = []
    for detail in finding.get("findingDetails") or []:
        perm = detail.get("unusedPermissionDetails") if isinstance(detail, dict) else None
        if not perm:
            continue
        namespace = str(perm["serviceNamespace"])
        services.append(ActionUse(name=namespace, last_used=_time(perm.get("lastAccessed"))))
        actions = perm.get("actions") or []
        if actions:
            unused.extend(f"{namespace}:{a['action']}" for a in actions)
        else:
            unused.append(f"{namespace}:*")
    return PermissionUsage(
        identity_id=str(finding["resource"]),
        source=UsageSource.AWS_ACCESS_ANALYZER,
        observed_at=_time(finding.get("analyzedAt")) or observed_at,
        window_days=window_days,
        services=services,
        unused_actions=sorted(set(unused)),
        action_level=any(":" in u and not u.endswith(":*") for u in unused),
    )


def usage_from_last_accessed(identity_id: str, details: dict[str, Any], observed_at: datetime) -> PermissionUsage:
    """A completed ``GetServiceLastAccessedDetails`` (all pages' ``ServicesLastAccessed``
    joined) -> a record for ``identity_id`` (the response does not name it)."""
    if not isinstance(details, dict) or "ServicesLastAccessed" not in details:
        raise UsageParseError("not a GetServiceLastAccessedDetails response: no 'ServicesLastAccessed'")
    if details.get("JobStatus", "COMPLETED") != "COMPLETED":
        raise UsageParseError(f"the report job is {details.get('JobStatus')}, not COMPLETED")
    services: list[ActionUse] = []
    actions: list[ActionUse] = []
    tracked = False
    for svc in details["ServicesLastAccessed"]:
        namespace = str(svc["ServiceNamespace"])
        services.append(ActionUse(name=namespace, last_used=_time(svc.get("LastAuthenticated"))))
        for act in svc.get("TrackedActionsLastAccessed") or []:
            tracked = True
            actions.append(
                ActionUse(name=f"{namespace}:{act['ActionName']}", last_used=_time(act.get("LastAccessedTime")))
            )
    return PermissionUsage(
        identity_id=identity_id,
        source=UsageSource.AWS_ACCESS_ADVISOR,
        observed_at=_time(details.get("JobCompletionDate")) or observed_at,
        window_days=ACCESS_ADVISOR_WINDOW_DAYS,
        services=services,
        actions=actions,
        action_level=tracked,
    )
