"""Session setup: the read-only guard, profiles, credentials, endpoint override, declared policy."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from aws_support import ACCT, REGION, fixed_now, no_sleep
from moto.server import ThreadedMotoServer

from standing.collectors.aws import (
    OPERATIONS,
    AwsScanOptions,
    UndeclaredOperationError,
    collect_aws,
    read_only_policy,
)
from standing.collectors.aws.session import make_client, make_session
from standing.core.errors import ExitCode, UserError
from standing.demo.moto_gaps import fill_moto_gaps

ONE_REGION = ("us-east-1",)  # workloads are read where the tests put them, not in every moto region


def test_guard_refuses_an_undeclared_mutating_call(aws: None) -> None:
    session = make_session(AwsScanOptions())
    iam = make_client(session, "iam", AwsScanOptions())
    with pytest.raises(UndeclaredOperationError, match="iam:CreateUser"):
        iam.create_user(UserName="intruder")
    # Refused before the request left the client: nothing was created.
    assert boto3.client("iam", region_name=REGION).list_users()["Users"] == []


def test_guard_is_installed_on_a_session_the_caller_passes(session: boto3.Session) -> None:
    collect_aws(AwsScanOptions(regions=ONE_REGION), session=session, now=fixed_now, sleep=no_sleep)
    with pytest.raises(UndeclaredOperationError):
        session.client("iam").delete_account_alias(AccountAlias="standing")


def test_missing_profile_is_a_user_error() -> None:
    with pytest.raises(UserError) as raised:
        collect_aws(AwsScanOptions(regions=ONE_REGION, profile="nope"), now=fixed_now, sleep=no_sleep)
    assert str(raised.value) == "AWS profile 'nope': not found in the AWS config files"
    assert raised.value.exit_code is ExitCode.USAGE


def test_missing_credentials_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(UserError, match="no credentials found") as raised:
        collect_aws(AwsScanOptions(regions=ONE_REGION), now=fixed_now, sleep=no_sleep)
    assert raised.value.exit_code == 2


def test_clients_use_adaptive_retries_and_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # and the config file is empty: no region anywhere
    session = boto3.Session()
    iam = make_client(session, "iam", AwsScanOptions(endpoint_url="http://127.0.0.1:1"))
    assert iam.meta.region_name == "us-east-1"
    assert iam.meta.endpoint_url == "http://127.0.0.1:1"
    # botocore stores max_attempts=10 (retries) as 11 total attempts.
    assert iam.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}


def test_read_only_policy_allows_exactly_the_declared_actions() -> None:
    doc = read_only_policy()
    assert doc["Version"] == "2012-10-17"
    [statement] = doc["Statement"]
    assert statement["Effect"] == "Allow"
    assert set(statement["Action"]) == {op.action for op in OPERATIONS}
    assert len(statement["Action"]) == len(OPERATIONS) == 39
    assert all(op.why and op.action == (op.authorized_by or f"{op.service}:{op.api}") for op in OPERATIONS)
    # IAM authorizes Access Analyzer's v2 finding reads by the v1 actions, under access-analyzer:
    assert {"access-analyzer:ListFindings", "access-analyzer:GetFinding"} <= set(statement["Action"])
    assert not any(a.startswith("accessanalyzer:") for a in statement["Action"])


@pytest.fixture
def moto_server() -> Iterator[str]:
    fill_moto_gaps()  # SSM DescribeInstanceInformation, which moto lacks
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto's backends are process-wide: start from an empty account whatever earlier tests left
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    yield url
    server.stop()


def test_scan_runs_against_an_endpoint_url(moto_server: str) -> None:
    iam = boto3.client("iam", endpoint_url=moto_server, region_name=REGION)
    iam.create_user(UserName="over-http")
    inv = collect_aws(AwsScanOptions(regions=ONE_REGION, endpoint_url=moto_server), now=fixed_now, sleep=no_sleep)
    assert {i.id for i in inv.identities} == {f"arn:aws:iam::{ACCT}:user/over-http"}
    assert inv.complete, inv.gaps


def test_incomplete_profile_is_a_user_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile half]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(UserError, match="AWS profile 'half': credentials could not be loaded"):
        collect_aws(AwsScanOptions(regions=ONE_REGION, profile="half"), now=fixed_now, sleep=no_sleep)
