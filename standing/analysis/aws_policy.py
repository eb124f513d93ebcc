"""May this identity perform this action on this resource? An offline reading of IAM policies.

Used to find escalation edges, so it errs towards "allowed":
- an Allow with a Condition still allows, but the answer is marked ``conditional`` (whether
  the condition holds depends on the request, which we do not have);
- only Deny statements without conditions deny;
- a condition that holds at the scan's as-of and forever after (a ``DateGreaterThan`` on
  ``aws:CurrentTime`` already past, see ``core.trust_conditions.aws_settled``) restricts
  nothing: a statement left with no other condition is unconditional, and its Deny denies;
- an ``iam:PassedToService`` condition is read when the caller says which service the role
  is passed to (``allows(..., service=...)``): a statement naming other services does not
  apply, one naming this service applies as if that clause were not there;
- action and resource patterns are IAM globs: ``*`` and ``?`` only (a ``[`` is a literal),
  actions compared case-insensitively, resources as written; wildcards in a resource pattern
  may span ``:`` and ``/`` (IAM is stricter per ARN segment; the looser match can only add
  edges, never hide one);
- ``NotAction`` is every action but those listed, ``NotResource`` every resource but those;
- a permissions boundary must also allow the action, or nothing is allowed;
- a statement whose condition can never hold at the scan's as-of (a ``DateLessThan`` on
  ``aws:CurrentTime`` already past, see ``core.trust_conditions.aws_never_holds``) is inert:
  it is dropped, neither allowing nor denying.

Layers: a :class:`PolicySet` holds the identity's own statements (``chunks``: identity,
group and managed policies, all on one footing: any Allow grants, any firm Deny removes) and
``caps``: each further layer must also allow the action (the permissions boundary today;
a service control policy is one more cap, passed as another tuple of statements, with its
own Denies applying as it is read). Resource policies are not read here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from standing.core.trust_conditions import aws_needs_session, aws_never_holds, aws_settled


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
    return re.compile("|".join(f"(?:{glob(p.lower() if lower else p)})" for p in patterns))


def glob(pattern: str) -> str:
    """An IAM pattern as a whole-string regular expression: ``*`` any run, ``?`` one character.

    Unlike ``fnmatch``, brackets are literal: IAM has no character classes, so ``iam:[P]ut*``
    names no action at all rather than ``iam:Put*``.
    """
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return f"(?s:{body})\\Z"


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
    conditional: bool  # some condition is still open at the scan's as-of
    # Services an ``iam:PassedToService`` clause admits (IAM globs), when the statement has one
    # under a positive string operator; ``passed_only``: that clause is its only open condition.
    passed_to: tuple[str, ...] = ()
    passed_only: bool = False

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

    def applies(self, service: str | None) -> tuple[bool, bool]:
        """(whether it applies to a role passed to ``service``, whether conditionally then).

        Without a service, or without a ``PassedToService`` clause, it applies as read.
        """
        if service is None or not self.passed_to:
            return True, self.conditional
        if _matcher(self.passed_to, True).match(service.lower()) is None:
            return False, False
        return True, not self.passed_only


@dataclass(frozen=True, slots=True)
class Verdict:
    policy: str
    conditional: bool

    def describe(self, action: str, resource: str) -> str:
        when = " (under a condition)" if self.conditional else ""
        return f"{self.policy} allows {action} on {resource}{when}"


def statements(
    named_documents: Iterable[tuple[str, dict[str, Any]]],
    *,
    as_of: datetime | None = None,
    long_term: bool | None = None,
) -> tuple[Statement, ...]:
    """Each policy's statements; with ``as_of``, those whose condition can never hold again are left out.

    ``long_term``: the holder signs with a long-term key (True: an IAM user), or always with
    temporary credentials (False: a role); see :func:`inert`.
    """
    found = []
    for name, document in named_documents:
        raw = document.get("Statement")
        for stmt in raw if isinstance(raw, list) else [raw]:
            if not isinstance(stmt, dict) or stmt.get("Effect") not in ("Allow", "Deny"):
                continue
            if as_of is not None and inert(stmt, as_of, long_term=long_term):
                continue
            block = open_conditions(stmt, as_of, long_term=long_term)
            passed_to, rest = _passed_to(block)
            found.append(
                Statement(
                    policy=name,
                    allow=stmt["Effect"] == "Allow",
                    actions=tuple(_as_list(stmt.get("Action"))),
                    not_actions=tuple(_as_list(stmt.get("NotAction"))),
                    resources=tuple(_as_list(stmt.get("Resource"))),
                    not_resources=tuple(_as_list(stmt.get("NotResource"))),
                    conditional=bool(block),
                    passed_to=passed_to,
                    passed_only=bool(passed_to) and not rest,
                )
            )
    return tuple(found)


def inert(stmt: dict[str, Any], as_of: datetime, *, long_term: bool | None = None) -> bool:
    """A statement whose ``Condition`` can never hold at ``as_of`` or later: it grants nothing.

    With ``long_term`` known, also one whose condition needs the other kind of credentials
    (``core.trust_conditions.aws_needs_session``): a condition on ``aws:TokenIssueTime`` never
    holds for an IAM user's access key (the standing secret the rules judge; a session the
    user mints with ``GetSessionToken`` is not modelled), ``Null aws:TokenIssueTime true``
    never for a role.
    """
    condition = stmt.get("Condition")
    if not isinstance(condition, dict):
        return False
    if aws_never_holds(condition, as_of) is not None:
        return True
    return long_term is not None and aws_needs_session(condition) is long_term


def open_conditions(stmt: dict[str, Any], as_of: datetime | None, *, long_term: bool | None = None) -> dict[str, Any]:
    """The statement's condition clauses still open at ``as_of`` (all of them without one).

    A clause settled for good (an activation date already past) is no condition any more; a
    ``Condition`` that is present but not a block is kept whole, read as some condition.
    """
    condition = stmt.get("Condition")
    if condition is None:
        return {}
    if not isinstance(condition, dict):
        return {"Condition": condition}
    return aws_settled(condition, as_of, long_term=long_term) if as_of is not None else dict(condition)


_PASSED_TO_OPERATORS = ("StringEquals", "StringLike", "StringEqualsIgnoreCase", "ForAnyValue:StringEquals")


def _passed_to(block: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The services an ``iam:PassedToService`` clause admits, and the rest of the block.

    Only positive string operators are read (``StringEquals`` takes ``*`` literally, but no
    service principal contains one, so reading it as a glob changes nothing); a negated or
    ``IfExists`` clause stays an ordinary open condition.
    """
    services: list[str] = []
    rest: dict[str, Any] = {}
    for operator, entries in block.items():
        if operator not in _PASSED_TO_OPERATORS or not isinstance(entries, dict):
            rest[operator] = entries
            continue
        kept = {}
        for key, value in entries.items():
            if str(key).lower() == "iam:passedtoservice" and not services and _as_list(value):
                services = _as_list(value)
            else:
                kept[key] = value
        if kept:
            rest[operator] = kept
    return tuple(services), rest


class PolicySet:
    """An identity's own statements (one chunk per policy), and the layers that cap them.

    Statements come in chunks, one per policy; policies are shared by many identities, so
    which statements of a chunk concern an action is worked out once per chunk and action,
    and an identity's answer is the concatenation.

    ``boundary`` is the permissions boundary; ``caps`` are further layers read the same way
    (a service control policy arrives as one more): each must allow the action as well, and
    a firm Deny in any of them denies. Adding a layer is passing one more tuple of statements
    in ``caps``; nothing else here changes.
    """

    __slots__ = ("chunks", "boundary", "caps", "_for_action", "_shared")

    def __init__(
        self,
        chunks: tuple[tuple[Statement, ...], ...],
        boundary: tuple[Statement, ...] | None = None,
        *,
        caps: tuple[tuple[Statement, ...], ...] = (),
        shared: dict[str, dict[int, tuple[Statement, ...]]] | None = None,
    ) -> None:
        self.chunks = chunks
        self.boundary = boundary
        self.caps = ((boundary,) if boundary is not None else ()) + tuple(caps)
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

    def allows(self, action: str, resource: str, *, service: str | None = None) -> Verdict | None:
        """Whether ``action`` on ``resource`` is allowed; ``service``: the role is passed to it."""
        verdict = _decide(self._relevant(action), action, resource, service)
        for layer in self.caps:
            if verdict is None:
                return None
            capped = _decide(self._chunk(layer, action), action, resource, service)
            if capped is None:
                return None
            verdict = Verdict(verdict.policy, verdict.conditional or capped.conditional)
        return verdict


def _decide(stmts: tuple[Statement, ...], action: str, resource: str, service: str | None) -> Verdict | None:
    allowed: Verdict | None = None
    for stmt in stmts:
        if not stmt.covers(action, resource):
            continue
        applies, conditional = stmt.applies(service)
        if not applies:
            continue
        if not stmt.allow:
            if not conditional:
                return None
            continue
        if allowed is None or (allowed.conditional and not conditional):
            allowed = Verdict(stmt.policy, conditional)
    return allowed
