"""Secrets whose provider supports an expiry: none set, too long a lifetime, or flagged leaked.

AWS access keys have no expiry at all, so these rules judge only the kinds that can expire
(GCP service-account keys, Azure client secrets and certificates); AWS keys are held to
their age by ``key-too-old`` instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.graph import PrivilegeGraph
from standing.core.facts import days_since, describe, is_standing_secret, lifetime_days
from standing.core.findings import Severity
from standing.core.model import Credential, CredentialKind, Identity
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule

EXPIRING_KINDS = frozenset({CredentialKind.SA_KEY, CredentialKind.CLIENT_SECRET, CredentialKind.CERTIFICATE})


def _expiring_secrets(graph: PrivilegeGraph) -> Iterable[tuple[Credential, Identity]]:
    for cred in graph.credentials():
        if cred.kind in EXPIRING_KINDS and is_standing_secret(cred):
            identity = graph.identity(cred.identity_id)
            if identity is not None:
                yield cred, identity


class SecretNeverExpires(Rule):
    """A secret that stays valid forever.

    The provider can put an end date on it; without one, a copy taken today works until
    someone notices. Set an expiry (or an organization policy that forces one) while the
    workload moves to federation.
    """

    id = "secret-never-expires"
    title = "Secret with no expiry"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.ABOUT_SECRET, Trait.STANDING_KEY})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for cred, identity in _expiring_secrets(graph):
            if cred.expires is None:
                yield Hit(
                    identity=identity,
                    subject=cred.id,
                    message=f"{describe(cred)} of {identity.name} never expires",
                    evidence={"created": cred.created.isoformat() if cred.created else None},
                )


class SecretLifetimeTooLong(Rule):
    """A secret issued for longer than the maximum lifetime.

    A two-year client secret is a standing credential with a calendar reminder. Issue
    secrets for at most the maximum, and rotate them automatically.
    """

    id = "secret-lifetime-too-long"
    title = "Secret issued for longer than the maximum lifetime"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.ABOUT_SECRET, Trait.STANDING_KEY})

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        max_lifetime_days: int = Field(default=180, ge=1, description="longest acceptable validity")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        for cred, identity in _expiring_secrets(graph):
            if cred.expires is None or cred.created is None:
                continue
            lifetime = lifetime_days(cred.created, cred.expires)
            if lifetime > params.max_lifetime_days:
                yield Hit(
                    identity=identity,
                    subject=cred.id,
                    message=f"{describe(cred)} of {identity.name} is valid for {lifetime} days "
                    f"(limit {params.max_lifetime_days})",
                    evidence={
                        "created": cred.created.isoformat(),
                        "expires": cred.expires.isoformat(),
                        "lifetime_days": lifetime,
                        "remaining_days": days_since(now, cred.expires),
                    },
                )


class CompromisedSecretActive(Rule):
    """A secret the provider has flagged as exposed or compromised is still usable.

    The provider found it somewhere public or saw it abused. Disable it now, then find out
    what it was used for.
    """

    id = "compromised-secret-active"
    title = "Secret flagged as exposed or compromised is still enabled"
    severity = Severity.CRITICAL
    traits = frozenset({Trait.ABOUT_SECRET, Trait.STANDING_KEY})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for cred in graph.credentials():
            if cred.compromised and cred.active:
                identity = graph.identity(cred.identity_id)
                if identity is not None:
                    yield Hit(
                        identity=identity,
                        subject=cred.id,
                        message=f"{describe(cred)} of {identity.name} is flagged "
                        f"'{cred.compromised}' and still enabled",
                        evidence={"flag": cred.compromised},
                    )
