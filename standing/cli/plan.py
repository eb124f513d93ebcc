"""``standing plan``: migration plans from a snapshot, as Markdown or JSON on stdout."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from standing.cli.common import parse_as_of, user_errors, utc_now


@click.command("plan")
@click.option(
    "--snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Snapshot to plan for (from `standing collect` or a scan's --output-dir).",
)
@click.option("--identity", "identity_ref", help="Only this identity (id or unique name).")
@click.option("--format", "output_format", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file: thresholds, disabled rules, severity overrides.",
)
@click.option(
    "--waivers",
    "waivers_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file of accepted risks; waived findings are marked in the plans.",
)
@click.option("--as-of", callback=parse_as_of, help="Measure ages as of this ISO time.")
@user_errors
def plan_command(
    snapshot: Path,
    identity_ref: str | None,
    output_format: str,
    config_path: Path | None,
    waivers_path: Path | None,
    as_of: datetime | None,
) -> None:
    """Per identity: the just-in-time target, steps with rollback, Terraform, TTL, approval, controls."""
    from standing.core.snapshot import read_snapshot
    from standing.planner.document import plan_estate, plans_json
    from standing.planner.markdown import render_markdown
    from standing.reports.explain import find_identity
    from standing.rules.analyse import analyse_estate
    from standing.rules.config import ScanConfig, load_config
    from standing.rules.waivers import apply_waivers, load_waivers

    inventory = read_snapshot(snapshot)
    config = load_config(config_path) if config_path else ScanConfig()
    now = utc_now()
    when = as_of or now
    analysis = analyse_estate(inventory, config, as_of=when)
    findings, _ = apply_waivers(analysis.findings, load_waivers(waivers_path) if waivers_path else [], when)
    graph = analysis.model.graph
    if identity_ref is not None:
        subject = find_identity(graph, identity_ref, str(snapshot))
        findings = [f for f in findings if f.identity == subject.id]
        if not findings:
            click.echo(f"{subject.name}: no findings, nothing to plan.")
            return
    document = plan_estate(analysis.model, findings, generated_at=now)
    click.echo(plans_json(document) if output_format == "json" else render_markdown(document), nl=False)
