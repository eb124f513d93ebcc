"""Offboarding, continued: privileged identities nobody can sign in as today, but anyone may arm.

Kept apart from ``offboarding.py`` (unused and unowned identities) because it is judged on
privilege and on escalation hops into the identity, not on use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import ADMIN_SINK, Hop
from standing.analysis.privilege import PrivilegeLevel
from standing.core.facts import days_since, idleness, is_nhi, is_standing_secret
from standing.core.findings import Severity
from standing.core.model import (
    Credential,
    CredentialKind,
    Identity,
    IdentityKind,
    Provider,
    TrustKind,
    UsageStatus,
)
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule

# Identities a credential can be minted for: IAM users (access key, console password; other
# clouds' users are people), GCP service accounts (keys), Entra applications and their service
# principals (secrets, certificates). Roles have no credential of their own (``path-to-admin`` covers them);
# managed identities take none.
_MINTABLE = frozenset({IdentityKind.USER, IdentityKind.SERVICE_ACCOUNT, IdentityKind.SERVICE_PRINCIPAL})
_SHOWN = 5


def _live(credential: Credential) -> bool:
    """A credential someone can present today: a standing secret, a console password, a federated one.

    Provider-managed keys and certificates are not: nobody outside the provider holds them.
    """
    return credential.active and (
        is_standing_secret(credential) or credential.kind in (CredentialKind.PASSWORD, CredentialKind.FEDERATED)
    )


class DormantPrivilegedIdentity(Rule):
    """A privileged workload identity with no live credential today: armed by whoever mints one.

    An IAM user holding AdministratorAccess, IAM write, or a path to admin, with no access key
    and no console password; a GCP service account with no user-managed key; an Entra
    application with no secret, certificate or federated credential. Nothing signs in as it
    today, so per-credential rules say nothing, yet anyone allowed to create an access key or
    login profile for it, add a secret to the app (its owners) or a key to the account (key
    admins, token creators) becomes what it is. This is improper offboarding: the privilege
    outlived the workload. The finding names the hops into the identity found in the scan
    (``could_mint``); administrators of its account can always mint one too.

    Severity: **high** when the identity is admin or holds privilege management (it can grant
    itself admin in one call); **medium** when it only has a path to admin, which still needs
    the path's hops. A service account or service principal may run with no key at all (attached
    to a workload, or through web identity), so it counts only when its provider reports it idle:
    never seen authenticating in the reported window (past ``grace_days`` of age), or last seen
    more than ``unused_days`` ago, or not in a longer window the provider keeps (unknown use is
    not idleness). An IAM user cannot be used without a credential, so its use is
    not asked. Roles are out of scope (nothing to mint; ``path-to-admin`` reports them), as are
    identities with a live credential (``admin-equivalent`` and ``path-to-admin`` report those).
    Delete the identity, or remove its privilege; if it must stay, move the privilege to a
    just-in-time grant.
    """

    id = "dormant-privileged-identity"
    title = "Privileged identity without a live credential can be armed by minting one"
    severity = Severity.HIGH
    traits = frozenset({Trait.PRIVILEGED})

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        unused_days: int = Field(
            default=90, ge=1, description="days a service account or principal must be idle to count as dormant"
        )
        grace_days: int = Field(default=30, ge=0, description="age a never-used service account or principal may reach")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        paths = graph.paths_to_admin
        into: dict[str, list[Hop]] | None = None  # hops by target, gathered once if anything is dormant
        for identity in graph.identities():
            if identity.kind not in _MINTABLE or not is_nhi(identity):
                continue
            if identity.kind is IdentityKind.USER and identity.provider is not Provider.AWS:
                continue  # Entra and Google users are people: counted, not judged
            if any(_live(c) for c in graph.credentials_of(identity.id)):
                continue
            if identity.kind is not IdentityKind.USER and not _idle(graph, identity, params, now):
                continue
            assessment = graph.privilege_of(identity.id)
            path = paths.get(identity.id)
            if assessment.level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT:
                held = f"{assessment.level.label} permissions"
                severity = Severity.HIGH
            elif path:
                names = [identity.name] + [
                    "administrator" if h.target == ADMIN_SINK else (graph.identity(h.target) or identity).name
                    for h in path
                ]
                held = f"a path to admin ({' -> '.join(names)})"
                severity = Severity.MEDIUM
            else:
                continue
            if into is None:
                into = _hops_into(graph)
            minters = into.get(identity.id, [])
            yield Hit(
                identity=identity,
                severity=severity,
                message=f"{identity.name} holds {held} but no live credential; " + _who(graph, minters, identity),
                evidence={
                    "privilege": assessment.level.label,
                    "because": list(assessment.evidence),
                    "hops": [h.as_evidence() for h in path] if path and severity is Severity.MEDIUM else [],
                    "could_mint": [
                        {"who": h.source, "name": _name(graph, h.source), "how": h.kind.value, "why": h.reason}
                        for h in minters
                    ],
                    "disabled": identity.disabled,
                },
            )


def _idle(graph: PrivilegeGraph, identity: Identity, params: DormantPrivilegedIdentity.Params, now: datetime) -> bool:
    """A service account or principal known to be idle: never seen authenticating in the window
    its provider reports (unless created within ``grace_days``), last seen more than
    ``unused_days`` ago, or not seen in a provider window longer than that. Unknown use is not
    idleness (an attached workload needs no key), and web identity tokens are a way in that is
    in use.
    """
    if any(t.kind is TrustKind.OIDC for t in graph.trusts_into(identity.id)):
        return False
    if identity.last_used_status is UsageStatus.NEVER:
        # The creation date is not always known (GCP lists none): no use on record is idleness then.
        return identity.created is None or days_since(identity.created, now) > params.grace_days
    return idleness(identity, now, unused_days=params.unused_days, grace_days=params.grace_days) is not None


def _hops_into(graph: PrivilegeGraph) -> dict[str, list[Hop]]:
    """Hops by target: who can mint each identity a credential, impersonate or own it.

    One per source (an unconditional hop preferred), sorted; one pass over the hops the
    escalation search already found, rather than a graph built for the purpose.
    """
    best: dict[tuple[str, str], Hop] = {}
    for hop in graph.escalation_hops:
        known = best.get((hop.target, hop.source))
        if known is None or (known.conditional and not hop.conditional):
            best[(hop.target, hop.source)] = hop
    into: dict[str, list[Hop]] = {}
    for (target, _), hop in best.items():
        into.setdefault(target, []).append(hop)
    for hops in into.values():
        hops.sort(key=lambda h: (h.conditional, h.source))
    return into


def _name(graph: PrivilegeGraph, identity_id: str) -> str:
    found = graph.identity(identity_id)
    return found.name if found is not None else identity_id


def _who(graph: PrivilegeGraph, minters: list[Hop], identity: Identity) -> str:
    admins = f"administrators of {identity.account}"
    if not minters:
        return f"no identity below admin found in the scan could mint one ({admins} can)"
    shown = ", ".join(f"{_name(graph, m.source)} ({m.kind.value})" for m in minters[:_SHOWN])
    more = f" (+{len(minters) - _SHOWN} more)" if len(minters) > _SHOWN else ""
    return f"{len(minters)} identit{'y' if len(minters) == 1 else 'ies'} could mint one or act as it: {shown}{more}"
