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
