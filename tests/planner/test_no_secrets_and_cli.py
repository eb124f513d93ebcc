"""No plan output ever carries a secret; `standing plan` on a snapshot, and its errors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from standing.cli.main import main
from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.core.snapshot import write_snapshot
from standing.demo.moto_gaps import fill_moto_gaps
from standing.planner.model import PlansDocument
from standing.rules.config import ScanConfig
from standing.scan import scan_inventory
from tests.builders import NOW

AS_OF = NOW + timedelta(days=200)  # moto dates keys "now"; 200 days on they are old and idle

ONE_REGION = ("us-east-1",)  # workloads are read where the tests put them, not in every moto region


@pytest.fixture
def estate(tmp_path: Path):
    """Users with real moto keys (whose secrets we keep, to search for), collected in-process."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    fill_moto_gaps()  # SSM's instance listing, which this moto lacks (it passed only after a test that filled it)
    with mock_aws():
        iam = session.client("iam")
        secrets = []
        for name, tags in (
            ("ci-github-builder", [{"Key": "workload", "Value": "ci"}]),
            ("svc-crm", [{"Key": "third-party", "Value": "crm"}]),
            ("svc-forgotten", []),
        ):
            iam.create_user(UserName=name, Path="/ci/" if name.startswith("ci") else "/", Tags=tags)
            created = iam.create_access_key(UserName=name)["AccessKey"]
            secrets.append(created["SecretAccessKey"])
        inventory = collect_aws(AwsScanOptions(regions=ONE_REGION), session=session, now=lambda: NOW)
    snapshot = tmp_path / "snapshot.json"
    write_snapshot(inventory, snapshot)
    return inventory, snapshot, secrets


def test_no_secret_in_any_plan_output(estate, tmp_path: Path) -> None:
    inventory, snapshot, secrets = estate
    result = scan_inventory(inventory, ScanConfig(), as_of=AS_OF, generated_at=AS_OF, output_dir=tmp_path / "out")
    assert {p.identity_name for p in result.plans.plans} == {"ci-github-builder", "svc-crm", "svc-forgotten"}
    runner = CliRunner()
    outputs = [
        runner.invoke(main, ["plan", "--snapshot", str(snapshot), "--as-of", AS_OF.isoformat(), "--format", fmt]).output
        for fmt in ("md", "json")
    ]
    outputs += [p.read_text() for p in (tmp_path / "out").iterdir()]
    outputs += [result.plans.model_dump_json(), repr(result.plans)]
    assert len(secrets) == 3 and all(len(s) == 40 for s in secrets)
    assert [s for s in secrets if any(s in text for text in outputs)] == []
    key_ids = [c.id for c in inventory.credentials]
    assert all(any(k in text for text in outputs) for k in key_ids)  # ids are shown: the search can find


def test_plan_command_json_one_identity_and_bad_input(estate, tmp_path: Path) -> None:
    _, snapshot, _ = estate
    runner = CliRunner()
    one = runner.invoke(
        main,
        [
            "plan",
            "--snapshot",
            str(snapshot),
            "--identity",
            "svc-crm",
            "--as-of",
            AS_OF.isoformat(),
            "--format",
            "json",
        ],
    )
    assert one.exit_code == 0, one.output
    document = PlansDocument.model_validate(json.loads(one.output))
    # never used in 200 days: deleting it beats guarding it, exception tag or not
    assert [(p.identity_name, p.pattern.value) for p in document.plans] == [("svc-crm", "retire")]
    markdown = runner.invoke(main, ["plan", "--snapshot", str(snapshot), "--as-of", AS_OF.isoformat()])
    assert markdown.exit_code == 0 and markdown.output.startswith("# Migration plans")
    unknown = runner.invoke(main, ["plan", "--snapshot", str(snapshot), "--identity", "nobody"])
    assert (unknown.exit_code, unknown.output) == (
        2,
        f"standing: error: {snapshot}: no identity with id or name 'nobody'\n",
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    bad = runner.invoke(main, ["plan", "--snapshot", str(broken)])
    assert bad.exit_code == 2 and bad.output.startswith(f"standing: error: {broken}") and "Traceback" not in bad.output
    assert len(bad.output.strip().splitlines()) == 1
