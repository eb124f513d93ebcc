"""The ``standing`` command line.

Exit codes (also in the README): 0 clean, 1 findings at or above ``--fail-on``,
2 usage or input error, 3 scan incomplete (some source could not be read).
The wall clock is read here and only here; everything below takes ``now`` as a value.
"""

from __future__ import annotations

import functools
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from standing import __version__
from standing.collectors.command import ProviderCommand, provider_commands
from standing.history.options import history_options, open_recorder
from standing.scanner.config import ScanConfig, load_config
from standing.scanner.errors import ExitCode, UserError
from standing.scanner.findings import Severity
from standing.scanner.model import Inventory
from standing.scanner.pipeline import exit_code, scan_inventory
from standing.scanner.snapshot import read_snapshot, write_snapshot
from standing.scanner.waivers import load_waivers

if TYPE_CHECKING:
    from standing.history.recorder import ScanRecorder

_FAIL_ON = [s.value for s in Severity] + ["none"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _stdout() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _parse_as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """One line on stderr and the documented exit code, never a traceback, for bad input."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            click.echo(f"standing: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def analysis_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Write findings.json and snapshot.json here."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="TOML file: thresholds, disabled rules, severity overrides."),
        click.option("--fail-on", type=click.Choice(_FAIL_ON), default=None,
                     help="Exit 1 when a finding is at least this severe [default: config, else high]."),
        click.option("--as-of", callback=_parse_as_of,
                     help="Measure ages as of this ISO time (reproduce a past scan)."),
        click.option("--waivers", "waivers_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="TOML file of accepted risks, each with an owner and an expiry."),
        *history_options(),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def run_analysis(inventory: Inventory, params: dict[str, Any], recorder: ScanRecorder | None = None) -> None:
    """Analyse, write, summarise, and exit with the documented code."""
    config = load_config(params["config_path"]) if params["config_path"] else ScanConfig()
    waivers = load_waivers(params["waivers_path"]) if params["waivers_path"] else []
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
    )
    from standing.reports.terminal import render_summary

    render_summary(_stdout(), result.document, written=result.written)
    if recorder is not None:  # opened by open_recorder before collecting
        recorder.record(result, _stdout(), _stderr())
    sys.exit(exit_code(result, fail_on))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="standing")
def main() -> None:
    """Find the standing privilege of non-human identities and plan its replacement with JIT access."""


@main.group()
def collect() -> None:
    """Read an estate into a snapshot file, to analyse later or elsewhere."""


@main.group(invoke_without_command=True)
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path),
              help="Analyse a snapshot written by `standing collect`.")
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
    recorder = open_recorder(params)
    run_analysis(read_snapshot(snapshot), params, recorder)


def _add_provider(command: ProviderCommand) -> None:
    @collect.command(command.name, help=f"Collect {command.summary}.")
    @command.options
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="Snapshot file to write.")
    @user_errors
    def collect_command(output: Path, **params: Any) -> None:
        inventory = command.collect(params, utc_now, _stderr())
        write_snapshot(inventory, output)
        console = _stdout()
        console.print(Text(f"Wrote {output}: {len(inventory.identities)} identities, "
                           f"{len(inventory.credentials)} credentials"))
        if not inventory.complete:
            console.print(Text(f"PARTIAL: {len(inventory.gaps)} source(s) could not be read "
                               "(listed in the snapshot's coverage)", style="bold yellow"))
            sys.exit(ExitCode.INCOMPLETE)

    @scan.command(command.name, help=f"Scan {command.summary}, then analyse.")
    @command.options
    @analysis_options
    @click.pass_context
    @user_errors
    def scan_command(ctx: click.Context, **params: Any) -> None:
        # Analysis options may come before or after the provider name; the ones after win.
        for key, value in (ctx.obj or {}).items():
            if params.get(key) is None:
                params[key] = value
        recorder = open_recorder(params)
        run_analysis(command.collect(params, utc_now, _stderr()), params, recorder)


_PROVIDERS = provider_commands()
for _command in _PROVIDERS:
    _add_provider(_command)


@main.command()
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("standing-demo"), show_default=True, help="Where to write the outputs.")
@user_errors
def demo(output_dir: Path) -> None:
    """Seed a realistic AWS estate in a local moto server and scan it end to end."""
    from standing.demo.runner import run_demo

    result = run_demo(output_dir=output_dir, now=utc_now(), progress=_stderr())
    from standing.reports.terminal import render_summary

    render_summary(_stdout(), result.document, written=result.written)


@main.command()
@click.argument("identity")
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Snapshot to read (from `standing collect` or a scan's --output-dir).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file: thresholds, disabled rules, severity overrides.")
@click.option("--as-of", callback=_parse_as_of, help="Measure ages as of this ISO time.")
@user_errors
def explain(identity: str, snapshot: Path, config_path: Path | None, as_of: datetime | None) -> None:
    """Everything known about one identity (id or unique name): credentials, grants, paths, findings."""
    from standing.reports.explain import find_identity, render_explanation
    from standing.scanner.graph import PrivilegeGraph
    from standing.scanner.pipeline import analyse

    inventory = read_snapshot(snapshot)
    config = load_config(config_path) if config_path else ScanConfig()
    graph = PrivilegeGraph(inventory)
    subject = find_identity(graph, identity, str(snapshot))
    findings = analyse(inventory, config, as_of=as_of or utc_now())
    render_explanation(_stdout(), graph, subject, findings)


@main.command("rules")
def rules_command() -> None:
    """List every rule with its default severity, parameters and framework references."""
    from standing.scanner.engine import load_rules
    from standing.scanner.frameworks import frameworks_for

    table = Table(title="Rules")
    for column in ("Id", "Severity", "Title", "Parameters", "Frameworks"):
        table.add_column(column, overflow="fold")
    for rule_id, rule in load_rules().items():
        params = ", ".join(f"{name}={field.default}" for name, field in rule.Params.model_fields.items())
        title = rule.title if rule.enabled_by_default else f"{rule.title} (off unless enabled in the config)"
        table.add_row(rule_id, rule.severity.value, title, params or "-",
                      "; ".join(ref.short for ref in frameworks_for(rule_id)))
    _stdout().print(table)


_PERMISSIONS = {c.name: c.permissions for c in _PROVIDERS if c.permissions is not None}


@main.command("policy")
@click.argument("provider", type=click.Choice(sorted(_PERMISSIONS)))
def policy_command(provider: str) -> None:
    """Print the read-only permissions the scanner needs, generated from the calls it declares."""
    click.echo(json.dumps(_PERMISSIONS[provider](), indent=2))


@main.command("schema")
@click.argument("document", type=click.Choice(["findings"]))
def schema_command(document: str) -> None:
    """Print the JSON Schema of an output document."""
    from standing.reports.findings_json import json_schema

    click.echo(json_schema(), nl=False)


def _add_feature_commands() -> None:
    """Commands living beside their feature; imported late because they use this module's helpers."""
    from standing.gate.cli import baseline_command, gate_command
    from standing.history.cli import history
    from standing.planner.cli import plan_command
    from standing.reports.leadership.cli import report_command

    main.add_command(baseline_command())
    main.add_command(gate_command())
    main.add_command(plan_command)
    main.add_command(report_command)
    main.add_command(history)


_add_feature_commands()
