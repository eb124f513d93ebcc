"""Opening a history database: connect, serialise writers, migrate, and say clearly what failed.

Writers are serialised so that two scans recording at once cannot interleave: SQLite
transactions begin ``IMMEDIATE`` (the write lock is taken up front, a second writer waits
on the busy timeout instead of failing on a lock upgrade), and PostgreSQL transactions take
a transaction-scoped advisory lock. Each scan is written in one such transaction, so a scan
killed mid-write leaves only what was committed before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError

from standing.core.errors import UserError
from standing.history.url import StoreUrl

# Arbitrary but fixed: every standing writer on a PostgreSQL database takes this lock.
_PG_WRITE_LOCK = 0x5374616E64  # "Stand"
SQLITE_BUSY_SECONDS = 60
PG_CONNECT_SECONDS = 5


def make_engine(store: StoreUrl) -> Engine:
    if store.is_sqlite:
        engine = create_engine(store.url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
            # Write-ahead log: readers never block the scan writing, and a commit is one append.
            # With synchronous=NORMAL a power cut may lose the last scans but never corrupts the
            # file; a killed process loses nothing committed.
            dbapi_connection.execute("PRAGMA journal_mode = WAL")
            dbapi_connection.execute("PRAGMA synchronous = NORMAL")
            dbapi_connection.execute("PRAGMA cache_size = -65536")  # KiB: a large estate's open spells

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(store.url, connect_args={"connect_timeout": PG_CONNECT_SECONDS}, pool_pre_ping=True)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction, holding the writers' lock until commit or rollback."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK})
        yield connection


def migrate(engine: Engine, store: StoreUrl, revision: str = "head") -> None:
    """Bring the schema to ``revision``; existing history is kept by every migration."""
    config = Config()
    config.set_main_option("script_location", "standing.history:migrations")
    try:
        with write_transaction(engine) as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except CommandError as exc:
        raise UserError(store.display, f"schema revision not known to this standing (newer version?): {exc}") from None
    except DBAPIError as exc:
        raise UserError(store.display, f"cannot open the history store: {describe_error(exc)}") from None


def describe_error(exc: DBAPIError) -> str:
    """The driver's first line (psycopg's and sqlite3's name the cause), without SQL or parameters."""
    message = str(exc.orig).strip().splitlines()
    return message[0] if message else type(exc.orig).__name__
