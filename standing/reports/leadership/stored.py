"""The report's history from the store (``standing report --store URL``): the trend, mean time
to remediate by severity and the plans completed, read from the database the scheduled scans
write, instead of loose findings.json files.

Only scans of the reported scan's scope (its providers and accounts, ``history.records.Scope``)
are drawn, and only remediations in its accounts counted: a store shared by the scans of
several accounts gives each report its own line. Counted here, never judged again: the open
findings per scan are ``history.tally`` of what the store saw, the estate risk what each scan
recorded.
"""

from __future__ import annotations

from collections import Counter

from standing.core.findings_json import FindingsDocument
from standing.history.records import Scope
from standing.history.remediation import mttr_by_severity
from standing.history.store import HistoryStore
from standing.history.tally import tally
from standing.reports.leadership.model import RemediationTime, StoredHistory, TrendPoint


def scope_of(document: FindingsDocument) -> Scope:
    return Scope.of((p.value for p in document.scan.providers), document.scan.accounts)


def read_store_history(url: str, document: FindingsDocument) -> StoredHistory:
    """Every stored scan of the document's scope, with the store's remediations and completed plans."""
    with HistoryStore.open(url, create=False) as store:
        scope = scope_of(document)
        scans = [s for s in store.scans() if s.scope == scope]
        ids = {s.id for s in scans}
        counts = store.open_counts()
        done = Counter(p.scan_id for p in store.completed_plans() if p.scan_id in ids)
        remediations = [r for r in store.remediations() if r.account in scope.accounts]
        display = store.url.display
    points = tuple(
        TrendPoint(
            at=s.as_of,
            open_by_severity=tally(counts.get(s.id, [])).open_by_severity,
            exposure=s.exposure,
            estate_risk=s.estate_risk,
            plans_completed=done[s.id],
        )
        for s in scans
    )
    return StoredHistory(
        store=display,
        scope=scope.describe(),
        points=points,
        remediation=tuple(
            RemediationTime.model_validate(row, from_attributes=True) for row in mttr_by_severity(remediations)
        ),
    )
