"""May this identity perform this action on this resource? An offline reading of IAM policies.

Used to find escalation edges, so it errs towards "allowed":
- an Allow with a Condition still allows, but the answer is marked ``conditional`` (whether
  the condition holds depends on the request, which we do not have);
- only Deny statements without conditions deny;
- wildcards in a resource pattern may span ``:`` and ``/`` (IAM is stricter per ARN
  segment; the looser match can only add edges, never hide one);
- a permissions boundary must also allow the action, or nothing is allowed.
Service control policies and resource policies are not read here.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


@lru_cache(maxsize=65536)
def _compiled(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(fnmatch.translate(pattern)).match


def _action_matches(patterns: Iterable[str], action: str) -> bool:
    action = action.lower()
    return any(_compiled(p.lower())(action) for p in patterns)


def _resource_matches(patterns: Iterable[str], resource: str) -> bool:
    return any(_compiled(p)(resource) for p in patterns)


@dataclass(frozen=True, slots=True)
class Statement:
    policy: str
    allow: bool
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    conditional: bool

    def covers(self, action: str, resource: str) -> bool:
        if self.not_actions:
            if _action_matches(self.not_actions, action):
                return False
        elif not _action_matches(self.actions, action):
            return False
        if self.not_resources:
            return not _resource_matches(self.not_resources, resource)
        return _resource_matches(self.resources, resource)

    def mentions(self, action: str) -> bool:
        """Whether the statement could apply to ``action`` on some resource."""
        if self.not_actions:
            return not _action_matches(self.not_actions, action)
        return _action_matches(self.actions, action)


@dataclass(frozen=True, slots=True)
class Verdict:
    policy: str
    conditional: bool

    def describe(self, action: str, resource: str) -> str:
        when = " (under a condition)" if self.conditional else ""
        return f"{self.policy} allows {action} on {resource}{when}"


def statements(named_documents: Iterable[tuple[str, dict[str, Any]]]) -> tuple[Statement, ...]:
    found = []
    for name, document in named_documents:
        raw = document.get("Statement")
        for stmt in raw if isinstance(raw, list) else [raw]:
            if not isinstance(stmt, dict) or stmt.get("Effect") not in ("Allow", "Deny"):
                continue
            found.append(
                Statement(
                    policy=name,
                    allow=stmt["Effect"] == "Allow",
                    actions=tuple(_as_list(stmt.get("Action"))),
                    not_actions=tuple(_as_list(stmt.get("NotAction"))),
                    resources=tuple(_as_list(stmt.get("Resource"))),
                    not_resources=tuple(_as_list(stmt.get("NotResource"))),
                    conditional="Condition" in stmt,
                )
            )
    return tuple(found)


@dataclass(frozen=True)
class PolicySet:
    """An identity's own statements, and its boundary's if it has one."""

    own: tuple[Statement, ...]
    boundary: tuple[Statement, ...] | None = None

    def may(self, action: str) -> bool:
        """Cheap pre-filter: some Allow could grant ``action`` on some resource."""
        return any(s.allow and s.mentions(action) for s in self.own)

    def allows(self, action: str, resource: str) -> Verdict | None:
        verdict = _decide(self.own, action, resource)
        if verdict is None or self.boundary is None:
            return verdict
        capped = _decide(self.boundary, action, resource)
        if capped is None:
            return None
        return Verdict(verdict.policy, verdict.conditional or capped.conditional)


def _decide(stmts: tuple[Statement, ...], action: str, resource: str) -> Verdict | None:
    allowed: Verdict | None = None
    for stmt in stmts:
        if not stmt.covers(action, resource):
            continue
        if not stmt.allow:
            if not stmt.conditional:
                return None
            continue
        if allowed is None or (allowed.conditional and not stmt.conditional):
            allowed = Verdict(stmt.policy, stmt.conditional)
    return allowed
