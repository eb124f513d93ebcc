"""Organization scans fanned out on a Dask cluster, as a user runs them.

The installed ``standing`` command scans a 21-account moto organization (the management
account and 20 members entered through AssumeRole) through the recording proxy of
``tests/support/aws_wire.py``, once with the default thread pool and once on a
``distributed.LocalCluster`` of two worker processes started here. The CLI is a separate
process from the workers, so every task travels pickled, as it would to a remote cluster.
(Worker processes, not threads: workers sharing this process's interpreter with the moto
server once stalled the whole run on a loaded machine.) One member refuses AssumeRole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from standing.collectors.aws.operations import declared_actions
from standing.demo.estate import (
    EstateSpec,
    KeySpec,
    UserSpec,
    iam_client,
    seed_estate,
    start_moto_server,
)
from tests.support.aws_wire import AwsWireProxy, Fault

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
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
            org.create_account(AccountName=f"member-{n:02d}", Email=f"m{n}@example.com")["CreateAccountStatus"][
                "AccountId"
            ]
            for n in range(MEMBERS)
        ]
        seeded: set[str] = set()
        for account in [MANAGEMENT, *members[::4]]:  # one key holder in every fourth account
            user = UserSpec(name=f"svc-batch-{account[-4:]}", keys=(KeySpec(age_days=400, last_used_days_ago=2),))
            seed_estate(EstateSpec(account_id=account, users=(user,)), endpoint_url=server.endpoint_url, now=AS_OF)
            seeded.add(user.arn(account))
        for account in [MANAGEMENT, *members]:
            # A report exists already, as in a long-lived account: no waiting for it in scans.
            iam_client(server.endpoint_url, account_id=account).generate_credential_report()
        yield Organization(server.endpoint_url, members, seeded, denied=members[7], env=env)


def scan(org: Organization, out_dir: Path, *extra: str) -> Run:
    with AwsWireProxy(org.endpoint_url) as proxy:
        proxy.log.faults.append(Fault("sts", "AssumeRole", "AccessDenied", body_contains=org.denied))
        argv = [
            STANDING,
            "scan",
            "aws",
            "--organization",
            "--region",
            "us-east-1",
            "--endpoint-url",
            proxy.endpoint_url,
            "--output-dir",
            str(out_dir),
            "--as-of",
            AS_OF.isoformat(),
            "--fail-on",
            "none",
            *extra,
        ]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(out_dir), "COLUMNS": "200", **org.env}
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        return Run(proc.returncode, proc.stdout, proc.stderr, out_dir, list(proxy.log.calls))


@pytest.fixture(scope="module")
def thread_run(organization, tmp_path_factory) -> Run:
    return scan(organization, tmp_path_factory.mktemp("thread"))


@pytest.fixture(scope="module")
def dask_run(organization, tmp_path_factory) -> Run:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, protocol="tcp", host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        return scan(
            organization,
            tmp_path_factory.mktemp("dask"),
            "--executor",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        )


def test_dask_scan_completes_without_the_denied_account_and_says_so(organization, dask_run):
    assert dask_run.code == 3, dask_run.stdout + dask_run.stderr  # partial, nothing blocking
    scanned = dask_run.document["scan"]
    assert scanned["complete"] is False
    assert [(g["scope"], g["operation"], g["status"]) for g in scanned["gaps"]] == [
        (organization.denied, "sts:AssumeRole", "denied")
    ]
    assert sorted(scanned["accounts"]) == sorted([MANAGEMENT, *organization.members])
    assert dask_run.stderr.strip() == ""  # no Dask log lines, no traceback
    # Each member entered once; every account but the denied one read once.
    assert dask_run.calls.count(("sts", "AssumeRole")) == MEMBERS
    assert dask_run.calls.count(("iam", "GetAccountAuthorizationDetails")) == MEMBERS
    # Workers build their own sessions, each under the read-only guard.
    assert {f"{service}:{op}" for service, op in dask_run.calls} <= declared_actions()


def test_dask_findings_equal_the_thread_pool_findings(organization, thread_run, dask_run):
    assert thread_run.code == 3, thread_run.stdout + thread_run.stderr
    assert dask_run.document["findings"] == thread_run.document["findings"]
    assert dask_run.document["scan"]["gaps"] == thread_run.document["scan"]["gaps"]
    old_keys = {f["identity"] for f in dask_run.document["findings"] if f["rule_id"] == "key-too-old"}
    assert old_keys == organization.seeded_users


def records_without(document: dict, account: str) -> dict[str, list[str]]:
    """Every inventory record that does not name ``account``, as canonical JSON, in order."""
    inventory = document["inventory"]
    return {
        name: [json.dumps(r, sort_keys=True) for r in records if account not in json.dumps(r)]
        for name, records in inventory.items()
        if isinstance(records, list)
    }


def test_refresh_replaces_one_account_and_leaves_the_rest_untouched(organization, dask_run, thread_run, tmp_path):
    """Changes the estate, so it asks for the scans above first, to run after them."""
    run = lambda *args, endpoint=organization.endpoint_url: subprocess.run(  # noqa: E731
        [STANDING, "collect", "aws", "--region", "us-east-1", "--endpoint-url", endpoint, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **organization.env},
    )
    merged, refreshed = thread_run.out_dir / "snapshot.json", tmp_path / "refreshed.json"
    target, untouched = organization.members[5], organization.members[6]
    for account in (target, untouched):  # both change; only the target is re-read
        iam = iam_client(organization.endpoint_url, account_id=account)
        iam.create_user(UserName="svc-added-later")
        iam.create_access_key(UserName="svc-added-later")

    with AwsWireProxy(organization.endpoint_url) as proxy:
        done = run(
            "--refresh-account",
            target,
            "--refresh-snapshot",
            str(merged),
            "-o",
            str(refreshed),
            endpoint=proxy.endpoint_url,
        )
        calls = list(proxy.log.calls)
    assert done.returncode == 3, done.stdout + done.stderr  # the denied account is still a gap

    before, after = json.loads(merged.read_text()), json.loads(refreshed.read_text())
    names = lambda doc, account: {  # noqa: E731
        i["name"] for i in doc["inventory"]["identities"] if i["account"] == account
    }
    assert names(after, target) == names(before, target) | {"svc-added-later"}
    assert names(after, untouched) == names(before, untouched)
    assert records_without(after, target) == records_without(before, target)
    # The organization, its root and every account; the refreshed account stays under the root.
    assert len(after["inventory"]["scopes"]) == len(before["inventory"]["scopes"]) == MEMBERS + 3
    assert sorted(after["inventory"]["scopes"], key=str) == sorted(before["inventory"]["scopes"], key=str)
    assert after["inventory"]["guardrails"] == before["inventory"]["guardrails"] != []
    # Only the target was read: one AssumeRole, one GAAD, no organization listing.
    assert calls.count(("sts", "AssumeRole")) == 1
    assert calls.count(("iam", "GetAccountAuthorizationDetails")) == 1
    assert not [c for c in calls if c[0] == "organizations"]


def test_refresh_of_an_account_the_snapshot_lacks_is_one_line(organization, tmp_path):
    from click.testing import CliRunner

    from standing.cli.main import main
    from standing.core.snapshot import write_snapshot
    from tests.builders import inventory

    snap = tmp_path / "merged.json"
    write_snapshot(inventory(), snap)
    result = CliRunner().invoke(
        main,
        [
            "collect",
            "aws",
            "--refresh-account",
            "999999999999",
            "--refresh-snapshot",
            str(snap),
            "-o",
            str(tmp_path / "out.json"),
        ],
    )
    assert result.exit_code == 2
    assert result.output.strip() == f"standing: error: {snap}: holds no AWS account 999999999999 to refresh"
    assert not (tmp_path / "out.json").exists()


def test_dask_executor_without_the_extra_names_the_extra(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from standing.cli.main import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    result = CliRunner().invoke(
        main, ["scan", "aws", "--organization", "--executor", "dask", "--endpoint-url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        "standing: error: --executor dask: needs the dask extra: pip install 'standing-nhi[dask]' (missing distributed)"
    )
