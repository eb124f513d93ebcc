"""Who can become, or empower, whom: escalation edges computed offline, and paths to admin.

An edge ("hop") says that the source identity, using only what it holds now, can act as the
target (assume it, mint it a key, pass it to a service it controls, rewrite its trust) or
can make itself an administrator outright (``ADMIN_SINK``). Each hop records the action,
policy and condition that allow it, so a path can be read and checked hop by hop.

AWS hops are derived here from policies and trust documents (see ``aws_policy`` for how
conditions and wildcards are treated). Other providers contribute their hops as
``Trust`` records (impersonation, ownership), which are followed as they are.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Iterable

from standing.scanner.aws_policy import PolicySet, Verdict, statements
from standing.scanner.model import Identity, IdentityKind, Provider, TrustKind
from standing.scanner.privilege import PrivilegeLevel

if TYPE_CHECKING:
    from standing.scanner.graph import PrivilegeGraph

ADMIN_SINK = "(administrator)"


class HopKind(StrEnum):
    ASSUME_ROLE = "assume-role"
    PASS_ROLE = "pass-role"
    CREATE_CREDENTIALS = "create-credentials"
    REWRITE_TRUST = "rewrite-trust"
    SELF_POLICY = "self-policy"
    JOIN_GROUP = "join-group"
    IMPERSONATE = "impersonate"
    OWNER = "owner"


@dataclass(frozen=True, slots=True)
class Hop:
    source: str
    target: str
    kind: HopKind
    reason: str
    conditional: bool = False

    def as_evidence(self) -> dict[str, object]:
        return {"from": self.source, "to": self.target, "how": self.kind.value,
                "why": self.reason, "conditional": self.conditional}


# Services that run code as a role passed to them, and an action that makes them do it.
_LAUNCHERS: dict[str, tuple[str, ...]] = {
    "lambda.amazonaws.com": ("lambda:CreateFunction",),
    "ec2.amazonaws.com": ("ec2:RunInstances",),
    "ecs-tasks.amazonaws.com": ("ecs:RunTask", "ecs:RegisterTaskDefinition"),
    "glue.amazonaws.com": ("glue:CreateDevEndpoint", "glue:CreateJob"),
    "sagemaker.amazonaws.com": ("sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob",
                                "sagemaker:CreateProcessingJob"),
    "cloudformation.amazonaws.com": ("cloudformation:CreateStack",),
    "codebuild.amazonaws.com": ("codebuild:CreateProject",),
}
_ASSUME_ACTIONS = ("sts:AssumeRole",)
_SELF_POLICY_ACTIONS = {
    IdentityKind.USER: ("iam:AttachUserPolicy", "iam:PutUserPolicy"),
    IdentityKind.ROLE: ("iam:AttachRolePolicy", "iam:PutRolePolicy"),
}


def _trust_allows_assume(actions: list[str]) -> bool:
    return not actions or any(a in ("*", "sts:*", "sts:AssumeRole") for a in actions)


class _AwsHops:
    def __init__(self, graph: "PrivilegeGraph") -> None:
        self.graph = graph
        self.identities = [
            i for i in graph.identities()
            if i.provider is Provider.AWS and i.kind in (IdentityKind.USER, IdentityKind.ROLE)
        ]
        self.policies = {i.id: self._policy_set(i) for i in self.identities}
        # An admin-equivalent identity can already do everything its account allows; listing
        # its hops adds nothing to "who can reach admin" and is quadratic in the account size.
        self.sources = [
            i for i in self.identities
            if graph.privilege_of(i.id).level < PrivilegeLevel.PRIVILEGE_MANAGEMENT
        ]
        self._admin_group_cache: dict[str, list[str]] = {}

    def _policy_set(self, identity: Identity) -> PolicySet:
        graph = self.graph
        docs = [(r.name, d) for g in graph.standing_grants_of(identity.id)
                if (r := graph.role(g.role_id)) is not None for d in r.documents]
        boundary = graph.role(identity.permissions_boundary) if identity.permissions_boundary else None
        return PolicySet(
            own=statements(docs),
            boundary=statements((boundary.name, d) for d in boundary.documents) if boundary else None,
        )

    def hops(self) -> Iterable[Hop]:
        yield from self._assume_role()
        yield from self._pass_role()
        for source in self.sources:
            yield from self._on_others(source)
            yield from self._on_self(source)

    def _assume_role(self) -> Iterable[Hop]:
        by_id = {i.id: i for i in self.identities}
        assumers = [i for i in self.sources if self.policies[i.id].may("sts:AssumeRole")]
        for role in self.identities:
            if role.kind is not IdentityKind.ROLE:
                continue
            for trust in self.graph.trusts_into(role.id):
                if not _trust_allows_assume(trust.actions):
                    continue
                conditional = bool(trust.conditions)
                named = by_id.get(trust.principal)
                if trust.kind is TrustKind.PRINCIPAL and named is not None:
                    if named.account == role.account:
                        yield Hop(named.id, role.id, HopKind.ASSUME_ROLE,
                                  f"trust policy of {role.name} names {named.name}", conditional)
                        continue
                    candidates = [named]
                elif trust.kind is TrustKind.ACCOUNT:
                    account = trust.principal.split(":")[4] if trust.principal.startswith("arn:") else trust.principal
                    candidates = [i for i in assumers if i.account == account]
                elif trust.kind is TrustKind.ANY:
                    candidates = assumers
                else:
                    continue
                for source in candidates:
                    if source.id == role.id:
                        continue
                    verdict = self.policies[source.id].allows("sts:AssumeRole", role.id)
                    if verdict is not None:
                        yield Hop(source.id, role.id, HopKind.ASSUME_ROLE,
                                  f"{verdict.describe('sts:AssumeRole', role.name)}; trust of "
                                  f"{role.name} admits {trust.principal}",
                                  conditional or verdict.conditional)

    def _pass_role(self) -> Iterable[Hop]:
        # What each would-be passer can launch is worked out once, not once per role.
        launchers: dict[str, dict[str, tuple[str, Verdict]]] = {}
        for source in self.sources:
            policy = self.policies[source.id]
            if not policy.may("iam:PassRole"):
                continue
            can_launch = {}
            for service, actions in _LAUNCHERS.items():
                for action in actions:
                    if (verdict := policy.allows(action, "*")) is not None:
                        can_launch[service] = (action, verdict)
                        break
            if can_launch:
                launchers[source.id] = can_launch
        if not launchers:
            return
        for role in self.identities:
            if role.kind is not IdentityKind.ROLE:
                continue
            services = {t.principal for t in self.graph.trusts_into(role.id)
                        if t.kind is TrustKind.SERVICE and t.principal in _LAUNCHERS}
            if not services:
                continue
            for source_id, can_launch in launchers.items():
                usable = sorted(services & can_launch.keys())
                if source_id == role.id or not usable:
                    continue
                passing = self.policies[source_id].allows("iam:PassRole", role.id)
                if passing is None:
                    continue
                action, verdict = can_launch[usable[0]]
                yield Hop(source_id, role.id, HopKind.PASS_ROLE,
                          f"{passing.describe('iam:PassRole', role.name)} and "
                          f"{verdict.describe(action, '*')}; {role.name} trusts {usable[0]}",
                          passing.conditional or verdict.conditional)

    def _on_others(self, source: Identity) -> Iterable[Hop]:
        policy = self.policies[source.id]
        checks = []
        if policy.may("iam:CreateAccessKey") or policy.may("iam:CreateLoginProfile") \
                or policy.may("iam:UpdateLoginProfile"):
            checks.append((IdentityKind.USER, HopKind.CREATE_CREDENTIALS,
                           ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")))
        if policy.may("iam:UpdateAssumeRolePolicy"):
            checks.append((IdentityKind.ROLE, HopKind.REWRITE_TRUST, ("iam:UpdateAssumeRolePolicy",)))
        for kind, hop_kind, actions in checks:
            for target in self.identities:
                if target.kind is not kind or target.id == source.id or target.account != source.account:
                    continue
                for action in actions:
                    verdict = policy.allows(action, target.id)
                    if verdict is not None:
                        yield Hop(source.id, target.id, hop_kind,
                                  verdict.describe(action, target.name), verdict.conditional)
                        break

    def _on_self(self, source: Identity) -> Iterable[Hop]:
        policy = self.policies[source.id]
        for action in _SELF_POLICY_ACTIONS.get(source.kind, ()):
            verdict = policy.allows(action, source.id)
            if verdict is not None:
                yield Hop(source.id, ADMIN_SINK, HopKind.SELF_POLICY,
                          f"{verdict.describe(action, source.name)}: it can grant itself anything",
                          verdict.conditional)
                return
        if source.kind is IdentityKind.USER and policy.may("iam:AddUserToGroup"):
            for group_id in self._admin_groups(source.account):
                verdict = policy.allows("iam:AddUserToGroup", group_id)
                if verdict is not None and group_id not in self.graph.groups_of(source.id):
                    yield Hop(source.id, ADMIN_SINK, HopKind.JOIN_GROUP,
                              f"{verdict.describe('iam:AddUserToGroup', group_id)}, an admin group",
                              verdict.conditional)
                    return

    def _admin_groups(self, account: str) -> list[str]:
        if account not in self._admin_group_cache:
            self._admin_group_cache[account] = self._find_admin_groups(account)
        return self._admin_group_cache[account]

    def _find_admin_groups(self, account: str) -> list[str]:
        from standing.scanner.privilege import assess_aws_policies

        groups = []
        for identity in self.graph.identities():
            if identity.kind is IdentityKind.GROUP and identity.account == account:
                docs = [(r.name, d) for g in self.graph.grants_of(identity.id, inherited=False)
                        if (r := self.graph.role(g.role_id)) is not None for d in r.documents]
                if assess_aws_policies(docs).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT:
                    groups.append(identity.id)
        return groups


def _trust_hops(graph: "PrivilegeGraph") -> Iterable[Hop]:
    """Impersonation and ownership edges other collectors record as trusts."""
    kinds = {TrustKind.IMPERSONATION: HopKind.IMPERSONATE, TrustKind.OWNER: HopKind.OWNER}
    for identity in graph.identities():
        for trust in graph.trusts_into(identity.id):
            if trust.kind in kinds and graph.identity(trust.principal) is not None \
                    and trust.principal != identity.id:
                yield Hop(trust.principal, identity.id, kinds[trust.kind],
                          f"{trust.principal} may {kinds[trust.kind].value} {identity.name}"
                          + (f" ({', '.join(trust.actions)})" if trust.actions else ""),
                          bool(trust.conditions))


def all_hops(graph: "PrivilegeGraph") -> list[Hop]:
    found = {(h.source, h.target, h.kind): h for h in _AwsHops(graph).hops()}
    for hop in _trust_hops(graph):
        found.setdefault((hop.source, hop.target, hop.kind), hop)
    return sorted(found.values(), key=lambda h: (h.source, h.target, h.kind))


def paths_to_admin(graph: "PrivilegeGraph") -> dict[str, list[Hop]]:
    """For every identity that can reach an admin-equivalent position, its shortest path.

    One reverse breadth-first search from every admin at once: linear in hops, however many
    sources are asked about. Unconditional hops are preferred over conditional ones of the
    same length only by order of discovery; both count.
    """
    admins = {i.id for i in graph.identities()
              if graph.privilege_of(i.id).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT}
    incoming: dict[str, list[Hop]] = {}
    for hop in graph.escalation_hops:
        incoming.setdefault(hop.target, []).append(hop)
    next_hop: dict[str, Hop] = {}
    queue = deque(sorted(admins | {ADMIN_SINK}))
    reached = set(queue)
    while queue:
        node = queue.popleft()
        for hop in sorted(incoming.get(node, ()), key=lambda h: (h.conditional, h.source, h.kind)):
            if hop.source not in reached:
                reached.add(hop.source)
                next_hop[hop.source] = hop
                queue.append(hop.source)
    paths: dict[str, list[Hop]] = {}
    for source in next_hop:
        path, node = [], source
        while node in next_hop:
            path.append(next_hop[node])
            node = next_hop[node].target
        paths[source] = path
    return paths
