"""The IAM Recommender's role recommendations: read (live), and parsed into usage records (pure).

Google's ``google.iam.policy.Recommender`` compares each binding's permissions with what its
member used over the last 90 days and says which bindings to remove (``REMOVE_ROLE``) or
replace with smaller roles (``REPLACE_ROLE``, ``REPLACE_ROLE_CUSTOMIZABLE``). That is the one
GCP source that says *what* an identity used, so it is the one the rule ``permissions-unused``
and the planner narrow from (``analysis.usage``). One list call per project, folder or
organization reads every recommendation there, so the read is on by default.

The parse reads the recommendation as Google writes it (REST JSON, the same shape whether the
live client or ``gcloud recommender recommendations list --format=json`` produced it): each
``content.operationGroups[].operations[]`` with ``action`` ``remove`` names the binding it
takes away in ``pathFilters`` (``/iamPolicy/bindings/*/role`` and
``/iamPolicy/bindings/*/members/*``) on ``resource``; each ``add`` on the same resource names
a role put in its place, the member in ``value``. Only the first operation group that removes
a binding is read: a customizable recommendation's further groups are alternatives (a custom
role to create), not additions. Only ``ACTIVE`` recommendations count: a claimed, succeeded,
failed or dismissed one is being applied, was applied or was turned down, and is no evidence
about today's grants. Service accounts get a record; people (``user:``, ``group:``,
``domain:``) are counted and left out, as everywhere in the tool.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from standing.collectors.gcp.operations import RECOMMENDER
from standing.core.model import CoverageStatus, PermissionUsage, RoleReplacement, UsageSource

if TYPE_CHECKING:
    from standing.collectors.gcp.fetch import CoverageLog, GcpClients

WINDOW_DAYS = 90
"""Google's observation window for role recommendations: "not used in the past 90 days"."""

SUBTYPES = frozenset({"REMOVE_ROLE", "REPLACE_ROLE", "REPLACE_ROLE_CUSTOMIZABLE"})
"""Recommendations on a project, folder or organization binding (not a dataset's or a bucket's)."""

MEMBER_PATH = "/iamPolicy/bindings/*/members/*"
ROLE_PATH = "/iamPolicy/bindings/*/role"
PEOPLE = ("user:", "group:", "domain:")
_RESOURCE = re.compile(r"^//cloudresourcemanager\.googleapis\.com/((?:projects|folders|organizations)/[^/]+)$")


def operation_name(parent: str) -> str:
    """The declared operation that lists recommendations under ``projects/..``, ``folders/..`` or
    ``organizations/..``."""
    return f"recommender:{parent.split('/', 1)[0]}.locations.recommenders.recommendations.list"


def fetch_recommendations(
    clients: GcpClients, parent: str, log: CoverageLog, *, enabled: bool = True
) -> list[dict[str, Any]]:
    """Every recommendation of the IAM Recommender on one project, folder or organization.

    A 403 (denied, or the Recommender API not enabled in the project) is a gap naming the scope
    and the API; nothing else of the scan depends on it. The coverage entry of a successful read
    counts what was read, people included, so leaving people out is never silent. With
    ``enabled`` false (``--usage none``) nothing is called and the listing is recorded as left
    out by choice.
    """
    operation = operation_name(parent)
    if not enabled:
        log.record(parent, operation, CoverageStatus.SCOPED, "not read (--usage none): what was used is unknown")
        return []
    path = f"{parent}/locations/global/recommenders/{RECOMMENDER}"
    found = log.attempt(
        parent, operation, lambda: list(clients.recommender().list_recommendations(parent=path)), record_ok=False
    )
    if found is None:
        return []
    # proto-plus messages as their REST JSON, enum names and all: the shape gcloud writes
    recommendations = [json.loads(type(r).to_json(r, use_integers_for_enums=False)) for r in found]
    log.record(parent, operation, CoverageStatus.OK, summary(recommendations))
    return recommendations


def summary(recommendations: list[dict[str, Any]]) -> str:
    """``3 active role recommendations: 2 for service accounts, 1 for people (left out)``, and how
    many named no binding in ``pathFilters`` (read as the API defines them, never guessed)."""
    parsed = [_binding_changes(r) for r in recommendations if _counts(r)]
    people = sum(1 for changes in parsed for change in changes if change.member.startswith(PEOPLE))
    accounts = sum(1 for changes in parsed for change in changes if change.member.startswith("serviceAccount:"))
    unread = sum(1 for changes in parsed if not changes)
    return (
        f"{len(parsed)} active role recommendation{'s' if len(parsed) != 1 else ''}: "
        f"{accounts} for service accounts, {people} for people (left out)"
        + (f", {unread} naming no binding (left out)" if unread else "")
    )


@dataclass
class _Change:
    member: str
    resource: str
    role: str
    replace_with: list[str] = field(default_factory=list)


def _counts(recommendation: dict[str, Any]) -> bool:
    state = (recommendation.get("stateInfo") or {}).get("state")
    return recommendation.get("recommenderSubtype") in SUBTYPES and state == "ACTIVE"


def _binding_changes(recommendation: dict[str, Any]) -> list[_Change]:
    """The bindings one recommendation removes, each with the roles added for the same member."""
    groups = (recommendation.get("content") or {}).get("operationGroups") or []
    for group in groups:
        operations = [op for op in group.get("operations") or [] if isinstance(op, dict)]
        removed = [
            _Change(
                member=str(member), resource=str(op.get("resource") or ""), role=str(_filters(op).get(ROLE_PATH, ""))
            )
            for op in operations
            if _action(op) == "remove"
            for member in _members(_filters(op).get(MEMBER_PATH))
        ]
        removed = [c for c in removed if c.member and c.role and c.resource]
        if not removed:
            continue
        for change in removed:
            change.replace_with = sorted(
                {
                    str(_filters(op).get(ROLE_PATH, ""))
                    for op in operations
                    if _action(op) == "add"
                    and op.get("resource") == change.resource
                    and (op.get("value") or change.member) == change.member
                }
                - {"", change.role}
            )
        return removed
    return []


def _action(operation: dict[str, Any]) -> str:
    """``add`` / ``remove``: the API calls the field case-insensitive."""
    return str(operation.get("action") or "").lower()


def _filters(operation: dict[str, Any]) -> dict[str, Any]:
    filters = operation.get("pathFilters")
    return filters if isinstance(filters, dict) else {}


def _members(value: Any) -> list[Any]:
    """The member filter is one member as Google's examples show, or a list as its schema allows."""
    if isinstance(value, list):
        return [m for m in value if m]
    return [value] if value else []


def usage_records(
    recommendations: list[dict[str, Any]],
    *,
    canonical: Callable[[str], str],
    parse_time: Callable[[str | None], datetime | None],
    observed: datetime,
) -> list[PermissionUsage]:
    """One ``PermissionUsage`` per service account that active recommendations name.

    ``canonical`` turns ``projects/<number>`` into ``projects/<id>`` (the scope ids of the
    inventory); ``parse_time`` reads an RFC 3339 time; ``observed`` is the scan's time, used when a recommendation has no
    ``lastRefreshTime`` (when Google last computed it).
    """
    by_member: dict[str, tuple[list[RoleReplacement], list[datetime]]] = {}
    for recommendation in recommendations:
        if not _counts(recommendation):
            continue
        refreshed = parse_time(recommendation.get("lastRefreshTime"))
        for change in _binding_changes(recommendation):
            if not change.member.startswith("serviceAccount:"):
                continue  # people are counted (summary), never judged; principal sets are not identities
            match = _RESOURCE.match(change.resource)
            if match is None:
                continue  # a binding on something other than a project, folder or organization
            replacements, times = by_member.setdefault(change.member.split(":", 1)[1].lower(), ([], []))
            replacements.append(
                RoleReplacement(
                    scope_id=canonical(match.group(1)),
                    role_id=change.role,
                    replace_with=change.replace_with,
                    recommendation_id=recommendation.get("name") or None,
                )
            )
            if refreshed is not None:
                times.append(refreshed)
    return [
        PermissionUsage(
            identity_id=identity,
            source=UsageSource.GCP_RECOMMENDER,
            observed_at=max(times, default=observed),
            window_days=WINDOW_DAYS,
            replacements=replacements,
        )
        for identity, (replacements, times) in sorted(by_member.items())
    ]
