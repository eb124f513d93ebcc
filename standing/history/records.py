"""What the history store hands back: typed, frozen records, never rows or dicts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from standing.core.findings import Exposure, Severity


@dataclass(frozen=True)
class StoredScan:
    id: int
    as_of: datetime
    generated_at: datetime
    tool_version: str
    complete: bool
    providers: tuple[str, ...]
    accounts: tuple[str, ...]
    identities: int
    credentials: int
    findings: int
    exposure: Exposure
    estate_risk: int | None = None  # None: recorded before the store kept it (revision 0004)

    @property
    def scope(self) -> Scope:
        return Scope.of(self.providers, self.accounts)


@dataclass(frozen=True)
class Scope:
    """What a scan covered: its providers and its accounts, projects or tenants, in any order.

    Two scans of one scope can stand for each other: the gate's baseline and the report's trend
    are drawn only from scans of the scope being judged, so a store shared by the scans of
    several accounts stays right for each.
    """

    providers: frozenset[str]
    accounts: frozenset[str]

    @classmethod
    def of(cls, providers: Iterable[str], accounts: Iterable[str]) -> Scope:
        return cls(frozenset(providers), frozenset(accounts))

    def describe(self) -> str:
        accounts = ", ".join(sorted(self.accounts)) or "no account"
        return f"{'+'.join(sorted(self.providers)) or 'no provider'} {accounts}"


@dataclass(frozen=True)
class FindingState:
    """A finding as one scan saw it, with its life so far."""

    fingerprint: str
    rule_id: str
    severity: Severity
    subject: str
    identity_name: str
    account: str
    message: str
    first_seen: datetime
    opened_at: datetime  # start of the current open spell: later than first_seen if it came back
    waived: bool
    title: str = ""


@dataclass(frozen=True)
class FindingLife:
    """A finding across every stored scan, by fingerprint; outlives pruned scans while open."""

    fingerprint: str
    rule_id: str
    subject: str
    first_seen: datetime
    opened_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class CredentialState:
    credential_id: str
    identity_id: str
    kind: str
    standing: bool


@dataclass(frozen=True)
class ScanDiff:
    before: StoredScan
    after: StoredScan
    new: tuple[FindingState, ...]
    resolved: tuple[FindingState, ...]
    persisting: tuple[FindingState, ...]
    created: tuple[CredentialState, ...]
    removed: tuple[CredentialState, ...]


@dataclass(frozen=True)
class Pruned:
    scans: int
    findings_forgotten: int  # resolved findings last seen before the cut
    open_findings_kept: int


@dataclass(frozen=True)
class Remediation:
    """One open spell of a finding that a complete scan ended: opened, resolved, at what severity."""

    fingerprint: str
    severity: Severity | None  # None: resolved before the store kept it and its spell was pruned
    account: str
    opened_at: datetime
    resolved_at: datetime
    scan_id: int

    @property
    def days(self) -> float:
        return (self.resolved_at - self.opened_at).total_seconds() / 86400


@dataclass(frozen=True)
class StoredCompletedPlan:
    """A plan of an earlier scan that scan ``scan_id`` found done."""

    scan_id: int
    identity: str
    identity_name: str
    pattern: str
    how: str
