"""What every command shares: the clock, the consoles, ``--as-of`` parsing, one-line errors.

The wall clock is read here and only here; everything below takes ``now`` as a value.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console

from standing.core.errors import UserError

FAIL_ON_CHOICES = ["critical", "high", "medium", "low", "info", "none"]  # Severity values, then "none"


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
            click.echo(f"standing: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper
