"""``standing baseline`` and ``standing gate``: the CI gate's commands.

The clock is read here (``utc_now``) and passed down like everywhere else.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from standing.cli.common import (
    FILE,
    OUTPUT_FILE,
    as_of_option,
    config_option,
    findings_option,
    output_option,
    snapshot_option,
    user_errors,
    utc_now,
    waivers_option,
)
from standing.core.errors import ExitCode
from standing.core.safe_text import printable
from standing.core.snapshot import read_snapshot
from standing.gate.baseline import Baseline, baseline_of, read_baseline, write_baseline
from standing.gate.inputs import from_changes, from_inventory, read_findings
from standing.gate.judge import GateInput, GateResult, gate_config, judge
from standing.gate.policy import FAIL_ON_CHOICES, GatePolicy
from standing.rules.config import load_config
from standing.rules.waivers import load_waivers


def source_options(func: Any) -> Any:
    options = [
        snapshot_option(),
        findings_option(),
        click.option("--terraform-plan", type=FILE, help="Output of `terraform show -json PLANFILE`."),
        click.option(
            "--cloudformation", type=FILE, multiple=True, help="A CloudFormation template, JSON or YAML (repeatable)."
        ),
        click.option(
            "--parameter",
            "parameters",
            multiple=True,
            metavar="NAME=VALUE",
            help="A CloudFormation parameter's value as deployed, for every template declaring it "
            "(repeatable); otherwise its Default, and without one the values built from it are not judged.",
        ),
        config_option(),
        as_of_option(),
        click.argument("templates", nargs=-1, type=FILE),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _load_source(params: dict[str, Any], now: datetime) -> GateInput:
    templates = [*params["cloudformation"], *params["templates"]]
    given = [name for name in ("snapshot", "findings_path", "terraform_plan") if params[name]] + (
        ["cloudformation"] if templates else []
    )
    if len(given) != 1:
        raise click.UsageError("give exactly one of --snapshot, --findings, --terraform-plan, --cloudformation")
    if params["parameters"] and not templates:
        raise click.UsageError("--parameter gives CloudFormation parameters: use it with --cloudformation templates")
    base = load_config(params["config_path"])
    config = gate_config(base)
    as_of = params["as_of"] or now
    if params["snapshot"]:
        return from_inventory(read_snapshot(params["snapshot"]), params["snapshot"], config, as_of)
    if params["findings_path"]:
        return read_findings(params["findings_path"])
    if params["terraform_plan"]:
        from standing.collectors.iac.plan import read_plan
        from standing.collectors.iac.terraform import convert_plan

        return from_changes([convert_plan(read_plan(params["terraform_plan"]), as_of)], config, as_of)
    from standing.collectors.iac.cloudformation import convert_template, read_template, with_parameters

    values = _parameter_values(params["parameters"])
    changes = [convert_template(with_parameters(read_template(path), values), as_of) for path in templates]
    return from_changes(changes, config, as_of)


def _parameter_values(given: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in given:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--parameter")
        values[name.strip()] = value
    return values


@click.command("baseline")
@source_options
@output_option("Baseline file to write (sorted JSON).", required=True)
@user_errors
def baseline_command(output: Path, **params: Any) -> None:
    """Write the current findings as an accepted baseline for `standing gate`."""
    source = _load_source(params, utc_now())
    document = baseline_of(source.findings)
    write_baseline(document, output)
    click.echo(f"Wrote {output}: {len(document.entries)} accepted finding(s) from {printable(source.label)}")
    if source.gaps:
        click.echo(f"PARTIAL: {len(source.gaps)} thing(s) could not be judged; the baseline may be incomplete")
        sys.exit(ExitCode.INCOMPLETE)


def _ocsf_installed(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        from standing.reports.ocsf import require_ocsf

        require_ocsf("--ocsf")
    return value


@click.command("gate")
@click.option(
    "--baseline",
    "baseline_path",
    type=FILE,
    help="Accepted findings (from `standing baseline`); --snapshot and --findings need it or --store.",
)
@click.option(
    "--store",
    metavar="URL",
    help="A history store (`standing scan --store`): the baseline is its last complete scan of the "
    "same providers and accounts before this one; an explicit --baseline wins.",
)
@source_options
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES),
    default=None,
    help="keys: new standing keys and secrets only; a severity: those and any new finding at "
    "least this severe [default: keys; high for IaC].",
)
@waivers_option()
@click.option("--sarif", type=OUTPUT_FILE, help="Write SARIF 2.1.0 here (code scanning).")
@click.option("--markdown", type=OUTPUT_FILE, help="Write a Markdown summary here (a PR comment).")
@click.option("--junit", type=OUTPUT_FILE, help="Write JUnit XML here.")
@click.option(
    "--ocsf",
    type=OUTPUT_FILE,
    callback=_ocsf_installed,
    help="Write OCSF Detection Findings here (Security Hub, Security Lake, SIEMs; the ocsf extra).",
)
@user_errors
def gate_command(
    baseline_path: Path | None,
    store: str | None,
    fail_on: str | None,
    waivers_path: Path | None,
    sarif: Path | None,
    markdown: Path | None,
    junit: Path | None,
    ocsf: Path | None,
    **params: Any,
) -> None:
    """Fail (exit 1) only on findings new since the baseline, or that an IaC change creates.

    TEMPLATES are CloudFormation templates, as with --cloudformation (the form pre-commit passes).

    Exit codes: 0 nothing new blocks; 1 a new blocking finding (or an expired waiver);
    2 bad input; 3 nothing blocks but something could not be judged (a value known only
    after apply, a partial scan).
    """
    now = utc_now()
    iac = bool(params["terraform_plan"] or params["cloudformation"] or params["templates"])
    if iac and store:
        raise click.UsageError("--store gives a live estate's baseline; an IaC change is judged against itself")
    if not iac and baseline_path is None and store is None and (params["snapshot"] or params["findings_path"]):
        raise click.UsageError(
            "--snapshot and --findings need --baseline (write one with `standing baseline`) or --store URL"
        )
    from_store = store is not None and baseline_path is None  # an explicit --baseline wins
    if from_store:
        from standing.cli.history_options import HISTORY_MODULES
        from standing.core.extras import require_extra

        require_extra("--store", "history", HISTORY_MODULES)
    baseline: Baseline | None = read_baseline(baseline_path) if baseline_path else None
    waivers = load_waivers(waivers_path)
    source = _load_source(params, now)
    if from_store:
        from standing.gate.stored import baseline_from_store

        assert store is not None
        stored = baseline_from_store(store, source)
        baseline = stored.baseline
        click.echo(printable(stored.describe()))
    elif store is not None:
        click.echo(f"baseline: {printable(str(baseline_path))} (given; --store not consulted)")
    policy = GatePolicy.parse(fail_on or ("high" if iac else "keys"))
    result = judge(source, baseline, policy, waivers=waivers, as_of=params["as_of"] or now)
    _write_outputs(result, sarif, markdown, junit)
    if ocsf:
        from standing.reports.ocsf import gate_events, write_events

        write_events(gate_events(result, time=now), ocsf)
    render_gate(Console(highlight=False, soft_wrap=False), result)
    sys.exit(result.exit_code)


def _write_outputs(result: GateResult, sarif: Path | None, markdown: Path | None, junit: Path | None) -> None:
    if sarif:
        from standing.reports.sarif import write_sarif

        write_sarif(result, sarif)
    if markdown:
        from standing.reports.gate_markdown import write_markdown

        write_markdown(result, markdown)
    if junit:
        from standing.reports.junit import write_junit

        write_junit(result, junit)


# A terminal table of 20,000 rows takes longer to draw than the gate takes to judge them, and
# nobody reads it in a CI log; the files list every finding.
MAX_ROWS = 200
_STATUS = {
    ExitCode.FINDINGS: ("FAIL", "bold red"),
    ExitCode.INCOMPLETE: ("INCOMPLETE", "bold yellow"),
    ExitCode.CLEAN: ("PASS", "bold green"),
}


def render_gate(console: Console, result: GateResult) -> None:
    word, style = _STATUS[result.exit_code]
    line = Text(f"{word}: ", style=style)
    line.append(
        f"{len(result.blocking)} blocking of {len(result.new)} new finding(s) in {printable(result.input.label)}; "
        f"fails on {result.policy.describe()}",
        style="",
    )
    console.print(line)
    if result.new:
        table = Table(show_edge=False)
        for column in ("", "Severity", "Rule", "Subject", "Finding"):
            table.add_column(column, overflow="fold")
        shown = sorted(result.new, key=lambda f: not result.policy.blocks(f))[:MAX_ROWS]  # blocking first
        for f in shown:
            table.add_row(
                Text("BLOCK" if result.policy.blocks(f) else "new"),
                Text(f.severity.value),
                Text(f.rule_id),
                Text(printable(f.subject)),
                Text(printable(f.message)),
            )
        console.print(table)
        if len(result.new) > len(shown):
            console.print(
                Text(
                    f"... and {len(result.new) - len(shown)} more new finding(s), not shown here: "
                    "--sarif, --markdown, --junit and --ocsf list every one"
                )
            )
    if result.baseline_given:
        console.print(
            Text(
                f"{len(result.accepted)} accepted by the baseline; {len(result.removed)} gone since it "
                "(gone findings never fail the gate)"
            )
        )
    for waiver in result.expired_waivers:
        console.print(
            Text(f"expired waiver: {waiver.rule} on {printable(waiver.subject)} ({waiver.expires})", style="red")
        )
    for gap in result.input.gaps:
        console.print(
            Text(
                printable(f"not judged: {gap.scope} {gap.operation}: {gap.detail or gap.status.value}"), style="yellow"
            )
        )
