"""Mean time to remediate by severity: how long findings of each severity stayed open before a
complete scan saw them gone.

Told from the store's remediations, one per open spell that ended (a finding that came back and
was fixed again counts each time, from its reopening): days from the spell's opening to the
first scan that no longer saw it. The same spells ``history trend`` averages over all severities.
Plain Python over ``Remediation`` records, importable without the ``history`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import mean, median

from standing.core.findings import Severity
from standing.history.records import Remediation

UNKNOWN = "unknown"  # resolved before the store kept severities, its spell since pruned


@dataclass(frozen=True)
class SeverityMttr:
    severity: str  # a Severity value, or UNKNOWN
    remediated: int
    mean_days: float
    median_days: float
    longest_days: float


def mttr_by_severity(remediations: Iterable[Remediation]) -> list[SeverityMttr]:
    """One row per severity with at least one remediation, worst first (unknown last)."""
    days: dict[str, list[float]] = {}
    for r in remediations:
        days.setdefault(r.severity.value if r.severity else UNKNOWN, []).append(r.days)
    order = [s.value for s in sorted(Severity, key=lambda s: -s.rank)] + [UNKNOWN]
    return [
        SeverityMttr(
            severity=label,
            remediated=len(days[label]),
            mean_days=round(mean(days[label]), 1),
            median_days=round(median(days[label]), 1),
            longest_days=round(max(days[label]), 1),
        )
        for label in order
        if label in days
    ]
