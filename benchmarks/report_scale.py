"""How the leadership HTML report scales: 50,000 findings rendered, opened in headless Chromium.

Findings come from the analysis benchmark's synthetic AWS estate (real rules, risk and plans,
no cloud), cut to exactly ``--findings`` worst-first. Prints the render time in Python, the
file size, and the load time in Debian's headless Chromium: navigation start to the findings
table's first render (the page's ``table-rendered`` performance mark), best of ``--loads``.
Target from the issue: at most 3 s and at most 15 MB for 50,000 findings.

    python benchmarks/report_scale.py [--findings 50000] [--loads 3]

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ and tests/support as modules

from benchmarks.analysis_scale import NOW, synthetic_inventory
from standing.core.findings_json import build_document
from standing.planner.document import plan_estate
from standing.reports.leadership.formats import ReportFormat, write_report
from standing.reports.leadership.model import ReportInput
from standing.rules.analyse import analyse_estate
from standing.rules.config import ScanConfig
from tests.support.chromium import chromium_missing_reason, open_in_chromium

FINDINGS_PER_IDENTITY = 1.75  # what the synthetic estate yields; a little over, then cut


def build_report(n_findings: int, *, with_plans: bool) -> ReportInput:
    inventory = synthetic_inventory(int(n_findings / FINDINGS_PER_IDENTITY) + 500)
    analysis = analyse_estate(inventory, ScanConfig(), as_of=NOW)
    findings = analysis.findings[:n_findings]
    if len(findings) < n_findings:
        raise SystemExit(f"the synthetic estate gave only {len(findings)} findings")
    document = build_document(
        inventory, findings, exposure=analysis.exposure, expired_waivers=[], as_of=NOW, generated_at=NOW
    )
    plans = plan_estate(analysis.model, findings, generated_at=NOW) if with_plans else None
    return ReportInput(document, inventory, plans)


def interaction_times(page: object) -> tuple[float, float]:
    """Seconds from typing a search to the rows shown, and from a sort click to the rows shown."""
    from playwright.sync_api import expect

    shown = page.locator("#shown")  # type: ignore[attr-defined]
    before = shown.text_content()
    started = time.perf_counter()
    page.fill("#search", "key-too-old")  # type: ignore[attr-defined]
    expect(shown).not_to_have_text(before)
    search = time.perf_counter() - started
    started = time.perf_counter()
    page.click("th[data-sort='risk']")  # type: ignore[attr-defined]
    expect(page.locator("th[data-sort='risk']")).to_have_attribute("aria-sort", "descending")  # type: ignore[attr-defined]
    return search, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument(
        "--plans",
        action="store_true",
        help="also plan every identity (adds the roadmap; the planner takes minutes at this size)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    report = build_report(args.findings, with_plans=args.plans)
    print(
        f"scan{' + plans' if args.plans else ''} of the synthetic estate: {time.perf_counter() - started:.1f} s "
        f"({len(report.findings.findings):,} findings)"
    )
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        path = write_report(report, [ReportFormat.HTML], Path(out))[0]
        print(f"render report.html: {time.perf_counter() - started:.2f} s")
        print(f"file size: {path.stat().st_size / 1_000_000:.2f} MB (target <= 15 MB)")
        reason = chromium_missing_reason()
        if reason:
            print(f"browser load: skipped, {reason}")
            return
        loads = []
        for _ in range(args.loads):
            with open_in_chromium(path) as opened:
                opened.page.wait_for_selector("body[data-ready=true]", timeout=60_000)
                loads.append(opened.page.evaluate("performance.getEntriesByName('table-rendered')[0].startTime") / 1000)
                problems = opened.record.console_errors + opened.record.page_errors
                rows = opened.page.locator("#findings-body tr").count()
                search, sort = interaction_times(opened.page)
        print(
            f"browser load, navigation start to first table render: best {min(loads):.2f} s, "
            f"worst {max(loads):.2f} s over {len(loads)} loads (target <= 3 s); "
            f"{rows} rows on the first page, {len(problems)} console errors"
        )
        print(
            f"search (typing to rows shown, with the page's 0.15 s debounce): {search:.2f} s; "
            f"sort by risk (click to rows shown): {sort:.2f} s"
        )


if __name__ == "__main__":
    main()
