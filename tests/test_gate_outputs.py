"""The gate's CI outputs: SARIF valid against OASIS's own 2.1.0 schema, a PR comment, JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.collectors.iac.cloudformation import convert_template, parse_template
from standing.collectors.iac.plan import read_plan
from standing.collectors.iac.terraform import convert_plan
from standing.gate.baseline import baseline_of
from standing.gate.inputs import from_changes
from standing.gate.judge import judge
from standing.gate.policy import GatePolicy
from standing.reports.gate_markdown import render_markdown
from standing.reports.sarif import sarif_log
from standing.rules.registry import load_rules
from tests.test_gate_iac import CONFIG, NOW, PLAN, YAML_TEMPLATE, line_of

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())


def assert_valid_sarif(log: dict) -> None:
    validator_class = jsonschema.validators.validator_for(SCHEMA)
    validator_class.check_schema(SCHEMA)
    validator = validator_class(SCHEMA, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def plan_result(baseline=None):
    change = convert_plan(read_plan(PLAN), NOW)
    return judge(from_changes([change], CONFIG, NOW), baseline, GatePolicy.parse("high"), waivers=[], as_of=NOW)


def test_the_vendored_schema_is_oasis_sarif_2_1_0_and_rejects_a_broken_log():
    assert SCHEMA["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    log = sarif_log(plan_result())
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        assert_valid_sarif(broken)


def test_sarif_for_a_plan_is_valid_with_rule_metadata_fingerprints_and_lines():
    result = plan_result()
    log = sarif_log(result)
    assert_valid_sarif(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(load_rules())
    secret = rules[[r["id"] for r in rules].index("long-lived-secret")]
    assert secret["shortDescription"]["text"] == "Workload holds a long-lived secret"
    assert (
        "NHI7:2025" in secret["properties"]["tags"] and secret["properties"]["security-severity"] == "3.0"
    )  # low: it blocks by trait
    assert len(run["results"]) == 15
    assert {r["partialFingerprints"]["standing/v1"] for r in run["results"]} == {f.fingerprint for f in result.new}
    key = next(r for r in run["results"] if r["properties"]["subject"] == "module.ci_bots.aws_iam_access_key.bot[0]")
    assert key["ruleId"] == "long-lived-secret" and key["level"] == "error" and key["baselineState"] == "new"
    assert run["tool"]["driver"]["rules"][key["ruleIndex"]]["id"] == "long-lived-secret"
    location = key["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == PLAN.as_uri()
    assert location["physicalLocation"]["region"]["startLine"] == line_of(
        PLAN, '"address": "module.ci_bots.aws_iam_access_key.bot[0]"'
    )
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "module.ci_bots.aws_iam_access_key.bot[0]", "kind": "resource"}
    ]
    assert (
        key["relatedLocations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "module.ci_bots.aws_iam_user.bot[0]"
    )


def test_sarif_names_each_cloud_a_benchmark_control_applies_to_and_each_result_its_own_controls():
    result = plan_result()
    log = sarif_log(result)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    tags = rules["key-too-old"]["properties"]["tags"]
    assert {"CIS AWS 3.0.0 1.14 (aws)", "CIS GCP 3.0.0 1.7 (gcp)", "NHI7:2025"} <= set(tags)
    results = log["runs"][0]["results"]
    assert results and all(r["properties"]["frameworks"] for r in results)
    # the plan changes AWS and GCP: an AWS result cites CIS AWS only, a GCP result CIS GCP only
    provider = {f.fingerprint: f.provider.value for f in result.new}
    cited: dict[str, set[str]] = {}
    for r in results:
        cis = {ref.split()[1] for ref in r["properties"]["frameworks"] if ref.startswith("CIS ")}
        cited.setdefault(provider[r["partialFingerprints"]["standing/v1"]], set()).update(cis)
    assert cited["aws"] == {"AWS"}
    assert cited["gcp"] == {"GCP"}  # admin-equivalent on GCP: never CIS AWS 1.16


def test_the_rules_command_marks_one_cloud_controls_with_their_cloud():
    out = CliRunner().invoke(main, ["rules"], env={"COLUMNS": "400"}).output
    line = next(x for x in out.splitlines() if "key-too-old" in x)
    assert "CIS AWS 3.0.0 1.14 (aws)" in line and "CIS GCP 3.0.0 1.7 (gcp)" in line
    assert "NHI7:2025 " in line or "NHI7:2025;" in line  # every cloud's: no mark


def test_sarif_marks_baselined_results_unchanged_and_stays_valid():
    first = plan_result()
    accepted = baseline_of([f for f in first.new if f.rule_id != "open-trust"])
    log = sarif_log(plan_result(accepted))
    assert_valid_sarif(log)
    states = {(r["ruleId"], r["baselineState"]) for r in log["runs"][0]["results"]}
    assert ("open-trust", "new") in states and ("long-lived-secret", "unchanged") in states
    assert [r["ruleId"] for r in log["runs"][0]["results"] if r["baselineState"] == "new"] == ["open-trust"]


def test_sarif_for_a_template_points_at_yaml_lines_and_notes_what_was_not_known(tmp_path):
    text = YAML_TEMPLATE.read_text().replace(
        "UserName: !Ref DeployUser\n      Status: Active", "UserName: !ImportValue shared-user\n      Status: Active"
    )
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    change = convert_template(parse_template(text, str(path)), NOW)
    result = judge(from_changes([change], CONFIG, NOW), None, GatePolicy.parse("high"), waivers=[], as_of=NOW)
    log = sarif_log(result)
    assert_valid_sarif(log)
    key = next(r for r in log["runs"][0]["results"] if r["properties"]["subject"] == f"{path}:DeployUserKey")
    assert key["locations"][0]["physicalLocation"]["region"]["startLine"] == line_of(path, "  DeployUserKey:")
    notes = [n["message"]["text"] for n in log["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert notes == [f"{path}:DeployUserKey UserName: the key's user is known only at deploy time"]


def test_sarif_for_a_live_snapshot_is_valid(tmp_path):
    from tests.test_gate import AS_OF, estate, make_baseline, write

    runner = CliRunner()
    baseline = make_baseline(runner, tmp_path, estate())
    sarif = tmp_path / "live.sarif"
    snapshot = write(tmp_path, "now.json", estate())
    result = runner.invoke(
        main, ["gate", "--baseline", baseline, "--snapshot", snapshot, "--sarif", str(sarif), *AS_OF]
    )
    assert result.exit_code == 0, result.output
    log = json.loads(sarif.read_text())
    assert_valid_sarif(log)
    assert {r["baselineState"] for r in log["runs"][0]["results"]} == {"unchanged"}
    assert (
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == Path(snapshot).as_uri()
    )


def test_markdown_summary_leads_with_the_verdict_and_escapes_names():
    text = YAML_TEMPLATE.read_text().replace("RoleName: github-deploy", 'RoleName: "gh|<img src=x>*deploy*"')
    change = convert_template(parse_template(text, "stack.yaml"), NOW)
    result = judge(from_changes([change], CONFIG, NOW), None, GatePolicy.parse("high"), waivers=[], as_of=NOW)
    markdown = render_markdown(result)
    assert markdown.startswith("❌ **standing gate failed**\n\n5 new finding(s), 5 blocking.")
    assert "<img" not in markdown and "&lt;img src=x&gt;" in markdown
    assert "gh\\|&lt;img src=x&gt;\\*deploy\\*" in markdown  # cannot break the table or add emphasis
    rows = [line for line in markdown.splitlines() if line.startswith("| 🚫")]
    assert len(rows) == 5 and all(row.count(" | ") == 5 - 1 for row in rows)
    assert "stack.yaml:DeployUserKey (stack.yaml:" in markdown


def test_junit_has_one_failure_per_blocking_finding(tmp_path):
    runner = CliRunner()
    junit = tmp_path / "gate.xml"
    result = runner.invoke(
        main,
        [
            "gate",
            "--cloudformation",
            str(YAML_TEMPLATE),
            "--junit",
            str(junit),
            "--fail-on",
            "keys",
            "--as-of",
            NOW.isoformat(),
        ],
    )
    assert result.exit_code == 1
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("5", "1")
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert len(failed) == 1 and failed[0].startswith(f"{YAML_TEMPLATE}:DeployUserKey [")


def test_secret_values_in_a_plan_never_reach_any_output(tmp_path):
    """`terraform show -json` prints sensitive values in clear, e.g. an existing key's secret."""
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    password = "Q~8f.zK2EXAMPLEclientSECRETvalue"
    data = json.loads(PLAN.read_text())
    existing = {
        "id": "AKIAEXISTING0000001",
        "secret": secret,
        "status": "Active",
        "user": "ci-deploy",
        "ses_smtp_password_v4": secret,
    }
    data["resource_changes"].append(
        {
            "address": "aws_iam_access_key.old",
            "mode": "managed",
            "type": "aws_iam_access_key",
            "name": "old",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {
                "actions": ["update"],
                "before": existing,
                "after": dict(existing, status="Active"),
                "after_unknown": {},
            },
        }
    )
    for change in data["resource_changes"]:
        if change["type"] == "azuread_application_password":
            change["change"]["after"]["value"] = password
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data))
    outputs = {name: tmp_path / name for name in ("o.sarif", "o.md", "o.xml")}
    result = CliRunner().invoke(
        main,
        [
            "gate",
            "--terraform-plan",
            str(plan),
            "--sarif",
            str(outputs["o.sarif"]),
            "--markdown",
            str(outputs["o.md"]),
            "--junit",
            str(outputs["o.xml"]),
            "--as-of",
            NOW.isoformat(),
        ],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 1
    results = json.loads(outputs["o.sarif"].read_text())["runs"][0]["results"]
    # the existing key was there before the change; the new key beside it makes two on one user
    assert ("two-active-keys", "aws_iam_user.ci") in {(r["ruleId"], r["properties"]["subject"]) for r in results}
    assert "aws_iam_access_key.old" not in {r["properties"]["subject"] for r in results}
    for text in [result.output] + [path.read_text() for path in outputs.values()]:
        assert secret not in text and password not in text
