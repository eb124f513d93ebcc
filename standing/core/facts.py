"""Facts every layer judges the same way (rules, risk, planner, history), written once for every
provider: what a standing secret is, what a non-human identity is, day arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from standing.core.model import (
    Credential,
    CredentialKind,
    Identity,
    IdentityKind,
    Provider,
    Trust,
    TrustKind,
    UsageStatus,
)

# Secrets a workload keeps and presents; federated and managed credentials are not standing.
LONG_LIVED_SECRETS = frozenset(
    {
        CredentialKind.ACCESS_KEY,
        CredentialKind.SA_KEY,
        CredentialKind.CLIENT_SECRET,
        CredentialKind.CERTIFICATE,
    }
)

_NHI_KINDS = frozenset(
    {
        IdentityKind.USER,
        IdentityKind.ROLE,
        IdentityKind.SERVICE_ACCOUNT,
        IdentityKind.SERVICE_PRINCIPAL,
        IdentityKind.MANAGED_IDENTITY,
    }
)

# The clocks an analysis may be measured at (``--as-of``): the planner dates reviews and
# exceptions months past it and the history store counts retention back from it, so both ends
# keep a wide margin inside what a datetime can hold. The end is exclusive.
EARLIEST_AS_OF = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_AS_OF = datetime(9000, 1, 1, tzinfo=UTC)


def days_since(when: datetime, now: datetime) -> int:
    """Whole days elapsed; a date in the future (clock skew, a fixed --as-of) counts as 0."""
    return max(0, (now - when).days)


def lifetime_days(issued: datetime, expires: datetime) -> int:
    """Whole days a secret is valid for, from issue to expiry (negative if it expired before issue)."""
    return (expires - issued).days


@dataclass(frozen=True)
class Idle:
    """Why something counts as unused: idle since a known use, never used since creation, or no
    use in the whole window the provider keeps (``window``: its length in days)."""

    never: bool
    days: int
    since: datetime  # the last use, the creation of a record never used, or the start of the window
    window: int | None = None


def idleness(record: Identity | Credential, now: datetime, *, unused_days: int, grace_days: int) -> Idle | None:
    """Judged the same way for keys and identities: unknown use is never read as no use.

    A provider that keeps use only for a trailing window (AWS ``RoleLastUsed``: 400 days) and
    shows none on a record older than that window says "not used in the window", not "unknown":
    idle for the window's length, judged like a last use that long ago.
    """
    if record.last_used_status is UsageStatus.USED and record.last_used is not None:
        idle = days_since(record.last_used, now)
        return Idle(never=False, days=idle, since=record.last_used) if idle > unused_days else None
    if record.last_used_status is UsageStatus.NEVER and record.created is not None:
        age = days_since(record.created, now)
        return Idle(never=True, days=age, since=record.created) if age > grace_days else None
    window = record.usage_window_days
    if record.last_used_status is UsageStatus.NOT_IN_WINDOW and window is not None:
        if record.created is not None and days_since(record.created, now) < window:
            age = days_since(record.created, now)  # younger than the window: no record means never
            return Idle(never=True, days=age, since=record.created) if age > grace_days else None
        since = now - timedelta(days=window)
        return Idle(never=False, days=window, since=since, window=window) if window > unused_days else None
    return None


_KEEPER = {Provider.AWS: "AWS", Provider.GCP: "Google Cloud", Provider.AZURE: "Microsoft Entra"}


def window_words(idle: Idle, provider: Provider) -> str:
    """The evidence for a use judged from a window: "no use recorded in the last 400 days, the window AWS keeps"."""
    return f"no use recorded in the last {idle.window} days, the window {_KEEPER[provider]} keeps"


def is_long_lived_secret(credential: Credential) -> bool:
    """A secret a workload keeps and presents, live or not (an expired one still is one)."""
    return credential.user_managed and credential.kind in LONG_LIVED_SECRETS


def is_standing_secret(credential: Credential) -> bool:
    return credential.active and is_long_lived_secret(credential)


def is_nhi(identity: Identity) -> bool:
    """A workload identity we can hold to account: not a person, not provider-governed."""
    return identity.kind in _NHI_KINDS and identity.human is not True and not identity.provider_managed


def describe(credential: Credential) -> str:
    return f"{credential.kind.value.replace('_', ' ')} {credential.id}"


def admits_anyone(trust: Trust) -> bool:
    """A trust any principal in the world may use: ``Principal: "*"`` with no condition."""
    return trust.kind is TrustKind.ANY and not trust.condition.conditional
