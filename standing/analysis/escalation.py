"""Who can become, or empower, whom: escalation edges computed offline, and paths to admin.

An edge ("hop") says that the source identity, using only what it holds now, can act as the
target (assume it, mint it a key, pass it to a service it controls, rewrite its trust) or
can make itself an administrator outright (``ADMIN_SINK``). Each hop records the action,
policy and condition that allow it, so a path can be read and checked hop by hop.

AWS hops are derived here from policies and trust documents (see ``aws_policy`` for how
conditions and wildcards are treated). Other providers contribute their hops as
``Trust`` records (impersonation, ownership), which are followed as they are. Federation
trusts that name an identity of another cloud (a Google or Entra subject, a GCP pool that
accepts AWS callers) become hops between clouds, so a path can cross from one to another.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from standing.analysis.aws_policy import PolicySet, Verdict
from standing.analysis.aws_targets import TargetMatcher
from standing.analysis.escalation_azure import azure_hops
from standing.analysis.escalation_compute import compute_hops
from standing.analysis.escalation_gcp import gcp_hops
from standing.analysis.guardrails import split_hops
from standing.analysis.hops import ADMIN_SINK, Hop, HopKind
from standing.analysis.methods.azure import TRUST_METHODS as AZURE_TRUST_METHODS
from standing.analysis.methods.gcp import ONLY_WITH_A_LAUNCHER, TRUST_ROLE_METHODS
from standing.analysis.privilege import PrivilegeLevel
from standing.core.model import ComputeKind, Identity, IdentityKind, Provider, TrustKind

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph

# Services that run code as a role passed to them, and the methods that make them do it: each
# method's actions are all needed (on "*"), besides iam:PassRole on the role.
_LAUNCHERS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "lambda.amazonaws.com": (
        ("lambda-001", ("lambda:CreateFunction", "lambda:InvokeFunction")),
        ("lambda-002", ("lambda:CreateFunction", "lambda:CreateEventSourceMapping")),
        ("lambda-006", ("lambda:CreateFunction", "lambda:AddPermission")),
    ),
    "ec2.amazonaws.com": (("ec2-001", ("ec2:RunInstances",)),),
    "ecs-tasks.amazonaws.com": (
        ("ecs-004", ("ecs:RegisterTaskDefinition", "ecs:RunTask")),
        ("ecs-003", ("ecs:RegisterTaskDefinition", "ecs:CreateService")),
        ("ecs-008", ("ecs:RunTask",)),  # overrides the task role of a task definition already registered
    ),
    "glue.amazonaws.com": (
        ("glue-001", ("glue:CreateDevEndpoint",)),
        ("glue-003", ("glue:CreateJob", "glue:StartJobRun")),
    ),
    "sagemaker.amazonaws.com": (
        ("sagemaker-001", ("sagemaker:CreateNotebookInstance",)),
        ("sagemaker-002", ("sagemaker:CreateTrainingJob",)),
        ("aws-sagemaker-001", ("sagemaker:CreateProcessingJob",)),
    ),
    "cloudformation.amazonaws.com": (("cloudformation-001", ("cloudformation:CreateStack",)),),
    "codebuild.amazonaws.com": (("codebuild-001", ("codebuild:CreateProject", "codebuild:StartBuild")),),
    "datapipeline.amazonaws.com": (
        (
            "datapipeline-001",
            ("datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"),
        ),
    ),
}
_LAUNCHERS["elasticmapreduce.amazonaws.com"] = _LAUNCHERS["datapipeline.amazonaws.com"]  # Data Pipeline's EMR resources
# EKS Pod Identity: an association binds the role to a Kubernetes service account; a pod using it
# runs as the role. Who may run such a pod is Kubernetes RBAC, which the scanner does not read.
_LAUNCHERS["pods.eks.amazonaws.com"] = (("aws-eks-001", ("eks:CreatePodIdentityAssociation",)),)
# Launchers whose hop always holds only "if" something the scan cannot see.
_ALWAYS_IF = {
    "aws-eks-001": "if it may also run a pod under that service account: Kubernetes RBAC, not read",
}
# Launchers that start compute someone else defined: the hop is firm only where the scan saw such
# compute in the source's account, else it holds "if" one exists (task definitions not in use are
# not listed).
_NEEDS_EXISTING: dict[str, tuple[ComputeKind, str]] = {
    "ecs-008": (ComputeKind.ECS_SERVICE, "if a task definition is registered in the account (none in use was seen)"),
}
_ASSUME_ACTIONS = ("sts:AssumeRole",)
_SELF_POLICY_ACTIONS = {
    IdentityKind.USER: (("iam:AttachUserPolicy", "iam-008"), ("iam:PutUserPolicy", "iam-007")),
    IdentityKind.ROLE: (("iam:AttachRolePolicy", "iam-009"), ("iam:PutRolePolicy", "iam-005")),
}
_GROUP_POLICY_ACTIONS = (("iam:AttachGroupPolicy", "iam-010"), ("iam:PutGroupPolicy", "iam-011"))
_ON_OTHERS_METHODS = {
    "iam:CreateAccessKey": "iam-002",
    "iam:CreateLoginProfile": "iam-004",
    "iam:UpdateLoginProfile": "iam-006",
    "iam:UpdateAssumeRolePolicy": "iam-012",
}
_ASSUME_METHOD = "sts-001"
# Raise another identity, then become it: (the action that raises it, the method that becomes it)
# -> method. Becoming it is an existing hop (assume it, mint it a key, rewrite its trust).
_EMPOWER_METHODS = {
    ("iam:AttachRolePolicy", "sts-001"): "iam-014",
    ("iam:AttachUserPolicy", "iam-002"): "iam-015",
    ("iam:CreatePolicyVersion", "sts-001"): "iam-016",
    ("iam:PutRolePolicy", "sts-001"): "iam-017",
    ("iam:PutUserPolicy", "iam-002"): "iam-018",
    ("iam:AttachRolePolicy", "iam-012"): "iam-019",
    ("iam:CreatePolicyVersion", "iam-012"): "iam-020",
    ("iam:PutRolePolicy", "iam-012"): "iam-021",
}
_EMPOWER_ACTIONS = {
    IdentityKind.ROLE: ("iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion"),
    IdentityKind.USER: ("iam:AttachUserPolicy", "iam:PutUserPolicy"),
}
_ANY_EMPOWER = tuple(dict.fromkeys(a for actions in _EMPOWER_ACTIONS.values() for a in actions))
_VERSION_ACTIONS = (
    ("iam:CreatePolicyVersion", "iam-001", "rewrite its own permissions", False),
    ("iam:SetDefaultPolicyVersion", "aws-iam-001", "make an older version the default, if one grants more", True),
)


def _assume_reason(verdict: Verdict, role_name: str, admitted: str) -> str:
    return f"{verdict.describe('sts:AssumeRole', role_name)}; trust of {role_name} admits {admitted}"


class _Launch(NamedTuple):
    """How one source launches compute on one service: the method, its wording, and its caveat."""

    method: str
    text: str
    caveat: str
    conditional: bool


def _pass_reason(passing: Verdict, role_name: str, launch: _Launch, service: str) -> str:
    why = f"{passing.describe('iam:PassRole', role_name)} and {launch.text}; {role_name} trusts {service}"
    return f"{why} ({launch.caveat})" if launch.caveat else why


def _trust_allows_assume(actions: list[str]) -> bool:
    return not actions or any(a in ("*", "sts:*", "sts:AssumeRole") for a in actions)


def _launchable_by(policy: PolicySet) -> dict[str, tuple[str, tuple[str, ...], tuple[Verdict, ...]]]:
    """Per service, the first method whose every action ``policy`` allows (worked out once per source)."""
    found: dict[str, tuple[str, tuple[str, ...], tuple[Verdict, ...]]] = {}
    for service, methods in _LAUNCHERS.items():
        for method_id, actions in methods:
            verdicts = [v for a in actions if (v := policy.allows(a, "*")) is not None]
            if len(verdicts) == len(actions):
                found[service] = (method_id, actions, tuple(verdicts))
                break
    return found


class _AwsHops:
    """Finds AWS hops in time proportional to the edges found, not to sources x targets.

    Policies are shared by many identities, so statements are parsed once per policy and
    each statement is matched against the candidate targets once; an identity's candidates
    are the union of its statements' matches, then checked in full (denies, boundary).
    """

    def __init__(self, graph: PrivilegeGraph) -> None:
        self.graph = graph
        self.identities = [
            i
            for i in graph.identities()
            if i.provider is Provider.AWS and i.kind in (IdentityKind.USER, IdentityKind.ROLE)
        ]
        self.policies = {i.id: graph.aws_policy_set(i.id) for i in self.identities}
        # An admin-equivalent identity can already do everything its account allows; listing
        # its hops adds nothing to "who can reach admin" and is quadratic in the account size.
        self.sources = [
            i for i in self.identities if graph.privilege_of(i.id).level < PrivilegeLevel.PRIVILEGE_MANAGEMENT
        ]
        self.matcher = TargetMatcher()
        self._existing: set[tuple[ComputeKind, str]] | None = None
        self._admin_group_cache: dict[str, list[str]] = {}

    def _targets(
        self, source: Identity, action: str, key: object, candidates: list[Identity]
    ) -> Iterable[tuple[Identity, Verdict]]:
        """Candidates ``source`` may perform ``action`` on, with the verdict for each."""
        return self.matcher.targets(self.policies[source.id], action, key, candidates, skip=source.id)

    def hops(self) -> Iterable[Hop]:
        roles = [i for i in self.identities if i.kind is IdentityKind.ROLE]
        becomes: list[Hop] = []
        for hop in self._assume_role(roles):
            becomes.append(hop)
            yield hop
        yield from self._pass_role(roles)
        by_account: dict[tuple[IdentityKind, str], list[Identity]] = {}
        for identity in self.identities:
            by_account.setdefault((identity.kind, identity.account), []).append(identity)
        for source in self.sources:
            for hop in self._on_others(source, by_account):
                becomes.append(hop)
                yield hop
            yield from self._on_self(source)
        yield from self._empower_then_become(becomes)

    def _empower_then_become(self, becomes: list[Hop]) -> Iterable[Hop]:
        """iam-014..021: a source that can become an identity and raise its permissions is admin,
        whatever that identity holds today. One hop per source, through the first such identity."""
        sources = {s.id for s in self.sources}
        by_id = {i.id: i for i in self.identities}
        done: set[str] = set()
        may_empower: dict[str, bool] = {}  # per source: could it raise anyone at all
        for become in becomes:
            target = by_id.get(become.target)
            if become.source not in may_empower:
                policy = self.policies.get(become.source)
                may_empower[become.source] = policy is not None and any(map(policy.may, _ANY_EMPOWER))
            if (
                become.source in done
                or not may_empower[become.source]
                or become.source not in sources
                or target is None
                or self.graph.privilege_of(target.id).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT
            ):
                continue  # an identity already admin is reached by the plain hop
            policy = self.policies[become.source]
            for action in _EMPOWER_ACTIONS.get(target.kind, ()):
                method_id = _EMPOWER_METHODS.get((action, become.method))
                if method_id is None or not policy.may(action):
                    continue
                on = self._held_policies(target) if action == "iam:CreatePolicyVersion" else [target.id]
                verdict = next((v for r in on if (v := policy.allows(action, r)) is not None), None)
                if verdict is not None:
                    done.add(become.source)
                    yield Hop(
                        become.source,
                        ADMIN_SINK,
                        HopKind.EMPOWER_OTHER,
                        f"{verdict.describe(action, target.name)}, so it can raise {target.name} to admin; "
                        f"and {become.reason}",
                        verdict.conditional or become.conditional,
                        method_id,
                        via=target.id,
                    )
                    break

    def _assume_role(self, roles: list[Identity]) -> Iterable[Hop]:
        by_id = {i.id: i for i in self.identities}
        # Who each role's trust admits: anyone, whole accounts, or named principals.
        admits: dict[str, list[tuple[str, object, bool]]] = {}
        for role in roles:
            for trust in self.graph.trusts_into(role.id):
                if not _trust_allows_assume(trust.actions):
                    continue
                conditional = trust.condition.conditional
                if trust.kind is TrustKind.PRINCIPAL and trust.principal in by_id:
                    named = by_id[trust.principal]
                    if named.account == role.account and named.id != role.id:
                        yield Hop(
                            named.id,
                            role.id,
                            HopKind.ASSUME_ROLE,
                            f"trust policy of {role.name} names {named.name}",
                            conditional,
                            _ASSUME_METHOD,
                        )
                        continue
                    admits.setdefault(role.id, []).append(("principal", named.id, conditional))
                elif trust.kind is TrustKind.ACCOUNT:
                    account = trust.principal.split(":")[4] if trust.principal.startswith("arn:") else trust.principal
                    admits.setdefault(role.id, []).append(("account", account, conditional))
                elif trust.kind is TrustKind.ANY:
                    admits.setdefault(role.id, []).append(("any", None, conditional))
        assumable = [r for r in roles if r.id in admits]
        reasons: dict[tuple[int, str, str, object], Callable[[], str]] = {}
        for source in self.sources:
            if not self.policies[source.id].may("sts:AssumeRole"):
                continue
            for role, verdict in self._targets(source, "sts:AssumeRole", "assumable", assumable):
                for how, who, conditional in admits[role.id]:
                    if (
                        how == "any"
                        or (how == "account" and who == source.account)
                        or (how == "principal" and who == source.id)
                    ):
                        # The reason never names the source: sources let in by the same
                        # statement and trust share one.
                        why_key = (id(verdict), role.id, how, who)
                        why = reasons.get(why_key)
                        if why is None:
                            why = reasons[why_key] = partial(
                                _assume_reason, verdict, role.name, "*" if how == "any" else str(who)
                            )
                        yield Hop(
                            source.id,
                            role.id,
                            HopKind.ASSUME_ROLE,
                            why,
                            conditional or verdict.conditional,
                            _ASSUME_METHOD,
                        )
                        break

    def _pass_role(self, roles: list[Identity]) -> Iterable[Hop]:
        launchable: dict[str, set[str]] = {}
        for role in roles:
            services = {
                t.principal
                for t in self.graph.trusts_into(role.id)
                if t.kind is TrustKind.SERVICE and t.principal in _LAUNCHERS
            }
            if services:
                launchable[role.id] = services
        # A role can only be passed within its own account.
        candidates: dict[str, list[Identity]] = {}
        for role in roles:
            if role.id in launchable:
                candidates.setdefault(role.account, []).append(role)
        for source in self.sources:
            policy = self.policies[source.id]
            if source.account not in candidates or not policy.may("iam:PassRole"):
                continue
            can_launch = _launchable_by(policy)
            if not can_launch:
                continue
            key = ("launchable", source.account)
            launches: dict[str, _Launch] = {}
            # An iam:PassedToService condition decides which launchers the role may go to.
            gated = any(s.passed_to for s in policy._relevant("iam:PassRole"))
            for role, passing in self._targets(source, "iam:PassRole", key, candidates[source.account]):
                usable = [
                    (s, p)
                    for s in sorted(launchable[role.id] & can_launch.keys())
                    if (p := policy.allows("iam:PassRole", role.id, service=s) if gated else passing) is not None
                ]
                if not usable:
                    continue
                service, passing = usable[0]
                launch = launches.get(service)
                if launch is None:  # once per source and launcher, not per role it may pass
                    method_id, actions, verdicts = can_launch[service]
                    caveat = self._existing_caveat(method_id, source.account)
                    launch = launches[service] = _Launch(
                        method_id,
                        " and ".join(v.describe(a, "*") for a, v in zip(actions, verdicts, strict=True)),
                        caveat,
                        bool(caveat) or any(v.conditional for v in verdicts),
                    )
                yield Hop(
                    source.id,
                    role.id,
                    HopKind.PASS_ROLE,
                    partial(_pass_reason, passing, role.name, launch, service),  # written when shown
                    launch.conditional or passing.conditional,
                    launch.method,
                )

    def _existing_caveat(self, method_id: str, account: str) -> str:
        """ "" when the launcher needs no existing compute or the scan saw some; else its caveat."""
        if method_id in _ALWAYS_IF:
            return _ALWAYS_IF[method_id]
        if method_id not in _NEEDS_EXISTING:
            return ""
        kind, caveat = _NEEDS_EXISTING[method_id]
        if self._existing is None:
            self._existing = {(w.kind, w.account) for w in self.graph.inventory.workloads if w.provider is Provider.AWS}
        return "" if (kind, account) in self._existing else caveat

    def _on_others(self, source: Identity, by_account: dict[tuple[IdentityKind, str], list[Identity]]) -> Iterable[Hop]:
        checks = (
            (
                IdentityKind.USER,
                HopKind.CREATE_CREDENTIALS,
                ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"),
            ),
            (IdentityKind.ROLE, HopKind.REWRITE_TRUST, ("iam:UpdateAssumeRolePolicy",)),
        )
        policy = self.policies[source.id]
        for kind, hop_kind, actions in checks:
            done: set[str] = set()
            for action in actions:
                if not policy.may(action):
                    continue
                key = (kind, source.account)
                for target, verdict in self._targets(source, action, key, by_account.get(key, [])):
                    if target.id not in done:
                        done.add(target.id)
                        yield Hop(
                            source.id,
                            target.id,
                            hop_kind,
                            verdict.describe(action, target.name),
                            verdict.conditional,
                            _ON_OTHERS_METHODS[action],
                        )

    def _on_self(self, source: Identity) -> Iterable[Hop]:
        policy = self.policies[source.id]
        for action, method_id in _SELF_POLICY_ACTIONS.get(source.kind, ()):
            verdict = policy.allows(action, source.id)
            if verdict is not None:
                yield Hop(
                    source.id,
                    ADMIN_SINK,
                    HopKind.SELF_POLICY,
                    f"{verdict.describe(action, source.name)}: it can grant itself anything",
                    verdict.conditional,
                    method_id,
                )
                return
        # A customer-managed policy it holds is its own to rewrite: a new default version
        # (iam-001), or an older version made the default again (aws-iam-001: which versions
        # exist is not collected, so the hop is conditional on one granting more).
        for action, method_id, effect, always_conditional in _VERSION_ACTIONS:
            if not policy.may(action):
                continue
            for held in self._held_policies(source):
                verdict = policy.allows(action, held)
                if verdict is not None:
                    yield Hop(
                        source.id,
                        ADMIN_SINK,
                        HopKind.SELF_POLICY,
                        f"{verdict.describe(action, held)}, a policy it holds: it can {effect}",
                        verdict.conditional or always_conditional,
                        method_id,
                    )
                    return
        for group_id in self.graph.groups_of(source.id):
            # A policy on a group it belongs to is its own.
            for action, method_id in _GROUP_POLICY_ACTIONS:
                verdict = policy.allows(action, group_id) if policy.may(action) else None
                if verdict is not None:
                    yield Hop(
                        source.id,
                        ADMIN_SINK,
                        HopKind.SELF_POLICY,
                        f"{verdict.describe(action, group_id)}, a group it belongs to: it can grant itself anything",
                        verdict.conditional,
                        method_id,
                    )
                    return
        if source.kind is IdentityKind.USER and policy.may("iam:AddUserToGroup"):
            for group_id in self._admin_groups(source.account):
                verdict = policy.allows("iam:AddUserToGroup", group_id)
                if verdict is not None and group_id not in self.graph.groups_of(source.id):
                    yield Hop(
                        source.id,
                        ADMIN_SINK,
                        HopKind.JOIN_GROUP,
                        f"{verdict.describe('iam:AddUserToGroup', group_id)}, an admin group",
                        verdict.conditional,
                        "iam-013",
                    )
                    return

    def _held_policies(self, source: Identity) -> list[str]:
        """Customer-managed policies of its own account it holds (inline and AWS-managed ones nobody can version)."""
        return [
            g.role_id
            for g in self.graph.standing_grants_of(source.id)
            if ":policy/" in g.role_id and g.role_id.split(":")[4] == source.account
        ]

    def _admin_groups(self, account: str) -> list[str]:
        if account not in self._admin_group_cache:
            self._admin_group_cache[account] = self._find_admin_groups(account)
        return self._admin_group_cache[account]

    def _find_admin_groups(self, account: str) -> list[str]:
        # A group's privilege is judged like any identity's: its own grants, cached by the graph.
        return [
            i.id
            for i in self.graph.identities()
            if i.kind is IdentityKind.GROUP
            and i.account == account
            and self.graph.privilege_of(i.id).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT
        ]


def _trust_hops(graph: PrivilegeGraph) -> Iterable[Hop]:
    """Impersonation and ownership edges other collectors record as trusts."""
    kinds = {TrustKind.IMPERSONATION: HopKind.IMPERSONATE, TrustKind.OWNER: HopKind.OWNER}
    for identity in graph.identities():
        for trust in graph.trusts_into(identity.id):
            if trust.actions and trust.actions[0] in ONLY_WITH_A_LAUNCHER:
                continue  # Service Account User: a hop only with a launcher (``escalation_gcp``)
            if trust.kind in kinds and graph.identity(trust.principal) is not None and trust.principal != identity.id:
                yield Hop(
                    trust.principal,
                    identity.id,
                    kinds[trust.kind],
                    f"{trust.principal} may {kinds[trust.kind].value} {identity.name}"
                    + (f" ({', '.join(trust.actions)})" if trust.actions else ""),
                    trust.condition.conditional,
                    (TRUST_ROLE_METHODS.get(trust.actions[0]) or AZURE_TRUST_METHODS.get(trust.actions[0], ""))
                    if trust.actions
                    else "",
                )


# Token issuers that are themselves clouds whose identities we inventory: a trust pinned to
# one of their subjects is a door from that cloud's identity into this one.
_TOKEN_CLOUDS = {
    "accounts.google.com": Provider.GCP,  # Google-signed ID tokens; sub = service account unique id
    "sts.windows.net": Provider.AZURE,  # Entra ID tokens; sub = service principal object id
    "login.microsoftonline.com": Provider.AZURE,
}


def _federation_hops(graph: PrivilegeGraph) -> Iterable[Hop]:
    """Doors between clouds: a role, pool or app that accepts another cloud's identity.

    - an OIDC trust whose issuer is Google or Entra ID and whose subject condition names one
      of our GCP service accounts or Azure principals (by id or ``aliases``);
    - a GCP workload identity pool that accepts AWS callers: a named role, or, when the
      binding names none, every user and role of the account (conditional when the
      provider has an attribute condition);
    - a trust naming an identity of another provider outright.
    """
    identities = list(graph.identities())
    by_name: dict[str, list[Identity]] = {}
    aws_by_account: dict[str, list[Identity]] = {}
    source: Identity | None  # each branch below names its hop's source; a trust's principal may be unknown
    for identity in identities:
        for name in (identity.id, *identity.aliases):
            by_name.setdefault(name.lower(), []).append(identity)
        if identity.provider is Provider.AWS and identity.kind in (IdentityKind.USER, IdentityKind.ROLE):
            aws_by_account.setdefault(identity.account, []).append(identity)
    for target in identities:
        for trust in graph.trusts_into(target.id):
            if trust.kind is TrustKind.OIDC:
                cloud = _TOKEN_CLOUDS.get((trust.issuer or "").split("/", 1)[0])
                if cloud is None:
                    continue
                for subject in trust.condition.pinned_subjects:
                    for source in by_name.get(subject.lower(), []):
                        if source.provider is cloud and source.id != target.id:
                            yield Hop(
                                source.id,
                                target.id,
                                HopKind.FEDERATE,
                                f"{target.name} trusts tokens {trust.issuer} issues to {source.name} "
                                f"(subject {subject})",
                                trust.condition.expression is not None,  # a provider's attribute condition
                            )
            elif trust.kind is TrustKind.PRINCIPAL and target.provider is not Provider.AWS:
                source = graph.identity(trust.principal)
                if source is not None and source.provider is not target.provider:
                    yield Hop(
                        source.id,
                        target.id,
                        HopKind.FEDERATE,
                        f"{target.name} admits {source.name} through {trust.issuer or 'federation'}"
                        + (f" ({', '.join(trust.actions)})" if trust.actions else ""),
                        trust.condition.conditional,
                    )
            elif trust.kind is TrustKind.ACCOUNT and target.provider is not Provider.AWS:
                account = trust.principal.split(":")[4] if trust.principal.startswith("arn:") else trust.principal
                for source in aws_by_account.get(account, []):
                    yield Hop(
                        source.id,
                        target.id,
                        HopKind.FEDERATE,
                        f"{target.name} admits any caller from AWS account {account}"
                        + (f" ({', '.join(trust.actions)})" if trust.actions else ""),
                        trust.condition.conditional,
                    )


def all_hops(graph: PrivilegeGraph) -> list[Hop]:
    found = {(h.source, h.target, h.kind): h for h in _AwsHops(graph).hops()}
    for hop in chain(
        compute_hops(graph), gcp_hops(graph), azure_hops(graph), _trust_hops(graph), _federation_hops(graph)
    ):
        found.setdefault((hop.source, hop.target, hop.kind), hop)
    kept, _cut = split_hops(graph, sorted(found.values(), key=attrgetter("source", "target", "kind")))
    return kept


def paths_to_admin(graph: PrivilegeGraph) -> dict[str, list[Hop]]:
    """For every identity that can reach an admin-equivalent position, its shortest path.

    One reverse breadth-first search from every admin at once: linear in hops, however many
    sources are asked about. Unconditional hops are preferred over conditional ones of the
    same length only by order of discovery; both count.
    """
    admins = {i.id for i in graph.identities() if graph.privilege_of(i.id).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT}
    # Hops arrive sorted by source; unconditional ones are tried first, then conditional.
    firm: dict[str, list[Hop]] = {}
    conditional: dict[str, list[Hop]] = {}
    for hop in graph.escalation_hops:
        (conditional if hop.conditional else firm).setdefault(hop.target, []).append(hop)
    next_hop: dict[str, Hop] = {}
    queue = deque(sorted(admins | {ADMIN_SINK}))
    reached = set(queue)
    while queue:
        node = queue.popleft()
        for hop in firm.get(node, []) + conditional.get(node, []):
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
