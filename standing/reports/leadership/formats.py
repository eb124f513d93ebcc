"""The report's files: ``report.html`` for people, ``report.json`` / ``.csv`` / ``.md`` for everything else.

CSV cells pass ``standing.core.safe_text.spreadsheet_cell``, the one guard every CSV writer uses:
a cell a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading
apostrophe (an identity name is data, never a formula) and control characters are shown as
escapes. Markdown cells go through ``standing.core.markdown.escape`` (HTML escaped, Markdown
punctuation backslashed). JSON passes ``json_text``: no raw C1 or bidi character.
"""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from pathlib import Path

from standing.core.markdown import escape as md
from standing.core.outputs import make_output_dir, write_text_atomic
from standing.core.safe_text import json_text, spreadsheet_cell
from standing.reports.leadership.figures import compute_figures
from standing.reports.leadership.model import ReportFigures, ReportInput


class ReportFormat(StrEnum):
    HTML = "html"
    JSON = "json"
    CSV = "csv"
    MD = "md"


CSV_COLUMNS = [
    "severity",
    "risk",
    "rule",
    "title",
    "provider",
    "account",
    "identity_name",
    "identity",
    "subject",
    "message",
    "waived",
    "frameworks",
    "fingerprint",
]


def render_csv(report: ReportInput) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in report.findings.findings:
        writer.writerow(
            [
                spreadsheet_cell(v)
                for v in (
                    f.severity.value,
                    f.risk,
                    f.rule_id,
                    f.title,
                    f.provider.value,
                    f.account,
                    f.identity_name,
                    f.identity,
                    f.subject,
                    f.message,
                    "yes" if f.waiver else "no",
                    "; ".join(ref.short for ref in f.frameworks),
                    f.fingerprint,
                )
            ]
        )
    return out.getvalue()


def render_markdown(figures: ReportFigures) -> str:
    e = figures.exposure
    lines = [
        f"# Standing privilege risk report, {figures.as_of:%Y-%m-%d}",
        "",
        f"- Estate risk: **{figures.estate_risk:,}** (a sum, not a score out of 100: each of "
        f"{figures.risk_identities:,} identities with open findings adds its worst finding's risk, each 0-100)",
        f"- Admin-equivalent secrets: **{e.admin_secrets:,}** ({e.admin_secret_days:,} secret-days)",
        f"- Standing secrets: **{e.standing_secrets:,}** ({e.standing_secret_days:,} secret-days)",
        f"- Open findings: **{figures.open_findings:,}** ("
        + ", ".join(f"{c.count} {c.label}" for c in figures.by_severity if c.count)
        + ")",
        f"- Coverage: {_coverage(figures)}",
        "",
        "## Trend",
        "",
        "| scan | estate risk | secret-days | admin secret-days |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {p.at:%Y-%m-%d} | {'-' if p.estate_risk is None else f'{p.estate_risk:,}'} | "
        f"{p.exposure.standing_secret_days:,} | "
        f"{p.exposure.admin_secret_days:,} |"
        for p in figures.trend
    ]
    lines += _stored_history(figures)
    lines += [
        "",
        "## The ten riskiest identities",
        "",
        "| identity | provider | account | risk | findings | reaches admin | blast radius |",
        "|---|---|---|---:|---:|---|---|",
    ]
    lines += [
        f"| {md(r.name)} | {r.provider.value} | {md(r.account)} | {r.risk} | {r.findings} | "
        f"{'yes' if r.reaches_admin else 'no'} | {md('; '.join([*r.blast, *r.compute])) or '-'} |"
        for r in figures.riskiest
    ]
    if figures.roadmap:
        lines += [
            "",
            "## Roadmap",
            "",
            "| phase | plans | steps done | risk removed | secret-days after |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {p.phase.value} | {p.plans} | {p.steps_done}/{p.steps_total} | {p.risk_removed:,} | "
            f"{p.exposure_after.standing_secret_days:,} |"
            for p in figures.roadmap
        ]
    if figures.gaps:
        lines += ["", "## Not scanned", "", "| provider | scope | operation | status |", "|---|---|---|---|"]
        lines += [
            f"| {g.provider.value} | {md(g.scope)} | {md(g.operation)} | {g.status.value} |" for g in figures.gaps
        ]
    return "\n".join(lines) + "\n"


def _stored_history(figures: ReportFigures) -> list[str]:
    """With the history store: where the trend came from, plans completed, time to remediate."""
    if figures.history_store is None:
        return []
    lines = [
        "",
        f"{len(figures.trend)} scan(s) of this scope, from the history store {md(figures.history_store)}; "
        f"{figures.plans_completed_on_record} plan(s) completed across them.",
        "",
        "## Mean time to remediate",
        "",
    ]
    if not figures.remediation:
        return [*lines, "No finding of this scope has been remediated in the stored scans yet."]
    lines += ["| severity | remediated | mean days | median days | longest |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| {r.severity} | {r.remediated} | {r.mean_days} | {r.median_days} | {r.longest_days} |"
        for r in figures.remediation
    ]
    return lines


def write_report(report: ReportInput, formats: list[ReportFormat], output_dir: Path) -> list[Path]:
    from standing.reports.leadership.page import render_html

    make_output_dir(output_dir)
    figures = compute_figures(report)
    written = []
    for fmt in formats:
        path = output_dir / f"report.{fmt.value}"
        if fmt is ReportFormat.HTML:
            text = render_html(report, figures)
        elif fmt is ReportFormat.JSON:
            text = json_text(figures.model_dump_json(indent=2)) + "\n"
        elif fmt is ReportFormat.CSV:
            text = render_csv(report)
        else:
            text = render_markdown(figures)
        write_text_atomic(path, text, newline="")
        written.append(path)
    return written


def write_scan_report(report: ReportInput, output_dir: Path) -> Path:
    """``report.html`` beside a scan's findings.json, so every scan leaves a page to hand on."""
    return write_report(report, [ReportFormat.HTML], output_dir)[0]


def _coverage(figures: ReportFigures) -> str:
    if not figures.complete:
        return f"PARTIAL, {len(figures.gaps)} gap(s)"
    if figures.left_out:
        left = "; ".join(md(e.detail or e.operation) for e in figures.left_out)
        return f"every source in scope was read; left out by the scan's options: {left}"
    return "every source was read"
