"""A real PostgreSQL server for the tests, started from the machine's own binaries.

``initdb`` into a fresh temporary folder, ``postgres`` on a free loopback port (and a unix
socket in that folder), trust authentication for one superuser, fsync off; stopped and
removed at the end. PostgreSQL refuses to run as root, so under root the server runs as the
``postgres`` OS user (``nobody`` if there is none) over a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUPERUSER = "standing"


def find_bindir() -> Path | None:
    """``pg_config --bindir`` when it has the server, else the newest /usr/lib/postgresql/*/bin."""
    try:
        reported = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout
        if (Path(reported.strip()) / "initdb").is_file():
            return Path(reported.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    run_as: pwd.struct_passwd | None

    @classmethod
    def start(cls, bindir: Path) -> PostgresServer:
        run_as = None
        if os.geteuid() == 0:
            try:
                run_as = pwd.getpwnam("postgres")
            except KeyError:
                run_as = pwd.getpwnam("nobody")
        root = Path(tempfile.mkdtemp(prefix="standing-pg-"))
        if run_as is not None:
            os.chown(root, run_as.pw_uid, run_as.pw_gid)
        server = cls(bindir, root, _free_port(), run_as)
        server._run(
            "initdb", "-D", str(root / "data"), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        options = f"-h 127.0.0.1 -p {server.port} -k {root} -F -c max_connections=50"
        server._run("pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"), "-w", "-o", options, "start")
        return server

    def _run(self, program: str, *args: str) -> None:
        kwargs: dict[str, Any] = {}
        if self.run_as is not None:
            kwargs = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
        result = subprocess.run(
            [str(self.bindir / program), *args], cwd=self.root, capture_output=True, text=True, **kwargs
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}")

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
