"""What the pattern chooser may look at for one identity, gathered once from the graph.

The chooser decides from evidence only (provider, kind, workload, tags, names, trusts,
last-used services, federation providers present); this record is that evidence, so a
test can state it and a plan can quote it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

from standing.analysis.compute import compute_uses
from standing.analysis.compute import describe as describe_compute
from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import Hop, HopKind
from standing.analysis.methods import all_methods
from standing.analysis.privilege import PrivilegeLevel, assess_aws_policies
from standing.analysis.providers import profile as analysis_profile
from standing.analysis.risk import RiskModel
from standing.analysis.sensitive import aws_document_sensitive
from standing.analysis.usage import records_by_identity
from standing.core.facts import is_standing_secret
from standing.core.findings import Finding
from standing.core.model import Credential, Grant, Identity, ScopePolicy, Trust, TrustKind, WorkloadKind
from standing.core.traits import Trait
from standing.planner.cuts import as_plan_cut, cut_terraform, path_cut
from standing.planner.model import AwsPolicyDocument, IacSnippet, PathCut
from standing.planner.narrowing import Narrowing, narrowed_aws_policy, narrowing_for
from standing.rules.registry import traits_of

# Tags that declare an identity's static credential an accepted exception, and why.
THIRD_PARTY_TAGS = ("third-party", "thirdparty", "saas", "vendor-integration")
EXCEPTION_TAG = "standing:exception"  # third-party | legacy | long-running | break-glass
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class PlanContext:
    identity: Identity
    workload: WorkloadKind  # the collector's, else inferred from tags, roles and name (graph.workload_of)
    findings: tuple[Finding, ...]
    secrets: tuple[Credential, ...]
    trusts: tuple[Trust, ...]
    federation_hosts: frozenset[str]
    scope_policies: tuple[ScopePolicy, ...]
    admin: bool
    sensitive: tuple[str, ...]
    managed_policy_ids: tuple[str, ...]
    policy_documents: tuple[dict[str, Any], ...]
    inline_policies: tuple[tuple[str, dict[str, Any]], ...]
    standing_grants: tuple[tuple[str, str], ...]  # (scope id, role id)
    as_of: datetime
    # Role ids (AWS policies, inline ones as ``...#inline/NAME``; GCP and Azure roles) that make the
    # identity admin: each grants admin or privilege management alone, or allows the first hop of
    # its path to admin. What a CI plan splits off into a separately approved deploy role.
    admin_parts: frozenset[str] = frozenset()
    # Compute that runs as it today ("Lambda function `billing-sync` in eu-west-1"): what to switch.
    compute: tuple[str, ...] = ()
    # The one change that breaks its path to admin now, and that change as Terraform.
    cut: PathCut | None = None
    cut_iac: IacSnippet | None = None
    # What the identity used, from a usage record that names it (None: carried over unchanged).
    narrowing: Narrowing | None = None
    # The escalation hops that start at it: then what it reaches is more than its own grants.
    hops: tuple[Hop, ...] = ()

    @cached_property
    def narrowed_aws(self) -> tuple[AwsPolicyDocument | None, list[str]]:
        """Its AWS policies cut to what the usage record shows used, and the actions that drops
        ((None, []) without a record): cut once, read by the new role's policy, the on-request
        session and the plan's note."""
        if self.narrowing is None:
            return None, []
        return narrowed_aws_policy(self.policy_documents, self.narrowing)

    @cached_property
    def elevation(self) -> tuple[bool, tuple[str, ...]]:
        """(admin, sensitive kinds) of what an elevation will grant: the usage-narrowed AWS policy
        when there is one, else what the identity holds today.

        A hop that starts at the identity is cut when the narrowed policy no longer allows one of
        the actions its method needs (all of them are needed). A hop without a method, or an
        assume-role (a trust naming the identity may let it in whatever its own policy says), is
        never judged cut. With every hop cut, the identity reaches only what the narrowed policy
        grants: admin only if that policy is, and its own sensitive data. Otherwise it keeps what
        it holds today, paths and blast radius included."""
        narrowed, _ = self.narrowed_aws
        if narrowed is None:
            return self.admin, self.sensitive
        documents = [narrowed.document]
        if any(not _hop_cut(hop, documents) for hop in self.hops):
            return self.admin, self.sensitive
        level = assess_aws_policies([("narrowed", narrowed.document)]).level
        return level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT, tuple(sorted(aws_document_sensitive(documents)))

    @property
    def traits(self) -> frozenset[Trait]:
        """What its findings mean, as the rules that made them declare it (``Rule.traits``)."""
        return frozenset(t for f in self.findings for t in traits_of(f.rule_id))

    @property
    def identity_unused(self) -> bool:
        """A finding says the identity itself is unused (not only one of its secrets)."""
        kinds = (traits_of(f.rule_id) for f in self.findings)
        return any(Trait.UNUSED in t and Trait.ABOUT_SECRET not in t for t in kinds)

    @property
    def words(self) -> frozenset[str]:
        """Lower-case words of the name, path and tags: the consumer's fingerprints."""
        identity = self.identity
        text = " ".join([identity.name, identity.path or "", *identity.tags.keys(), *identity.tags.values()]).lower()
        return frozenset(_WORDS.findall(text))

    @property
    def services(self) -> frozenset[str]:
        """Cloud services trusted to act as the identity (``lambda``, ``ecs-tasks``...)."""
        return frozenset(t.principal.split(".", 1)[0] for t in self.trusts if t.kind is TrustKind.SERVICE)

    @property
    def issuers(self) -> frozenset[str]:
        return frozenset(t.issuer for t in self.trusts if t.kind is TrustKind.OIDC and t.issuer)

    @property
    def services_in_use(self) -> tuple[str, ...]:
        return tuple(sorted({c.last_used_service for c in self.secrets if c.last_used_service}))

    @property
    def exception(self) -> str | None:
        """Why the credential must stay static, when the identity's tags say so."""
        tags = {k.lower(): v for k, v in self.identity.tags.items()}
        if tags.get(EXCEPTION_TAG):
            return tags[EXCEPTION_TAG].strip().lower() or None
        for key in THIRD_PARTY_TAGS:
            if key in tags:
                return "third-party"
        return None

    @property
    def unused_only(self) -> bool:
        """Nothing it holds is in use: every live secret is flagged unused, or it is dead."""
        if self.identity_unused:
            return True
        unused = {f.subject for f in self.findings if {Trait.UNUSED, Trait.ABOUT_SECRET} <= traits_of(f.rule_id)}
        return bool(self.secrets) and all(c.id in unused for c in self.secrets)


def build_context(
    graph: PrivilegeGraph, model: RiskModel, identity: Identity, findings: list[Finding], as_of: datetime
) -> PlanContext:
    grants = graph.standing_grants_of(identity.id)
    roles = [r for g in grants if (r := graph.role(g.role_id)) is not None]
    cut = path_cut(graph, identity) if graph.identity(identity.id) else None
    return PlanContext(
        identity=identity,
        # An outside principal known only by its grants (a third party) has no workload judgement.
        workload=graph.workload_of(identity.id).kind if graph.identity(identity.id) else WorkloadKind.UNKNOWN,
        findings=tuple(findings),
        secrets=tuple(
            sorted((c for c in graph.credentials_of(identity.id) if is_standing_secret(c)), key=lambda c: c.id)
        ),
        trusts=tuple(graph.trusts_into(identity.id)),
        federation_hosts=frozenset(
            (fp.url or "").removeprefix("https://")
            for fp in graph.inventory.federation
            if fp.provider is identity.provider and fp.account == identity.account
        ),
        scope_policies=tuple(p for p in graph.inventory.scope_policies if p.provider is identity.provider),
        admin=model.reaches_admin(identity.id),
        sensitive=tuple(model.blast_radius(identity.id).sensitive),
        managed_policy_ids=tuple(sorted({r.id for r in roles if "#inline/" not in r.id})),
        policy_documents=tuple(d for r in roles for d in r.documents),
        inline_policies=tuple(
            (r.id.split("#inline/", 1)[1], d) for r in roles if "#inline/" in r.id for d in r.documents
        ),
        standing_grants=tuple(sorted({(g.scope_id, g.role_id) for g in grants})),
        as_of=as_of,
        admin_parts=admin_parts(graph, identity, grants) if model.reaches_admin(identity.id) else frozenset(),
        compute=tuple(describe_compute(w) for w in compute_uses(graph).running_as(identity.id)),
        cut=as_plan_cut(cut) if cut else None,
        cut_iac=cut_terraform(graph, cut) if cut else None,
        narrowing=narrowing_for(records_by_identity(graph).get(identity.id, ()), as_of, model.usage_window_days),
        hops=model.hops_from(identity.id),
    )


# The AWS action that takes the first hop of a path to admin, for hops a policy grants directly;
# every other hop kind (minting keys, rewriting a trust, joining a group) is privilege management.
_HOP_ACTIONS = {HopKind.ASSUME_ROLE: "sts:assumerole", HopKind.PASS_ROLE: "iam:passrole"}


def _allows(documents: list[dict[str, Any]], action: str) -> bool:
    for document in documents:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            if any(
                fnmatch.fnmatchcase(action, str(a).lower())
                for a in (actions if isinstance(actions, list) else [actions])
            ):
                return True
    return False


def _hop_cut(hop: Hop, documents: list[dict[str, Any]]) -> bool:
    """Whether a narrowed policy no longer allows an action the hop's method needs."""
    method = all_methods().get(hop.method or "")
    if method is None or hop.kind is HopKind.ASSUME_ROLE:
        return False
    return not all(_allows(documents, action.lower()) for action in method.actions)


def admin_parts(graph: PrivilegeGraph, identity: Identity, grants: list[Grant]) -> frozenset[str]:
    """The roles held that make the identity admin, judged one at a time by its provider's judge."""
    path = graph.paths_to_admin.get(identity.id) or []
    hop_action = _HOP_ACTIONS.get(path[0].kind) if path else None
    judge = analysis_profile(identity.provider).assess
    parts = set()
    for grant in grants:
        role = graph.role(grant.role_id)
        if role is None:
            continue
        if judge is not None:
            level = judge([(grant, role)]).level
        else:  # an AWS policy alone: the same for every holder, judged once per scan
            known = _AWS_LEVELS.setdefault(graph, {})
            if role.id not in known:
                known[role.id] = assess_aws_policies((role.name, d) for d in role.documents).level
            level = known[role.id]
        if level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT or (hop_action and _allows(list(role.documents), hop_action)):
            parts.add(role.id)
    return frozenset(parts)


_AWS_LEVELS: WeakKeyDictionary[PrivilegeGraph, dict[str, PrivilegeLevel]] = WeakKeyDictionary()
