"""The root guard (tests/conftest.py): off loopback, connections and lookups fail naming the host;
loopback works; the session's environment holds no real cloud identity."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import NetworkGuard, is_loopback

GUARD_MESSAGE = re.escape("test network guard (tests/conftest.py) refused")


@pytest.fixture
def refusals(network_guard: NetworkGuard):
    """What the guard refused during the test, taken so the test's own teardown check passes."""
    yield network_guard.take
    network_guard.take()


def test_connecting_to_a_public_address_fails_naming_it(refusals):
    with socket.socket() as sock, pytest.raises(OSError, match=f"{GUARD_MESSAGE} a connection to 192.0.2.1:443"):
        sock.connect(("192.0.2.1", 443))
    with socket.socket() as sock, pytest.raises(OSError, match="192.0.2.1:443"):
        sock.connect_ex(("192.0.2.1", 443))
    with pytest.raises(OSError, match="192.0.2.1:443"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(OSError, match="2001:db8::1:443"):
        sock.connect(("2001:db8::1", 443, 0, 0))
    with socket.socket(type=socket.SOCK_DGRAM) as sock, pytest.raises(OSError, match="192.0.2.53:53"):
        sock.sendto(b"query", ("192.0.2.53", 53))
    with socket.socket(type=socket.SOCK_DGRAM) as sock:
        sock.connect(("192.0.2.53", 53))  # picks a route, sends nothing: allowed
        with pytest.raises(OSError, match="192.0.2.53:53"):
            sock.send(b"query")
        with pytest.raises(OSError, match="192.0.2.53:53"):
            sock.sendall(b"query")
    assert len(refusals()) == 7


def test_resolving_a_cloud_endpoint_fails_naming_it(refusals):
    with pytest.raises(socket.gaierror, match=f"{GUARD_MESSAGE} resolving iam.amazonaws.com"):
        socket.getaddrinfo("iam.amazonaws.com", 443)
    with pytest.raises(OSError, match="sts.amazonaws.com"):
        socket.gethostbyname("sts.amazonaws.com")
    with pytest.raises(OSError, match="management.azure.com"):
        socket.gethostbyname_ex("management.azure.com")
    with pytest.raises(OSError, match="iam.googleapis.com"):
        socket.create_connection(("iam.googleapis.com", 443), timeout=1)
    assert len(refusals()) == 4


def test_a_refusal_the_code_swallows_still_fails_the_test(network_guard: NetworkGuard):
    """urllib turns the refusal into URLError; the guard's record is what the teardown check reads."""
    with pytest.raises(OSError):
        urllib.request.urlopen("https://iam.amazonaws.com/", timeout=1)
    assert [r for r in network_guard.take() if "iam.amazonaws.com" in r]


def test_loopback_works(refusals):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        for host in ("127.0.0.1", "localhost"):
            with socket.create_connection((host, port), timeout=5):
                server.accept()[0].close()
    assert socket.getaddrinfo("localhost", 80)
    assert socket.gethostbyname("localhost").startswith("127.")
    if socket.has_ipv6:
        try:
            server6 = socket.create_server(("::1", 0), family=socket.AF_INET6)
        except OSError:
            server6 = None  # no IPv6 loopback on this machine
        if server6 is not None:
            with server6, socket.create_connection(("::1", server6.getsockname()[1]), timeout=5):
                server6.accept()[0].close()
    left, right = socket.socketpair()
    left.close()
    right.close()
    assert refusals() == []


def test_loopback_is_told_apart_from_everything_else():
    assert all(
        map(is_loopback, ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST.", "::ffff:127.0.0.1"])
    )
    assert not any(map(is_loopback, ["192.0.2.1", "0.0.0.0", "10.0.0.1", "169.254.169.254", "localhost.evil.com"]))
    assert not any(map(is_loopback, ["iam.amazonaws.com", "2001:db8::1", "", None]))


def test_a_loopback_server_in_another_thread_is_reachable(refusals):
    with socket.create_server(("127.0.0.1", 0)) as server:
        thread = threading.Thread(target=lambda: server.accept()[0].sendall(b"ok"))
        thread.start()
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            assert client.recv(2) == b"ok"
        thread.join(5)
    assert refusals() == []


def test_the_session_and_its_subprocesses_hold_no_real_cloud_identity():
    child = subprocess.run(
        [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    for env in (dict(os.environ), json.loads(child.stdout)):
        assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == env["AWS_SESSION_TOKEN"] == "testing"
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            assert Path(env[name]).read_text() == ""
        assert env["AWS_EC2_METADATA_DISABLED"] == "true"
        assert not Path(env["GOOGLE_APPLICATION_CREDENTIALS"]).exists()
        assert not Path(env["CLOUDSDK_CONFIG"]).exists() or not any(Path(env["CLOUDSDK_CONFIG"]).iterdir())
        assert [n for n in env if n.startswith("AZURE_")] == ["AZURE_CONFIG_DIR"]
        assert not Path(env["AZURE_CONFIG_DIR"]).exists()
        assert "AWS_PROFILE" not in env and "IDENTITY_ENDPOINT" not in env and "MSI_ENDPOINT" not in env


def test_boto3_finds_only_the_dummy_credentials():
    import boto3

    credentials = boto3.Session().get_credentials()
    assert (credentials.access_key, credentials.secret_key, credentials.token) == ("testing",) * 3
    assert credentials.method == "env"


def test_google_auth_finds_no_application_default_credentials():
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    with pytest.raises(DefaultCredentialsError, match="no-application-default-credentials.json"):
        google.auth.default()
