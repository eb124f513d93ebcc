"""``standing history``: list stored scans, diff two of them, trend them all, prune the old."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.text import Text

from standing.cli.common import (
    as_of_option,
    format_option,
    output_option,
    user_errors,
    utc_now,
)
from standing.cli.history_options import KEEP_DAYS
from standing.history.export import FORMATS, Tabular, emit

if TYPE_CHECKING:  # the store needs the history extra; imported when a command runs
    from standing.history.store import HistoryStore


# A stored scan's id: positive, and small enough for every store's integer column.
SCAN_ID = click.IntRange(min=1, max=2**31 - 1)


def _format_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = output_option("Write to this file instead of the terminal.")(func)
    return format_option(*FORMATS, default="table")(func)


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _open(store: str | None) -> HistoryStore:
    if not store:  # checked here, not by the group, so `standing history list --help` needs no store
        raise click.UsageError("Missing option '--store' (or set STANDING_STORE).")
    from standing.cli.history_options import HISTORY_MODULES
    from standing.core.extras import require_extra

    require_extra("standing history", "history", HISTORY_MODULES)
    from standing.history.store import HistoryStore

    return HistoryStore.open(store, create=False)


@click.group()
@click.option(
    "--store",
    envvar="STANDING_STORE",
    metavar="URL",
    help="The history database scans were recorded in (--store of `standing scan`) [required; env STANDING_STORE].",
)
@click.pass_context
def history(ctx: click.Context, store: str | None) -> None:
    """Scans recorded with `standing scan --store`: list, diff, trend, mttr, prune."""
    ctx.obj = store


@history.command("list")
@_format_options
@click.pass_obj
@user_errors
def list_command(store: str | None, fmt: str, output: Path | None) -> None:
    """Every stored scan, oldest first."""
    with _open(store) as opened:
        scans = opened.scans()
    rows = tuple(
        (
            s.id,
            s.as_of,
            ",".join(s.providers),
            ",".join(s.accounts),
            s.complete,
            s.identities,
            s.credentials,
            s.findings,
            s.exposure.standing_secrets,
            s.exposure.standing_secret_days,
        )
        for s in scans
    )
    columns = (
        "scan",
        "as_of",
        "providers",
        "accounts",
        "complete",
        "identities",
        "credentials",
        "findings",
        "standing_secrets",
        "standing_secret_days",
    )
    emit(Tabular("Stored scans", columns, rows), fmt, output, _console())


@history.command("diff")
@click.argument("before", type=SCAN_ID, required=False)
@click.argument("after", type=SCAN_ID, required=False)
@_format_options
@click.pass_obj
@user_errors
def diff_command(store: str | None, before: int | None, after: int | None, fmt: str, output: Path | None) -> None:
    """What changed between two scans (default: the last two; one id: that scan against the newest).

    New, resolved and persisting findings; credentials created and removed.
    """
    from standing.core.errors import UserError

    with _open(store) as opened:
        ids = [s.id for s in opened.scans()]
        if before is None:
            if len(ids) < 2:
                raise UserError("standing history diff", f"needs two stored scans; {len(ids)} stored")
            before, after = ids[-2], ids[-1]
        elif after is None:
            after = ids[-1] if ids else before
        change = opened.diff(before, after)
    rows: list[tuple[Any, ...]] = []
    for kind, states in (("new", change.new), ("resolved", change.resolved), ("persisting", change.persisting)):
        rows += [
            (kind, "finding", f.severity.value, f.rule_id, f.identity_name, f.subject, f.first_seen, f.fingerprint)
            for f in states
        ]
    for kind, creds in (("created", change.created), ("removed", change.removed)):
        rows += [(kind, "credential", "", c.kind, c.identity_id, c.credential_id, None, "") for c in creds]
    console = _console()
    if fmt == "table" and output is None:
        console.print(
            Text(
                f"Scan {change.before.id} ({change.before.as_of:%Y-%m-%d %H:%M}) -> scan {change.after.id} "
                f"({change.after.as_of:%Y-%m-%d %H:%M}): {len(change.new)} new, {len(change.resolved)} resolved, "
                f"{len(change.persisting)} persisting finding(s); {len(change.created)} credential(s) created, "
                f"{len(change.removed)} removed"
            )
        )
        rows = [r for r in rows if r[0] != "persisting"]  # counted above; export for the full list
    columns = ("change", "kind", "severity", "rule_or_type", "identity", "subject", "first_seen", "fingerprint")
    emit(Tabular("Changes", columns, tuple(rows)), fmt, output, console)


@history.command("trend")
@_format_options
@click.pass_obj
@user_errors
def trend_command(store: str | None, fmt: str, output: Path | None) -> None:
    """Per scan: open findings by severity, exposure, standing-credential ages, time to remediate."""
    from standing.core.extras import require_extra

    require_extra("standing history trend", "history", ("pandas",))
    from standing.history.trend import compute_trend, trend_table

    with _open(store) as opened:
        table = trend_table(compute_trend(opened))
    emit(table, fmt, output, _console())


@history.command("mttr")
@_format_options
@click.pass_obj
@user_errors
def mttr_command(store: str | None, fmt: str, output: Path | None) -> None:
    """Mean time to remediate by severity, over every resolution the store keeps (all accounts)."""
    from standing.history.remediation import mttr_by_severity

    with _open(store) as opened:
        rows = mttr_by_severity(opened.remediations())
    columns = ("severity", "remediated", "mean_days", "median_days", "longest_days")
    table = Tabular(
        "Mean time to remediate (days)",
        columns,
        tuple((r.severity, r.remediated, r.mean_days, r.median_days, r.longest_days) for r in rows),
    )
    emit(table, fmt, output, _console())


@history.command("prune")
@click.option(
    "--keep-days",
    type=KEEP_DAYS,
    required=True,
    help="Keep scans measured within this many days; the newest scan is always kept.",
)
@as_of_option("Count the days back from this ISO time [default: now].")
@click.pass_obj
@user_errors
def prune_command(store: str | None, keep_days: int, as_of: datetime | None) -> None:
    """Drop old scans; open findings keep their first-seen dates."""
    now = as_of or utc_now()
    with _open(store) as opened:
        pruned = opened.prune(before=now - timedelta(days=keep_days))
    _console().print(
        Text(
            f"Pruned {pruned.scans} scan(s) and {pruned.findings_forgotten} resolved finding(s) older than "
            f"{keep_days} days; {pruned.open_findings_kept} open finding(s) keep their first-seen dates"
        )
    )
