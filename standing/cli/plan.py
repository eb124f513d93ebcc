"""``standing plan``: migration plans from a snapshot, as Markdown or JSON on stdout, or both files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.text import Text

from standing.cli.common import (
    as_of_option,
    config_option,
    format_option,
    output_dir_option,
    snapshot_option,
    stdout,
    user_errors,
    utc_now,
    waivers_option,
)


@click.command("plan")
@click.argument("identity", required=False)
@snapshot_option(required=True)
@click.option("--identity", "identity_option", hidden=True, help="Same as IDENTITY (older spelling).")
@format_option("md", "json", default=None, help="What to print on stdout [default: md].")
@output_dir_option("Write plans.json and plans.md here instead of printing one of them.")
@config_option()
@waivers_option()
@as_of_option()
@user_errors
def plan_command(
    identity: str | None,
    snapshot: Path,
    identity_option: str | None,
    fmt: str | None,
    output_dir: Path | None,
    config_path: Path | None,
    waivers_path: Path | None,
    as_of: datetime | None,
) -> None:
    """Per identity: the just-in-time target, steps with rollback, Terraform, TTL, approval, controls.

    IDENTITY (an id, or a unique name) plans for that identity only; without it, every identity
    with a finding.
    """
    if identity is not None and identity_option is not None and identity != identity_option:
        raise click.UsageError("give the identity once: standing plan --snapshot FILE IDENTITY")
    identity_ref = identity if identity is not None else identity_option
    if output_dir is not None and fmt is not None:
        raise click.UsageError("--format picks what is printed; --output-dir writes both plans.json and plans.md")
    from standing.core.safe_text import printable
    from standing.core.snapshot import read_snapshot
    from standing.planner.document import plan_estate, plans_json, write_plans
    from standing.planner.markdown import render_markdown
    from standing.reports.explain import find_identity
    from standing.rules.analyse import analyse_estate
    from standing.rules.config import load_config
    from standing.rules.waivers import apply_waivers, load_waivers

    inventory = read_snapshot(snapshot)
    config = load_config(config_path)
    now = utc_now()
    when = as_of or now
    analysis = analyse_estate(inventory, config, as_of=when)
    findings, _ = apply_waivers(analysis.findings, load_waivers(waivers_path), when)
    graph = analysis.model.graph
    if identity_ref is not None:
        subject = find_identity(graph, identity_ref, str(snapshot))
        findings = [f for f in findings if f.identity == subject.id]
        if not findings:
            click.echo(f"{printable(subject.name)}: no findings, nothing to plan.")
            return
    document = plan_estate(analysis.model, findings, generated_at=now)
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        console = stdout()
        for path in write_plans(document, output_dir):
            console.print(Text(f"Wrote {path}"), soft_wrap=True)  # a path is copied whole
        return
    click.echo(plans_json(document) if fmt == "json" else render_markdown(document), nl=False)
