"""What every command shares: the clock, the consoles, ``--as-of`` parsing, one-line errors, and
the options that mean the same thing everywhere (docs/cli.md lists the conventions).

- ``--snapshot FILE`` / ``--findings FILE``: what a reading command reads, with one help text each.
- ``-o/--output FILE``: the one file a command writes; ``--output-dir DIR``: where it writes several.
- ``--format``: a value from ``FORMATS``, one spelling per format (``md``, never ``markdown``).
- Every option naming something to write (``-o``, ``--output-dir``, the gate's ``--junit`` /
  ``--sarif`` / ``--markdown``) is an ``OUTPUT_FILE`` or ``OUTPUT_DIR``: checked while the
  command line is parsed, before any work, so a path that cannot be written is one line and
  exit 2 in well under a second.

The wall clock is read here and only here; everything below takes ``now`` as a value.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console

from standing.core.errors import ExitCode, UserError
from standing.core.facts import EARLIEST_AS_OF, LATEST_AS_OF
from standing.core.findings import Severity
from standing.core.outputs import check_output_dir, check_output_file
from standing.core.safe_text import printable

# A scan's --fail-on: a severity, or "none" (the gate adds "keys": standing.gate.policy).
SCAN_FAIL_ON_CHOICES = [s.value for s in Severity] + ["none"]

# Every --format value of every command; a command offers a subset, never another spelling.
FORMATS = ("table", "json", "csv", "md", "html", "ocsf")

FILE = click.Path(dir_okay=False, path_type=Path)
DIRECTORY = click.Path(file_okay=False, path_type=Path)


def _option_name(param: click.Parameter | None) -> str:
    """How the user spelled the option: its long name (``--output``), else its first."""
    if param is None:
        return "output"
    names = [*param.opts, *param.secondary_opts] or [param.name or "output"]
    return max(names, key=len)


def _refuse_empty(value: Any, param: click.Parameter | None) -> None:
    """``-o ""`` (an unset variable in a CI script) names no path: it would mean the current folder."""
    if isinstance(value, str | bytes) and not value.strip():
        raise UserError(_option_name(param), "an empty path")


class OutputFile(click.Path):
    """A file a command will write: its folder exists or can be created, and it is not a
    folder or read-only. Checked at parse time (``standing.core.outputs``)."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        _refuse_empty(value, param)
        check_output_file(Path(os.fsdecode(value)), _option_name(param))  # before click's own wording
        return super().convert(value, param, ctx)


class OutputDir(click.Path):
    """A folder a command will write into: it exists and is writable, or can be created."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        _refuse_empty(value, param)
        check_output_dir(Path(os.fsdecode(value)), _option_name(param))
        return super().convert(value, param, ctx)


class FiniteFloatRange(click.FloatRange):
    """A bounded number that is a number: click's range lets ``nan`` through (it compares false)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail("nan is not a number of seconds", param, ctx)
        return number


OUTPUT_FILE = OutputFile()
OUTPUT_DIR = OutputDir()
SNAPSHOT_HELP = "Snapshot to read: from `standing collect -o FILE`, or snapshot.json in a scan's --output-dir."
FINDINGS_HELP = "Findings to read: findings.json in a scan's --output-dir."

F = TypeVar("F", bound=Callable[..., Any])


def snapshot_option(*, required: bool = False) -> Callable[[F], F]:
    return click.option("--snapshot", type=FILE, metavar="FILE", required=required, help=SNAPSHOT_HELP)


def findings_option() -> Callable[[F], F]:
    return click.option("--findings", "findings_path", type=FILE, metavar="FILE", help=FINDINGS_HELP)


def output_option(help: str, *, required: bool = False) -> Callable[[F], F]:
    """``-o/--output FILE``: the single file a command writes."""
    return click.option("-o", "--output", type=OUTPUT_FILE, metavar="FILE", required=required, help=help)


def output_dir_option(help: str, **kwargs: Any) -> Callable[[F], F]:
    """``--output-dir DIR``: where a command that writes several files writes them."""
    return click.option("--output-dir", type=OUTPUT_DIR, metavar="DIR", help=help, **kwargs)


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


def _format_choice(names: tuple[str, ...]) -> click.Choice[str]:
    unknown = [name for name in names if name not in FORMATS]
    assert not unknown, f"--format values outside FORMATS: {unknown}"
    return click.Choice(names)


def format_option(*names: str, default: str | None, help: str | None = None) -> Callable[[F], F]:
    """``--format``, offering ``names`` (each one of ``FORMATS``)."""
    return click.option(
        "--format",
        "fmt",
        type=_format_choice(names),
        default=default,
        show_default=default is not None,
        help=help,
    )


def extra_formats_option(*names: str) -> Callable[[F], F]:
    """``--format`` on a command that writes several files: each value named adds its file to
    ``--output-dir`` (findings.json is always written). Repeatable."""
    return click.option(
        "--format",
        "formats",
        type=_format_choice(names),
        multiple=True,
        callback=_formats_installed,
        help="Also write findings in this format into --output-dir: ocsf (findings.ocsf.json, "
        "OCSF Detection Findings; the ocsf extra). Repeatable.",
    )


def _formats_installed(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    if "ocsf" in value:
        from standing.reports.ocsf import require_ocsf

        require_ocsf("--format ocsf")
    return value


def utc_now() -> datetime:
    return datetime.now(UTC)


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def parse_as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    supported = f"{EARLIEST_AS_OF:%Y-%m-%d} to {LATEST_AS_OF - timedelta(days=1):%Y-%m-%d}"
    try:
        parsed = datetime.fromisoformat(value)
        when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    except OverflowError:  # a valid local time whose UTC equivalent is outside datetime's years
        raise click.BadParameter(f"{value!r} is outside the supported range ({supported})") from None
    if not EARLIEST_AS_OF <= when < LATEST_AS_OF:
        raise click.BadParameter(f"{value!r} is outside the supported range ({supported})")
    return when


def one_line(text: str) -> str:
    """``text`` as a single terminal-safe line: every control, bidi or line-breaking character
    shown as its escape (``standing.core.safe_text.printable``: a message may quote a cloud
    name), U+2028 and U+2029 too, which some readers take for a line break."""
    return printable(text).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def fail(message: str, code: int = ExitCode.USAGE) -> NoReturn:
    """The error boundary's one shape: ``standing: error: <source>: <problem>`` on stderr, exit ``code``."""
    click.echo(f"standing: error: {one_line(message)}", err=True)
    sys.exit(code)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """One line on stderr and the documented exit code, never a traceback, for bad input.

    The group's boundary (``standing.cli.main``) does the same for every command; this keeps
    a command invoked on its own (a test, an embedding) in the same shape."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            fail(str(exc), exc.exit_code)

    return wrapper
