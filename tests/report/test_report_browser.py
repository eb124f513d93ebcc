"""The report opened in Debian's headless Chromium: inert, escaped, and its table works.

Skipped, with the reason, where Chromium or Playwright is missing; ``.ci/run`` installs Chromium.
"""

from __future__ import annotations

import re

import pytest

from tests.builders import NOW
from tests.report.estate import (
    COMPUTE_NAME,
    FORMULA_NAME,
    GAP_DETAIL,
    GCP_PROJECT,
    HOSTILE_NAME,
    OPS_ROLE,
    SCRIPT_BREAKER,
    scan_into,
)
from tests.support.chromium import PageRecord, chromium_missing_reason, open_in_chromium, watch

pytestmark = pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or "")


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    directory = tmp_path_factory.mktemp("scan")
    return scan_into(directory), directory / "report.html"


@pytest.fixture(scope="module")
def opened(scan):
    with open_in_chromium(scan[1]) as page:
        page.page.wait_for_selector("body[data-ready=true]")
        yield page


def _visible_rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#findings-body tr", "rows => rows.map(r => Array.from(r.cells, c => c.textContent))"
    )


def _wait_shown(page, pattern: str) -> None:
    """Wait for the search's debounce; the page's CSP forbids eval, so no string predicates."""
    from playwright.sync_api import expect

    expect(page.locator("#shown")).to_have_text(re.compile(pattern))


def _shown(page) -> str:
    return page.text_content("#shown")


def test_the_page_fetches_nothing_logs_no_error_and_runs_no_injected_code(scan, opened, tmp_path):
    result, path = scan
    page, record = opened.page, opened.record
    # Interact first, so the handlers that draw cloud strings have run too.
    page.click(f"button[data-identity='{result.findings[0].identity}']")
    page.fill("#search", "alert(2)")
    _wait_shown(page, r"^3 of ")  # its key's key-too-old, key-unused and census findings
    page.click("#findings-body tr")
    assert record.requests == record.finished == [path.resolve().as_uri()]
    assert (record.console_errors, record.page_errors, record.dialogs) == ([], [], [])
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    assert page.evaluate("typeof window.alert") == "function"  # nothing replaced or called it
    riskiest = page.eval_on_selector_all("#riskiest tbody button", "bs => bs.map(b => b.textContent)")
    assert riskiest[:5] == [HOSTILE_NAME, "acme-admin", OPS_ROLE, SCRIPT_BREAKER, FORMULA_NAME]
    assert page.text_content("#coverage td:last-child") == GAP_DETAIL
    assert page.text_content("#detail-name") == SCRIPT_BREAKER  # the row clicked last
    shot = tmp_path / "report.png"
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_the_riskiest_identity_shows_its_escalation_path_as_text(scan, opened):
    result, _ = scan
    page = opened.page
    page.click(f"button[data-identity='{result.findings[0].identity}']")
    assert page.text_content("#detail-name") == HOSTILE_NAME
    assert page.eval_on_selector_all("#detail-path .path span", "s => s.map(x => x.textContent)") == [
        HOSTILE_NAME,
        "assume-role →",
        "acme-admin",
    ]
    assert page.eval_on_selector_all("#riskiest tbody tr:first-child .path span", "s => s.map(x => x.textContent)") == [
        HOSTILE_NAME,
        "assume-role →",
        "acme-admin",
    ]
    items = page.eval_on_selector_all("#detail-findings li", "li => li.map(x => x.textContent.split(':')[0])")
    assert sorted(items) == ["critical path-to-admin", "high key-too-old", "low long-lived-secret"]
    # each finding shows its own cloud's controls: an AWS key cites CIS AWS, never CIS GCP
    texts = page.eval_on_selector_all("#detail-findings li", "li => li.map(x => x.textContent)")
    too_old = next(t for t in texts if "key-too-old" in t)
    assert "CIS AWS 3.0.0 1.14" in too_old and "CIS GCP" not in too_old


def test_the_headline_and_blast_radius_say_what_they_are(scan, opened):
    page = opened.page
    caption = page.text_content("#estate-risk-caption")
    assert caption.startswith("a sum, not a score out of 100: each of ") and "(each 0-100)" in caption
    rows = page.eval_on_selector_all(
        "#riskiest tbody tr", "rows => rows.map(r => [r.querySelector('button').textContent, r.cells[4].textContent])"
    )
    blast = dict(rows)
    assert blast["acme-admin"].startswith("reaches admin") and "can become" not in blast["acme-admin"]
    assert blast[HOSTILE_NAME].startswith("reaches admin; can become 1 other identity")  # near miss: it does
    page.click("#riskiest button:text-is('acme-admin')")
    detail = page.text_content("#detail-blast")
    assert detail.startswith("Reaches admin") and "can become" not in detail.lower()
    page.click("#riskiest tbody tr:first-child button")
    assert "can become 1 other identity" in page.text_content("#detail-blast")


def test_top_risks_say_what_compute_runs_as_a_role_and_who_can_run_code_as_it(scan, opened):
    page = opened.page
    rows = dict(
        page.eval_on_selector_all(
            "#riskiest tbody tr",
            "rows => rows.map(r => [r.querySelector('button').textContent,"
            " Array.from(r.querySelectorAll('.compute'), d => d.textContent)])",
        )
    )
    function = f"Lambda function {COMPUTE_NAME} (eu-west-1)"
    assert rows["acme-admin"] == [f"{function} runs as this role; 1 identity can take over its compute"]
    assert rows[HOSTILE_NAME] == [f"can run code as acme-admin (through {function})"]
    # near miss: an admin role no compute runs as, and nobody can run code as, shows none
    assert rows[OPS_ROLE] == [] and rows[SCRIPT_BREAKER] == []
    # the function's name is cloud text: shown as text, never drawn as markup
    assert page.evaluate("document.querySelectorAll('svg [onload], svg[onload]').length") == 0
    # the identity's detail panel says the same
    page.click("#riskiest button:text-is('acme-admin')")
    assert f"{function} runs as this role; 1 identity can take over its compute." in page.text_content("#detail-blast")
    page.click(f"#riskiest button:text-is('{OPS_ROLE}')")
    assert "runs as this role" not in page.text_content("#detail-blast")  # near miss


def test_search_filters_sorting_and_paging_act_on_all_findings(scan, opened):
    result, _ = scan
    page = opened.page
    total = len(result.findings)
    page.fill("#search", "")
    _wait_shown(page, f"^{total} of {total} findings$")
    assert len(_visible_rows(page)) == 50 and page.text_content("#page") == "page 1 of 3"
    page.click("#next")
    assert len(_visible_rows(page)) == 50
    page.click("#next")
    assert len(_visible_rows(page)) == total - 100

    page.fill("#search", "svc-batch-07")
    _wait_shown(page, r"^2 of ")
    assert [(r[2], r[5]) for r in _visible_rows(page)] == [
        ("svc-batch-07", "key-too-old"),
        ("svc-batch-07", "long-lived-secret"),
    ]

    page.fill("#search", "")
    page.select_option("#filter-rule", label="key-unused")
    _wait_shown(page, r"^1 of ")
    assert [(r[2], r[5]) for r in _visible_rows(page)] == [(SCRIPT_BREAKER, "key-unused")]
    page.select_option("#filter-rule", label="all rules")
    page.select_option("#filter-provider", label="gcp")
    assert [(r[3], r[4], r[5]) for r in _visible_rows(page)] == [
        ("gcp", GCP_PROJECT, "secret-never-expires"),
        ("gcp", GCP_PROJECT, "long-lived-secret"),
    ]
    page.select_option("#filter-provider", label="all providers")
    page.select_option("#filter-severity", label="high")
    expected_high = sum(1 for f in result.findings if f.severity.value == "high")
    assert _shown(page) == f"{expected_high} of {total} findings"
    assert {r[0] for r in _visible_rows(page)} == {"high"}

    page.select_option("#filter-severity", label="all severities")
    page.click("th[data-sort='risk']")  # first click: riskiest first
    risks = [int(r[1]) for r in _visible_rows(page)]
    assert risks == sorted(risks, reverse=True) and risks[0] == max(f.risk for f in result.findings)
    page.click("th[data-sort='risk']")
    risks = [int(r[1]) for r in _visible_rows(page)]
    assert risks[0] == min(f.risk for f in result.findings) and risks == sorted(risks)
    page.click("th[data-sort='identity']")
    names = [r[2] for r in _visible_rows(page)]
    assert names == sorted(names, key=str.lower) and names[0] == HOSTILE_NAME
    assert NOW.strftime("%Y-%m-%d") in page.title()


def test_the_content_security_policy_blocks_a_script_that_escaping_let_through(scan, opened):
    """Defence in depth: even markup injected into the page could not run, nor fetch anything."""
    page = opened.page.context.new_page()  # a page of its own: the violations log console errors
    own = PageRecord()  # and a record of its own: the shared page's record stays as other tests expect
    watch(page, own)
    try:
        page.goto(scan[1].resolve().as_uri())
        violations = page.evaluate("""() => new Promise(resolve => {
            const seen = [];
            document.addEventListener("securitypolicyviolation", e => {
                seen.push(e.effectiveDirective);
                if (seen.length === 2) resolve(seen.sort());
            });
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            const image = document.createElement("img");
            image.src = "https://example.invalid/beacon.png";
            document.body.appendChild(image);
        })""")
        assert violations == ["img-src", "script-src-elem"]
        assert page.evaluate("window.injected === undefined")
        assert own.finished == [scan[1].resolve().as_uri()]
        assert own.failed == [("https://example.invalid/beacon.png", "csp")]  # blocked by the policy
    finally:
        page.close()
