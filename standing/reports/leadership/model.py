"""What the risk report is made from, and the figures it shows.

The input is a typed record rather than a findings directory so the report does not care where
a scan came from: a ``--findings-dir`` or a snapshot analysed on the spot; earlier scans come as
``TrendPoint`` values from findings.json files or, with the history store, as ``StoredHistory``
(``stored.py``), which also brings mean time to remediate and plans completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from standing.core.findings import Exposure, Severity
from standing.core.findings_json import FindingsDocument
from standing.core.model import CoverageEntry, Inventory, Provider, Record, UtcDatetime
from standing.history.tally import estate_risk as summed_risk
from standing.history.tally import tally_findings
from standing.planner.model import Phase, PlansDocument


class TrendPoint(Record):
    """The estate at one scan: enough to draw whether standing privilege is going down."""

    at: UtcDatetime
    open_by_severity: dict[Severity, int]
    exposure: Exposure
    estate_risk: int | None = Field(
        description="sum over identities of their worst unwaived finding's risk; None: a stored scan from "
        "before the store kept it"
    )
    plans_completed: int | None = Field(
        default=None, description="plans of an earlier scan this scan found done; None when not known"
    )


def trend_point(document: FindingsDocument) -> TrendPoint:
    """The same tally as the history store's trend (``standing.history.tally``), plus estate risk."""
    return TrendPoint(
        at=document.as_of,
        open_by_severity=tally_findings(document.findings).open_by_severity,
        exposure=document.exposure,
        estate_risk=summed_risk(document.findings),
    )


class RemediationTime(Record):
    """Mean time to remediate one severity: days from a finding's opening to the first complete
    scan that no longer saw it (``standing.history.remediation``)."""

    severity: str = Field(description="a severity, or 'unknown' for resolutions stored before severities were")
    remediated: int
    mean_days: float
    median_days: float
    longest_days: float


class StoredHistory(Record):
    """What the history store adds to a report: the scope's scans, remediations and completed plans."""

    store: str = Field(description="the store's URL as shown (never a password)")
    scope: str
    points: tuple[TrendPoint, ...]
    remediation: tuple[RemediationTime, ...]


@dataclass(frozen=True)
class ReportInput:
    """One scan's results, what it plans, and earlier scans for the trend (oldest first)."""

    findings: FindingsDocument
    inventory: Inventory | None = None  # for the credential age histogram; absent for a bare findings.json
    plans: PlansDocument | None = None
    history: tuple[TrendPoint, ...] = field(default_factory=tuple)
    stored: StoredHistory | None = None  # --store: the history comes from the database

    @property
    def trend(self) -> list[TrendPoint]:
        """Earlier points and this scan, one per time (this scan wins a tie, keeping the stored
        count of plans completed when it has none of its own), oldest first."""
        earlier = self.stored.points if self.stored else self.history
        by_time = {p.at: p for p in earlier}
        current = trend_point(self.findings)
        if self.plans is not None:
            current = current.model_copy(update={"plans_completed": len(self.plans.completed)})
        elif self.findings.as_of in by_time:
            current = current.model_copy(update={"plans_completed": by_time[self.findings.as_of].plans_completed})
        by_time[self.findings.as_of] = current
        return [by_time[at] for at in sorted(by_time)]


class Count(Record):
    label: str
    count: int


class PathHop(Record):
    source: str
    target: str
    how: str
    conditional: bool = False


class RiskyIdentity(Record):
    identity: str
    name: str
    provider: Provider
    account: str
    risk: int
    findings: int
    rules: list[str]
    reachable: int
    reachable_truncated: bool
    reaches_admin: bool
    accounts: list[str]
    sensitive: list[str]
    path: list[PathHop] = Field(description="the shortest escalation path its findings show, by name")
    compute: list[str] = Field(
        default_factory=list,
        description="compute running as it and who can take that compute over, and whom it can run code as "
        "through compute, in words (cloud text: the page escapes it)",
    )

    @property
    def blast(self) -> list[str]:
        """Its blast radius beyond "reaches admin", in words; only what is worth printing.

        "Can become 0 identities" says nothing (an admin needs no other identity to do harm,
        and a non-admin that becomes no one is held to its own grants), so it is left out.
        """
        parts = []
        if self.reachable:
            more = "+" if self.reachable_truncated else ""
            noun = "identity" if self.reachable == 1 and not more else "identities"
            where = f" in {len(self.accounts)} account(s)" if self.accounts else ""
            parts.append(f"can become {self.reachable}{more} other {noun}{where}")
        if self.sensitive:
            parts.append("reads " + ", ".join(self.sensitive))
        return parts


class PhaseProgress(Record):
    phase: Phase
    plans: int
    steps_done: int
    steps_total: int
    risk_removed: int
    exposure_before: Exposure
    exposure_after: Exposure

    @property
    def percent_done(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0


class ControlCoverage(Record):
    framework: str
    version: str
    control: str
    title: str
    rules: list[str]
    open_findings: int


class ReportFigures(Record):
    """Everything the top of the page says, computed once; also the ``json`` format."""

    generated_at: UtcDatetime
    as_of: UtcDatetime
    complete: bool
    identities: int
    credentials: int
    open_findings: int
    waived_findings: int
    estate_risk: int = Field(
        description="a sum, not a score: each identity with open findings counts its worst finding's risk (0-100)"
    )
    risk_identities: int = Field(default=0, description="how many identities the estate risk sums over")
    trend: list[TrendPoint]
    exposure: Exposure
    by_severity: list[Count]
    by_provider: list[Count]
    by_account: list[Count]
    riskiest: list[RiskyIdentity]
    roadmap: list[PhaseProgress]
    plans_completed: int
    remediation: list[RemediationTime] = Field(
        default_factory=list, description="mean time to remediate by severity, from the history store"
    )
    plans_completed_on_record: int | None = Field(
        default=None, description="plans completed over the trend's scans; None without the history store"
    )
    history_store: str | None = Field(default=None, description="the history store the trend was read from")
    gaps: list[CoverageEntry]
    frameworks: list[ControlCoverage]
    credential_ages: list[Count] | None = Field(description="standing secrets by age; None without an inventory")
    left_out: list[CoverageEntry] = Field(
        default_factory=list, description="what the scan's own options left out (--region, --no-workloads)"
    )
