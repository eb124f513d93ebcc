"""Which finding to fix first: blast radius, a risk score, and the estate's exposure.

Severity says how bad a kind of problem is; risk says how bad this instance is: what the
identity can reach (directly and through escalation hops), whether that includes admin or
sensitive data, how old its standing secrets are, and whether outsiders can get in.

Score, 0 to 100, documented so a reader can recompute it:
    severity base     critical 40, high 28, medium 16, low 8, info 0
    + 25  the identity is admin-equivalent or has a path to admin
    + 15  it holds a live long-lived secret
    + 0..10  age of its oldest live secret, 1 point per 36.5 days
    + 10  a trust admits outsiders (any principal, a foreign account, an unpinned OIDC subject)
    + 5   it can reach sensitive data (secrets, keys, storage, databases, AI models)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import Hop, HopKind
from standing.analysis.privilege import PrivilegeLevel
from standing.analysis.providers import sensitive_kinds
from standing.analysis.sensitive import KINDS
from standing.core.facts import admits_anyone, days_since, is_standing_secret
from standing.core.findings import BlastRadius, Exposure, Finding, Severity
from standing.core.traits import Trait

_BASE = {Severity.CRITICAL: 40, Severity.HIGH: 28, Severity.MEDIUM: 16, Severity.LOW: 8, Severity.INFO: 0}
# A blast radius beyond this many identities is reported as "at least this many": the
# difference changes no decision, and an unbounded search is quadratic on dense estates.
MAX_REACHABLE = 500


@dataclass
class RiskModel:
    graph: PrivilegeGraph
    now: datetime
    # Days a granted permission must go unused to be dropped: the rule permissions-unused's
    # setting, so a plan never drops what the findings beside it do not call unused.
    usage_window_days: int = 90

    def __post_init__(self) -> None:
        # Only hops into an identity widen a blast radius (not those into admin or a vault).
        # source -> the identities one hop away, each once; target -> who reaches it by taking
        # over compute running as it.
        following: dict[str, dict[str, None]] = {}
        self._compute_sources: dict[str, set[str]] = {}
        self._from: dict[str, list[Hop]] = {}
        for hop in self.graph.escalation_hops:
            self._from.setdefault(hop.source, []).append(hop)
            if self.graph.identity(hop.target) is not None:
                following.setdefault(hop.source, {})[hop.target] = None
                if hop.kind is HopKind.EXISTING_COMPUTE:
                    self._compute_sources.setdefault(hop.target, set()).add(hop.source)
        self._next = {source: tuple(sorted(targets)) for source, targets in following.items()}
        # Identities one hop from the same ones reach the same: searched once per set of them.
        self._beyond: dict[tuple[str, ...], frozenset[str] | None] = {}
        self._reach_accounts: dict[tuple[str, ...], frozenset[str]] = {}
        self._reach_kinds: dict[tuple[str, ...], frozenset[str]] = {}
        self._blast: dict[str, BlastRadius] = {}
        self._kinds: dict[str, frozenset[str]] = {}
        self._secrets: dict[str, tuple[bool, int]] = {}

    def reaches_admin(self, identity_id: str) -> bool:
        return (
            self.graph.privilege_of(identity_id).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT
            or identity_id in self.graph.paths_to_admin
        )

    def hops_from(self, identity_id: str) -> tuple[Hop, ...]:
        """The escalation hops that start at it: what it reaches beyond its own grants."""
        return tuple(self._from.get(identity_id, ()))

    def blast_radius(self, identity_id: str) -> BlastRadius:
        if identity_id not in self._blast:
            self._blast[identity_id] = self._compute(identity_id)
        return self._blast[identity_id]

    def _compute(self, identity_id: str) -> BlastRadius:
        targets = self._next.get(identity_id, ())
        if targets not in self._beyond:
            self._beyond[targets] = self._closure(targets)
        beyond = self._beyond[targets]
        if beyond is None or len(beyond) + (identity_id not in beyond) > MAX_REACHABLE + 1:
            return self._truncated(identity_id)
        # Every identity reached was searched from, so compute running as a reached one counts
        # when anything reached (or the identity itself) can take it over.
        seen = beyond | {identity_id}
        runs_code_as = {
            t for t in beyond if t != identity_id and not self._compute_sources.get(t, frozenset()).isdisjoint(seen)
        }
        return self._radius(identity_id, seen, False, runs_code_as, shared=targets)

    def _closure(self, start: tuple[str, ...]) -> frozenset[str] | None:
        """Every identity reachable from ``start`` (included), or None past the size limit."""
        seen, queue = set(start), deque(start)
        while queue:
            for target in self._next.get(queue.popleft(), ()):
                if target not in seen:
                    if len(seen) > MAX_REACHABLE + 1:
                        return None
                    seen.add(target)
                    queue.append(target)
        return frozenset(seen)

    def _truncated(self, identity_id: str) -> BlastRadius:
        """Beyond the limit: the first identities a breadth-first search meets, in hop order."""
        seen, queue, truncated = {identity_id}, deque([identity_id]), False
        runs_code_as: set[str] = set()
        while queue and not truncated:
            for hop in self._from.get(queue.popleft(), ()):  # every hop from it, in hop order
                target = hop.target
                if self.graph.identity(target) is None:
                    continue  # into admin or a vault: widens no blast radius
                if hop.kind is HopKind.EXISTING_COMPUTE and target != identity_id:
                    runs_code_as.add(target)  # also when it was first reached another way
                if target not in seen:
                    if len(seen) > MAX_REACHABLE:
                        truncated = True
                        break
                    seen.add(target)
                    queue.append(target)
        return self._radius(identity_id, seen, truncated, runs_code_as)

    def _radius(
        self,
        identity_id: str,
        seen: set[str] | frozenset[str],
        truncated: bool,
        runs_code_as: set[str],
        shared: tuple[str, ...] | None = None,
    ) -> BlastRadius:
        """``shared``: the first hops whose reach ``seen`` is (with the identity): the accounts
        and data kinds of that reach are gathered once for every identity sharing it."""
        reachable = sorted(seen - {identity_id})
        admin = self.reaches_admin(identity_id)
        if shared is None:
            accounts = self._accounts([identity_id, *reachable])
            sensitive = sorted(KINDS) if admin else self._sensitive([identity_id, *reachable])
        else:
            accounts = self._shared_accounts(shared) | self._accounts([identity_id])
            sensitive = sorted(KINDS) if admin else sorted(self._shared_kinds(shared) | self._sensitive_of(identity_id))
        # Built here from the graph's own ids: nothing to validate (a dense estate makes 100,000).
        return BlastRadius.model_construct(
            reachable=reachable,
            truncated=truncated,
            reaches_admin=admin,
            accounts=sorted(accounts),
            sensitive=sensitive,
            runs_code_as=sorted(runs_code_as & set(reachable)),
        )

    def _accounts(self, identity_ids: Iterable[str]) -> set[str]:
        return {m.account for i in identity_ids if (m := self.graph.identity(i)) is not None}

    def _shared_accounts(self, targets: tuple[str, ...]) -> set[str]:
        if targets not in self._reach_accounts:
            self._reach_accounts[targets] = frozenset(self._accounts(self._beyond[targets] or ()))
        return set(self._reach_accounts[targets])

    def _shared_kinds(self, targets: tuple[str, ...]) -> frozenset[str]:
        if targets not in self._reach_kinds:
            self._reach_kinds[targets] = frozenset(self._sensitive(list(self._beyond[targets] or ())))
        return self._reach_kinds[targets]

    def _sensitive(self, identity_ids: list[str]) -> list[str]:
        found: set[str] = set()
        for identity_id in identity_ids:
            found |= self._sensitive_of(identity_id)
        return sorted(found)

    def _sensitive_of(self, identity_id: str) -> frozenset[str]:
        if identity_id not in self._kinds:
            identity = self.graph.identity(identity_id)
            self._kinds[identity_id] = sensitive_kinds(self.graph, identity) if identity else frozenset()
        return self._kinds[identity_id]

    def secrets_of(self, identity_id: str) -> tuple[bool, int]:
        """Whether an identity holds a live long-lived secret, and the age in days of its oldest one.

        Computed once per identity: findings about one identity (one per key of a user holding
        20,000) each read it, and re-reading every secret per finding made the gate quadratic.
        """
        if identity_id not in self._secrets:
            secrets = [c for c in self.graph.credentials_of(identity_id) if is_standing_secret(c)]
            oldest = max((days_since(c.created, self.now) for c in secrets if c.created), default=0)
            self._secrets[identity_id] = (bool(secrets), oldest)
        return self._secrets[identity_id]

    def score(self, finding: Finding, outsider_identities: set[str]) -> int:
        holds_secret, oldest = self.secrets_of(finding.identity)
        blast = self.blast_radius(finding.identity)
        total = (
            _BASE[finding.severity]
            + (25 if blast.reaches_admin else 0)
            + (15 if holds_secret else 0)
            + min(10, int(oldest / 36.5))
            + (10 if finding.identity in outsider_identities else 0)
            + (5 if blast.sensitive else 0)
        )
        return min(100, total)

    def exposure(self, *, without_secrets_of: frozenset[str] | set[str] = frozenset()) -> Exposure:
        """``without_secrets_of``: holders whose secrets a plan removes (what-if for a roadmap).

        Removing a secret changes no escalation hop (hops come from policies and trusts), so
        the what-if needs no new graph.
        """
        standing = admin = standing_days = admin_days = 0
        admin_holders: dict[str, bool] = {}  # per identity, not per secret
        for cred in self.graph.credentials():
            if not is_standing_secret(cred) or cred.identity_id in without_secrets_of:
                continue
            age = days_since(cred.created, self.now) if cred.created else 0
            standing += 1
            standing_days += age
            if cred.identity_id not in admin_holders:
                admin_holders[cred.identity_id] = self.reaches_admin(cred.identity_id)
            if admin_holders[cred.identity_id]:
                admin += 1
                admin_days += age
        return Exposure(
            standing_secrets=standing,
            standing_secret_days=standing_days,
            admin_secrets=admin,
            admin_secret_days=admin_days,
        )


def enrich(findings: list[Finding], model: RiskModel, *, traits_of: Callable[[str], frozenset[Trait]]) -> list[Finding]:
    """Attach blast radius and risk to every finding; rank worst first.

    ``traits_of``: what a rule id's findings mean (``standing.rules.registry.traits_of``); an
    identity with a finding that ``ADMITS_OUTSIDERS`` counts as reachable from outside, and so
    does one whose trust admits anyone, whether or not that rule ran.
    """
    outsiders = {f.identity for f in findings if Trait.ADMITS_OUTSIDERS in traits_of(f.rule_id)}
    outsiders |= {
        i.id for i in model.graph.identities() if any(admits_anyone(t) for t in model.graph.trusts_into(i.id))
    }
    enriched = [
        f.model_copy(update={"blast_radius": model.blast_radius(f.identity), "risk": model.score(f, outsiders)})
        for f in findings
    ]
    return sorted(enriched, key=lambda f: (-f.severity.rank, -(f.risk or 0), f.rule_id, f.subject, f.fingerprint))
