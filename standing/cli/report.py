"""``standing report``: the leadership risk report from a scan's output directory or a snapshot."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.text import Text

from standing.cli.common import (
    DIRECTORY,
    FILE,
    OUTPUT_DIR,
    as_of_option,
    config_option,
    output_dir_option,
    snapshot_option,
    stdout,
    user_errors,
    utc_now,
    waivers_option,
)
from standing.reports.leadership.formats import ReportFormat


def _parse_formats(ctx: click.Context, param: click.Parameter, value: str) -> list[ReportFormat]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in {f.value for f in ReportFormat}]
    if unknown or not names:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(f.value for f in ReportFormat)}"
        )
    return list(dict.fromkeys(ReportFormat(name) for name in names))


@click.command("report")
@click.option(
    "--findings-dir",
    type=DIRECTORY,
    metavar="DIR",
    help="A scan's --output-dir (findings.json; snapshot.json and plans.json when present).",
)
@snapshot_option()
@click.option(
    "--history-dir",
    type=DIRECTORY,
    metavar="DIR",
    help="Earlier scans for the trend: every *findings*.json under this directory.",
)
@click.option(
    "--previous",
    type=FILE,
    metavar="FILE",
    multiple=True,
    help="An earlier scan's findings.json for the trend (repeatable).",
)
@click.option(
    "--store",
    metavar="URL",
    help="The history store scans were recorded in (`standing scan --store`): the trend, mean time "
    "to remediate by severity and plans completed, over the stored scans of this scan's scope.",
)
@click.option(
    "--format",
    "formats",
    default="html",
    show_default=True,
    callback=_parse_formats,
    help="Comma-separated: html, json, csv, md.",
)
@output_dir_option("Write report.<format> files here (required).")
@click.option(
    "-o",
    "deprecated_output_dir",
    type=OUTPUT_DIR,
    hidden=True,
    help="Deprecated spelling of --output-dir (-o names a single file in every other command).",
)
@config_option("With --snapshot: ")
@waivers_option("With --snapshot: ")
@as_of_option("With --snapshot: measure ages as of this ISO time.")
@user_errors
def report_command(
    findings_dir: Path | None,
    snapshot: Path | None,
    history_dir: Path | None,
    previous: tuple[Path, ...],
    store: str | None,
    formats: list[ReportFormat],
    output_dir: Path | None,
    deprecated_output_dir: Path | None,
    config_path: Path | None,
    waivers_path: Path | None,
    as_of: datetime | None,
) -> None:
    """One self-contained HTML page for leadership (and JSON, CSV, Markdown): risk, trend, roadmap, findings."""
    from standing.reports.leadership.formats import write_report
    from standing.reports.leadership.inputs import from_findings_dir, history_points

    if deprecated_output_dir is not None:
        if output_dir is not None:
            raise click.UsageError("give --output-dir DIR once (-o is its deprecated spelling)")
        click.echo("standing: warning: `report -o DIR` is deprecated; use --output-dir DIR", err=True)
        output_dir = deprecated_output_dir
    if output_dir is None:
        raise click.UsageError("Missing option '--output-dir'.")
    if (findings_dir is None) == (snapshot is None):
        raise click.UsageError("give exactly one of --findings-dir DIR or --snapshot FILE")
    if findings_dir is not None and (config_path or waivers_path or as_of):
        raise click.UsageError(
            "--config, --waivers and --as-of apply to --snapshot; a findings.json was already analysed"
        )
    if store is not None and (history_dir is not None or previous):
        raise click.UsageError("give --store URL or --history-dir/--previous for the trend, not both")
    if store is not None:
        from standing.cli.history_options import HISTORY_MODULES
        from standing.core.extras import require_extra

        require_extra("--store", "history", HISTORY_MODULES)
    history = history_points(history_dir, list(previous))
    if findings_dir is not None:
        report = from_findings_dir(findings_dir, history)
    elif snapshot is not None:
        from standing.rules.config import load_config
        from standing.rules.waivers import load_waivers

        now = utc_now()
        from standing.scan import report_of_snapshot

        assert snapshot is not None  # exactly one of the two was given (checked above)
        report = report_of_snapshot(
            snapshot,
            load_config(config_path),
            as_of=as_of or now,
            generated_at=now,
            waivers=load_waivers(waivers_path),
            history=history,
        )
    if store is not None:
        from dataclasses import replace

        from standing.reports.leadership.stored import read_store_history

        report = replace(report, stored=read_store_history(store, report.findings))
    console = stdout()
    for path in write_report(report, formats, output_dir):
        console.print(Text(f"Wrote {path}"), soft_wrap=True)  # a path is copied whole
