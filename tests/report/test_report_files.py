"""The risk report's figures, files and CLI, without a browser (the browser test is beside this one)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections import Counter

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.core.model import Provider
from standing.reports.leadership.figures import compute_figures
from standing.reports.leadership.formats import render_markdown
from standing.reports.leadership.inputs import from_findings_dir, history_points
from standing.reports.leadership.model import Count, PathHop
from standing.reports.leadership.page import content_security_policy, render_html
from tests.builders import ACCOUNT, NOW
from tests.report.estate import (
    COMPUTE_NAME,
    EARLIER,
    FORMULA_NAME,
    GAP_DETAIL,
    GCP_PROJECT,
    HOSTILE_NAME,
    OPS_ROLE,
    SCRIPT_BREAKER,
    scan_into,
)


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    root = tmp_path_factory.mktemp("scans")
    scan_into(root / "earlier", earlier=True)
    scan_into(root / "now")
    return root


def _data_block(html: str) -> str:
    return re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1)


def test_top_of_page_figures_come_from_the_scan_plans_and_history(scans):
    report = from_findings_dir(scans / "now", history_points(None, [scans / "earlier" / "findings.json"]))
    figures = compute_figures(report)
    worst: dict[str, int] = {}
    for f in report.findings.findings:
        worst[f.identity] = max(worst.get(f.identity, 0), f.risk)
    assert figures.estate_risk == sum(worst.values())
    assert [p.at for p in figures.trend] == [EARLIER, NOW]
    assert figures.trend[0].estate_risk > figures.trend[1].estate_risk  # 60 fewer old keys now
    assert (figures.exposure.admin_secrets, figures.exposure.admin_secret_days) == (1, 400)
    assert figures.by_severity == [
        Count(label="critical", count=1),
        Count(label="high", count=66),  # with the customer Admin policy's own finding and acme-ops
        Count(label="medium", count=2),
        Count(label="low", count=64),  # the census: one per live key (63 AWS keys, 1 GCP key)
        Count(label="info", count=0),
    ]
    assert figures.by_provider == [Count(label="aws", count=131), Count(label="gcp", count=2)]
    assert figures.by_account == [Count(label=ACCOUNT, count=131), Count(label=GCP_PROJECT, count=2)]
    assert [r.name for r in figures.riskiest[:5]] == [
        HOSTILE_NAME,
        "acme-admin",
        OPS_ROLE,
        SCRIPT_BREAKER,
        FORMULA_NAME,
    ]
    assert len(figures.riskiest) == 10
    top = figures.riskiest[0]
    assert (top.risk, top.findings, top.reaches_admin, top.reachable) == (95, 3, True, 1)  # and its key's census
    assert top.path == [PathHop(source=HOSTILE_NAME, target="acme-admin", how="assume-role")]
    assert figures.credential_ages == [
        Count(label="< 90 days", count=1),
        Count(label="90-179 days", count=60),
        Count(label="180-364 days", count=1),
        Count(label="1-2 years", count=1),
        Count(label="2 years +", count=1),
    ]
    assert [(g.operation, g.detail) for g in figures.gaps] == [("iam:ListAccessKeys", GAP_DETAIL)]
    assert report.plans is not None
    assert sum(p.plans for p in figures.roadmap) == len(report.plans.plans) > 0
    nhi7 = next(c for c in figures.frameworks if c.control == "NHI7:2025")
    assert nhi7.open_findings == sum(
        1 for f in report.findings.findings if "NHI7:2025" in {ref.control for ref in f.frameworks}
    )
    assert {c.framework for c in figures.frameworks} == {
        "OWASP Non-Human Identities Top 10",
        "CIS AWS Foundations Benchmark",
        "CIS Google Cloud Platform Foundation Benchmark",
    }
    # each cloud's benchmark counts only its own cloud's findings: 60+ old AWS keys cite CIS AWS 1.14
    # and leave CIS GCP 1.7 (same rule, the other cloud's control) at nothing
    controls = {(c.framework, c.control): c.open_findings for c in figures.frameworks}
    too_old = Counter(f.provider for f in report.findings.findings if f.rule_id == "key-too-old" and not f.waiver)
    assert too_old[Provider.AWS] > 60 and too_old[Provider.GCP] == 0
    assert controls[("CIS AWS Foundations Benchmark", "1.14")] == too_old[Provider.AWS]
    assert controls[("CIS Google Cloud Platform Foundation Benchmark", "1.7")] == too_old[Provider.GCP]


def test_headline_figures_say_what_they_are(scans):
    """The estate risk is a sum (captioned so, not "0-100"); an admin's blast radius never says "can become 0"."""
    report = from_findings_dir(scans / "now", ())
    figures = compute_figures(report)
    assert figures.risk_identities == len({f.identity for f in report.findings.findings if not f.waiver})
    assert figures.estate_risk > 100  # why "0-100" beside it misled
    html = (scans / "now" / "report.html").read_text(encoding="utf-8")
    caption = re.search(r'<p class="muted" id="estate-risk-caption">(.*?)</p>', html).group(1)
    assert caption.startswith("a sum, not a score out of 100")
    assert f"each of {figures.risk_identities:,} identities with open findings" in caption
    assert "can become 0" not in html
    rows = {r.name: r for r in figures.riskiest}
    admin, hostile = rows["acme-admin"], rows[HOSTILE_NAME]
    assert admin.reaches_admin and admin.reachable == 0
    assert not any("can become" in part for part in admin.blast)  # reaches admin says it all
    # near miss: an identity that does become another keeps the figure
    assert hostile.blast[0] == "can become 1 other identity in 1 account(s)"
    # compute: what runs as the admin role and who can take it over; an admin role nothing runs as says nothing
    function = f"Lambda function {COMPUTE_NAME} (eu-west-1)"
    assert admin.compute == [f"{function} runs as this role; 1 identity can take over its compute"]
    assert hostile.compute == [f"can run code as acme-admin (through {function})"]
    assert rows[OPS_ROLE].compute == []
    assert "Lambda function &lt;svg onload=alert(3)&gt;billing-sync (eu-west-1) runs as this role" in html
    markdown = render_markdown(figures)
    assert "(a sum, not a score out of 100: each of" in markdown
    admin_row = next(line for line in markdown.splitlines() if line.startswith("| acme-admin |"))
    escaped = "Lambda function &lt;svg onload=alert(3)&gt;billing-sync (eu-west-1)"
    assert admin_row.endswith(
        f"| yes | reads {', '.join(admin.sensitive)}; {escaped} runs as this role; 1 identity can take over its compute |"
    )
    ops_row = next(line for line in markdown.splitlines() if line.startswith(f"| {OPS_ROLE} |"))
    assert ops_row.endswith("| yes | reads " + ", ".join(admin.sensitive) + " |")  # near miss: no compute


def test_the_table_data_carries_each_findings_own_frameworks(scans):
    """Not the rule's first finding's: one rule cites each cloud's own controls."""
    html = (scans / "now" / "report.html").read_text(encoding="utf-8")
    data = json.loads(_data_block(html))
    report = from_findings_dir(scans / "now", ())
    by_fingerprint = {f.fingerprint: f for f in report.findings.findings}
    providers = set()
    for row in data["findings"]:
        finding = by_fingerprint[row[7]]
        assert data["frameworks"][row[8]] == ", ".join(ref.short for ref in finding.frameworks)
        providers.add(finding.provider)
    assert providers == {Provider.AWS, Provider.GCP}
    assert not any("CIS AWS" in text and "CIS GCP" in text for text in data["frameworks"])


def test_an_aws_only_estate_shows_no_cis_gcp_control(scans):
    report = from_findings_dir(scans / "now", ())
    document = report.findings
    aws_only = document.model_copy(
        update={
            "findings": [f for f in document.findings if f.provider is Provider.AWS],
            "scan": document.scan.model_copy(update={"providers": [Provider.AWS]}),
        }
    )
    shown = {c.framework for c in compute_figures(dataclasses.replace(report, findings=aws_only)).frameworks}
    assert "CIS Google Cloud Platform Foundation Benchmark" not in shown
    assert {"OWASP Non-Human Identities Top 10", "CIS AWS Foundations Benchmark"} <= shown  # near miss: its own cloud's


def test_cloud_strings_are_escaped_in_the_page_and_cannot_leave_the_data_block(scans):
    html = (scans / "now" / "report.html").read_text(encoding="utf-8")  # written by the scan itself
    assert "<img" not in html and "alert(2)</script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the riskiest-identities table, server-side
    assert "&lt;b&gt;AccessDenied&lt;/b&gt;" in html  # the coverage gap
    block = _data_block(html)
    assert "<" not in block and ">" not in block and "&" not in block and "\u2028" not in block
    data = json.loads(block)
    names = {row[1] for row in data["identities"]}
    assert {HOSTILE_NAME, SCRIPT_BREAKER, FORMULA_NAME} <= names
    assert len(data["findings"]) == 133  # 69 judged, 64 in the census of standing secrets
    assert html.count("<script") == 2  # the data block and the page's own script, nothing else


def test_the_policy_allows_no_network_and_only_the_pages_own_script(scans):
    html = (scans / "now" / "report.html").read_text(encoding="utf-8")
    script = re.search(r"<script>(.*?)</script>\s*</body>", html, re.S).group(1)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert policy == content_security_policy(script).replace("'", "&#39;")
    assert "default-src 'none'" in content_security_policy(script)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing fetched from anywhere


def test_with_history_the_trend_line_has_a_point_per_scan(scans):
    report = from_findings_dir(scans / "now", history_points(scans / "earlier", []))
    trend = re.search(r'<section id="trend">(.*?)</section>', render_html(report), re.S).group(1)
    assert re.findall(r"<title>([^<]+)</title></circle>", trend) == [
        f"{EARLIER:%Y-%m-%d}: {report.trend[0].estate_risk:,}",
        f"{NOW:%Y-%m-%d}: {report.trend[1].estate_risk:,}",
    ]
    assert "trend-note" not in trend


def test_without_history_the_trend_is_one_point_and_says_so(scans):
    report = from_findings_dir(scans / "now")
    html = render_html(report)
    assert [p.at for p in report.trend] == [NOW]
    assert 'id="trend-note">Only this scan is on record' in html


def test_cli_writes_every_format_escaped_for_its_reader(scans, tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--findings-dir",
            str(scans / "now"),
            "--history-dir",
            str(scans / "earlier"),
            "--format",
            "html,json,csv,md",
            "--output-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "report.html", "report.json", "report.md"]
    summary = json.loads((tmp_path / "report.json").read_text())
    assert [p["at"][:10] for p in summary["trend"]] == [EARLIER.date().isoformat(), NOW.date().isoformat()]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text())))
    assert len(rows) == 133
    assert {r["identity_name"] for r in rows if r["identity_name"].startswith("'")} == {"'" + FORMULA_NAME}
    markdown = (tmp_path / "report.md").read_text()
    assert "<img" not in markdown and "| &lt;img src=x onerror=alert(1)&gt; | aws |" in markdown


def test_report_of_a_snapshot_matches_the_report_of_its_scan(scans, tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--snapshot",
            str(scans / "now" / "snapshot.json"),
            "--as-of",
            NOW.isoformat(),
            "--format",
            "json",
            "--output-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    from_snapshot = json.loads((tmp_path / "report.json").read_text())
    from_dir = json.loads(compute_figures(from_findings_dir(scans / "now")).model_dump_json())
    for volatile in ("generated_at",):
        from_snapshot.pop(volatile), from_dir.pop(volatile)
    assert from_snapshot == from_dir


@pytest.mark.parametrize(
    "args, message",
    [
        (["--findings-dir", "{tmp}/nowhere"], "{tmp}/nowhere: no such directory"),
        (["--findings-dir", "{tmp}"], "{tmp}: no findings.json here"),
        (["--findings-dir", "{scans}/now", "--previous", "{tmp}/bad.json"], "{tmp}/bad.json: not valid JSON"),
        (
            ["--findings-dir", "{scans}/now", "--previous", "{scans}/now/plans.json"],
            "{scans}/now/plans.json: not a standing findings.json",
        ),
        (["--findings-dir", "{scans}/now", "--format", "html,pdf"], "pdf: choose from html, json, csv, md"),
        (
            ["--findings-dir", "{scans}/now", "--snapshot", "{scans}/now/snapshot.json"],
            "give exactly one of --findings-dir DIR or --snapshot FILE",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_source(scans, tmp_path, args, message):
    (tmp_path / "bad.json").write_text('{"schema": "standing.findings", ')
    fill = {"tmp": str(tmp_path), "scans": str(scans)}
    result = CliRunner().invoke(
        main, ["report", *[a.format(**fill) for a in args], "--output-dir", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert message.format(**fill) in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_waived_findings_stay_in_the_table_but_leave_the_figures(scans, tmp_path):
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waivers]]\nrule = "key-too-old"\nsubject = "*svc-batch-0*"\nowner = "data-team@example.com"\n'
        'justification = "batch keys rotate with the nightly job"\nexpires = 2027-01-31\n'
    )
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--snapshot",
            str(scans / "now" / "snapshot.json"),
            "--as-of",
            NOW.isoformat(),
            "--waivers",
            str(waivers),
            "--format",
            "json,csv",
            "--output-dir",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "report.json").read_text())
    assert (summary["open_findings"], summary["waived_findings"]) == (123, 10)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "report.csv").read_text())))
    assert sorted(r["identity_name"] for r in rows if r["waived"] == "yes") == [f"svc-batch-{i:02d}" for i in range(10)]
