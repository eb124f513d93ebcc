"""Secrets left behind: expired ones never removed, and secrets kept after moving to federation.

Shared by every provider whose secrets carry an end date (Azure client secrets and
certificates, GCP keys) or that offers federated credentials beside secrets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from standing.analysis.graph import PrivilegeGraph
from standing.core.facts import describe, is_long_lived_secret, is_nhi
from standing.core.findings import Severity
from standing.core.model import CredentialKind
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule


class ExpiredSecretPresent(Rule):
    """An expired secret or certificate is still attached to the identity.

    It no longer signs anyone in, but it shows rotation is done by letting things expire
    rather than by removing them, clutters every review, and gets renewed in place by the
    next person who "fixes" the outage. Delete expired credentials.
    """

    id = "expired-secret-present"
    title = "Expired secret still attached"
    severity = Severity.LOW
    traits = frozenset({Trait.ABOUT_SECRET})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for cred in graph.credentials():
            if not is_long_lived_secret(cred):
                continue
            if cred.expires is None or cred.expires > now:
                continue
            identity = graph.identity(cred.identity_id)
            if identity is None:
                continue
            yield Hit(
                identity=identity,
                subject=cred.id,
                message=f"{describe(cred)} of {identity.name} expired on {cred.expires.date().isoformat()} "
                "and is still attached",
                evidence={
                    "expires": cred.expires.isoformat(),
                    "created": cred.created.isoformat() if cred.created else None,
                },
            )


class FederatedButKeepsSecrets(Rule):
    """An identity that already federates (keyless) but still holds a live long-lived secret.

    The migration to workload identity federation is half done: the federated credential
    works, yet a secret that can be copied and used from anywhere is still valid. Once
    nothing signs in with the secret, delete it.
    """

    id = "federated-and-secrets"
    title = "Federated identity still holds long-lived secrets"
    severity = Severity.MEDIUM

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if not is_nhi(identity):
                continue
            creds = graph.credentials_of(identity.id)
            federated = sorted(c.id for c in creds if c.kind is CredentialKind.FEDERATED and c.active)
            secrets = graph.standing_secrets_of(identity.id)
            if federated and secrets:
                yield Hit(
                    identity=identity,
                    message=f"{identity.name} signs in with federation but still holds "
                    f"{len(secrets)} long-lived secret(s)",
                    evidence={"federated_credentials": federated, "long_lived_secrets": secrets},
                )
