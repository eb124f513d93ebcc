"""``standing explain``: everything known about one identity."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from standing.cli.common import (
    as_of_option,
    config_option,
    snapshot_option,
    stdout,
    user_errors,
    utc_now,
)


@click.command()
@click.argument("identity")
@snapshot_option(required=True)
@config_option()
@as_of_option()
@user_errors
def explain(identity: str, snapshot: Path, config_path: Path | None, as_of: datetime | None) -> None:
    """Everything known about one identity (id or unique name): credentials, grants, the compute that runs as it
    and who can take that compute over, paths and the change that cuts them, findings."""
    from standing.core.snapshot import read_snapshot
    from standing.reports.explain import find_identity, render_explanation
    from standing.rules.analyse import analyse_estate
    from standing.rules.config import load_config

    inventory = read_snapshot(snapshot)
    config = load_config(config_path)
    analysis = analyse_estate(inventory, config, as_of=as_of or utc_now())  # once: its graph is the one shown
    graph = analysis.model.graph
    subject = find_identity(graph, identity, str(snapshot))
    render_explanation(stdout(), graph, subject, analysis.findings)
