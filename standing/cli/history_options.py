"""The scan options that record history, light enough for CLI start-up (no SQLAlchemy here).

``open_recorder`` runs before anything is collected: a wrong or unreachable store, or one
already holding a later scan (scans are recorded in time order), stops the scan at once with
one line, before any cloud call, with nothing written and nothing recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from standing.core.findings import Severity

if TYPE_CHECKING:
    from standing.history.recorder import ScanRecorder

HISTORY_MODULES = ("sqlalchemy", "alembic")  # and pandas for trends, psycopg for PostgreSQL

# --keep-days, for a scan and for `history prune`: up to a century, so "now minus the days"
# is always a date (99999999999 days is one line and exit 2, not an OverflowError).
MAX_KEEP_DAYS = 36500
KEEP_DAYS = click.IntRange(min=1, max=MAX_KEEP_DAYS)


def history_options() -> list[Callable[[Any], Any]]:
    return [
        click.option(
            "--store",
            envvar="STANDING_STORE",
            metavar="URL",
            help="Record the scan in this history database: a SQLite file path, sqlite:///FILE "
            "or postgresql://HOST/DB [env STANDING_STORE].",
        ),
        click.option(
            "--keep-days",
            type=KEEP_DAYS,
            default=None,
            help="With --store: prune stored scans older than this many days "
            "(open findings keep their first-seen date).",
        ),
        click.option(
            "--notify-webhook",
            envvar="STANDING_NOTIFY_WEBHOOK",
            metavar="URL",
            help="With --store: post new findings to this Slack-compatible webhook "
            "[env STANDING_NOTIFY_WEBHOOK; never printed].",
        ),
        click.option(
            "--notify-on",
            type=click.Choice([s.value for s in Severity]),
            default=None,
            help="Lowest severity worth a notification [default: high].",
        ),
    ]


def open_recorder(params: dict[str, Any]) -> ScanRecorder | None:
    """Connect to the store (and check the webhook) before collecting; None when not recording."""
    store = params.get("store")
    if not store:
        for option in ("keep_days", "notify_webhook", "notify_on"):
            if params.get(option) is not None:
                raise click.UsageError(f"--{option.replace('_', '-')} needs --store URL")
        return None
    from standing.core.extras import require_extra

    require_extra("--store", "history", HISTORY_MODULES)
    from standing.cli.common import utc_now
    from standing.history.recorder import ScanRecorder

    return ScanRecorder.open(
        store,
        keep_days=params.get("keep_days"),
        webhook=params.get("notify_webhook"),
        notify_on=Severity(params.get("notify_on") or Severity.HIGH.value),
        # the scan is measured at --as-of, else at the clock when it analyses, which is later
        as_of=params.get("as_of") or utc_now(),
    )
