"""Bad input to the gate is one line naming the file, exit code 2, no traceback; never a silent pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from tests.test_gate_iac import PLAN, YAML_TEMPLATE

TERRAFORM = PLAN.parent


def files(tmp: Path) -> None:
    text = PLAN.read_text()
    (tmp / "truncated.plan.json").write_text(text[: len(text) // 2])
    (tmp / "findings.json").write_text(json.dumps({"schema": "standing.findings", "version": 1, "findings": []}))
    (tmp / "list.json").write_text("[1, 2, 3]")
    (tmp / "empty.json").write_text("")
    (tmp / "tabs.yaml").write_text("Resources:\n  Key:\n\tType: AWS::IAM::AccessKey\n")
    (tmp / "unclosed.yaml").write_text("Resources:\n  Key: {Type: AWS::IAM::AccessKey\n")
    (tmp / "bad-tag.yaml").write_text("Resources:\n  Key:\n    Type: !Ref [unclosed\n")
    (tmp / "no-resources.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nDescription: nothing\n")
    (tmp / "no-type.json").write_text('{"Resources": {"Key": {"Properties": {}}}}')
    (tmp / "truncated.json").write_text('{"Resources": {"Key": {"Type": "AWS::IAM::AccessKey"')
    (tmp / "baseline.json").write_text('{"schema": "standing.baseline", "version": 1, "entries": [{"rule": "x"}]}')
    (tmp / "snap.json").write_text("{}")
    (tmp / "odd.plan.json").write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "resource_changes": [
                    {
                        "address": "aws_iam_user.x",
                        "type": "aws_iam_user",
                        "name": "x",
                        "change": {"actions": ["create"], "after": ["a", "list"]},
                    }
                ],
            }
        )
    )


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["--terraform-plan", "{t}/truncated.plan.json"],
            "truncated.plan.json: not valid JSON, truncated or not a plan",
        ),
        (["--terraform-plan", "{t}/findings.json"], "findings.json: not a Terraform plan (expected the output of"),
        (["--terraform-plan", "{t}/list.json"], "list.json: not a Terraform plan"),
        (["--terraform-plan", "{t}/empty.json"], "empty.json: not valid JSON"),
        (["--terraform-plan", f"{TERRAFORM}/state.json"], "state.json: a Terraform state, not a plan"),
        (["--terraform-plan", "{t}/missing.json"], "missing.json: no such file"),
        (
            ["--terraform-plan", "{t}/odd.plan.json"],
            "odd.plan.json: resource_changes[0].change.after: expected an object, found a list",
        ),
        (["--cloudformation", "{t}/tabs.yaml"], "tabs.yaml: not readable YAML at line 3"),
        (["--cloudformation", "{t}/unclosed.yaml"], "unclosed.yaml: not readable YAML at line 3"),
        (["--cloudformation", "{t}/bad-tag.yaml"], "bad-tag.yaml: not readable YAML at line 4"),
        (["--cloudformation", "{t}/no-resources.yaml"], "no-resources.yaml: not a CloudFormation template"),
        (["--cloudformation", "{t}/no-type.json"], "no-type.json: resource Key has no Type"),
        (["--cloudformation", "{t}/truncated.json"], "truncated.json: not valid JSON, truncated or not a template"),
        (["--cloudformation", str(PLAN)], "standing-keys.plan.json: not a CloudFormation template"),
        (["--baseline", "{t}/baseline.json", "--terraform-plan", str(PLAN)], "baseline.json: invalid baseline at"),
        (["--baseline", str(PLAN), "--terraform-plan", str(PLAN)], "not a standing baseline"),
        (["--baseline", "{t}/baseline.json", "--findings", str(PLAN)], "baseline.json: invalid baseline"),
        (["--snapshot", "{t}/snap.json"], "need --baseline"),
        (["--terraform-plan", str(PLAN), "--cloudformation", str(YAML_TEMPLATE)], "give exactly one of"),
        ([], "give exactly one of"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args, expected):
    files(tmp_path)
    result = CliRunner().invoke(main, ["gate", *[a.replace("{t}", str(tmp_path)) for a in args]])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_findings_file_that_is_a_plan_is_refused(tmp_path):
    baseline = tmp_path / "b.json"
    baseline.write_text('{"schema": "standing.baseline", "version": 1, "entries": []}')
    result = CliRunner().invoke(main, ["gate", "--baseline", str(baseline), "--findings", str(PLAN)])
    assert result.exit_code == 2 and "not a standing findings.json" in result.output


def test_the_installed_command_prints_exactly_one_line_and_no_traceback(tmp_path):
    files(tmp_path)
    env = dict(os.environ, COLUMNS="200")
    standing = Path(sys.executable).with_name("standing")
    run = subprocess.run(
        [str(standing), "gate", "--terraform-plan", str(tmp_path / "truncated.plan.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith(f"standing: error: {tmp_path / 'truncated.plan.json'}: not valid JSON")
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr
