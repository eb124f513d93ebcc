"""Which of many candidate resources a source's policy lets it act on, in time proportional to the matches.

Shared by the AWS hop finders (``escalation`` for identities, ``escalation_compute`` for
workloads): both ask "on which of these thousands of ARNs may this identity perform this
action". Policies are shared by many identities, so each statement is matched against a
candidate list once and the match is reused by every identity holding it; most ARNs pin the
account, so a statement is only matched against the candidates of the accounts it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from standing.analysis.aws_policy import PolicySet, Statement, Verdict


class Targetable(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def account(self) -> str: ...


T = TypeVar("T", bound=Targetable)


class TargetMatcher:
    """Caches, per statement, action and candidate list, the candidates the statement covers."""

    def __init__(self) -> None:
        self._matches: dict[tuple[int, str, object], list[object]] = {}
        self._by_account: dict[object, dict[str, list[object]]] = {}
        self._verdicts: dict[int, Verdict] = {}

    def _narrow(self, stmt: Statement, candidates: Sequence[T], key: object) -> Sequence[T]:
        """Only the candidates in the accounts a statement names."""
        if stmt.not_resources:
            return candidates
        accounts = set()
        for resource in stmt.resources:
            parts = resource.split(":")
            if len(parts) < 6 or any(ch in parts[4] for ch in "*?"):
                return candidates  # "*", or a wildcard account: every candidate may match
            accounts.add(parts[4])
        if key not in self._by_account:
            grouped: dict[str, list[object]] = {}
            for target in candidates:
                grouped.setdefault(target.account, []).append(target)
            self._by_account[key] = grouped
        grouped_t: dict[str, list[T]] = self._by_account[key]  # type: ignore[assignment]
        return [t for account in sorted(accounts) for t in grouped_t.get(account, [])]

    def verdict(self, stmt: Statement) -> Verdict:
        """One verdict object per statement, so reasons built from it can be shared too."""
        found = self._verdicts.get(id(stmt))
        if found is None:
            found = self._verdicts[id(stmt)] = Verdict(stmt.policy, stmt.conditional)
        return found

    def targets(
        self, policy: PolicySet, action: str, key: object, candidates: Sequence[T], skip: str = ""
    ) -> Iterable[tuple[T, Verdict]]:
        """Candidates ``policy`` allows ``action`` on (``key`` names the candidate list), with the verdict for each.

        Usually every statement that mentions the action is an unconditional Allow and no
        boundary applies: then the first statement matching a target is the verdict, the
        same one ``allows`` would reach, and the full check per target is skipped.
        """
        relevant = policy._relevant(action)
        plain = not policy.caps and all(s.allow and not s.conditional for s in relevant)
        seen: set[str] = {skip}
        for stmt in relevant:
            if not stmt.allow:
                continue
            memo = (id(stmt), action, key)
            if memo not in self._matches:
                self._matches[memo] = [t for t in self._narrow(stmt, candidates, key) if stmt.covers(action, t.id)]
            shared = self.verdict(stmt) if plain else None
            hits: list[T] = self._matches[memo]  # type: ignore[assignment]
            for target in hits:
                if target.id in seen:
                    continue
                seen.add(target.id)
                verdict = shared or policy.allows(action, target.id)
                if verdict is not None:
                    yield target, verdict
