"""How much an AWS policy lets its holder do, judged against the action catalogue.

The scale is the one leadership and remediation care about: can it do anything (admin),
can it grant itself more (privilege management, i.e. IAM write on every resource), can it
change things (write), or only look (read). Deny statements without conditions that cover
every resource are honoured (``Action``, or ``NotAction``: every action but those); conditional
denies are not, because whether they bite depends on request context we do not have. A
statement whose condition can never hold at the scan's as-of (a ``DateLessThan
aws:CurrentTime`` already past) is inert: it grants nothing; one whose only condition is
settled for good (a ``DateGreaterThan`` already past) is read as unconditional.

``iam:PassRole`` alone is not privilege management: handing a role to a service matters only
when the holder can also launch that service and the role trusts it, which is an escalation
hop judged per role (``analysis.escalation``). The level is what the rest of the policy grants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from functools import lru_cache
from typing import Any

from standing.analysis import catalogue
from standing.analysis.aws_policy import glob, inert, open_conditions
from standing.analysis.catalogue import AccessLevel, CatalogueAction


class PrivilegeLevel(IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    PRIVILEGE_MANAGEMENT = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True)
class PrivilegeAssessment:
    level: PrivilegeLevel
    evidence: tuple[str, ...] = field(default=())

    @staticmethod
    def strongest(assessments: Iterable[PrivilegeAssessment]) -> PrivilegeAssessment:
        items = list(assessments)
        if not items:
            return PrivilegeAssessment(PrivilegeLevel.NONE)
        top = max(a.level for a in items)
        evidence = tuple(e for a in items if a.level == top for e in a.evidence)
        return PrivilegeAssessment(top, evidence)


NONE = PrivilegeAssessment(PrivilegeLevel.NONE)
_SAMPLE = 4


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_broad(resource: str) -> bool:
    """A resource pattern that covers every resource of its type or more."""
    if resource == "*":
        return True
    if not resource.endswith("*"):
        return False
    tail = resource.rsplit(":", 1)[-1]
    return tail == "*" or (tail.endswith("/*") and "*" not in tail[:-2] and "/" not in tail[:-2])


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def _matches(patterns: list[str], action: CatalogueAction) -> bool:
    return _hit(tuple(p.lower() if ":" in p else "*:*" for p in patterns), action.qualified.lower())


@lru_cache(maxsize=65536)
def _hit(patterns: tuple[str, ...], name: str) -> bool:
    """Whether a lower-cased action name matches one of lower-cased IAM action globs."""
    return any(re.match(glob(p), name) for p in patterns)


@dataclass
class _Allowed:
    admin: list[str] = field(default_factory=list)
    iam_write: dict[str, str] = field(default_factory=dict)  # action -> policy name
    writes: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)


_IAM_WRITE = (AccessLevel.WRITE, AccessLevel.PERMISSIONS_MANAGEMENT)
# IAM "write" actions that grant nothing by themselves: passing a role is a hop, not a grant.
_ONLY_A_HOP = frozenset({"iam:passrole"})


def _grants_privilege(action: CatalogueAction) -> bool:
    return (
        action.service == "iam"
        and bool(action.levels & set(_IAM_WRITE))
        and action.qualified.lower() not in _ONLY_A_HOP
    )


def _iam_write_actions() -> tuple[CatalogueAction, ...]:
    return tuple(a for a in catalogue.service_actions("iam") if _grants_privilege(a))


def assess_aws_policies(
    named_documents: Iterable[tuple[str, dict[str, Any]]],
    *,
    as_of: datetime | None = None,
    long_term: bool | None = None,
) -> PrivilegeAssessment:
    """Combine every policy an identity holds: what one allows, another's deny can take away."""
    return combine(
        [contribution(name, [document], as_of=as_of, long_term=long_term) for name, document in named_documents]
    )


@dataclass(frozen=True)
class Contribution:
    """What one policy allows and denies, before it is combined with the identity's others.

    Many identities share a policy; callers may compute this once per policy and reuse it.
    """

    allowed: _Allowed
    denied: tuple[str, ...]
    denied_except: tuple[tuple[str, ...], ...] = ()  # Deny NotAction: every action but these


def contribution(
    name: str, documents: Iterable[dict[str, Any]], *, as_of: datetime | None = None, long_term: bool | None = None
) -> Contribution:
    """With ``as_of``, statements whose condition can never hold again are left out (inert);
    ``long_term`` says whether the holder signs with a long-term key (see ``aws_policy.inert``)."""
    allowed = _Allowed()
    denied: list[str] = []
    denied_except: list[tuple[str, ...]] = []
    for document in documents:
        for stmt in _statements(document):
            if as_of is not None and inert(stmt, as_of, long_term=long_term):
                continue
            effect = stmt.get("Effect")
            resources = [str(r) for r in _as_list(stmt.get("Resource"))]
            broad = any(_is_broad(r) for r in resources) or "NotResource" in stmt
            actions = [str(a) for a in _as_list(stmt.get("Action"))]
            if effect == "Deny":
                if broad and not open_conditions(stmt, as_of, long_term=long_term):
                    if "NotAction" in stmt:
                        denied_except.append(tuple(str(a) for a in _as_list(stmt.get("NotAction"))))
                    else:
                        denied.extend(actions)
                continue
            if effect != "Allow":
                continue
            if "NotAction" in stmt:
                _allow_not_action(name, stmt, broad, allowed)
                continue
            for pattern in actions:
                _allow(name, pattern, broad, allowed)
    return Contribution(allowed, tuple(denied), tuple(denied_except))


def combine(parts: Iterable[Contribution]) -> PrivilegeAssessment:
    allowed = _Allowed()
    denies = _Denies()
    for part in parts:
        allowed.admin.extend(part.allowed.admin)
        for action, policy in part.allowed.iam_write.items():
            allowed.iam_write.setdefault(action, policy)
        allowed.writes.extend(part.allowed.writes)
        allowed.reads.extend(part.allowed.reads)
        denies.patterns.extend(part.denied)
        denies.all_but.extend(part.denied_except)
    return _judge(allowed, denies)


@dataclass
class _Denies:
    """Firm denies on every resource: actions named, and "all but" lists from ``NotAction``."""

    patterns: list[str] = field(default_factory=list)
    all_but: list[tuple[str, ...]] = field(default_factory=list)

    def __call__(self, qualified: str) -> bool:
        name = qualified.lower()
        if _hit(_lowered(self.patterns), name):
            return True
        return any(not _hit(_lowered(kept), name) for kept in self.all_but)


def _lowered(patterns: Iterable[str]) -> tuple[str, ...]:
    return tuple("*:*" if p.strip() == "*" else p.lower() for p in patterns)


def _allow(policy: str, pattern: str, broad: bool, allowed: _Allowed) -> None:
    if pattern.strip() in ("*", "*:*"):
        if broad:
            allowed.admin.append(f"{policy} allows '*' on '*'")
        else:
            allowed.writes.append(f"{policy} allows '*' on specific resources")
        return
    iam_write, mutating, known = _profile(pattern)
    if broad:
        for action in iam_write:
            allowed.iam_write.setdefault(action, policy)
    if mutating:
        allowed.writes.append(f"{policy} allows {pattern}")
    elif known:
        allowed.reads.append(f"{policy} allows {pattern}")


@lru_cache(maxsize=65536)
def _profile(pattern: str) -> tuple[tuple[str, ...], bool, bool]:
    """(IAM write actions it matches, whether it matches any mutating action, any action at all)."""
    matched = catalogue.expand(pattern)
    iam_write = tuple(a.qualified for a in matched if _grants_privilege(a))
    return iam_write, any(a.mutating for a in matched), bool(matched)


def _allow_not_action(policy: str, stmt: dict[str, Any], broad: bool, allowed: _Allowed) -> None:
    excluded = [str(a) for a in _as_list(stmt.get("NotAction"))]
    iam_left = [a for a in _iam_write_actions() if not _matches(excluded, a)]
    if broad and iam_left and not any(p.lower().startswith(("iam:", "*")) for p in excluded):
        allowed.admin.append(f"{policy} allows every action except {', '.join(excluded)} on '*'")
    elif broad:
        for action in iam_left:
            allowed.iam_write.setdefault(action.qualified, policy)
        allowed.writes.append(f"{policy} allows every action except {', '.join(excluded)}")
    else:
        allowed.writes.append(f"{policy} allows every action except {', '.join(excluded)}")


def _judge(allowed: _Allowed, denied: _Denies) -> PrivilegeAssessment:
    if any(p.strip() in ("*", "*:*") for p in denied.patterns):
        return NONE  # a firm Deny of every action on every resource: nothing is left
    iam_write = {a: p for a, p in allowed.iam_write.items() if not denied(a)}
    if allowed.admin:
        denied_iam = [a for a in _iam_write_actions() if denied(a.qualified)]
        if not denied_iam and not denied.all_but:
            return PrivilegeAssessment(PrivilegeLevel.ADMIN, tuple(allowed.admin))
        iam_write.update({a.qualified: "'*'" for a in _iam_write_actions() if not denied(a.qualified)})
    if iam_write:
        names = sorted(iam_write)
        more = f" (+{len(names) - _SAMPLE} more)" if len(names) > _SAMPLE else ""
        policies = ", ".join(sorted(set(iam_write.values())))
        return PrivilegeAssessment(
            PrivilegeLevel.PRIVILEGE_MANAGEMENT,
            (f"{policies} allows IAM write on '*': {', '.join(names[:_SAMPLE])}{more}",),
        )
    if allowed.admin:
        return PrivilegeAssessment(PrivilegeLevel.WRITE, tuple(f"{a}, but IAM write is denied" for a in allowed.admin))
    if allowed.writes:
        return PrivilegeAssessment(PrivilegeLevel.WRITE, tuple(allowed.writes[:_SAMPLE]))
    if allowed.reads:
        return PrivilegeAssessment(PrivilegeLevel.READ, tuple(allowed.reads[:_SAMPLE]))
    return NONE


def cap(assessment: PrivilegeAssessment, boundary: PrivilegeAssessment) -> PrivilegeAssessment:
    """A permissions boundary limits what the identity's own policies can grant."""
    if boundary.level >= assessment.level:
        return assessment
    return PrivilegeAssessment(
        boundary.level,
        assessment.evidence + (f"capped by permissions boundary at {boundary.level.label}",),
    )
