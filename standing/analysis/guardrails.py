"""Which escalation hops a guardrail above the account stops.

An identity's own grants may allow a hop that an AWS service control policy (SCP) or resource
control policy (RCP), a GCP IAM deny policy or an Azure deny assignment forbids; such a hop is
no way to admin. ``split_hops`` removes those hops from the escalation graph and keeps each as a
``CutHop`` naming the guardrail, so ``explain`` can say why a path that the grants allow is not
reported.

The reading errs, like ``aws_policy``, towards keeping a hop: only an unconditional deny cuts
(a conditional one depends on the request), an SCP allow-list cuts only where a level of the
organization has SCPs we read and none of them allows the action, and a hop that could use any
of several actions is cut only when every one of them is stopped. SCPs and RCPs never bind the
management account or service-linked roles (AWS exempts both).

The actions a hop needs come from its method (``analysis.methods``) when it has one, otherwise
from its kind (``_KIND_ACTIONS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from standing.analysis.aws_policy import Statement, statements
from standing.analysis.hops import ADMIN_SINK, Hop, HopKind
from standing.analysis.methods import all_methods
from standing.core.model import Guardrail, GuardrailKind, Identity, Provider, is_service_linked_role

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph

# Azure's principal id meaning "everyone" in a deny assignment.
_AZURE_EVERYONE = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True, slots=True)
class Needs:
    """What a hop needs: every one of ``all_of``, and (when given) at least one of ``any_of``."""

    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()


# When a hop carries no method id: the actions its kind is made of, per provider.
_KIND_ACTIONS: dict[tuple[Provider, HopKind], Needs] = {
    (Provider.AWS, HopKind.ASSUME_ROLE): Needs(("sts:AssumeRole",)),
    (Provider.AWS, HopKind.PASS_ROLE): Needs(("iam:PassRole",)),
    (Provider.AWS, HopKind.CREATE_CREDENTIALS): Needs(
        any_of=("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
    ),
    (Provider.AWS, HopKind.REWRITE_TRUST): Needs(("iam:UpdateAssumeRolePolicy",)),
    (Provider.AWS, HopKind.SELF_POLICY): Needs(
        any_of=(
            "iam:AttachUserPolicy",
            "iam:PutUserPolicy",
            "iam:AttachRolePolicy",
            "iam:PutRolePolicy",
            "iam:CreatePolicyVersion",
            "iam:AttachGroupPolicy",
            "iam:PutGroupPolicy",
        )
    ),
    (Provider.AWS, HopKind.JOIN_GROUP): Needs(("iam:AddUserToGroup",)),
    (Provider.GCP, HopKind.IMPERSONATE): Needs(
        any_of=(
            "iam.googleapis.com/serviceAccounts.getAccessToken",
            "iam.googleapis.com/serviceAccounts.signBlob",
            "iam.googleapis.com/serviceAccounts.signJwt",
            "iam.googleapis.com/serviceAccounts.implicitDelegation",
            "iam.googleapis.com/serviceAccountKeys.create",
        )
    ),
    (Provider.GCP, HopKind.CREATE_CREDENTIALS): Needs(("iam.googleapis.com/serviceAccountKeys.create",)),
    (Provider.GCP, HopKind.SET_IAM_POLICY): Needs(
        any_of=(
            "cloudresourcemanager.googleapis.com/projects.setIamPolicy",
            "cloudresourcemanager.googleapis.com/folders.setIamPolicy",
            "cloudresourcemanager.googleapis.com/organizations.setIamPolicy",
            "iam.googleapis.com/serviceAccounts.setIamPolicy",
        )
    ),
    (Provider.AZURE, HopKind.SET_IAM_POLICY): Needs(("Microsoft.Authorization/roleAssignments/write",)),
    (Provider.AZURE, HopKind.OWNER): Needs(
        any_of=(
            "microsoft.directory/applications/credentials/update",
            "microsoft.directory/servicePrincipals/credentials/update",
        )
    ),
}


@dataclass(frozen=True, slots=True)
class CutHop:
    """A hop the grants allow and a guardrail stops: evidence for ``explain``."""

    hop: Hop
    guardrail: Guardrail
    action: str

    def describe(self) -> str:
        target = "administrator" if self.hop.target == ADMIN_SINK else self.hop.target
        return (
            f"{self.hop.kind.value} to {target} would need {self.action}, "
            f"which {self.guardrail.kind.value} {self.guardrail.name} ({self.guardrail.id}) denies"
        )

    def as_evidence(self) -> dict[str, object]:
        return {**self.hop.as_evidence(), "cut_by": self.guardrail.id, "guardrail": self.guardrail.name}


def needs_of(hop: Hop, provider: Provider) -> Needs:
    """The actions ``hop`` needs: its method's (all of them), else its kind's."""
    if hop.method:
        known = all_methods().get(hop.method)
        if known is not None and known.actions:
            return Needs(known.actions)
    return _KIND_ACTIONS.get((provider, hop.kind), Needs())


@dataclass
class _Judge:
    """The guardrails of one inventory, parsed once, and where each identity sits."""

    graph: PrivilegeGraph
    identities: dict[str, Identity] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    by_kind: dict[GuardrailKind, list[Guardrail]] = field(default_factory=dict)
    parsed: dict[str, tuple[Statement, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        inventory = self.graph.inventory
        self.identities = {i.id: i for i in inventory.identities}
        self.parents = {s.id: s.parent_id for s in inventory.scopes if s.parent_id}
        for guardrail in inventory.guardrails:
            self.by_kind.setdefault(guardrail.kind, []).append(guardrail)
            if guardrail.kind in (GuardrailKind.SCP, GuardrailKind.RCP):
                self.parsed[guardrail.id] = statements([(guardrail.id, guardrail.document)])

    def lineage(self, scope: str) -> list[str]:
        """``scope`` and every scope above it, nearest first."""
        found = [scope]
        while (parent := self.parents.get(found[-1])) and parent not in found:
            found.append(parent)
        return found

    # -- AWS ---------------------------------------------------------------------------------

    def _aws_levels(self, account: str, kind: GuardrailKind) -> list[list[Guardrail]] | None:
        """Per level from the account up to the root, the SCPs or RCPs attached there."""
        guardrails = [g for g in self.by_kind.get(kind, []) if account not in g.exempt_accounts]
        if not guardrails:
            return None
        levels = [
            s for s in self.lineage(f"aws:account:{account}") if s.startswith(("aws:account:", "aws:ou:", "aws:root:"))
        ]
        return [[g for g in guardrails if level in g.targets] for level in levels]

    def _scp_stop(self, source: Identity, action: str, resource: str) -> Guardrail | None:
        if is_service_linked_role(source):
            return None
        levels = self._aws_levels(source.account, GuardrailKind.SCP)
        if not levels:
            return None
        for level in levels:
            for guardrail in level:
                for stmt in self.parsed[guardrail.id]:
                    if not stmt.allow and not stmt.conditional and stmt.covers(action, resource):
                        return guardrail
        for level in levels:
            # Every level must allow the action: SCPs are an allow-list. A level whose SCPs we
            # read hold no Allow at all is one where an SCP (AWS requires one) went unread.
            allowing = [(g, stmt) for g in level for stmt in self.parsed[g.id] if stmt.allow]
            if allowing and not any(stmt.covers(action, resource) for _, stmt in allowing):
                return allowing[0][0]
        return None

    def _rcp_stop(self, source: Identity, target: Identity | None, action: str, resource: str) -> Guardrail | None:
        if target is None or target.provider is not Provider.AWS or is_service_linked_role(source):
            return None
        for level in self._aws_levels(target.account, GuardrailKind.RCP) or []:
            for guardrail in level:
                for stmt in self.parsed[guardrail.id]:
                    if not stmt.allow and not stmt.conditional and stmt.covers(action, resource):
                        return guardrail
        return None

    # -- GCP ---------------------------------------------------------------------------------

    def _gcp_stop(self, source: Identity, target: Identity | None, action: str) -> Guardrail | None:
        guardrails = self.by_kind.get(GuardrailKind.GCP_DENY, [])
        if not guardrails:
            return None
        where = target if target is not None else source
        above = set(self.lineage(f"projects/{where.account}"))
        for guardrail in guardrails:
            if above.isdisjoint(guardrail.targets):
                continue
            for rule in _gcp_rules(guardrail.document):
                if rule.get("denialCondition"):
                    continue
                if not _gcp_principal_in(source, rule.get("deniedPrincipals")):
                    continue
                if _gcp_principal_in(source, rule.get("exceptionPrincipals")):
                    continue
                if _gcp_permission_in(action, rule.get("deniedPermissions")) and not _gcp_permission_in(
                    action, rule.get("exceptionPermissions")
                ):
                    return guardrail
        return None

    # -- Azure -------------------------------------------------------------------------------

    def _azure_stop(self, source: Identity, target: Identity | None, hop: Hop, action: str) -> Guardrail | None:
        guardrails = self.by_kind.get(GuardrailKind.AZURE_DENY, [])
        if not guardrails:
            return None
        places = [p.lower() for p in (hop.target, target.path if target else None) if p and p.startswith("/")]
        for guardrail in guardrails:
            props: dict[str, Any] = guardrail.document.get("properties", guardrail.document)
            scopes = [t.lower().rstrip("/") for t in guardrail.targets]
            if not any(s == "" or any(p == s or p.startswith(s + "/") for p in places) for s in scopes):
                continue
            if not _azure_principal_in(source, props.get("principals")) or _azure_principal_in(
                source, props.get("excludePrincipals"), everyone=False
            ):
                continue
            permissions = props.get("permissions") or []
            for permission in permissions if isinstance(permissions, list) else []:
                if _azure_action_in(action, permission.get("actions")) and not _azure_action_in(
                    action, permission.get("notActions")
                ):
                    return guardrail
        return None

    def stop(self, hop: Hop) -> CutHop | None:
        source = self.identities.get(hop.source)
        if source is None:
            return None
        target = self.identities.get(hop.target)
        needs = needs_of(hop, source.provider)
        # Self-policy hops act on the source itself; every other hop on its target.
        resource = target.id if target else (source.id if hop.target == ADMIN_SINK else hop.target)

        def stopped(action: str) -> Guardrail | None:
            return self.stopping(source, target, hop, resource, action)

        return self._cut(hop, needs, stopped)

    def stopping(
        self, source: Identity, target: Identity | None, hop: Hop, resource: str, action: str
    ) -> Guardrail | None:
        """The guardrail that stops ``source`` doing ``action`` on the hop's target, if any."""
        if source.provider is Provider.AWS:
            return self._scp_stop(source, action, resource) or self._rcp_stop(source, target, action, resource)
        if source.provider is Provider.GCP:
            return self._gcp_stop(source, target, action)
        if source.provider is Provider.AZURE:
            return self._azure_stop(source, target, hop, action)
        return None

    @staticmethod
    def _cut(hop: Hop, needs: Needs, stopped: Callable[[str], Guardrail | None]) -> CutHop | None:
        for action in needs.all_of:
            if (guardrail := stopped(action)) is not None:
                return CutHop(hop, guardrail, action)
        if needs.any_of:
            first: CutHop | None = None
            for action in needs.any_of:
                guardrail = stopped(action)
                if guardrail is None:
                    return None
                first = first or CutHop(hop, guardrail, action)
            return first
        return None


def _gcp_rules(document: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for rule in document.get("rules") or []:
        if isinstance(rule, dict) and isinstance(rule.get("denyRule"), dict):
            yield rule["denyRule"]


def _gcp_principal_in(source: Identity, principals: Sequence[str] | None) -> bool:
    """Whether a deny policy's principal list names ``source`` (by service account, or everyone)."""
    for principal in principals or []:
        if principal == "principalSet://goog/public:all":
            return True
        if principal.startswith("principal://iam.googleapis.com/") and principal.rsplit("/", 1)[-1] == source.name:
            return True
        if (
            principal
            == f"principalSet://cloudresourcemanager.googleapis.com/projects/{source.account}/type/ServiceAccount"
        ):
            return True
    return False


def _gcp_deny_form(permission: str) -> str:
    """``iam.serviceAccounts.actAs`` as deny policies spell it: ``iam.googleapis.com/serviceAccounts.actAs``."""
    if "/" in permission:
        return permission
    service, _, rest = permission.partition(".")
    host = "cloudresourcemanager" if service == "resourcemanager" else service
    return f"{host}.googleapis.com/{rest}"


def _gcp_permission_in(action: str, permissions: Sequence[str] | None) -> bool:
    """``service.googleapis.com/resource.verb`` matched, with ``*`` wildcards as deny policies allow."""
    wanted = _gcp_deny_form(action)
    return any(fnmatchcase(wanted, p) for p in permissions or [])


def _azure_principal_in(source: Identity, principals: Any, *, everyone: bool = True) -> bool:
    for principal in principals if isinstance(principals, list) else []:
        pid = str(principal.get("id", "")).lower()
        if pid == source.id.lower() or (everyone and pid == _AZURE_EVERYONE):
            return True
    return False


def _azure_action_in(action: str, patterns: Any) -> bool:
    return any(fnmatchcase(action.lower(), str(p).lower()) for p in (patterns if isinstance(patterns, list) else []))


# The hops each graph's guardrails cut, kept beside the graph (not in it: the graph's module
# stays unaware of guardrails) for as long as the graph lives.
_CUTS: WeakKeyDictionary[PrivilegeGraph, list[CutHop]] = WeakKeyDictionary()


def split_hops(graph: PrivilegeGraph, hops: list[Hop]) -> tuple[list[Hop], list[CutHop]]:
    """The hops no guardrail stops, and the ones one does with the guardrail that stops each.

    The cut ones are remembered for ``cut_hops``.
    """
    if not graph.inventory.guardrails:
        return hops, []
    judge = _Judge(graph)
    kept: list[Hop] = []
    cut: list[CutHop] = []
    for hop in hops:
        stopped = judge.stop(hop)
        if stopped is None:
            kept.append(hop)
        else:
            cut.append(stopped)
    _CUTS[graph] = cut
    return kept, cut


def cut_hops(graph: PrivilegeGraph, source: str | None = None) -> list[CutHop]:
    """Hops the grants allow and a guardrail stops (from ``source`` only, when given)."""
    graph.escalation_hops  # noqa: B018 - computing the hops is what records the cuts
    cut = _CUTS.get(graph, [])
    return [c for c in cut if c.hop.source == source] if source is not None else list(cut)


def stopped_by(graph: PrivilegeGraph, hop: Hop, action: str) -> Guardrail | None:
    """The guardrail that stops ``action`` on ``hop``'s way, if any (one action, whatever the hop needs)."""
    judge = _Judge(graph)
    source = judge.identities.get(hop.source)
    if source is None:
        return None
    target = judge.identities.get(hop.target)
    resource = target.id if target else (source.id if hop.target == ADMIN_SINK else hop.target)
    return judge.stopping(source, target, hop, resource, action)
