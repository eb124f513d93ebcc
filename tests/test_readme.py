"""The README stays a short front page with the real commands; the AWS page's policy block is the declared policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from standing.collectors.aws import read_only_policy

ROOT = Path(__file__).parents[1]


def test_docs_policy_is_generated_from_declared_operations():
    page = (ROOT / "docs" / "aws.md").read_text()
    block = re.search(r"<!-- policy:aws:start -->\n```json\n(.*?)```\n<!-- policy:aws:end -->", page, re.S)
    assert block, "docs/aws.md lacks the generated policy block"
    assert json.loads(block.group(1)) == read_only_policy()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/pytest -q"
    assert command in readme and command in ci


def test_readme_is_a_short_front_page_with_the_demo_command():
    readme = (ROOT / "README.md").read_bytes()
    assert len(readme) < 12 * 1024, f"README.md is {len(readme)} bytes; move detail to docs/"
    demo = "python3 -m venv .venv && .venv/bin/pip install -q '.[demo]' && .venv/bin/standing demo"
    assert demo in readme.decode()


def test_readme_links_point_at_files_that_exist():
    """mkdocs --strict checks the site's links; the README is outside it, so its links are checked here."""
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert any(t.startswith("docs/") for t in targets)
    for target in targets:
        if re.match(r"[a-z]+:", target):
            continue
        assert (ROOT / target.split("#")[0]).exists(), target


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
