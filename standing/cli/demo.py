"""``standing demo``: a realistic AWS estate seeded in a local moto server, scanned end to end."""

from __future__ import annotations

from pathlib import Path

import click

from standing.cli.common import (
    all_option,
    extra_formats_option,
    output_dir_option,
    stderr,
    stdout,
    user_errors,
    utc_now,
)


@click.command()
@output_dir_option("Where to write the outputs.", default=Path("standing-demo"), show_default=True)
@extra_formats_option("ocsf")
@all_option()
@user_errors
def demo(output_dir: Path, formats: tuple[str, ...], show_all: bool) -> None:
    """Seed a realistic AWS estate in a local moto server and scan it end to end."""
    from standing.demo.runner import run_demo

    result = run_demo(output_dir=output_dir, now=utc_now(), progress=stderr(), formats=formats)
    from standing.reports.terminal import render_summary

    render_summary(stdout(), result.document, written=result.written, show_all=show_all)
