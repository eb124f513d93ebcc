"""Every live long-lived secret, one finding each: the census of standing secrets.

On in scans, at ``low``: a key created yesterday and never used, a service-account key with an
expiry a few weeks out, a client secret valid for 180 days are each standing access, so each is
in findings.json, the plans, the report's counts and the history, though no other rule judges
it yet. The other credential rules (age, use, expiry) keep their own severities; the terminal
summary groups these findings into one line. It is also what a CI gate counts as "a new
standing key": ``standing gate`` and ``standing baseline`` always switch it on, and the gate
blocks it by its trait (``Trait.STANDING_KEY``), not by its severity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.graph import PrivilegeGraph
from standing.core.facts import describe, is_standing_secret, lifetime_days
from standing.core.findings import Severity
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule
from standing.rules.families.credentials import reported_unused


class LongLivedSecret(Rule):
    """A workload holds a long-lived secret: an access key, a service-account key, a client
    secret or certificate valid for longer than a short-lived token would be.

    Each one is standing access that works from anywhere until someone deletes it. Prefer
    federation (OIDC, workload identity, managed identities) and short-lived tokens. A secret
    that expires within ``max_lifetime_days`` of being issued is treated as short-lived.
    Provider-managed credentials (the certificate Azure keeps on a managed identity, a
    Google-managed key) are not standing secrets and are never reported.

    On by default at ``low``, one finding per secret, so the inventory of standing secrets is
    complete (the default ``--fail-on high`` is not affected); ``standing gate`` blocks a new one
    whatever its severity.
    """

    id = "long-lived-secret"
    title = "Workload holds a long-lived secret"
    severity = Severity.LOW
    traits = frozenset({Trait.ABOUT_SECRET, Trait.STANDING_KEY, Trait.SECRET_CENSUS})

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        max_lifetime_days: int = Field(
            default=1, ge=0, description="a secret valid for at most this many days is short-lived"
        )

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        for cred in graph.credentials():
            if not is_standing_secret(cred):
                continue
            if cred.expires is not None and cred.expires <= now:
                continue  # expired: judged by expired-secret-present
            issued = cred.created or now
            lifetime = lifetime_days(issued, cred.expires) if cred.expires is not None else None
            if lifetime is not None and lifetime <= params.max_lifetime_days:
                continue
            identity = graph.identity(cred.identity_id)
            if identity is None:
                continue
            valid = "never expires" if lifetime is None else f"is valid for {lifetime} days"
            yield Hit(
                identity=identity,
                subject=cred.id,
                message=f"{describe(cred)} of {identity.name} {valid}",
                evidence={
                    "kind": cred.kind.value,
                    "created": cred.created.isoformat() if cred.created else None,
                    "expires": cred.expires.isoformat() if cred.expires else None,
                    "lifetime_days": lifetime,
                    **reported_unused(cred),
                },
            )
