"""May this identity perform this action on this resource? An offline reading of IAM policies.

Used to find escalation edges, so it errs towards "allowed":
- an Allow with a Condition still allows, but the answer is marked ``conditional`` (whether
  the condition holds depends on the request, which we do not have);
- only Deny statements without conditions deny;
- wildcards in a resource pattern may span ``:`` and ``/`` (IAM is stricter per ARN
  segment; the looser match can only add edges, never hide one);
- a permissions boundary must also allow the action, or nothing is allowed;
- a statement whose condition can never hold at the scan's as-of (a ``DateLessThan`` on
  ``aws:CurrentTime`` already past, see ``core.trust_conditions.aws_never_holds``) is inert:
  it is dropped, neither allowing nor denying.
Service control policies and resource policies are not read here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from standing.core.trust_conditions import aws_never_holds


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


_NEVER = re.compile(r"(?!)")


@lru_cache(maxsize=65536)
def _matcher(patterns: tuple[str, ...], lower: bool) -> re.Pattern[str]:
    """One regular expression for a statement's whole pattern list (IAM globs: * and ?)."""
    if not patterns:
        return _NEVER
    return re.compile("|".join(f"(?:{fnmatch.translate(p.lower() if lower else p)})" for p in patterns))


@lru_cache(maxsize=262144)
def _action_hit(actions: tuple[str, ...], not_actions: tuple[str, ...], action: str) -> bool:
    """Statements repeat across identities that share a policy: remember each answer."""
    action = action.lower()
    if not_actions:
        return _matcher(not_actions, True).match(action) is None
    return _matcher(actions, True).match(action) is not None


@dataclass(frozen=True, slots=True)
class Statement:
    policy: str
    allow: bool
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    conditional: bool

    def _action_hit(self, action: str) -> bool:
        return _action_hit(self.actions, self.not_actions, action)

    def covers(self, action: str, resource: str) -> bool:
        if not self._action_hit(action):
            return False
        if self.not_resources:
            return _matcher(self.not_resources, False).match(resource) is None
        return _matcher(self.resources, False).match(resource) is not None

    def mentions(self, action: str) -> bool:
        """Whether the statement could apply to ``action`` on some resource."""
        return self._action_hit(action)


@dataclass(frozen=True, slots=True)
class Verdict:
    policy: str
    conditional: bool

    def describe(self, action: str, resource: str) -> str:
        when = " (under a condition)" if self.conditional else ""
        return f"{self.policy} allows {action} on {resource}{when}"


def statements(
    named_documents: Iterable[tuple[str, dict[str, Any]]], *, as_of: datetime | None = None
) -> tuple[Statement, ...]:
    """Each policy's statements; with ``as_of``, those whose condition can never hold again are left out."""
    found = []
    for name, document in named_documents:
        raw = document.get("Statement")
        for stmt in raw if isinstance(raw, list) else [raw]:
            if not isinstance(stmt, dict) or stmt.get("Effect") not in ("Allow", "Deny"):
                continue
            if as_of is not None and inert(stmt, as_of):
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


def inert(stmt: dict[str, Any], as_of: datetime) -> bool:
    """A statement whose ``Condition`` can never hold at ``as_of`` or later: it grants nothing."""
    condition = stmt.get("Condition")
    return isinstance(condition, dict) and aws_never_holds(condition, as_of) is not None


class PolicySet:
    """An identity's own statements (one chunk per policy), and its boundary's if it has one.

    Statements come in chunks, one per policy; policies are shared by many identities, so
    which statements of a chunk concern an action is worked out once per chunk and action,
    and an identity's answer is the concatenation.
    """

    __slots__ = ("chunks", "boundary", "_for_action", "_shared")

    def __init__(
        self,
        chunks: tuple[tuple[Statement, ...], ...],
        boundary: tuple[Statement, ...] | None = None,
        *,
        shared: dict[str, dict[int, tuple[Statement, ...]]] | None = None,
    ) -> None:
        self.chunks = chunks
        self.boundary = boundary
        self._for_action: dict[str, tuple[Statement, ...]] = {}
        # Relevance per action and chunk, shared by every identity holding the chunk; keyed by
        # identity of the chunk object, which its owner (the graph) keeps alive.
        self._shared = shared if shared is not None else {}

    def _chunk(self, chunk: tuple[Statement, ...], action: str) -> tuple[Statement, ...]:
        per_chunk = self._shared.setdefault(action, {})
        found = per_chunk.get(id(chunk))
        if found is None:
            found = per_chunk[id(chunk)] = tuple(s for s in chunk if s.mentions(action))
        return found

    def _relevant(self, action: str) -> tuple[Statement, ...]:
        found = self._for_action.get(action)
        if found is None:
            # The hot loop of escalation search: one dict probe per chunk, no tuple keys.
            per_chunk = self._shared.setdefault(action, {})
            gathered: list[Statement] = []
            for chunk in self.chunks:
                hit = per_chunk.get(id(chunk))
                if hit is None:
                    hit = per_chunk[id(chunk)] = tuple(s for s in chunk if s.mentions(action))
                if hit:
                    gathered.extend(hit)
            found = self._for_action[action] = tuple(gathered)
        return found

    def may(self, action: str) -> bool:
        """Cheap pre-filter: some Allow could grant ``action`` on some resource."""
        return any(s.allow for s in self._relevant(action))

    def allows(self, action: str, resource: str) -> Verdict | None:
        verdict = _decide(self._relevant(action), action, resource)
        if verdict is None or self.boundary is None:
            return verdict
        capped = _decide(self._chunk(self.boundary, action), action, resource)
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
