"""The README's policy block is the policy the collector declares, and its commands are the real ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

from standing.collectors.aws import read_only_policy

ROOT = Path(__file__).parents[1]


def test_readme_policy_is_generated_from_declared_operations():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- policy:aws:start -->\n```json\n(.*?)```\n<!-- policy:aws:end -->", readme, re.S)
    assert block, "README lacks the generated policy block"
    assert json.loads(block.group(1)) == read_only_policy()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest -q"
    assert command in readme and command in ci


def test_policy_command_prints_each_providers_declared_permissions():
    from click.testing import CliRunner

    from standing.cli.main import main
    from standing.collectors.azure.operations import arm_actions, graph_permissions
    from standing.collectors.gcp.operations import READ_ONLY_ROLES

    runner = CliRunner()
    assert json.loads(runner.invoke(main, ["policy", "aws"]).output) == read_only_policy()
    assert json.loads(runner.invoke(main, ["policy", "gcp"]).output)["roles"] == list(READ_ONLY_ROLES)
    azure = json.loads(runner.invoke(main, ["policy", "azure"]).output)
    assert azure["azure_role_definition"]["Actions"] == arm_actions()
    assert all(a.endswith("/read") for a in azure["azure_role_definition"]["Actions"])
    assert azure["graph_application_permissions"] == graph_permissions()
