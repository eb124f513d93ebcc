"""Organization scans fanned out on a Dask cluster, as a user runs them.

The installed ``standing`` command scans a 21-account moto organization (the management
account and 20 members entered through AssumeRole) through the recording proxy of
``tests/support/aws_wire.py``, once with the default thread pool and once on a
``distributed.LocalCluster`` started here. The CLI is a separate process from the workers,
so every task travels pickled, as it would to a remote cluster. One member refuses
AssumeRole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest

from standing.demo.estate import EstateSpec, KeySpec, UserSpec, seed_estate, start_moto_server
from tests.support.aws_wire import AwsWireProxy, Fault

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
STANDING = str(Path(sys.executable).parent / "standing")
MANAGEMENT = "123456789012"  # moto's default account
MEMBERS = 20


@dataclass(frozen=True)
class Organization:
    endpoint_url: str
    members: list[str]
    seeded_users: set[str]  # ARNs of the key holders planted in members
    denied: str  # the member whose AssumeRole is refused
    env: dict[str, str]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out_dir: Path
    calls: list[tuple[str, str]]

    @property
    def document(self) -> dict:
        return json.loads((self.out_dir / "findings.json").read_text())


def aws_env(home: Path) -> dict[str, str]:
    """Dummy credentials and no real AWS configuration, for the CLI and the workers alike."""
    (home / "aws-config").write_text("")
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(scope="module")
def organization(tmp_path_factory) -> Iterator[Organization]:
    env = aws_env(tmp_path_factory.mktemp("home"))
    with pytest.MonkeyPatch.context() as patch, start_moto_server() as server:
        for name, value in env.items():  # in-process Dask workers read the default chain
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        org = boto3.client("organizations", endpoint_url=server.endpoint_url, region_name="us-east-1")
        org.create_organization(FeatureSet="ALL")
        members = [
            org.create_account(AccountName=f"member-{n:02d}", Email=f"m{n}@example.com")[
                "CreateAccountStatus"]["AccountId"]
            for n in range(MEMBERS)
        ]
        seeded: set[str] = set()
        for account in [MANAGEMENT, *members[::4]]:  # one key holder in every fourth account
            user = UserSpec(name=f"svc-batch-{account[-4:]}", keys=(KeySpec(age_days=400, last_used_days_ago=2),))
            seed_estate(EstateSpec(account_id=account, users=(user,)), endpoint_url=server.endpoint_url, now=AS_OF)
            seeded.add(user.arn(account))
        yield Organization(server.endpoint_url, members, seeded, denied=members[7], env=env)


def scan(org: Organization, out_dir: Path, *extra: str) -> Run:
    with AwsWireProxy(org.endpoint_url) as proxy:
        proxy.log.faults.append(Fault("sts", "AssumeRole", "AccessDenied", body_contains=org.denied))
        argv = [STANDING, "scan", "aws", "--organization", "--endpoint-url", proxy.endpoint_url,
                "--output-dir", str(out_dir), "--as-of", AS_OF.isoformat(), "--fail-on", "none", *extra]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(out_dir), "COLUMNS": "200", **org.env}
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        return Run(proc.returncode, proc.stdout, proc.stderr, out_dir, list(proxy.log.calls))


@pytest.fixture(scope="module")
def thread_run(organization, tmp_path_factory) -> Run:
    return scan(organization, tmp_path_factory.mktemp("thread"))


@pytest.fixture(scope="module")
def dask_run(organization, tmp_path_factory) -> Run:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        return scan(organization, tmp_path_factory.mktemp("dask"),
                    "--executor", "dask", "--scheduler", cluster.scheduler_address)


def test_dask_scan_completes_without_the_denied_account_and_says_so(organization, dask_run):
    assert dask_run.code == 3, dask_run.stdout + dask_run.stderr  # partial, nothing blocking
    scanned = dask_run.document["scan"]
    assert scanned["complete"] is False
    assert [(g["scope"], g["operation"], g["status"]) for g in scanned["gaps"]] == [
        (organization.denied, "sts:AssumeRole", "denied")
    ]
    assert sorted(scanned["accounts"]) == sorted([MANAGEMENT, *organization.members])
    assert "Traceback" not in dask_run.stderr
    # Each member entered once; every account but the denied one read once.
    assert dask_run.calls.count(("sts", "AssumeRole")) == MEMBERS
    assert dask_run.calls.count(("iam", "GetAccountAuthorizationDetails")) == MEMBERS


def test_dask_findings_equal_the_thread_pool_findings(organization, thread_run, dask_run):
    assert thread_run.code == 3, thread_run.stdout + thread_run.stderr
    assert dask_run.document["findings"] == thread_run.document["findings"]
    assert dask_run.document["scan"]["gaps"] == thread_run.document["scan"]["gaps"]
    old_keys = {f["identity"] for f in dask_run.document["findings"] if f["rule_id"] == "key-too-old"}
    assert old_keys == organization.seeded_users
