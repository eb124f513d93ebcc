"""What one scan's findings add up to in a trend: open findings by severity, how many are waived,
and the estate risk.

The one computation behind both trends: ``history.trend`` (scans in the store, counted per
severity and waiver by the database) and the risk report's ``TrendPoint`` (findings.json
files, or the store). The store records each scan's estate risk as the report sums it, so a
point read back from the database and one from a findings.json agree. Plain Python, importable
without the ``history`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from standing.core.findings import Finding, Severity


@dataclass(frozen=True)
class FindingTally:
    open_by_severity: dict[Severity, int]  # unwaived findings; every severity, 0 when there are none
    waived: int


def tally(counts: Iterable[tuple[Severity | str, bool, int]]) -> FindingTally:
    """``counts``: (severity, waived, how many) entries; one scan's findings, grouped or one by one."""
    open_by_severity = dict.fromkeys(Severity, 0)
    waived = 0
    for severity, is_waived, n in counts:
        if is_waived:
            waived += n
        else:
            open_by_severity[Severity(severity)] += n
    return FindingTally(open_by_severity, waived)


def tally_findings(findings: Iterable[Finding]) -> FindingTally:
    return tally((f.severity, f.waiver is not None, 1) for f in findings)


def identity_risks(findings: Iterable[Finding]) -> dict[str, int]:
    """Each identity's risk: its worst unwaived finding. One identity is one thing to fix."""
    worst: dict[str, int] = {}
    for f in findings:
        if f.waiver is None:
            worst[f.identity] = max(worst.get(f.identity, 0), f.risk or 0)
    return worst


def estate_risk(findings: Iterable[Finding]) -> int:
    """The report's headline: a sum over identities of their worst unwaived finding's risk."""
    return sum(identity_risks(findings).values())
