"""The CLI over snapshots: exit codes, outputs, and one-line errors with no traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.core.model import CoverageEntry, CoverageStatus, Provider
from standing.core.snapshot import dump_snapshot
from tests.builders import inventory, key, user


@pytest.fixture
def runner():
    return CliRunner()


def snapshot_file(tmp_path, inv):
    path = tmp_path / "snap.json"
    path.write_text(dump_snapshot(inv))
    return path


def estate():
    ci = user("ci-[bold]deploy[/bold]")
    return inventory(ci, key(ci, "AKIAOLD", age=400, used=1), key(ci, "AKIANEW", age=3, used=1))


def test_scan_snapshot_writes_findings_and_exits_on_fail_on(runner, tmp_path):
    snap = snapshot_file(tmp_path, estate())
    out = tmp_path / "out"
    args = ["scan", "--snapshot", str(snap), "--output-dir", str(out), "--as-of", "2026-06-01T12:00:00Z"]
    result = runner.invoke(main, args, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output  # a HIGH finding meets the default fail-on
    doc = json.loads((out / "findings.json").read_text())
    assert doc["schema"] == "standing.findings" and doc["version"] == 1
    assert {(f["rule_id"], f["subject"]) for f in doc["findings"]} == {
        ("key-too-old", "AKIAOLD"),
        ("two-active-keys", "arn:aws:iam::111122223333:user/ci-[bold]deploy[/bold]"),
        ("long-lived-secret", "AKIAOLD"),  # the census: low, it does not meet --fail-on medium alone
        ("long-lived-secret", "AKIANEW"),
    }
    assert "ci-[bold]deploy[/bold]" in result.output  # cloud names are printed literally, not as markup
    assert runner.invoke(main, args + ["--fail-on", "critical"]).exit_code == 0
    assert runner.invoke(main, args + ["--fail-on", "medium"]).exit_code == 1


def test_partial_scan_says_what_it_missed_and_exits_3(runner, tmp_path):
    inv = estate()
    gap = CoverageEntry(
        provider=Provider.AWS,
        scope="111122223333",
        operation="iam:GetCredentialReport",
        status=CoverageStatus.DENIED,
        detail="AccessDenied",
    )
    snap = snapshot_file(tmp_path, inv.model_copy(update={"coverage": [gap]}))
    result = runner.invoke(main, ["scan", "--snapshot", str(snap), "--fail-on", "none"])
    assert result.exit_code == 3
    assert "PARTIAL SCAN" in result.output and "iam:GetCredentialReport: denied" in result.output
    # blocking findings still win over a partial scan
    assert runner.invoke(main, ["scan", "--snapshot", str(snap)]).exit_code == 1


@pytest.mark.parametrize(
    "args, expected",
    [
        (["scan", "--snapshot", "{tmp}/missing.json"], "missing.json: no such file"),
        (["scan", "--snapshot", "{tmp}/bad.json"], "bad.json: not valid JSON"),
        (["scan", "--snapshot", "{tmp}/snap.json", "--config", "{tmp}/bad.toml"], "unknown key 'colour'"),
        (["scan"], "give --snapshot FILE"),
        (["scan", "--snapshot", "{tmp}/snap.json", "--as-of", "yesterday"], "not an ISO 8601"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(runner, tmp_path, args, expected):
    snapshot_file(tmp_path, estate())
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "bad.toml").write_text("colour = 'blue'\n")
    result = runner.invoke(main, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_schema_file_matches_the_code(runner):
    from pathlib import Path

    committed = Path(__file__).parents[1] / "docs" / "findings.schema.json"
    assert committed.read_text() == runner.invoke(main, ["schema", "findings"]).output


def with_minting_intern(victim):
    """A user who can mint the victim a key: one hop short of whatever the victim reaches."""
    from tests.builders import allow, grant, policy

    intern, mint = user("intern"), policy("Mint", allow("iam:CreateAccessKey", victim.id))
    return [intern, mint, grant(intern, mint)]


def test_explain_shows_credentials_grants_path_and_findings(runner, tmp_path):
    from standing.core.model import TrustKind
    from tests.builders import ACCOUNT, allow, arn, grant, policy, role, trust

    admin, admin_policy = role("admin"), policy("Admin", allow("*"))
    ci, ci_policy = user("ci"), policy("CiAssume", allow("sts:AssumeRole", arn("role", "admin")))
    inv = inventory(
        admin,
        admin_policy,
        grant(admin, admin_policy),
        trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        ci,
        ci_policy,
        grant(ci, ci_policy),
        key(ci, "AKIACI", age=400, used=1),
        *with_minting_intern(ci),
    )
    snap = snapshot_file(tmp_path, inv)
    result = runner.invoke(main, ["explain", "ci", "--snapshot", str(snap), "--as-of", "2026-06-01"])
    assert result.exit_code == 0, result.output
    for expected in ("AKIACI", "CiAssume", "Path to admin: ci -> admin", "path-to-admin", "key-too-old"):
        assert expected in result.output
    incoming = runner.invoke(main, ["explain", admin.id, "--snapshot", str(snap)])
    assert "Who can become it:" in incoming.output and "ci by assume-role" in incoming.output
    assert "Who can reach it through others (1):" in incoming.output
    assert "intern -> ci -> admin (create-credentials, assume-role)" in incoming.output
    missing = runner.invoke(main, ["explain", "nobody", "--snapshot", str(snap)])
    assert missing.exit_code == 2 and "no identity with id or name 'nobody'" in missing.output


@pytest.mark.parametrize(
    "provider, extra_modules", [("gcp", ("google.cloud.iam_admin_v1",)), ("azure", ("azure.core", "azure.identity"))]
)
def test_live_scan_without_its_sdk_names_the_extra(runner, monkeypatch, provider, extra_modules):
    """The base install runs the demo and AWS; GCP and Azure live scans say what to install."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name.startswith(extra_modules) else real(name, *a)
    )
    args = ["scan", provider] + (["--organization", "123"] if provider == "gcp" else [])
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert f"pip install 'standing-nhi[{provider}]'" in result.output and "Traceback" not in result.output
