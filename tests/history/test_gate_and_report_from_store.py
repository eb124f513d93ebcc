"""`standing gate --store` and `standing report --store`, end to end on SQLite and PostgreSQL.

Three scans are recorded through `standing scan --store --output-dir` (one output folder, as a
scheduled job keeps it): day 1 ci holds one new key; day 2 adds deploy's 200-day-old key;
day 3 deletes deploy and gives ci back a 400-day-old second key. Each live key is also a census
finding (low). Times come from `--as-of` only: nothing here reads the clock or sleeps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from standing.core.snapshot import dump_snapshot
from tests.history.estates import CI, OTHER_ACCOUNT, day, estate, other_account
from tests.support.chromium import chromium_missing_reason, open_in_chromium

DEP_FINDINGS = {("key-too-old", "AKIADEP"), ("long-lived-secret", "AKIADEP")}
OLD_FINDINGS = {("key-too-old", "AKIAOLD"), ("two-active-keys", CI), ("long-lived-secret", "AKIAOLD")}
DAYS = {1: estate(old_key=False), 2: estate(old_key=False, deploy=True), 3: estate(old_key=True)}


def _run(*args: str):
    from standing.cli.main import main

    return CliRunner().invoke(main, list(args), env={"COLUMNS": "250"})


def _snapshot(tmp_path: Path, name: str, inv) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(dump_snapshot(inv))
    return str(path)


def _record(tmp_path: Path, store: str, n: int, inv, *, output: Path | None = None, exit_code: int = 0) -> None:
    out = ["--output-dir", str(output)] if output is not None else []
    snapshot = _snapshot(tmp_path, f"day{n}", inv)
    result = _run(
        "scan", "--snapshot", snapshot, "--store", store, "--as-of", day(n).isoformat(), "--fail-on", "none", *out
    )
    assert result.exit_code == exit_code, result.output


@pytest.fixture
def three_scans(tmp_path, store_url):
    """The store after days 1-3, and the scan output folder as day 3 left it."""
    output = tmp_path / "scan-out"
    for n, inv in DAYS.items():
        _record(tmp_path, store_url, n, inv, output=output)
    return store_url, output


def _gate(*args: str):
    return _run("gate", "--fail-on", "low", *args)


def _new_rows(output: str) -> set[tuple[str, str]]:
    """(rule, subject) of each row the gate lists as new: BLOCK or new."""
    rows = set()
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("\u2502")]  # the table's column rule
        if cells[0] in {"BLOCK", "new"}:
            rows.add((cells[2], cells[3]))
    return rows


def test_the_gate_on_the_newest_scan_fails_only_on_what_it_adds(three_scans):
    store, output = three_scans
    result = _gate("--findings", str(output / "findings.json"), "--store", store)
    assert result.exit_code == 1, result.output
    # the baseline is scan 2 (before day 3), not scan 3, the very scan this findings.json is
    assert f"baseline: scan 2 as of {day(2):%Y-%m-%d %H:%M} UTC (3 finding(s), aws 111122223333)" in result.output
    assert f"FAIL: 3 blocking of 3 new finding(s) in findings {output / 'findings.json'}" in result.output
    assert _new_rows(result.output) == OLD_FINDINGS
    # deploy's findings are gone since scan 2: reported, never blocking
    assert "1 accepted by the baseline; 2 gone since it" in result.output


def test_near_miss_a_scan_equal_to_the_stored_one_before_it_passes(three_scans, tmp_path):
    store, _ = three_scans
    # the day-2 estate measured after scan 2 and before scan 3: its baseline is scan 2, nothing is new
    between = day(2).replace(hour=18).isoformat()
    result = _gate("--snapshot", _snapshot(tmp_path, "again2", DAYS[2]), "--as-of", between, "--store", store)
    assert result.exit_code == 0, result.output
    assert f"baseline: scan 2 as of {day(2):%Y-%m-%d %H:%M} UTC" in result.output
    assert "PASS: 0 blocking of 0 new finding(s)" in result.output


def test_the_baseline_is_never_a_partial_scan_or_another_scope(three_scans, tmp_path):
    store, _ = three_scans
    _record(tmp_path, store, 4, other_account())  # another account, in the same store
    _record(tmp_path, store, 5, estate(partial=True, deploy=True), exit_code=3)  # this account, partial
    # deploy's key is back: new since scan 3, although the partial scan 5 (never a baseline) saw it
    snapshot = _snapshot(tmp_path, "later", estate(deploy=True))
    result = _gate("--snapshot", snapshot, "--as-of", day(6).isoformat(), "--store", store)
    assert result.exit_code == 1, result.output
    assert f"baseline: scan 3 as of {day(3):%Y-%m-%d %H:%M} UTC" in result.output
    assert _new_rows(result.output) == DEP_FINDINGS
    # the other account's own scan is its baseline: nothing is new there either
    other = _gate(
        "--snapshot",
        _snapshot(tmp_path, "other-later", other_account()),
        "--as-of",
        day(6).isoformat(),
        "--store",
        store,
    )
    assert other.exit_code == 0 and f"baseline: scan 4 as of {day(4):%Y-%m-%d %H:%M} UTC" in other.output


def test_no_scan_of_the_scope_is_one_line_and_exit_2(three_scans, tmp_path):
    store, _ = three_scans
    result = _gate(
        "--snapshot", _snapshot(tmp_path, "other", other_account()), "--store", store, "--as-of", day(9).isoformat()
    )
    assert result.exit_code == 2
    assert (
        f"no complete scan of aws {OTHER_ACCOUNT} before {day(9):%Y-%m-%d %H:%M} UTC to gate against" in result.output
    )
    assert "Traceback" not in result.output
    # near miss: before the first stored scan there is nothing to gate against either, even in scope
    early = _gate("--snapshot", _snapshot(tmp_path, "early", DAYS[1]), "--store", store, "--as-of", day(1).isoformat())
    assert (
        early.exit_code == 2
        and f"no complete scan of aws 111122223333 before {day(1):%Y-%m-%d %H:%M} UTC" in early.output
    )


def test_an_explicit_baseline_wins_over_the_store(three_scans, tmp_path):
    store, output = three_scans
    empty = tmp_path / "baseline.json"
    empty.write_text('{"schema": "standing.baseline", "version": 1, "entries": []}\n')
    result = _gate("--findings", str(output / "findings.json"), "--store", store, "--baseline", str(empty))
    assert result.exit_code == 1, result.output
    assert "(given; --store not consulted)" in result.output
    assert "FAIL: 4 blocking of 4 new finding(s)" in result.output  # everything is new against an empty baseline


def test_the_store_is_for_a_live_estate_not_an_iac_change(tmp_path, store_url):
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    result = _gate("--terraform-plan", str(plan), "--store", store_url)
    assert result.exit_code == 2 and "an IaC change is judged against itself" in result.output


def _report(*args: str, out: Path):
    result = _run("report", *args, "--format", "html,json,md", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    return json.loads((out / "report.json").read_text()), (out / "report.md").read_text(), out / "report.html"


def test_the_report_draws_the_trend_mttr_and_plans_completed_from_the_store(three_scans, tmp_path):
    store, output = three_scans
    figures, markdown, _ = _report("--findings-dir", str(output), "--store", store, out=tmp_path / "report")
    trend = figures["trend"]
    assert [p["at"] for p in trend] == [day(n).isoformat().replace("+00:00", "Z") for n in (1, 2, 3)]
    assert [p["open_by_severity"]["low"] for p in trend] == [1, 2, 2]  # the census: one low finding per live key
    assert all(p["estate_risk"] is not None for p in trend)
    # deploy's findings opened on day 2 and were gone on day 3: one day each
    assert figures["remediation"] == [
        {"severity": s, "remediated": 1, "mean_days": 1.0, "median_days": 1.0, "longest_days": 1.0}
        for s in ("high", "low")  # key-too-old and the census of the key
    ]
    # deploy's plan (scan 2's plans.json) was completed by scan 3, recorded in the store with it
    assert figures["plans_completed_on_record"] == 1 and [p["plans_completed"] for p in trend] == [0, 0, 1]
    assert "## Mean time to remediate" in markdown and "| 1 | 1.0 | 1.0 | 1.0 |" in markdown
    assert "3 scan(s) of this scope, from the history store" in markdown


def test_near_miss_without_the_store_the_trend_is_this_scan_alone(three_scans, tmp_path):
    _, output = three_scans
    figures, markdown, _ = _report("--findings-dir", str(output), out=tmp_path / "report")
    assert len(figures["trend"]) == 1 and figures["remediation"] == []
    assert figures["history_store"] is None and "Mean time to remediate" not in markdown


def test_the_report_trend_is_the_scope_of_the_reported_scan(three_scans, tmp_path):
    store, output = three_scans
    _record(tmp_path, store, 4, other_account())
    figures, _, _ = _report("--findings-dir", str(output), "--store", store, out=tmp_path / "report")
    assert len(figures["trend"]) == 3  # the other account's scan is not this estate's trend


def test_the_report_store_and_history_files_are_one_or_the_other(three_scans, tmp_path):
    store, output = three_scans
    result = _run(
        "report",
        "--findings-dir",
        str(output),
        "--store",
        store,
        "--previous",
        str(output / "findings.json"),
        "--output-dir",
        str(tmp_path / "r"),
    )
    assert result.exit_code == 2 and "not both" in result.output
    missing = _run(
        "report",
        "--findings-dir",
        str(output),
        "--store",
        str(tmp_path / "none.db"),
        "--output-dir",
        str(tmp_path / "r"),
    )
    assert missing.exit_code == 2 and "no such history store" in missing.output


@pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or "")
def test_the_stored_trend_and_mttr_table_render_in_chromium(tmp_path):
    store, output = str(tmp_path / "history.db"), tmp_path / "scan-out"
    for n, inv in DAYS.items():
        _record(tmp_path, store, n, inv, output=output)
    _, _, html = _report("--findings-dir", str(output), "--store", store, out=tmp_path / "report")
    with open_in_chromium(html) as opened:
        page, record = opened.page, opened.record
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#trend svg circle").count() == 3  # one dot per stored scan
        rows = page.eval_on_selector_all(
            "#mttr tbody tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent))"
        )
        assert rows == [["high", "1", "1.0", "1.0", "1.0"], ["low", "1", "1.0", "1.0", "1.0"]]
        assert "3 scan(s) of this scope" in page.text_content("#trend-source")
        assert page.locator("#trend-note").count() == 0  # the single-point note is gone
        assert record.console_errors == [] and record.page_errors == []
        assert [url for url in record.requests if not url.startswith("file:")] == []


def test_history_mttr_lists_the_time_to_remediate_by_severity(three_scans):
    store, _ = three_scans
    result = _run("history", "--store", store, "mttr", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "severity,remediated,mean_days,median_days,longest_days",
        "high,1,1.0,1.0,1.0",
        "low,1,1.0,1.0,1.0",
    ]
