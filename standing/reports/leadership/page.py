"""The report as one self-contained HTML file.

jinja2 with autoescape renders everything server-side (summary, charts, tables), so any
cloud-supplied string is escaped by the template engine, never by hand. The findings table is
drawn in the browser from JSON data by the page's one inline script. The Content-Security-Policy
allows no network at all and runs only that script, named by its SHA-256: an injected inline
handler could not run even if escaping failed. Every value a template prints also passes
``printable`` (jinja2's ``finalize``), so a name's control and bidi characters are shown as
escapes on the page as they are everywhere else; markup the code built (charts, the page's own
CSS and script) is left alone.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from standing.core.safe_text import printable
from standing.reports.leadership.charts import SEVERITY_COLOURS, bar_chart, line_chart
from standing.reports.leadership.figures import compute_figures
from standing.reports.leadership.model import ReportFigures, ReportInput
from standing.reports.leadership.table_data import build_table_data


def _shown(value: object) -> object:
    """What a ``{{ }}`` prints: built markup as is, any other text printable, then autoescaped."""
    return value if isinstance(value, Markup) or not isinstance(value, str) else printable(value)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("standing.reports.leadership", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=_shown,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def _asset(name: str) -> str:
    return resources.files("standing.reports.leadership").joinpath("templates", name).read_text(encoding="utf-8")


def content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def _frameworks(figures: ReportFigures) -> list[tuple[str, list[object]]]:
    grouped: dict[str, list[object]] = {}
    for control in figures.frameworks:
        grouped.setdefault(f"{control.framework} {control.version}", []).append(control)
    return list(grouped.items())


def render_html(report: ReportInput, figures: ReportFigures | None = None) -> str:
    from standing import __version__

    figures = figures or compute_figures(report)
    script = _asset("report.js")
    trend = figures.trend
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            csp=content_security_policy(script),
            css=Markup(_asset("report.css")),
            script=Markup(script),
            data=build_table_data(report).as_script_json(),
            tool_version=__version__,
            figures=figures,
            previous=trend[-2] if len(trend) > 1 else None,
            trend=line_chart(
                "Estate risk per scan",
                [(p.at.strftime("%Y-%m-%d"), p.estate_risk) for p in trend if p.estate_risk is not None],
            ),
            severity_chart=bar_chart("Open findings by severity", figures.by_severity, colours=SEVERITY_COLOURS),
            provider_chart=bar_chart("Open findings by provider", figures.by_provider),
            account_chart=bar_chart("Open findings by account (top 12)", figures.by_account),
            age_chart=(
                bar_chart("Standing secrets by age", figures.credential_ages)
                if figures.credential_ages is not None
                else None
            ),
            frameworks=_frameworks(figures),
        )
    )
