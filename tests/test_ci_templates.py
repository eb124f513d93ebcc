"""The CI templates a user copies: the GitHub Action (action.yml) held to GitHub's published
metadata schema and run step by step as a runner runs a composite action, against moto; the
GitLab template held to GitLab's CI schema. Both schemas are SchemaStore's, as check-jsonschema
ships them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from standing.demo.estate import TEST_ESTATE, seed_estate, start_moto_server

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
BIN = Path(sys.executable).parent
AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PLANS = ROOT / "fixtures/iac/terraform"


def vendored_schema(name: str) -> dict:
    return json.loads(resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(name).read_text())


def test_action_metadata_is_valid_by_githubs_published_schema():
    jsonschema.validate(ACTION, vendored_schema("github-actions.json"))
    assert ACTION["runs"]["using"] == "composite"
    # never a key input: credentials come from the job (OIDC actions before this one)
    assert not [name for name in ACTION["inputs"] if re.search(r"key|secret|password|token", name)]


def test_a_broken_action_is_caught_by_the_same_schema():
    broken = {**ACTION, "runs": {"using": "composite", "steps": [{"run": "standing scan"}]}}  # no shell
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, vendored_schema("github-actions.json"))


def test_the_gitlab_template_is_valid_by_gitlabs_published_schema():
    template = yaml.safe_load((ROOT / "ci/standing.gitlab-ci.yml").read_text())
    jsonschema.validate(template, vendored_schema("gitlab-ci.json"))
    job = template[".standing"]
    assert "id_tokens" in job and "run.sh" in job["script"][-1]  # OIDC, and the action's own run step


def _expand(text: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """What the runner substitutes in a composite step: ${{ inputs.x }} and ${{ steps.id.outputs.y }}."""
    text = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], text)
    return re.sub(r"\$\{\{\s*steps\.run\.outputs\.([\w-]+)\s*\}\}", lambda m: outputs.get(m.group(1), ""), text)


def run_action(workspace: Path, with_: dict[str, str], env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """The action's run steps as a runner runs them (bash -eo pipefail, INPUT_* from the step's env,
    GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files); ``uses:`` steps (setup-python, upload-sarif) are
    GitHub's own, and the install step would install this checkout into the test's venv: both are
    checked for what they are given, not run."""
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | with_
    summary, output = workspace / "summary.md", workspace / "github-output"
    summary.write_text("")
    output.write_text("")
    outputs: dict[str, str] = {}
    code = 0
    for step in ACTION["runs"]["steps"]:
        if "uses" in step or step.get("name", "").startswith("Install"):
            continue
        script = workspace / "step.sh"
        script.write_text(_expand(step["run"], inputs, outputs))
        step_env = {k: _expand(str(v), inputs, outputs) for k, v in (step.get("env") or {}).items()}
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env={
                **env,
                **step_env,
                "PATH": f"{BIN}:{os.environ['PATH']}",
                "GITHUB_ACTION_PATH": str(ROOT),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_OUTPUT": str(output),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        code = proc.returncode
        outputs |= dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return code, outputs, summary.read_text()


@pytest.fixture(scope="module")
def estate():
    with start_moto_server() as server:
        seeded = seed_estate(TEST_ESTATE, endpoint_url=server.endpoint_url, now=AS_OF)
        env = {
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_ACCESS_KEY_ID": "testing",  # what configure-aws-credentials puts in the job's env
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        yield server.endpoint_url, env, seeded.test_only_secret_access_keys


def test_a_scheduled_scan_fails_by_its_findings_and_leaves_sarif_and_a_summary(estate, tmp_path):
    endpoint, env, secrets = estate
    args = f"aws --endpoint-url {endpoint} --region us-east-1 --usage none --as-of {AS_OF.isoformat()}"
    code, outputs, summary = run_action(tmp_path, {"command": "scan", "args": args}, env)
    assert code == 1 and outputs["exit-code"] == "1"  # high findings: the job fails by standing's own code
    findings = json.loads((tmp_path / "standing-out/findings.json").read_text())["findings"]
    sarif = json.loads(Path(tmp_path / outputs["sarif-file"]).read_text())
    assert len(sarif["runs"][0]["results"]) == len(findings) > 0  # no baseline: every finding is reported
    assert summary.startswith("# Standing privilege risk report") and "Estate risk" in summary
    assert not [s for s in secrets if s in summary or s in json.dumps(sarif)]


def test_a_pull_request_gate_on_a_terraform_plan_blocks_a_new_key_and_passes_oidc(estate, tmp_path):
    _, env, _ = estate
    (tmp_path / "keys").mkdir()
    keys, keys_out, keys_summary = run_action(
        tmp_path / "keys", {"command": "gate", "args": f"--terraform-plan {PLANS / 'standing-keys.plan.json'}"}, env
    )
    assert keys == 1 and keys_out["exit-code"] == "1" and keys_summary.strip()
    (tmp_path / "oidc").mkdir()
    oidc, oidc_out, _ = run_action(
        tmp_path / "oidc", {"command": "gate", "args": f"--terraform-plan {PLANS / 'github-oidc.plan.json'}"}, env
    )
    assert oidc == 0 and oidc_out["exit-code"] == "0"  # near miss: the keyless change passes
    assert json.loads(Path(tmp_path / "oidc" / oidc_out["sarif-file"]).read_text())["runs"][0]["results"] == []


def test_an_unknown_command_is_one_error_line_and_exit_2(estate, tmp_path):
    _, env, _ = estate
    code, outputs, _ = run_action(tmp_path, {"command": "deploy"}, env)
    assert code == 2 and outputs["exit-code"] == "2" and "sarif-file" not in outputs


class _TaggedLoader(yaml.SafeLoader):
    """GitLab's ``!reference`` tags read as plain sequences."""


_TaggedLoader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_sequence(node))


def test_every_use_of_the_action_shown_in_the_readme_and_docs_passes_only_its_inputs():
    """A copied snippet that passes an input the action does not have fails on GitHub: the ones
    users copy (README, docs/gate.md) are checked against action.yml."""
    uses = []
    for page in (ROOT / "README.md", ROOT / "docs/gate.md"):
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(), flags=re.S):
            steps = yaml.load(block, Loader=_TaggedLoader)
            found = [steps] if isinstance(steps, dict) else steps if isinstance(steps, list) else []
            while found:
                node = found.pop()
                if isinstance(node, dict):
                    if str(node.get("uses", "")).startswith("standing-nhi/standing@"):
                        uses.append(node)
                    found.extend(node.values())
                elif isinstance(node, list):
                    found.extend(node)
    assert len(uses) >= 4  # two in the README, two on the gate page
    assert all(set(u.get("with", {})) <= set(ACTION["inputs"]) for u in uses)
    assert {u["with"]["command"] for u in uses} == {"scan", "gate"}
