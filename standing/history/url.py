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
    """The store ``value`` names, or one ``UserError``: a URL that does not parse (a port that
    is not a number, a broken IPv6 host), a path no file system takes (a NUL byte, an unpaired
    surrogate) and an unknown scheme are all bad input, never a crash."""
    try:
        return _parse(value)
    except ValueError:  # make_url's port, Path's NUL byte, a surrogate the file system refuses
        raise UserError(
            SOURCE,
            "not a usable database URL or file path (expected a SQLite path, sqlite:///FILE or postgresql://HOST/DB)",
        ) from None


def _parse(value: str) -> StoreUrl:
    value = value.strip()
    if not value:
        raise UserError(SOURCE, "empty; give a SQLite file path, sqlite:///FILE or postgresql://HOST/DB")
    if "://" not in value:
        return StoreUrl(URL.create("sqlite", database=_sqlite_path(value)))
    try:
        url = make_url(value)
    except ArgumentError:
        raise UserError(SOURCE, "not a database URL (expected sqlite:///FILE or postgresql://HOST/DB)") from None
    backend = url.get_backend_name()  # read from the URL; the driver name may load a dialect
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise UserError(SOURCE, "a SQLite store needs a file: sqlite:///path/to/history.db")
        return StoreUrl(url.set(drivername="sqlite", database=_sqlite_path(url.database)))
    if backend == "postgresql":
        driver = url.get_driver_name()
        if driver not in ("psycopg", "psycopg2", "postgresql"):
            raise UserError(SOURCE, f"PostgreSQL is reached through psycopg, not {driver!r}: use postgresql://...")
        if not url.database:
            raise UserError(SOURCE, f"{StoreUrl(url).display}: names no database (postgresql://HOST/DB)")
        if url.port is not None and not 0 < url.port < 65536:
            raise UserError(SOURCE, f"{StoreUrl(url).display}: port {url.port} is not a TCP port (1-65535)")
        return StoreUrl(url.set(drivername="postgresql+psycopg"))
    raise UserError(
        SOURCE, f"unsupported database {backend!r}: use a SQLite path, sqlite:///FILE or postgresql://HOST/DB"
    )


def _sqlite_path(value: str) -> str:
    """The absolute path of a SQLite store; ``ValueError`` for one no URL can show (not UTF-8)."""
    path = str(Path(value).expanduser().resolve())
    path.encode("utf-8")  # a surrogate-escaped byte: refused here, not when a message shows it
    return path
