"""What one scan's findings add up to in a trend: open findings by severity, and how many are waived.

The one computation behind both trends: ``history.trend`` (scans in the store, counted per
severity and waiver by the database) and the risk report's ``TrendPoint`` (findings.json
files). Plain Python, importable without the ``history`` extra.
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
