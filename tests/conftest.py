"""Every test runs with no way to a real cloud: no network but loopback, and no real identity.

Two parts, both on for the whole session, before any fixture of any scope:

- ``NetworkGuard`` patches this process's sockets: a connection (``connect``, ``connect_ex``)
  or a datagram (``sendto``, ``sendmsg``; ``send`` on a connected datagram socket) to anything
  but loopback (127.0.0.0/8, ::1, localhost), and a name lookup (``getaddrinfo``,
  ``gethostbyname``) of any name but localhost, raise an ``OSError`` naming the host. Libraries see an ordinary network error and fail as they would offline; and
  because a library may swallow that error (retry, report "cannot connect"), every attempt
  is also recorded and fails the test it happened in, at teardown. Connecting a datagram
  socket sends nothing (Dask's inproc transport does it to pick its address label), so
  only what is then sent on it is judged. Unix sockets, socket pairs and loopback servers
  (moto, the GCP and Azure replays, PostgreSQL, chromium, Dask's scheduler and workers)
  are untouched. Code that does not use Python's socket
  module (gRPC's C core, a subprocess) is not seen: for those, the second part.
- ``no_cloud_identity`` sets dummy credentials and empty config for every SDK, in this
  process and so in every subprocess that inherits its environment: AWS keys ``testing``,
  empty AWS config and credentials files, no instance metadata; Google application default
  credentials pointing at a file that does not exist, an empty gcloud config, no GCE
  metadata check; every ``AZURE_*`` and managed-identity variable unset, an empty Azure CLI
  config directory.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
INET = (socket.AF_INET, socket.AF_INET6)
# Variables that choose an identity without being called AZURE_*: managed identity endpoints.
MANAGED_IDENTITY = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
)
IDENTITY_CHOOSERS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def is_loopback(host: Any) -> bool:
    """True for localhost and loopback addresses (also IPv4-mapped IPv6 and zone-scoped ::1)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def is_address(host: Any) -> bool:
    """An IP literal: looking it up asks no name server (the connection is judged instead)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class RealNetworkRefused(ConnectionRefusedError):
    """A connection off loopback, refused by the test suite's network guard."""


class RealLookupRefused(socket.gaierror):
    """A name lookup of a host other than localhost, refused by the test suite's network guard."""


class NetworkGuard:
    """Patches the socket module so that only loopback can be reached; records every refusal."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self._lock = threading.Lock()
        self._saved: dict[tuple[object, str], Any] = {}

    def message(self, what: str, host: Any, port: Any = None) -> str:
        where = f"{host}:{port}" if port is not None else f"{host}"
        return (
            f"test network guard (tests/conftest.py) refused {what} {where}: tests may reach only "
            "loopback (127.0.0.0/8, ::1, localhost); point the code at a local server or replay"
        )

    def refuse_connection(self, host: Any, port: Any) -> RealNetworkRefused:
        text = self.message("a connection to", host, port)
        self._record(text)
        return RealNetworkRefused(text)

    def refuse_lookup(self, host: Any) -> RealLookupRefused:
        text = self.message("resolving", host)
        self._record(text)
        return RealLookupRefused(socket.EAI_NONAME, text)

    def _record(self, text: str) -> None:
        with self._lock:
            self.refused.append(text)

    def take(self) -> list[str]:
        """The refusals since the last call, forgotten once taken."""
        with self._lock:
            taken, self.refused = self.refused, []
        return taken

    def install(self) -> None:
        guard = self
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_sendto = socket.socket.sendto
        real_send = socket.socket.send
        real_sendall = socket.socket.sendall
        real_sendmsg = socket.socket.sendmsg
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname
        real_gethostbyname_ex = socket.gethostbyname_ex

        def check(sock: socket.socket, address: Any) -> None:
            if sock.family in INET and isinstance(address, tuple) and not is_loopback(address[0]):
                raise guard.refuse_connection(address[0], address[1] if len(address) > 1 else None)

        def check_peer(sock: socket.socket) -> None:
            """A datagram socket's connect sends nothing (it picks a route); sending to its peer does."""
            if sock.type == socket.SOCK_DGRAM and sock.family in INET:
                try:
                    peer = sock.getpeername()
                except OSError:
                    return  # not connected: the real call raises its own error
                check(sock, peer)

        def connect(self: socket.socket, address: Any) -> None:
            if self.type != socket.SOCK_DGRAM:
                check(self, address)
            return real_connect(self, address)

        def connect_ex(self: socket.socket, address: Any) -> int:
            if self.type != socket.SOCK_DGRAM:
                check(self, address)
            return real_connect_ex(self, address)

        def send(self: socket.socket, *args: Any) -> int:
            check_peer(self)
            return real_send(self, *args)

        def sendall(self: socket.socket, *args: Any) -> None:
            check_peer(self)
            return real_sendall(self, *args)

        def sendto(self: socket.socket, data: Any, *args: Any) -> int:
            check(self, args[-1])  # sendto(data, address) or sendto(data, flags, address)
            return real_sendto(self, data, *args)

        def sendmsg(self: socket.socket, *args: Any) -> int:
            if len(args) >= 4:
                check(self, args[3])  # sendmsg(buffers, ancdata, flags, address)
            else:
                check_peer(self)
            return real_sendmsg(self, *args)

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host is not None and not is_loopback(host) and not is_address(host):
                raise guard.refuse_lookup(host)
            return real_getaddrinfo(host, *args, **kwargs)

        def gethostbyname(host: Any) -> str:
            if not is_loopback(host) and not is_address(host):
                raise guard.refuse_lookup(host)
            return real_gethostbyname(host)

        def gethostbyname_ex(host: Any) -> Any:
            if not is_loopback(host) and not is_address(host):
                raise guard.refuse_lookup(host)
            return real_gethostbyname_ex(host)

        patches = {
            (socket.socket, "connect"): connect,
            (socket.socket, "connect_ex"): connect_ex,
            (socket.socket, "sendto"): sendto,
            (socket.socket, "send"): send,
            (socket.socket, "sendall"): sendall,
            (socket.socket, "sendmsg"): sendmsg,
            (socket, "getaddrinfo"): getaddrinfo,
            (socket, "gethostbyname"): gethostbyname,
            (socket, "gethostbyname_ex"): gethostbyname_ex,
        }
        for (owner, name), replacement in patches.items():
            self._saved[(owner, name)] = getattr(owner, name)
            setattr(owner, name, replacement)

    def uninstall(self) -> None:
        for (owner, name), original in self._saved.items():
            setattr(owner, name, original)
        self._saved.clear()


_GUARD = NetworkGuard()


@pytest.fixture(scope="session", autouse=True)
def no_cloud_identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Dummy credentials and empty SDK config for the whole session, inherited by subprocesses."""
    home = tmp_path_factory.mktemp("no-cloud-identity")
    empty = home / "empty"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as env:
        for name in [*IDENTITY_CHOOSERS, *MANAGED_IDENTITY, *(n for n in os.environ if n.startswith("AZURE_"))]:
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_SESSION_TOKEN", "testing")
        env.setenv("AWS_CONFIG_FILE", str(empty))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        env.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(home / "no-application-default-credentials.json"))
        env.setenv("CLOUDSDK_CONFIG", str(home / "gcloud"))
        env.setenv("NO_GCE_CHECK", "True")
        env.setenv("AZURE_CONFIG_DIR", str(home / "azure"))
        yield


@pytest.fixture(scope="session", autouse=True)
def network_guard(no_cloud_identity: None) -> Iterator[NetworkGuard]:
    """Only loopback can be reached, from the first fixture of the session to the last."""
    _GUARD.install()
    yield _GUARD
    _GUARD.uninstall()


@pytest.fixture(autouse=True)
def no_real_network(network_guard: NetworkGuard) -> Iterator[None]:
    """Fails the test if it (or a fixture set up for it) tried to leave loopback, even if the error was swallowed."""
    yield
    refused = network_guard.take()
    if refused:
        pytest.fail("\n".join(dict.fromkeys(refused)), pytrace=False)


# Property-based tests (Hypothesis) run in the ordinary suite with a bounded budget, so the whole
# hostile-input suite stays well under a minute in .ci/run; no example database is written into
# the checkout, and no test may depend on wall-clock speed (deadline off: 2 shared cores).
settings.register_profile(
    "standing",
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("standing")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reverse-order",
        action="store_true",
        help="run the collected tests last to first (modules and the tests in each): shows order dependence",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--reverse-order"):
        items.reverse()


@pytest.fixture(autouse=True, scope="session")
def crash_logs_stay_in_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """An internal error in any test writes its crash log (standing.cli.main) under this
    session's temporary folder, never into the home folder of whoever runs the suite."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    yield
    patch.undo()
