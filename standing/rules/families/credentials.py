"""Long-lived secrets: their age, their use, how many, and who holds them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.graph import PrivilegeGraph
from standing.core.facts import days_since, describe, idleness, is_standing_secret, window_words
from standing.core.findings import Severity
from standing.core.model import Credential, CredentialKind, IdentityKind
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def reported_unused(cred: Credential) -> dict[str, Any]:
    """The provider's own report that ``cred`` is unused (Entra's ``staleAppCreds``), as evidence
    to merge into a credential finding's; empty when the provider said nothing."""
    report = cred.reported_unused
    if report is None:
        return {}
    return {
        "provider_reports_unused": {
            "source": report.source,
            "reference": report.reference,
            "window_days": report.window_days,
            "reported_at": _iso(report.reported_at),
            "last_active": _iso(report.last_active),
        }
    }


class KeyTooOld(Rule):
    """An active long-lived secret older than the rotation window.

    Every day a key lives is a day a copy of it (in a CI variable, a laptop, a log) can be
    used by someone else. Replace it with federation or short-lived tokens; until then,
    rotate it within the window.
    """

    id = "key-too-old"
    title = "Long-lived secret older than the rotation window"
    severity = Severity.HIGH
    traits = frozenset({Trait.ABOUT_SECRET, Trait.STANDING_KEY})

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        max_age_days: int = Field(default=90, ge=1, description="oldest acceptable age of an active secret")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        for cred in graph.credentials():
            if not is_standing_secret(cred) or cred.created is None:
                continue
            age = days_since(cred.created, now)
            if age > params.max_age_days:
                identity = graph.identity(cred.identity_id)
                if identity is None:
                    continue
                yield Hit(
                    identity=identity,
                    subject=cred.id,
                    message=f"{describe(cred)} of {identity.name} is {age} days old (limit {params.max_age_days})",
                    evidence={
                        "created": _iso(cred.created),
                        "age_days": age,
                        "max_age_days": params.max_age_days,
                        "last_used": _iso(cred.last_used),
                        **reported_unused(cred),
                    },
                )


class KeyUnused(Rule):
    """An active long-lived secret nobody uses: unused for too long, or never used past a grace period.

    An unused key is pure exposure: deleting it breaks nothing. Keys whose use the provider
    cannot report (used before tracking began) are not judged.
    """

    id = "key-unused"
    title = "Active secret not used"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.ABOUT_SECRET, Trait.STANDING_KEY, Trait.UNUSED})

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        unused_days: int = Field(default=45, ge=1, description="days without use before a key is stale")
        grace_days: int = Field(default=7, ge=0, description="age a never-used key may reach")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        for cred in graph.credentials():
            if not is_standing_secret(cred):
                continue
            identity = graph.identity(cred.identity_id)
            if identity is None:
                continue
            idle = idleness(cred, now, unused_days=params.unused_days, grace_days=params.grace_days)
            if idle is None:
                continue
            if idle.window is not None:
                report = cred.reported_unused
                why = (
                    f"Microsoft Entra reports no use in the last {idle.window} days ({report.source})"
                    if report is not None and report.window_days == idle.window
                    else window_words(idle, identity.provider)
                )
                yield Hit(
                    identity=identity,
                    subject=cred.id,
                    message=f"{describe(cred)} of {identity.name}: {why}",
                    evidence={
                        "created": _iso(cred.created),
                        "no_use_recorded_days": idle.days,
                        "last_used": None,
                        **reported_unused(cred),
                    },
                )
            elif idle.never:
                yield Hit(
                    identity=identity,
                    subject=cred.id,
                    message=f"{describe(cred)} of {identity.name} has never been used in {idle.days} days",
                    evidence={
                        "created": _iso(cred.created),
                        "age_days": idle.days,
                        "last_used": None,
                        **reported_unused(cred),
                    },
                )
            else:
                yield Hit(
                    identity=identity,
                    subject=cred.id,
                    message=f"{describe(cred)} of {identity.name} was last used {idle.days} days ago "
                    f"(limit {params.unused_days})",
                    evidence={
                        "last_used": _iso(cred.last_used),
                        "idle_days": idle.days,
                        "last_used_service": cred.last_used_service,
                        **reported_unused(cred),
                    },
                )


class TwoActiveKeys(Rule):
    """More than one active long-lived secret on one identity.

    Two live keys double the places a secret can leak from, and usually mean a rotation that
    never finished or one identity shared by several workloads.
    """

    id = "two-active-keys"
    title = "Several active secrets on one identity"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.STANDING_KEY, Trait.SEVERAL_SECRETS})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            active = graph.standing_secrets_of(identity.id)
            if len(active) > 1:
                yield Hit(
                    identity=identity,
                    message=f"{identity.name} has {len(active)} active long-lived secrets",
                    evidence={"credentials": active},
                )


class RootAccessKey(Rule):
    """Access keys on an AWS account's root user.

    The root user cannot be limited by IAM policy; a root key is a standing, unrestricted
    credential to the whole account. Delete it.
    """

    id = "root-access-key"
    title = "Root user has access keys"
    severity = Severity.CRITICAL
    traits = frozenset({Trait.ABOUT_SECRET, Trait.STANDING_KEY})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if identity.kind is not IdentityKind.ROOT:
                continue
            for cred in graph.credentials_of(identity.id):
                if cred.kind is CredentialKind.ACCESS_KEY and cred.active:
                    yield Hit(
                        identity=identity,
                        subject=cred.id,
                        message=f"the root user of account {identity.account} has an active access key",
                        evidence={"created": _iso(cred.created), "last_used": _iso(cred.last_used)},
                    )


class ConsoleAndKeys(Rule):
    """An IAM user with both a console password and an active access key.

    Either a person is using a workload's identity, or a workload's identity has a password
    nobody should type. Split it: people sign in through the identity provider, workloads
    federate.
    """

    id = "console-and-keys"
    title = "User has both a console password and access keys"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.USED_BY_PEOPLE})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if identity.kind is not IdentityKind.USER:
                continue
            creds = graph.credentials_of(identity.id)
            has_password = identity.console_access or any(c.kind is CredentialKind.PASSWORD and c.active for c in creds)
            keys = sorted(c.id for c in creds if c.kind is CredentialKind.ACCESS_KEY and c.active)
            if has_password and keys:
                yield Hit(
                    identity=identity,
                    message=f"{identity.name} signs in to the console and also holds {len(keys)} active access key(s)",
                    evidence={"access_keys": keys, "mfa_active": identity.mfa_active},
                )
