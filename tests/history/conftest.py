"""History tests run on SQLite and on a real PostgreSQL server this test run starts itself."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.support.postgres import PostgresServer, find_bindir

NO_SERVER = (
    "PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql/*/bin/initdb): "
    "install postgresql to run the PostgreSQL history tests (.ci/run does)"
)
_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres():
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail(NO_SERVER)  # CI installs it: a skip there would hide the PostgreSQL half
        pytest.skip(NO_SERVER)
    server = PostgresServer.start(bindir)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty store on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    return request.getfixturevalue("postgres").create_database(f"history_{os.getpid()}_{next(_names)}")
