"""Escalation: workload identities some hops away from admin, and owners who can take over."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.cuts import cut_path
from standing.analysis.graph import PrivilegeGraph
from standing.analysis.guardrails import cut_hops
from standing.analysis.hops import ADMIN_SINK
from standing.analysis.privilege import PrivilegeLevel
from standing.core.facts import describe, is_nhi, is_standing_secret
from standing.core.findings import Severity
from standing.core.model import CredentialKind, Identity, IdentityKind, Trust, TrustKind
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule


class PathToAdmin(Rule):
    """A workload identity that is not admin itself reaches admin through other identities.

    Its own permissions look modest, but they let it assume a role, mint a key for another
    user, pass a role to a service it controls, or rewrite a policy, and so on until it is an
    administrator. Escalation split across several policies and roles (a "jump" role allowed
    ``sts:AssumeRole`` on an admin role that trusts it, a chain of roles each trusting the one
    before) is invisible to a per-policy check; the path, hop by hop with the permission behind
    each, is in the evidence, with the smallest change that cuts it (``cut``: one Deny or trust
    edit, see ``standing.analysis.cuts``). Every identity that reaches admin gets its own finding, whatever
    it holds: keys, or only a trust.

    Severity follows how the start can be entered (``entered_by`` in the evidence):
    **critical** from a live standing secret or console password, a trust that admits anyone,
    an account outside the estate, or web identity (CI/OIDC) tokens; **high** otherwise (a role
    only a cloud service or principals of the estate may assume, ``Principal: *`` narrowed by
    ``aws:PrincipalOrgID`` or to the estate's accounts by ``aws:PrincipalAccount``, a service
    account others impersonate). A path with a hop under a condition nobody judged is at most high. A role
    that no live trust admits is not reported (nobody can start there; whoever can rewrite its
    trust has a finding of its own), nor is an IAM user with no live credential
    (``dormant-privileged-identity`` names who could mint one). An identity that is
    admin-equivalent itself is reported as ``admin-equivalent``. Break the weakest hop, and move
    the start to short-lived access.
    """

    id = "path-to-admin"
    title = "Workload identity has an escalation path to admin"
    severity = Severity.CRITICAL
    traits = frozenset({Trait.PRIVILEGED})

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        max_hops: int = Field(default=6, ge=1, description="longest path worth reporting")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        paths = graph.paths_to_admin
        for identity in graph.identities():
            path = paths.get(identity.id)
            if not path or len(path) > params.max_hops or not is_nhi(identity):
                continue
            if graph.privilege_of(identity.id).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT:
                continue  # already admin-equivalent: reported as such
            entries = ways_in(graph, identity)
            if not entries:
                continue  # nobody can start here today
            end = path[-1].target
            landing = "administrator" if end == ADMIN_SINK else (graph.identity(end) or identity).name
            names = [identity.name] + [
                "administrator" if h.target == ADMIN_SINK else (graph.identity(h.target) or identity).name for h in path
            ]
            critical = any(e.critical for e in entries) and not any(h.conditional for h in path)
            stopped = cut_hops(graph, identity.id)
            yield Hit(
                identity=identity,
                severity=Severity.CRITICAL if critical else Severity.HIGH,
                message=f"{identity.name} reaches {landing} in {len(path)} hop(s): "
                + " -> ".join(names)
                + f"; it is entered through {_summary(entries)}",
                evidence={
                    "long_lived_secrets": graph.standing_secrets_of(identity.id),
                    "entered_by": [e.as_evidence() for e in entries],
                    "hops": [h.as_evidence() for h in path],
                    **({"cut": cut.as_evidence()} if (cut := cut_path(graph, path)) else {}),
                    # Shorter or other ways a guardrail above the account stops: this path is what is left.
                    **({"stopped_by_guardrails": [c.as_evidence() for c in stopped]} if stopped else {}),
                },
            )


@dataclass(frozen=True)
class Entry:
    """One way the start of a path can be entered today, and whether it makes the path critical."""

    how: str  # standing-secret, password, anyone, outside-account, web-identity, account, principal, ...
    who: str
    critical: bool

    def describe(self) -> str:
        return f"{_ENTRY_WORDS.get(self.how, self.how)} {self.who}".strip()

    def as_evidence(self) -> dict[str, object]:
        return {"how": self.how, "who": self.who, "critical": self.critical}


_ENTRY_WORDS = {
    "standing-secret": "its standing secret",
    "password": "its console password",
    "federated-credential": "web identity tokens through its federated credential",
    "anyone": "a trust admitting any principal",
    "inside": "a trust admitting any principal, narrowed to",
    "outside-account": "a trust admitting outside account",
    "web-identity": "web identity tokens from",
    "saml": "SAML federation through",
    "account": "a trust admitting the principals of account",
    "principal": "a trust naming",
    "service": "the service",
    "impersonation": "impersonation by",
    "owner": "its owner",
    "attached": "the workloads it is attached to",
}


def _account_of(principal: str) -> str | None:
    """The AWS account an ARN or bare account id names, or None for anything else."""
    if principal.startswith("arn:"):
        parts = principal.split(":")
        return parts[4] if len(parts) > 4 and parts[4] else None
    return principal if principal.isdigit() and len(principal) == 12 else None


_ORG_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})


def _inside_only(trust: Trust, known: frozenset[str]) -> str | None:
    """Who a ``Principal: *`` trust is narrowed to, when a condition keeps it inside the estate.

    ``aws:PrincipalOrgID`` / ``aws:PrincipalOrgPaths`` (an organization's principals), or
    ``aws:PrincipalAccount`` naming only accounts of this scan, under a positive operator.
    Anything else (``sts:ExternalId``, a source IP) still lets in whoever meets it.
    """
    for source in trust.condition.sources:
        if source.operator.startswith(("StringNot", "ForAnyValue:StringNot", "ForAllValues:StringNot")):
            continue
        key = source.key.lower()
        if key in _ORG_KEYS and source.values:
            return f"principals of organization {', '.join(source.values)}"
        if key == "aws:principalaccount" and source.values and set(source.values) <= known:
            return f"principals of account {', '.join(source.values)}"
    return None


def ways_in(graph: PrivilegeGraph, identity: Identity) -> list[Entry]:
    """How an identity can be entered today: its live credentials, then every live trust into it.

    Empty for a role no live trust admits and for an IAM user with no live credential.
    """
    entries: list[Entry] = []
    for cred in graph.credentials_of(identity.id):
        if not cred.active:
            continue
        if is_standing_secret(cred):
            entries.append(Entry("standing-secret", describe(cred), True))
        elif cred.kind is CredentialKind.PASSWORD:
            entries.append(Entry("password", "", True))
        elif cred.kind is CredentialKind.FEDERATED:
            entries.append(Entry("federated-credential", cred.id, True))
    known = graph.known_accounts
    for trust in graph.trusts_into(identity.id):
        who = graph.identity(trust.principal)
        name = who.name if who is not None else trust.principal
        account = _account_of(trust.principal)
        if trust.kind is TrustKind.ANY:
            inside = _inside_only(trust, known)
            if inside is not None:
                entries.append(Entry("inside", inside, False))
            else:
                entries.append(Entry("anyone", "(under conditions)" if trust.condition.conditional else "", True))
        elif trust.kind is TrustKind.OIDC:
            entries.append(Entry("web-identity", trust.issuer or trust.principal, True))
        elif trust.kind in (TrustKind.ACCOUNT, TrustKind.PRINCIPAL) and account is not None and account not in known:
            entries.append(Entry("outside-account", account, True))
        elif trust.kind is TrustKind.ACCOUNT:
            entries.append(Entry("account", account or trust.principal, False))
        else:
            entries.append(Entry(trust.kind.value, name, False))
    if entries or identity.kind in (IdentityKind.ROLE, IdentityKind.USER):
        return entries
    # A service account or managed identity runs as whatever workload it is attached to.
    return [Entry("attached", "", False)]


def _summary(entries: list[Entry]) -> str:
    """The ways in, the ones that make the path critical first, at most three named."""
    shown = list(dict.fromkeys(e.describe() for e in sorted(entries, key=lambda e: not e.critical)))
    more = f" (+{len(shown) - 3} more)" if len(shown) > 3 else ""
    return ", ".join(shown[:3]) + more


class OwnerOfPrivilegedIdentity(Rule):
    """Someone can add a credential to an admin-equivalent workload identity.

    An owner of an Azure app (or a GCP key admin on a service account) can mint a new
    secret and sign in as the identity: every owner holds the identity's privilege, whatever
    their own roles say. Remove owners from privileged apps, or move the privilege to a
    just-in-time grant.
    """

    id = "owner-of-privileged-identity"
    title = "Privileged identity can be taken over by its owners"
    severity = Severity.HIGH

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            owners = [t for t in graph.trusts_into(identity.id) if t.kind is TrustKind.OWNER]
            if not owners or not is_nhi(identity):
                continue
            assessment = graph.privilege_of(identity.id)
            if assessment.level < PrivilegeLevel.PRIVILEGE_MANAGEMENT:
                continue
            for trust in owners:
                owner = graph.identity(trust.principal)
                who = owner.name if owner else trust.principal
                yield Hit(
                    identity=identity,
                    discriminator=trust.principal,
                    message=f"{who} can add credentials to {identity.name}, which holds "
                    f"{assessment.level.label} permissions",
                    evidence={
                        "owner": trust.principal,
                        "owner_name": who,
                        "actions": trust.actions,
                        "privilege": assessment.level.label,
                        "because": list(assessment.evidence),
                    },
                )
