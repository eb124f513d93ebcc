"""The privilege graph: who holds what credential, who can become whom, what role on which scope.

Rules ask it questions ("credentials of", "grants of, through groups too", "who can
assume") instead of walking raw records. Derived facts (privilege level of an identity,
escalation hops, paths to admin) are computed here, offline, and cached; who can become
whom is a ``networkx.DiGraph`` of those hops (``escalation_network``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

import networkx as nx

from standing.analysis.aws_policy import PolicySet, Statement, statements
from standing.analysis.privilege import (
    NONE,
    Contribution,
    PrivilegeAssessment,
    PrivilegeLevel,
    cap,
    combine,
    contribution,
)
from standing.analysis.providers import profile
from standing.analysis.workloads import WorkloadJudgement, judge_workload
from standing.core.facts import is_standing_secret
from standing.core.model import (
    Credential,
    FederationProvider,
    Grant,
    GrantDuration,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    Role,
    Scope,
    ScopeKind,
    Trust,
)

if TYPE_CHECKING:
    from standing.analysis.hops import Hop


class PrivilegeGraph:
    """Per-identity indexes for the hot questions, and derived facts cached once.

    Rules, escalation search and risk ask "credentials of", "grants of" and "trusts into"
    millions of times on a large estate; plain dicts answer that directly. Only who can
    become whom is a graph walked by graph algorithms (``escalation_network``): a million
    grant edges in networkx cost time and a gigabyte and answered no question.

    ``as_of`` is the scan's time (the command line's ``now``, passed down by
    ``rules.analyse``; the inventory's scan start when no one says): a policy statement or a
    trust whose time condition can never hold again at that time grants nothing, and is left
    out of every answer. The graph never reads the wall clock.
    """

    def __init__(self, inventory: Inventory, *, as_of: datetime | None = None) -> None:
        self.inventory = inventory
        self.as_of = as_of if as_of is not None else inventory.meta.started_at
        self._scopes = {s.id: s for s in inventory.scopes}
        self._roles = {r.id: r for r in inventory.roles}
        self._identities = {i.id: i for i in inventory.identities}
        self._identity_list = list(self._identities.values())
        self._credentials: dict[str, list[Credential]] = {}
        for cred in inventory.credentials:
            self._credentials.setdefault(cred.identity_id, []).append(cred)
        self._groups: dict[str, list[str]] = {}
        for m in inventory.memberships:
            self._groups.setdefault(m.member_id, []).append(m.group_id)
        self._grants: dict[str, list[Grant]] = {}
        for grant in inventory.grants:
            self._grants.setdefault(grant.principal_id, []).append(grant)
        self._trusts: dict[str, list[Trust]] = {}
        self._lapsed: dict[str, list[Trust]] = {}
        for trust in inventory.trusts:
            # A trust whose conditions can never hold again admits nobody (only a condition is parsed).
            lapsed = bool(trust.conditions) and trust.condition.lapsed(self.as_of)
            (self._lapsed if lapsed else self._trusts).setdefault(trust.target_id, []).append(trust)
        self._privilege: dict[str, PrivilegeAssessment] = {}
        self._contributions: dict[tuple[str, bool | None], Contribution] = {}
        self._policy_sets: dict[str, PolicySet] = {}
        self._role_statements: dict[tuple[str, bool | None], tuple[Statement, ...]] = {}
        self._relevance: dict[str, dict[int, tuple[Statement, ...]]] = {}
        self._workloads: dict[str, WorkloadJudgement] = {}

    # -- records -------------------------------------------------------------------------
    def identities(self) -> Iterator[Identity]:
        return iter(self._identity_list)

    def credentials(self) -> Iterator[Credential]:
        return iter(self.inventory.credentials)

    def identity(self, identity_id: str) -> Identity | None:
        return self._identities.get(identity_id)

    def role(self, role_id: str) -> Role | None:
        return self._roles.get(role_id)

    def scope(self, scope_id: str) -> Scope | None:
        return self._scopes.get(scope_id)

    @cached_property
    def federation(self) -> dict[str, FederationProvider]:
        return {fp.id: fp for fp in self.inventory.federation}

    @cached_property
    def known_accounts(self) -> frozenset[str]:
        """Accounts this scan covers (an organization's members are not "external")."""
        return frozenset(
            s.id.rsplit(":", 1)[-1] for s in self.inventory.scopes if s.kind is ScopeKind.ACCOUNT
        ) | frozenset(i.account for i in self.inventory.identities)

    # -- edges -----------------------------------------------------------------------------
    def credentials_of(self, identity_id: str) -> list[Credential]:
        return list(self._credentials.get(identity_id, ()))

    def standing_secrets_of(self, identity_id: str) -> list[str]:
        """Ids of the live long-lived secrets an identity holds, sorted."""
        return sorted(c.id for c in self._credentials.get(identity_id, ()) if is_standing_secret(c))

    def groups_of(self, identity_id: str) -> list[str]:
        return list(self._groups.get(identity_id, ()))

    def grants_of(self, identity_id: str, *, inherited: bool = True) -> list[Grant]:
        """Direct grants, plus those held through group membership."""
        grants = list(self._grants.get(identity_id, ()))
        if inherited:
            for group_id in self._groups.get(identity_id, ()):
                grants.extend(self._grants.get(group_id, ()))
        return grants

    def standing_grants_of(self, identity_id: str) -> list[Grant]:
        """Grants in force all the time: not PIM-eligible, not ending with a condition."""
        return [g for g in self.grants_of(identity_id) if g.duration is GrantDuration.STANDING]

    def trusts_into(self, identity_id: str) -> list[Trust]:
        """Trusts that can admit someone at the scan's as-of (lapsed ones are ``lapsed_trusts_into``)."""
        return list(self._trusts.get(identity_id, ()))

    def lapsed_trusts_into(self, identity_id: str) -> list[Trust]:
        """Trusts whose time conditions can never hold again: kept as facts, admitting nobody."""
        return list(self._lapsed.get(identity_id, ()))

    # -- derived ---------------------------------------------------------------------------
    def workload_of(self, identity_id: str) -> WorkloadJudgement:
        """The collector's workload kind, else one inferred from tags, roles held and name."""
        if identity_id not in self._workloads:
            identity = self._identities[identity_id]
            # A generator: roles are looked up only when tags and the collector could not tell.
            roles = (r for g in self.grants_of(identity_id) if (r := self.role(g.role_id)) is not None)
            self._workloads[identity_id] = judge_workload(identity, roles)
        return self._workloads[identity_id]

    @cached_property
    def escalation_hops(self) -> list[Hop]:
        """Every way one identity can become, or empower, another (see ``escalation``)."""
        from standing.analysis.escalation import all_hops

        return all_hops(self)

    @cached_property
    def escalation_network(self) -> nx.DiGraph:
        """Identities joined by escalation hops (one per ordered pair, unconditional preferred)."""
        network = nx.DiGraph()
        for hop in self.escalation_hops:
            known = network.get_edge_data(hop.source, hop.target)
            if known is None or (known["hop"].conditional and not hop.conditional):
                network.add_edge(hop.source, hop.target, hop=hop)
        return network

    def who_can_reach(self, identity_id: str) -> dict[str, list[Hop]]:
        """Every identity with an escalation path to this one, and its shortest path."""
        network = self.escalation_network
        if identity_id not in network:
            return {}
        paths = nx.single_target_shortest_path(network, identity_id)
        return {
            source: [network.edges[a, b]["hop"] for a, b in zip(nodes, nodes[1:])]
            for source, nodes in sorted(paths.items())
            if source != identity_id
        }

    @cached_property
    def paths_to_admin(self) -> dict[str, list[Hop]]:
        """Shortest escalation path from each identity that has one to an admin position."""
        from standing.analysis.escalation import paths_to_admin

        return paths_to_admin(self)

    def privilege_of(self, identity_id: str) -> PrivilegeAssessment:
        """Effective privilege from every grant, capped by a permissions boundary."""
        if identity_id not in self._privilege:
            self._privilege[identity_id] = self._assess(identity_id)
        return self._privilege[identity_id]

    def aws_policy_set(self, identity_id: str) -> PolicySet:
        """The identity's standing AWS statements (and boundary), parsed once per policy."""
        if identity_id not in self._policy_sets:
            identity = self.identity(identity_id)
            held = _long_term(identity)
            chunks = tuple(self._statements_of(g.role_id, held) for g in self.standing_grants_of(identity_id))
            boundary = (
                self._statements_of(identity.permissions_boundary, held)
                if identity is not None and identity.permissions_boundary
                else None
            )
            self._policy_sets[identity_id] = PolicySet(chunks=chunks, boundary=boundary, shared=self._relevance)
        return self._policy_sets[identity_id]

    def _statements_of(self, role_id: str, long_term: bool | None = None) -> tuple[Statement, ...]:
        if (role_id, long_term) not in self._role_statements:
            role = self.role(role_id)
            self._role_statements[role_id, long_term] = (
                statements(((role.name, d) for d in role.documents), as_of=self.as_of, long_term=long_term)
                if role
                else ()
            )
        return self._role_statements[role_id, long_term]

    def _contribution(self, role: Role, long_term: bool | None = None) -> Contribution:
        """A policy's part in any identity's privilege, parsed once however many (of a kind) hold it."""
        if (role.id, long_term) not in self._contributions:
            self._contributions[role.id, long_term] = contribution(
                role.name, role.documents, as_of=self.as_of, long_term=long_term
            )
        return self._contributions[role.id, long_term]

    def _assess(self, identity_id: str) -> PrivilegeAssessment:
        identity = self.identity(identity_id)
        if identity is None:
            return NONE
        if identity.kind is IdentityKind.ROOT:
            return PrivilegeAssessment(PrivilegeLevel.ADMIN, ("the root user can do anything",))
        held = [
            (grant, role)
            for grant in self.standing_grants_of(identity_id)
            if (role := self.role(grant.role_id)) is not None
        ]
        judge = profile(identity.provider).assess
        if judge is not None:
            return judge(held)
        signs = _long_term(identity)
        assessment = combine(self._contribution(role, signs) for _, role in held)
        boundary = self.role(identity.permissions_boundary) if identity.permissions_boundary else None
        if boundary is not None:
            assessment = cap(assessment, combine([self._contribution(boundary, signs)]))
        return assessment


def _long_term(identity: Identity | None) -> bool | None:
    """How an AWS identity signs: a user with a long-term key, a role always with a session."""
    if identity is None or identity.provider is not Provider.AWS:
        return None
    return {IdentityKind.USER: True, IdentityKind.ROLE: False}.get(identity.kind)
