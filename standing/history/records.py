"""What the history store hands back: typed, frozen records, never rows or dicts."""

from __future__ import annotations

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
