"""Issue 16, hostile files: each group of the issue with its exact input is one line naming the
file, exit 2, no traceback; beside each, the near miss that must still be read normally.

Everything runs in process through click's CliRunner (the installed command's one-line output
is covered by tests/test_gate_bad_input.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from standing.cli.main import main
from standing.core.errors import UserError
from standing.core.snapshot import dump_snapshot
from standing.core.textfiles import MAX_DEPTH, MAX_INPUT_ENV, check_depth, parse_json, read_text
from tests.builders import grant, inventory, key, policy, user

ROOT = Path(__file__).parents[1]
GCP = ROOT / "fixtures" / "gcp" / "import"
AZURE = ROOT / "fixtures" / "azure" / "export"
AS_OF = "2026-06-01T12:00:00+00:00"
DEEP = "[" * 1500  # the input: RecursionError in every reader but the snapshot's


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def refused(result: Result, path: Path, *words: str) -> str:
    """Exit 2, exactly one line on stderr naming the file, no traceback; the line is returned."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    line = result.stderr.strip()
    assert line.count("\n") == 0 and str(path) in line, result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in line, line
    return line


def read_normally(result: Result) -> None:
    """Read and judged: a finding, a clean or a partial result, never a refusal or a crash."""
    assert result.exit_code in (0, 1, 3), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


# --- a small scan to take findings.json and a baseline from ------------------------------------


def _snapshot(tmp: Path, statement: dict[str, Any] | None = None, **tags: str) -> Path:
    svc = user("svc", tags=tags)
    pol = policy("p", statement or {"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    path = tmp / "snapshot.json"
    path.write_text(
        dump_snapshot(inventory(svc, key(svc, "AKIAOLD0000000000001", age=400, used=1), pol, grant(svc, pol)))
    )
    return path


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scan")
    snap = _snapshot(out)
    result = run("scan", "--snapshot", snap, "--as-of", AS_OF, "--output-dir", out / "out", "--fail-on", "none")
    assert result.exit_code == 0, result.output
    baseline = run("baseline", "--findings", out / "out" / "findings.json", "-o", out / "out" / "baseline.json")
    assert baseline.exit_code == 0, baseline.output
    return out / "out"


def gate(out: Path, *more: Any) -> Result:
    return run("gate", "--findings", out / "findings.json", "--baseline", out / "baseline.json", *more)


def _copy(scanned: Path, tmp: Path) -> Path:
    target = tmp / "out"
    shutil.copytree(scanned, target)
    return target


# --- deep nesting -----------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_deep_nesting_in_findings_json_is_refused_by_gate_and_report(scanned, tmp_path):
    out = _copy(scanned, tmp_path)
    (out / "findings.json").write_text(DEEP)
    refused(gate(out), out / "findings.json", "nested deeper than")
    refused(run("report", "--findings-dir", out, "--output-dir", tmp_path / "r"), out / "findings.json", "nested")


def test_near_miss_nesting_under_the_bound_in_evidence_is_read(scanned, tmp_path):
    out = _copy(scanned, tmp_path)
    document = json.loads((out / "findings.json").read_text())
    document["findings"][0]["evidence"]["note"] = _nested(MAX_DEPTH - 10)
    (out / "findings.json").write_text(json.dumps(document))
    read_normally(gate(out, "--fail-on", "none"))
    document["findings"][0]["evidence"]["note"] = _nested(MAX_DEPTH + 10)  # past it: refused
    (out / "findings.json").write_text(json.dumps(document))
    refused(gate(out), out / "findings.json", f"deeper than {MAX_DEPTH}")


def test_deep_nesting_in_a_baseline_is_refused(scanned, tmp_path):
    out = _copy(scanned, tmp_path)
    (out / "baseline.json").write_text(DEEP)
    result = gate(out)
    refused(result, out / "baseline.json", "nested deeper than")


def test_near_miss_the_baseline_as_written_is_read(scanned, tmp_path):
    out = _copy(scanned, tmp_path)
    read_normally(gate(out))


def test_deep_nesting_in_a_snapshot_is_refused_in_the_same_words(tmp_path):
    snap = tmp_path / "snapshot.json"
    snap.write_text('{"schema": "standing.snapshot", "version": 1, "inventory": ' + DEEP)
    refused(run("scan", "--snapshot", snap), snap, "nested too deeply")


@pytest.mark.parametrize("flag, name", [("--from-asset-search", "asset-search.json"), ("--from-keys", "keys.json")])
def test_deep_nesting_in_gcp_exports_is_refused(tmp_path, flag, name):
    bad = tmp_path / name
    bad.write_text(DEEP)
    refused(run("scan", "gcp", flag, bad, "--as-of", AS_OF, "--output-dir", tmp_path / "o"), bad, "nested deeper")


def test_deep_nesting_in_one_asset_export_line_is_refused(tmp_path):
    bad = tmp_path / "export.jsonl"
    bad.write_text((GCP / "asset-export.jsonl").read_text() + DEEP + "\n")
    result = run("scan", "gcp", "--from-asset-export", bad, "--as-of", AS_OF, "--output-dir", tmp_path / "o")
    assert "line" in refused(result, bad, "nested deeper")


AWS_GAAD = {"UserDetailList": [{"UserName": "svc", "Arn": "arn:aws:iam::123456789012:user/svc", "GroupList": []}]}
AWS_DEEP = {
    # flag: the deep file's text (a credential report is JSON only when it starts with "{")
    "--from-authorization-details": DEEP,
    "--from-credential-report": '{"Content": ' + DEEP,
    "--from-access-keys": DEEP,
    "--from-oidc-providers": DEEP,
    "--from-saml-providers": DEEP,
}


def _aws(tmp: Path, *args: Any) -> Result:
    gaad = tmp / "gaad.json"
    gaad.write_text(json.dumps(AWS_GAAD))
    if "--from-authorization-details" not in args:
        args = ("--from-authorization-details", gaad, *args)
    return run("scan", "aws", *args, "--as-of", AS_OF, "--output-dir", tmp / "o", "--fail-on", "none")


@pytest.mark.parametrize("flag", AWS_DEEP)
def test_deep_nesting_in_aws_exports_is_refused(tmp_path, flag):
    bad = tmp_path / "export.json"
    bad.write_text(AWS_DEEP[flag])
    refused(_aws(tmp_path, flag, bad), bad, "nested deeper than")


def test_near_miss_the_aws_export_as_written_is_read(tmp_path):
    read_normally(_aws(tmp_path))


AZURE_BASIC = {
    "--from-sp-list": "az-ad-sp-list.json",
    "--from-app-list": "az-ad-app-list.json",
    "--from-role-assignments": "az-role-assignment-list.json",
    "--from-role-definitions": "az-role-definition-list.json",
}


def azure_args(tmp: Path, replace: dict[str, Path] | None = None) -> list[Any]:
    args: list[Any] = ["scan", "azure", "--as-of", AS_OF, "--output-dir", tmp / "o"]
    for flag, name in AZURE_BASIC.items():
        args += [flag, (replace or {}).get(flag, AZURE / name)]
    return args


@pytest.mark.parametrize("flag", ["--from-sp-list", "--from-role-definitions"])
def test_deep_nesting_in_azure_exports_is_refused(tmp_path, flag):
    bad = tmp_path / "export.json"
    bad.write_text(DEEP)
    refused(run(*azure_args(tmp_path, {flag: bad})), bad, "nested deeper than")


def test_near_miss_the_azure_exports_as_written_are_read(tmp_path):
    read_normally(run(*azure_args(tmp_path)))


# --- GCP and Azure exports with a wrong type in a field --------------------------------------------


def _edit(source: Path, tmp: Path, change: Any) -> Path:
    data = json.loads(source.read_text())
    change(data)
    path = tmp / source.name
    path.write_text(json.dumps(data))
    return path


def _first_binding(data: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in data if (r.get("policy") or {}).get("bindings"))


def _gcp(tmp: Path, flag: str, path: Path) -> Result:
    return run("scan", "gcp", flag, path, "--as-of", AS_OF, "--output-dir", tmp / "o", "--fail-on", "none")


GCP_CASES = {
    # name: (file, flag, how to break it, the same field well-formed, words of the one line)
    "bindings-null": (
        "asset-search.json",
        "--from-asset-search",
        lambda d: _first_binding(d)["policy"].update(bindings=None),
        lambda d: _first_binding(d)["policy"].update(bindings=[]),
        ("policy.bindings", "valid list"),
    ),
    "members-of-objects": (
        "asset-search.json",
        "--from-asset-search",
        lambda d: _first_binding(d)["policy"]["bindings"][0].update(members=[{}]),
        lambda d: _first_binding(d)["policy"]["bindings"][0].update(
            members=["serviceAccount:x@acme-prod.iam.gserviceaccount.com"]
        ),
        ("policy.bindings[0].members[0]", "valid string"),
    ),
    "validAfterTime-yesterday": (
        "keys-old-key.json",
        "--from-keys",
        lambda d: d[0].update(validAfterTime="yesterday"),
        lambda d: d[0].update(validAfterTime="2025-05-31T12:00:00Z"),
        ("validAfterTime", "'yesterday' is not a date"),
    ),
    "displayName-5": (
        "service-accounts.json",
        "--from-service-accounts",
        lambda d: d[0].update(displayName=5),
        lambda d: d[0].update(displayName="5"),
        ("entry 1 at displayName", "valid string"),
    ),
    "permissions-null": (
        "custom-roles-acme-prod.json",
        "--from-custom-roles",
        lambda d: d[0].update(includedPermissions=[None]),
        lambda d: d[0].update(includedPermissions=["iam.roles.get"]),
        ("includedPermissions[0]", "valid string"),
    ),
}


@pytest.mark.parametrize("case", GCP_CASES)
def test_gcp_export_with_a_wrong_type_names_the_file_and_field(tmp_path, case):
    name, flag, breaks, _, words = GCP_CASES[case]
    bad = _edit(GCP / name, tmp_path, breaks)
    refused(_gcp(tmp_path, flag, bad), bad, *words)


@pytest.mark.parametrize("case", GCP_CASES)
def test_near_miss_gcp_export_with_the_field_well_formed_is_read(tmp_path, case):
    name, flag, _, fine, _ = GCP_CASES[case]
    read_normally(_gcp(tmp_path, flag, _edit(GCP / name, tmp_path, fine)))


AZURE_CASES = {
    "displayName-5": (
        "--from-sp-list",
        lambda d: d[0].update(displayName=5),
        lambda d: d[0].update(displayName="5"),
        ("item 0 at displayName", "valid string"),
    ),
    "permissions-null": (
        "--from-role-definitions",
        lambda d: d[0].update(permissions=[None]),
        lambda d: d[0].update(permissions=[]),
        ("item 0 at permissions[0]", "Input should be an object"),
    ),
    "endDateTime-yesterday": (
        "--from-app-list",
        lambda d: next(a for a in d if a.get("passwordCredentials"))["passwordCredentials"][0].update(
            endDateTime="yesterday"
        ),
        lambda d: next(a for a in d if a.get("passwordCredentials"))["passwordCredentials"][0].update(
            endDateTime="2027-01-01T00:00:00Z"
        ),
        ("passwordCredentials[0].endDateTime", "'yesterday' is not a date"),
    ),
    "appRoles-string": (
        "--from-sp-list",
        lambda d: d[0].update(appRoles="yesterday"),
        lambda d: d[0].update(appRoles=[]),
        ("item 0 at appRoles", "valid list"),
    ),
}


@pytest.mark.parametrize("case", AZURE_CASES)
def test_azure_export_with_a_wrong_type_names_the_file_and_field(tmp_path, case):
    flag, breaks, _, words = AZURE_CASES[case]
    bad = _edit(AZURE / AZURE_BASIC[flag], tmp_path, breaks)
    refused(run(*azure_args(tmp_path, {flag: bad})), bad, *words)


@pytest.mark.parametrize("case", AZURE_CASES)
def test_near_miss_azure_export_with_the_field_well_formed_is_read(tmp_path, case):
    flag, _, fine, _ = AZURE_CASES[case]
    read_normally(run(*azure_args(tmp_path, {flag: _edit(AZURE / AZURE_BASIC[flag], tmp_path, fine)})))


# --- a malformed policy document in a snapshot ----------------------------------------------------

SOURCE_LIMITED = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}


def _plan(tmp: Path, condition: Any) -> dict[str, Any]:
    snap = _snapshot(tmp, {**SOURCE_LIMITED, "Condition": condition}, **{"standing:exception": "vendor"})
    result = run("plan", "--snapshot", snap, "svc", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0 and result.exception is None, result.output
    [plan] = json.loads(result.stdout)["plans"]
    return {c["kind"]: c for c in plan["controls"]}


def test_policy_condition_that_is_a_string_is_not_understood_by_the_planner(tmp_path):
    """The issue's ``"Condition": "x"``: no crash; it restricts no source, so that control is still to add."""
    controls = _plan(tmp_path, "x")
    assert controls["source-restriction"]["in_place"] is False


def test_near_miss_a_source_ip_condition_is_a_control_in_place(tmp_path):
    controls = _plan(tmp_path, {"IpAddress": {"aws:SourceIp": ["13.108.0.0/14"]}})
    assert controls["source-restriction"]["in_place"] is True
    assert "13.108.0.0/14" in controls["source-restriction"]["evidence"]


@pytest.mark.parametrize("condition", ["x", {"IpAddress": "x"}, {"DateLessThan": {"aws:EpochTime": "9" * 30}}])
def test_malformed_conditions_are_judged_by_scan_and_explain(tmp_path, condition):
    snap = _snapshot(tmp_path, {**SOURCE_LIMITED, "Action": "iam:*", "Condition": condition})
    read_normally(run("scan", "--snapshot", snap, "--as-of", AS_OF, "--output-dir", tmp_path / "o"))
    read_normally(run("explain", "svc", "--snapshot", snap, "--as-of", AS_OF))


def test_analysis_reads_a_malformed_condition_as_conditional_and_a_date_past_the_range_as_possible():
    from datetime import UTC, datetime

    from standing.analysis.aws_policy import statements

    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    [odd] = statements([("p", {"Statement": {**SOURCE_LIMITED, "Condition": "x"}})], as_of=as_of)
    assert odd.conditional
    beyond = {**SOURCE_LIMITED, "Condition": {"DateLessThan": {"aws:EpochTime": "9" * 30}}}
    assert len(statements([("p", {"Statement": beyond})], as_of=as_of)) == 1
    # near miss: an epoch already past makes the statement inert
    past = {**SOURCE_LIMITED, "Condition": {"DateLessThan": {"aws:EpochTime": "1000000000"}}}
    assert statements([("p", {"Statement": past})], as_of=as_of) == ()


# --- findings.json whose evidence.hops[].from is not a string ---------------------------------------


def _with_hops(scanned: Path, tmp: Path, hop_from: Any) -> Path:
    out = _copy(scanned, tmp)
    document = json.loads((out / "findings.json").read_text())
    for finding in document["findings"]:
        finding["evidence"]["hops"] = [{"from": hop_from, "to": finding["identity"], "how": "iam:PassRole"}]
    (out / "findings.json").write_text(json.dumps(document))
    (out / "snapshot.json").unlink(missing_ok=True)
    (out / "plans.json").unlink(missing_ok=True)
    return out


def _report(out: Path, tmp: Path) -> dict[str, Any]:
    result = run("report", "--findings-dir", out, "--format", "json", "--output-dir", tmp / "report")
    assert result.exit_code == 0 and result.exception is None, result.output
    return json.loads((tmp / "report" / "report.json").read_text())


def test_hop_from_that_is_not_a_string_is_left_out_of_the_report(scanned, tmp_path):
    report = _report(_with_hops(scanned, tmp_path, ["marker-not-an-id"]), tmp_path)
    assert "marker-not-an-id" not in json.dumps(report)


def test_near_miss_a_hop_from_an_identity_id_is_drawn(scanned, tmp_path):
    report = _report(_with_hops(scanned, tmp_path, "arn:aws:iam::111122223333:role/ci-deployer"), tmp_path)
    assert "ci-deployer" in json.dumps(report)


# --- size, devices and FIFOs -------------------------------------------------------------------------


def test_a_device_is_refused_before_reading():
    refused(run("scan", "--snapshot", "/dev/zero"), Path("/dev/zero"), "is a device", "refusing")


def test_the_installed_command_refuses_dev_zero_in_one_line():
    """The issue's ``scan --snapshot /dev/zero`` read until MemoryError; now it never opens it."""
    standing = Path(sys.executable).with_name("standing")
    run = subprocess.run([str(standing), "scan", "--snapshot", "/dev/zero"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == "standing: error: /dev/zero: is a device, not a regular file; refusing to read it\n"


def test_near_miss_the_installed_command_reads_a_regular_snapshot(tmp_path):
    standing = Path(sys.executable).with_name("standing")
    snap = _snapshot(tmp_path)
    args = [str(standing), "scan", "--snapshot", str(snap), "--as-of", AS_OF, "--fail-on", "none"]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "key-too-old" in run.stdout, run.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_before_reading(tmp_path):
    fifo = tmp_path / "findings.json"
    os.mkfifo(fifo)  # opening it to read would block this test forever: the refusal comes first
    refused(run("gate", "--findings", fifo, "--baseline", fifo), fifo, "FIFO")
    refused(run("scan", "--snapshot", fifo), fifo, "FIFO")


def test_a_file_over_the_size_limit_is_refused_naming_the_setting(tmp_path):
    big = tmp_path / "asset-search.json"
    big.write_text(json.dumps([{"resource": "x" * 100, "pad": "y" * (2 * 1024 * 1024)}]))
    result = CliRunner().invoke(
        main,
        ["scan", "gcp", "--from-asset-search", str(big), "--output-dir", str(tmp_path / "o")],
        env={MAX_INPUT_ENV: "1"},
    )
    refused(result, big, "over the 1 MB input limit", MAX_INPUT_ENV)


def test_near_miss_raising_the_limit_reads_the_file(tmp_path):
    big = tmp_path / "asset-search.json"
    big.write_text(
        json.dumps([{"resource": "//cloudresourcemanager.googleapis.com/projects/p", "pad": "y" * (2 * 1024 * 1024)}])
    )
    args = ["scan", "gcp", "--from-asset-search", str(big), "--output-dir", str(tmp_path / "o"), "--fail-on", "none"]
    read_normally(CliRunner().invoke(main, args, env={MAX_INPUT_ENV: "3"}))


def test_a_limit_that_is_not_a_number_is_one_line(tmp_path, monkeypatch):
    path = tmp_path / "x.json"
    path.write_text("{}")
    monkeypatch.setenv(MAX_INPUT_ENV, "lots")
    with pytest.raises(UserError, match=f"{MAX_INPUT_ENV}: must be a whole number"):
        read_text(path)


# --- dates beyond the supported range -----------------------------------------------------------------

BEFORE_YEAR_ONE = "0001-01-01T00:00:00+01:00"  # year 0 in UTC: Python cannot hold it


def test_a_snapshot_date_before_the_first_instant_is_one_line(tmp_path):
    snap = _snapshot(tmp_path)
    text = snap.read_text()
    created = json.loads(text)["inventory"]["credentials"][0]["created"]
    snap.write_text(text.replace(created, BEFORE_YEAR_ONE))
    refused(run("scan", "--snapshot", snap, "--as-of", AS_OF), snap, "outside the supported range")


def test_near_miss_a_snapshot_date_in_year_one_is_read(tmp_path):
    snap = _snapshot(tmp_path)
    text = snap.read_text()
    created = json.loads(text)["inventory"]["credentials"][0]["created"]
    snap.write_text(text.replace(created, "0001-01-01T00:00:00Z"))
    read_normally(run("scan", "--snapshot", snap, "--as-of", AS_OF, "--output-dir", tmp_path / "o"))


def test_export_dates_beyond_the_range_are_one_line(tmp_path):
    keys = _edit(GCP / "keys-old-key.json", tmp_path, lambda d: d[0].update(validAfterTime=BEFORE_YEAR_ONE))
    refused(_gcp(tmp_path, "--from-keys", keys), keys, "validAfterTime", "outside the supported range")
    apps = _edit(
        AZURE / "az-ad-app-list.json", tmp_path, lambda d: d[0].update(createdDateTime="9999-12-31T23:59:59-01:00")
    )
    refused(run(*azure_args(tmp_path, {"--from-app-list": apps})), apps, "createdDateTime", "outside the supported")


def test_findings_json_date_beyond_the_range_is_one_line(scanned, tmp_path):
    out = _copy(scanned, tmp_path)
    document = json.loads((out / "findings.json").read_text())
    document["generated_at"] = BEFORE_YEAR_ONE
    (out / "findings.json").write_text(json.dumps(document))
    refused(gate(out), out / "findings.json", "outside the supported range")


# --- the bound G3's readers call -------------------------------------------------------------------------


def test_check_depth_is_the_bound_other_readers_call():
    check_depth(_nested(MAX_DEPTH - 1), "plan.json")
    with pytest.raises(UserError, match=r"^plan\.json: nested deeper than"):
        check_depth({"a": _nested(MAX_DEPTH + 1)}, "plan.json")
    with pytest.raises(UserError, match="nested deeper than"):
        parse_json(DEEP, "plan.json")


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1" * 5000])
def test_json_python_accepts_but_json_does_not_is_not_valid_json(text):
    with pytest.raises(UserError, match="^x.json: not valid JSON"):
        parse_json(text, "x.json")


def test_a_lone_surrogate_in_an_export_is_one_line_and_a_pair_is_text(tmp_path):
    """A lone ``\\ud800`` decodes to no text: the scan's own outputs could not hold it."""
    lone = _edit(GCP / "service-accounts.json", tmp_path, lambda d: d[0].update(displayName="x\ud800"))
    refused(_gcp(tmp_path, "--from-service-accounts", lone), lone, "lone UTF-16 surrogate")
    pair = _edit(GCP / "service-accounts.json", tmp_path, lambda d: d[0].update(displayName="x\U0001f600"))
    assert "\\ud83d\\ude00" in pair.read_text()  # json.dumps writes the emoji as an escaped pair
    read_normally(_gcp(tmp_path, "--from-service-accounts", pair))


def test_a_finding_of_a_rule_this_standing_does_not_know_is_one_line(scanned, tmp_path):
    """The gate judges a finding by its rule's traits; an unknown rule (another version, a hand
    edit) crashed the SARIF writer. Near miss beside it: the scan's own findings, all outputs."""
    out = _copy(scanned, tmp_path)
    outputs = ["--sarif", tmp_path / "g.sarif", "--markdown", tmp_path / "g.md", "--junit", tmp_path / "g.xml"]
    read_normally(gate(out, *outputs))
    document = json.loads((out / "findings.json").read_text())
    document["findings"][0]["rule_id"] = "no-such-rule"
    (out / "findings.json").write_text(json.dumps(document))
    refused(gate(out, *outputs), out / "findings.json", "findings[0].rule_id 'no-such-rule' is not a rule")


def test_toml_nested_too_deep_is_one_line_and_shallow_nesting_is_read(tmp_path):
    from standing.rules.config import read_toml

    deep = tmp_path / "standing.toml"
    deep.write_text("a = " + "[" * 1500 + "]" * 1500 + "\n")
    with pytest.raises(UserError, match=r"standing\.toml: nested deeper than"):
        read_toml(deep)
    refused(run("scan", "--snapshot", _snapshot(tmp_path), "--config", deep), deep, "nested deeper than")
    shallow = tmp_path / "shallow.toml"
    shallow.write_text("a = " + "[" * 20 + "]" * 20 + "\n")
    expected: list[Any] = []
    for _ in range(19):
        expected = [expected]
    assert read_toml(shallow) == {"a": expected}


def test_the_size_limit_is_a_flag_too_and_wins_over_the_environment(tmp_path):
    big = tmp_path / "asset-search.json"
    big.write_text(
        json.dumps([{"resource": "//cloudresourcemanager.googleapis.com/projects/p", "pad": "y" * (2 * 1024 * 1024)}])
    )
    args = ["scan", "gcp", "--from-asset-search", str(big), "--output-dir", str(tmp_path / "o"), "--fail-on", "none"]
    refused(
        CliRunner().invoke(main, ["--max-input-mb", "1", *args]), big, "over the 1 MB input limit", "--max-input-mb"
    )
    read_normally(CliRunner().invoke(main, ["--max-input-mb", "3", *args], env={MAX_INPUT_ENV: "1"}))
    # The flag is for one run: the next run in the same process is back to the default.
    read_normally(CliRunner().invoke(main, args))


def test_a_size_limit_flag_below_one_megabyte_is_a_usage_error():
    result = CliRunner().invoke(main, ["--max-input-mb", "0", "scan", "--snapshot", "x.json"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "--max-input-mb" in result.output
