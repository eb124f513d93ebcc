"""Which database a ``--store`` value names, judged before anything is collected.

A bare path is a SQLite file; ``sqlite:///FILE`` the same; ``postgresql://...`` PostgreSQL
through psycopg 3. Anything else is refused with one line. The password of a URL is never
shown: ``display`` is what messages print.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from standing.core.errors import UserError

SOURCE = "--store"


@dataclass(frozen=True)
class StoreUrl:
    url: URL

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def display(self) -> str:
        return self.url.render_as_string(hide_password=True).replace("+psycopg", "")

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.url.database) if self.is_sqlite and self.url.database else None


def parse_store_url(value: str) -> StoreUrl:
    value = value.strip()
    if not value:
        raise UserError(SOURCE, "empty; give a SQLite file path, sqlite:///FILE or postgresql://HOST/DB")
    if "://" not in value:
        return StoreUrl(URL.create("sqlite", database=str(Path(value).expanduser().resolve())))
    try:
        url = make_url(value)
    except ArgumentError:
        raise UserError(SOURCE, "not a database URL (expected sqlite:///FILE or postgresql://HOST/DB)") from None
    backend = url.get_backend_name()  # read from the URL; the driver name may load a dialect
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise UserError(SOURCE, "a SQLite store needs a file: sqlite:///path/to/history.db")
        return StoreUrl(url.set(drivername="sqlite", database=str(Path(url.database).expanduser().resolve())))
    if backend == "postgresql":
        driver = url.get_driver_name()
        if driver not in ("psycopg", "psycopg2", "postgresql"):
            raise UserError(SOURCE, f"PostgreSQL is reached through psycopg, not {driver!r}: use postgresql://...")
        if not url.database:
            raise UserError(SOURCE, f"{StoreUrl(url).display}: names no database (postgresql://HOST/DB)")
        return StoreUrl(url.set(drivername="postgresql+psycopg"))
    raise UserError(
        SOURCE, f"unsupported database {backend!r}: use a SQLite path, sqlite:///FILE or postgresql://HOST/DB"
    )
