"""The gate over a live estate: baseline, one new key fails naming only it, removals never fail,
and fingerprints that ignore scan time, record order and cosmetic changes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.core.model import Inventory, TrustKind
from standing.core.snapshot import dump_snapshot
from standing.gate.baseline import baseline_of, dump_baseline
from standing.gate.iac_change import new_findings
from standing.gate.judge import gate_config
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig, parse_config
from tests.builders import NOW, allow, days_ago, grant, inventory, key, policy, role, trust, user

AS_OF = ["--as-of", NOW.isoformat()]


def estate(*extra) -> Inventory:
    ci = user("svc-ci")
    etl = user("svc-etl")
    admin = policy("admin", allow("*"))
    vendor = role("vendor")
    return inventory(
        ci,
        etl,
        admin,
        vendor,
        grant(vendor, admin),
        key(ci, "AKIACI0000000001", age=400, used=2),
        key(etl, "AKIAETL000000001", age=30, used=1),
        trust(vendor, "*", TrustKind.ANY),
        *extra,
    )


@pytest.fixture
def runner():
    return CliRunner()


def write(tmp_path, name, inv: Inventory):
    path = tmp_path / name
    path.write_text(dump_snapshot(inv))
    return str(path)


def make_baseline(runner, tmp_path, inv) -> str:
    out = tmp_path / "baseline.json"
    result = runner.invoke(main, ["baseline", "--snapshot", write(tmp_path, "base.json", inv), "-o", str(out), *AS_OF])
    assert result.exit_code == 0, result.output
    return str(out)


def test_baseline_is_sorted_reviewable_and_names_each_accepted_finding(runner, tmp_path):
    path = make_baseline(runner, tmp_path, estate())
    doc = json.loads(Path(path).read_text())
    assert doc["schema"] == "standing.baseline" and doc["version"] == 1
    assert [e["fingerprint"] for e in doc["entries"]] == sorted(e["fingerprint"] for e in doc["entries"])
    assert {(e["rule"], e["subject"]) for e in doc["entries"]} == {
        ("long-lived-secret", "AKIACI0000000001"),
        ("long-lived-secret", "AKIAETL000000001"),
        ("key-too-old", "AKIACI0000000001"),
        ("open-trust", "arn:aws:iam::111122223333:role/vendor"),
        ("admin-equivalent", "arn:aws:iam::111122223333:role/vendor"),
        ("privileged-custom-policy", "arn:aws:iam::111122223333:policy/admin"),  # the policy itself
    }
    assert set(doc["entries"][0]) == {"fingerprint", "rule", "subject", "severity", "title"}
    # one entry per line, so a review diff is a diff of findings
    assert sum(1 for line in Path(path).read_text().splitlines() if '"fingerprint"' in line) == 6


def test_one_new_key_fails_the_gate_and_is_the_only_finding_named(runner, tmp_path):
    baseline = make_baseline(runner, tmp_path, estate())
    newcomer = user("svc-reports")
    current = write(tmp_path, "now.json", estate(newcomer, key(newcomer, "AKIANEW000000001", age=1, used=None)))
    sarif, markdown = tmp_path / "gate.sarif", tmp_path / "gate.md"
    result = runner.invoke(
        main,
        [
            "gate",
            "--baseline",
            baseline,
            "--snapshot",
            current,
            "--sarif",
            str(sarif),
            "--markdown",
            str(markdown),
            *AS_OF,
        ],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 1, result.output
    assert "AKIANEW000000001" in result.output
    for accepted in ("AKIACI0000000001", "AKIAETL000000001", "vendor"):
        assert accepted not in result.output.split("accepted by the baseline")[0]
    new = [r for r in json.loads(sarif.read_text())["runs"][0]["results"] if r["baselineState"] == "new"]
    assert [(r["ruleId"], r["properties"]["subject"], r["properties"]["blocking"]) for r in new] == [
        ("long-lived-secret", "AKIANEW000000001", True)
    ]
    assert "1 new finding(s), 1 blocking; 6 accepted by the baseline, 0 gone since it" in markdown.read_text()


def test_a_removed_key_does_not_fail_and_is_reported_as_gone(runner, tmp_path):
    baseline = make_baseline(runner, tmp_path, estate())
    without_etl_key = estate().model_copy(
        update={"credentials": [c for c in estate().credentials if c.id != "AKIAETL000000001"]}
    )
    result = runner.invoke(
        main, ["gate", "--baseline", baseline, "--snapshot", write(tmp_path, "now.json", without_etl_key), *AS_OF]
    )
    assert result.exit_code == 0, result.output
    assert "5 accepted by the baseline; 1 gone since it" in result.output


def test_new_findings_that_are_not_keys_do_not_fail_by_default_but_do_at_a_severity(runner, tmp_path):
    baseline = make_baseline(runner, tmp_path, estate())
    wide = role("wide-open")
    current = write(tmp_path, "now.json", estate(wide, trust(wide, "*", TrustKind.ANY)))
    args = ["gate", "--baseline", baseline, "--snapshot", current, *AS_OF]
    assert runner.invoke(main, args).exit_code == 0  # default --fail-on keys
    assert runner.invoke(main, args + ["--fail-on", "critical"]).exit_code == 1  # open-trust to '*' is critical
    assert runner.invoke(main, args + ["--fail-on", "none"]).exit_code == 0


def test_gate_reads_a_scans_findings_json_too(runner, tmp_path):
    baseline = make_baseline(runner, tmp_path, estate())
    newcomer = user("svc-new")
    out = tmp_path / "scan"
    config = tmp_path / "gate.toml"
    config.write_text("[rules.long-lived-secret]\nenabled = true\n")
    scan = runner.invoke(
        main,
        [
            "scan",
            "--snapshot",
            write(tmp_path, "now.json", estate(newcomer, key(newcomer, "AKIANEW000000002", age=1, used=None))),
            "--config",
            str(config),
            "--output-dir",
            str(out),
            "--fail-on",
            "none",
            *AS_OF,
        ],
    )
    assert scan.exit_code == 0, scan.output
    result = runner.invoke(
        main, ["gate", "--baseline", baseline, "--findings", str(out / "findings.json")], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 1
    assert "1 blocking of 1 new finding(s)" in result.output and "AKIANEW000000002" in result.output


def test_the_gate_rule_is_on_in_scans_and_in_the_gate_and_a_scan_config_can_turn_it_off():
    scanned = {f.rule_id for f in analyse(estate(), ScanConfig(), as_of=NOW)}
    assert scanned == {
        "key-too-old",
        "open-trust",
        "admin-equivalent",
        "long-lived-secret",
        "privileged-custom-policy",
    }
    off = parse_config({"rules": {"long-lived-secret": {"enabled": False}}}, "t.toml")
    assert "long-lived-secret" not in {f.rule_id for f in analyse(estate(), off, as_of=NOW)}
    assert "long-lived-secret" in {f.rule_id for f in analyse(estate(), gate_config(off), as_of=NOW)}


# --- fingerprints -----------------------------------------------------------------------------------


def shuffled(inv: Inventory, seed: int) -> Inventory:
    rng = random.Random(seed)
    fields = {}
    for name in ("identities", "credentials", "roles", "grants", "trusts"):
        records = list(getattr(inv, name))
        rng.shuffle(records)
        fields[name] = records
    return inv.model_copy(update=fields)


def test_fingerprints_ignore_record_order_scan_time_and_cosmetic_changes():
    config = gate_config(ScanConfig())
    original = estate()
    expected = {(f.rule_id, f.subject): f.fingerprint for f in analyse(original, config, as_of=NOW)}
    assert len(set(expected.values())) == len(expected) == 6

    reordered = shuffled(original, seed=7)
    assert [i.id for i in reordered.identities] != [i.id for i in original.identities]
    later = original.model_copy(
        update={"meta": original.meta.model_copy(update={"started_at": days_ago(-30), "finished_at": days_ago(-30)})}
    )
    cosmetic = original.model_copy(
        update={
            "identities": [
                i.model_copy(update={"tags": {"team": "renamed-team"}, "owner": "someone@example.com"})
                for i in original.identities
            ]
        }
    )
    for variant, as_of in ((reordered, NOW), (later, days_ago(-30)), (cosmetic, NOW)):
        got = {(f.rule_id, f.subject): f.fingerprint for f in analyse(variant, config, as_of=as_of)}
        assert got == expected
    # and the baseline written from a reordered inventory is byte-identical
    assert dump_baseline(baseline_of(analyse(reordered, config, as_of=NOW))) == dump_baseline(
        baseline_of(analyse(original, config, as_of=NOW))
    )


def test_reordered_plan_gives_the_same_fingerprints():
    from standing.collectors.iac.plan import parse_plan
    from standing.collectors.iac.terraform import convert_plan
    from tests.test_gate_iac import CONFIG, PLAN

    data = json.loads(PLAN.read_text())
    original = {f.fingerprint for f in new_findings(convert_plan(parse_plan(PLAN.read_text(), "p"), NOW), CONFIG, NOW)}
    random.Random(3).shuffle(data["resource_changes"])
    reordered = new_findings(convert_plan(parse_plan(json.dumps(data), "p"), NOW), CONFIG, NOW)
    assert {f.fingerprint for f in reordered} == original and len(original) == 15


def test_a_baseline_from_a_partial_scan_is_written_but_says_so(runner, tmp_path):
    from standing.core.model import CoverageEntry, CoverageStatus, Provider

    gap = CoverageEntry(
        provider=Provider.AWS, scope="111122223333", operation="iam:GetCredentialReport", status=CoverageStatus.DENIED
    )
    out = tmp_path / "baseline.json"
    result = runner.invoke(
        main,
        [
            "baseline",
            "--snapshot",
            write(tmp_path, "s.json", estate().model_copy(update={"coverage": [gap]})),
            "-o",
            str(out),
            *AS_OF,
        ],
    )
    assert result.exit_code == 3 and "PARTIAL" in result.output
    assert len(json.loads(out.read_text())["entries"]) == 6


def test_a_waived_new_key_does_not_block_until_its_waiver_expires(runner, tmp_path):
    baseline = make_baseline(runner, tmp_path, estate())
    newcomer = user("svc-partner")
    current = write(tmp_path, "now.json", estate(newcomer, key(newcomer, "AKIAPARTNER00001", age=1, used=None)))
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waivers]]\nrule = "*"\nsubject = "AKIAPARTNER*"\nowner = "partners@example.com"\n'
        'justification = "SFTP partner accepts only static keys"\nexpires = 2026-06-30\n'
    )
    args = ["gate", "--baseline", baseline, "--snapshot", current, "--waivers", str(waivers)]
    assert runner.invoke(main, args + AS_OF).exit_code == 0
    later = runner.invoke(main, args + ["--as-of", "2026-07-01T00:00:00+00:00"], env={"COLUMNS": "250"})
    assert later.exit_code == 1 and "expired waiver" in later.output
