"""What every command shares: the clock, the consoles, ``--as-of`` parsing, one-line errors, and
the options that mean the same thing everywhere (docs/cli.md lists the conventions).

- ``--snapshot FILE`` / ``--findings FILE``: what a reading command reads, with one help text each.
- ``-o/--output FILE``: the one file a command writes; ``--output-dir DIR``: where it writes several.
- ``--format``: a value from ``FORMATS``, one spelling per format (``md``, never ``markdown``).

The wall clock is read here and only here; everything below takes ``now`` as a value.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from standing.core.errors import UserError
from standing.core.findings import Severity
from standing.core.safe_text import printable

# A scan's --fail-on: a severity, or "none" (the gate adds "keys": standing.gate.policy).
SCAN_FAIL_ON_CHOICES = [s.value for s in Severity] + ["none"]

# Every --format value of every command; a command offers a subset, never another spelling.
FORMATS = ("table", "json", "csv", "md", "html")

FILE = click.Path(dir_okay=False, path_type=Path)
DIRECTORY = click.Path(file_okay=False, path_type=Path)
SNAPSHOT_HELP = "Snapshot to read: from `standing collect -o FILE`, or snapshot.json in a scan's --output-dir."
FINDINGS_HELP = "Findings to read: findings.json in a scan's --output-dir."

F = TypeVar("F", bound=Callable[..., Any])


def snapshot_option(*, required: bool = False) -> Callable[[F], F]:
    return click.option("--snapshot", type=FILE, metavar="FILE", required=required, help=SNAPSHOT_HELP)


def findings_option() -> Callable[[F], F]:
    return click.option("--findings", "findings_path", type=FILE, metavar="FILE", help=FINDINGS_HELP)


def output_option(help: str, *, required: bool = False) -> Callable[[F], F]:
    """``-o/--output FILE``: the single file a command writes."""
    return click.option("-o", "--output", type=FILE, metavar="FILE", required=required, help=help)


def output_dir_option(help: str, **kwargs: Any) -> Callable[[F], F]:
    """``--output-dir DIR``: where a command that writes several files writes them."""
    return click.option("--output-dir", type=DIRECTORY, metavar="DIR", help=help, **kwargs)


def config_option(when: str = "") -> Callable[[F], F]:
    """``--config FILE``: the analysis's TOML config; ``when`` says when it applies ("With --snapshot: ")."""
    help = f"{when}TOML file: thresholds, disabled rules, severity overrides."
    return click.option("--config", "config_path", type=FILE, metavar="FILE", help=help)


def waivers_option(when: str = "") -> Callable[[F], F]:
    """``--waivers FILE``: accepted risks, each with an owner and an expiry."""
    help = f"{when}TOML file of accepted risks, each with an owner and an expiry."
    return click.option("--waivers", "waivers_path", type=FILE, metavar="FILE", help=help)


def as_of_option(help: str = "Measure ages as of this ISO time (reproduce a past scan).") -> Callable[[F], F]:
    """``--as-of TIME``: the analysis's clock, parsed to a UTC datetime (naive times are UTC)."""
    return click.option("--as-of", callback=parse_as_of, metavar="TIME", help=help)


def all_option() -> Callable[[F], F]:
    """``--all``: the terminal summary lists every finding, not the worst 15."""
    return click.option("--all", "show_all", is_flag=True, help="Print every finding [default: the worst 15].")


def format_option(*names: str, default: str | None, help: str | None = None) -> Callable[[F], F]:
    """``--format``, offering ``names`` (each one of ``FORMATS``)."""
    unknown = [name for name in names if name not in FORMATS]
    assert not unknown, f"--format values outside FORMATS: {unknown}"
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(names),
        default=default,
        show_default=default is not None,
        help=help,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def parse_as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """One line on stderr and the documented exit code, never a traceback, for bad input."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            click.echo(printable(f"standing: error: {exc}"), err=True)  # a message may quote a cloud name
            sys.exit(exc.exit_code)

    return wrapper
