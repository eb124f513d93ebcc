"""`standing demo`: the README's first command scans the bundled estate end to end."""

from __future__ import annotations

import json

from click.testing import CliRunner

from standing.demo.estate import DEMO_ESTATE
from standing.scanner.cli import main


def test_demo_reports_exactly_the_planted_issues(tmp_path):
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(main, ["demo", "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text())
    assert {(f["rule_id"], f["identity"]) for f in doc["findings"]} == DEMO_ESTATE.expected_findings()
    assert doc["scan"]["complete"] is True and doc["scan"]["identities"] >= 40
    assert "Findings by severity: critical" in result.output
    assert (out / "snapshot.json").exists()
