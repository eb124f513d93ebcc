"""``standing collect <provider>`` and ``standing scan``: read an estate, analyse it, write, exit."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from standing.cli.common import (
    SCAN_FAIL_ON_CHOICES,
    all_option,
    as_of_option,
    config_option,
    extra_formats_option,
    output_dir_option,
    output_option,
    snapshot_option,
    stderr,
    stdout,
    user_errors,
    utc_now,
    waivers_option,
)
from standing.cli.history_options import history_options, open_recorder
from standing.cli.providers import ProviderCommand, provider_commands

if TYPE_CHECKING:
    from standing.core.model import Inventory
    from standing.history.recorder import ScanRecorder


def analysis_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        output_dir_option("Write findings.json, snapshot.json, plans.json, plans.md and report.html here."),
        extra_formats_option("ocsf"),
        config_option(),
        click.option(
            "--fail-on",
            type=click.Choice(SCAN_FAIL_ON_CHOICES),
            default=None,
            help="Exit 1 when a finding is at least this severe [default: config, else high].",
        ),
        as_of_option(),
        waivers_option(),
        all_option(),
        *history_options(),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def check_formats(params: dict[str, Any]) -> None:
    """Before any collection: a --format file needs a folder to go in."""
    if params["formats"] and params["output_dir"] is None:
        raise click.UsageError(f"--format {params['formats'][0]} writes into --output-dir: give one")


def run_analysis(
    inventory: Inventory, params: dict[str, Any], recorder: ScanRecorder | None = None, read_from: Path | None = None
) -> None:
    """Analyse, write, summarise, and exit with the documented code; ``read_from``: the snapshot
    file the inventory came from (copied beside the outputs, not written again)."""
    from standing.core.findings import Severity
    from standing.reports.terminal import render_summary
    from standing.rules.config import load_config
    from standing.rules.waivers import load_waivers
    from standing.scan import exit_code, scan_inventory

    config = load_config(params["config_path"])
    waivers = load_waivers(params["waivers_path"])
    fail_on_name = params["fail_on"] or (config.fail_on.value if config.fail_on else Severity.HIGH.value)
    fail_on = None if fail_on_name == "none" else Severity(fail_on_name)
    generated = utc_now()
    result = scan_inventory(
        inventory,
        config,
        as_of=params["as_of"] or generated,
        generated_at=generated,
        output_dir=params["output_dir"],
        waivers=waivers,
        formats=params["formats"],
        read_from=read_from,
    )
    render_summary(stdout(), result.document, written=result.written, show_all=params["show_all"])
    if recorder is not None:  # opened by open_recorder before collecting
        completed = result.plans.completed if result.plans else []  # plans: with --output-dir
        recorder.record(result.document, result.inventory, stdout(), stderr(), completed)
    sys.exit(exit_code(result, fail_on))


@click.group()
def collect() -> None:
    """Read an estate into a snapshot file, to analyse later or elsewhere."""


@click.group(invoke_without_command=True)
@snapshot_option()
@analysis_options
@click.pass_context
@user_errors
def scan(ctx: click.Context, snapshot: Path | None, **params: Any) -> None:
    """Scan a live estate (`standing scan aws`) or a snapshot (`standing scan --snapshot FILE`)."""
    if ctx.invoked_subcommand is not None:
        if snapshot is not None:
            raise click.UsageError("--snapshot reads a file; it cannot be combined with a live scan")
        ctx.obj = params
        return
    if snapshot is None:
        raise click.UsageError("give --snapshot FILE, or a provider: standing scan aws")
    check_formats(params)
    recorder = open_recorder(params)
    from standing.core.snapshot import read_snapshot

    run_analysis(read_snapshot(snapshot), params, recorder, read_from=snapshot)


def _add_provider(command: ProviderCommand) -> None:
    @collect.command(command.name, help=f"Collect {command.summary}.")
    @command.options
    @output_option("Snapshot file to write.", required=True)
    @user_errors
    def collect_command(output: Path, **params: Any) -> None:
        from standing.core.errors import ExitCode
        from standing.core.snapshot import write_snapshot

        inventory = command.collect(params, utc_now, stderr())
        write_snapshot(inventory, output)
        console = stdout()
        console.print(
            Text(f"Wrote {output}: {len(inventory.identities)} identities, {len(inventory.credentials)} credentials"),
            soft_wrap=True,
        )
        if not inventory.complete:
            console.print(
                Text(
                    f"PARTIAL: {len(inventory.gaps)} source(s) could not be read (listed in the snapshot's coverage)",
                    style="bold yellow",
                )
            )
            sys.exit(ExitCode.INCOMPLETE)

    @scan.command(command.name, help=f"Scan {command.summary}, then analyse.")
    @command.options
    @analysis_options
    @click.pass_context
    @user_errors
    def scan_command(ctx: click.Context, **params: Any) -> None:
        # Analysis options may come before or after the provider name; the ones after win.
        for key, value in (ctx.obj or {}).items():
            given = params.get(key)
            if given is None or given is False or given == ():  # unset, a flag or a repeatable option not given
                params[key] = value
        check_formats(params)
        recorder = open_recorder(params)
        run_analysis(command.collect(params, utc_now, stderr()), params, recorder)


PROVIDERS = provider_commands()
for _command in PROVIDERS:
    _add_provider(_command)
