"""`standing demo`: the README's first command scans the bundled estate end to end."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.demo.estate import DEMO_ESTATE


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(main, ["demo", "--output-dir", str(out)])
    return result, out, json.loads((out / "findings.json").read_text())


def test_demo_reports_exactly_the_planted_issues(demo):
    result, out, doc = demo
    assert result.exit_code == 0, result.output
    assert {(f["rule_id"], f["identity"]) for f in doc["findings"]} == DEMO_ESTATE.expected_findings()
    assert doc["scan"]["complete"] is True and doc["scan"]["identities"] >= 40
    assert "Findings by severity: critical" in result.output
    assert (out / "snapshot.json").exists()


def test_demo_reports_a_multi_hop_path_from_a_key_to_admin_with_each_hops_reason(demo):
    _, _, doc = demo
    [jenkins] = [
        f for f in doc["findings"] if f["rule_id"] == "path-to-admin" and f["identity"].endswith(":user/ci/ci-jenkins")
    ]
    hops = jenkins["evidence"]["hops"]
    assert [(h["how"], h["to"].rsplit("/", 1)[-1]) for h in hops] == [
        ("assume-role", "deploy-orchestrator"),
        ("assume-role", "acme-admin"),
    ]
    assert "assume-deploy-orchestrator allows sts:AssumeRole on deploy-orchestrator" in hops[0]["why"]
    assert "assume-admin-for-deploys allows sts:AssumeRole on acme-admin" in hops[1]["why"]
    assert jenkins["evidence"]["long_lived_secrets"] and jenkins["severity"] == "critical"
    assert jenkins["blast_radius"]["reaches_admin"] is True


def test_demo_shows_a_path_through_existing_compute_and_an_instance_that_is_none(demo):
    _, out, doc = demo
    workloads = {
        (w["kind"], w["name"]): [i.rsplit("/", 1)[-1] for i in w["identity_ids"]]
        for w in json.loads((out / "snapshot.json").read_text())["inventory"]["workloads"]
    }
    assert workloads[("lambda_function", "user-provisioner")] == ["lambda-user-provisioner"]
    assert workloads[("ec2_instance", "bastion")] == ["ec2-bastion"]
    # the CI key deploys the function's code: it runs code as the role that can create users
    [legacy] = [
        f
        for f in doc["findings"]
        if f["rule_id"] == "path-to-admin" and f["identity"].endswith(":user/ci/ci-github-legacy")
    ]
    [hop] = legacy["evidence"]["hops"]
    assert (hop["how"], hop["to"].rsplit("/", 1)[-1]) == ("existing-compute", "lambda-user-provisioner")
    assert "user-provisioner" in hop["why"] and "lambda:UpdateFunctionCode" in hop["why"]
    assert legacy["blast_radius"]["runs_code_as"] == [hop["to"]]
    # near miss: the bastion runs as a read-only role nobody can take it over from: no one runs
    # code as ec2-bastion, and it reaches nothing
    taken = {t for f in doc["findings"] if f["blast_radius"] for t in f["blast_radius"]["runs_code_as"]}
    assert taken == {hop["to"]}
    assert not any(f["identity"].endswith(":role/ec2-bastion") for f in doc["findings"])
    # the report shows it where leadership reads the top risks
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "can run code as lambda-user-provisioner (through Lambda function user-provisioner (us-east-1))" in html


def test_the_demo_reads_its_one_region_and_says_the_others_were_left_out_not_that_all_was_read(demo):
    result, out, doc = demo
    [left_out] = doc["scan"]["left_out"]
    assert left_out["status"] == "scoped" and "(us-east-1 asked for)" in left_out["detail"]
    assert doc["scan"]["gaps"] == []  # a choice, not a failure
    assert "every source in scope was read" in result.output and "every source was read" not in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "every source in scope was read" in html and "every source was read" not in html
