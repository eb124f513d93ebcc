"""The history store's trend and the risk report's trend count a scan's findings the same way."""

from __future__ import annotations

from standing.core.findings import Severity, Waiver
from standing.history.store import HistoryStore
from standing.history.trend import compute_trend
from standing.reports.leadership.model import trend_point
from tests.history.estates import day, estate, scan


def test_the_store_and_the_report_tally_each_scan_alike(store_url):
    waiver = Waiver(
        rule="key-too-old",
        subject="AKIAOLD",
        owner="payments@example.com",
        justification="partner",
        expires=day(30).date(),
    )
    scans = [scan(estate(), 0), scan(estate(deploy=True), 1, waivers=[waiver]), scan(estate(old_key=False), 2)]
    with HistoryStore.open(store_url) as store:
        for document, inventory in scans:
            store.record(document, inventory)
        rows = compute_trend(store).to_dict("records")
    documents = [document for document, _ in scans]
    assert len(rows) == len(documents)
    for row, document in zip(rows, documents, strict=True):
        point = trend_point(document)
        assert {s: row[s.value] for s in Severity} == point.open_by_severity
        assert row["waived"] == sum(1 for f in document.findings if f.waiver is not None)
    assert rows[1]["waived"] == 1
