"""OCSF output: Detection Findings (class 2004), one per finding, each read back through the OCSF
models of py-ocsf-models from the JSON the command wrote (issue 19, item 2)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from py_ocsf_models import OCSF_VERSION
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
from py_ocsf_models.objects.compliance import Compliance
from pydantic import ValidationError

import standing.demo.estate as demo_estate
from standing import __version__
from standing.cli.main import main
from standing.core.findings import Severity, Waiver
from standing.core.model import TrustKind
from standing.core.snapshot import dump_snapshot
from standing.demo.estate import DEMO_ESTATE
from standing.reports.ocsf import OCSF_FILE, scan_events
from standing.rules.config import ScanConfig
from standing.scan import scan_inventory
from tests.builders import NOW, allow, grant, inventory, key, policy, role, trust, user
from tests.hostile import AWS_NAMES, BENIGN, RAW, hostile_estate

AS_OF = ["--as-of", NOW.isoformat()]
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}


def assert_valid_ocsf(event: dict[str, Any]) -> DetectionFinding:
    """The event as JSON read back through the OCSF model, and nothing outside it: the models
    ignore unknown fields, so what they dump must be the whole event again."""
    model = DetectionFinding.model_validate(event)
    assert model.model_dump(mode="json", exclude_none=True) == event
    assert (event["class_uid"], event["category_uid"]) == (2004, 2)
    assert event["type_uid"] == 2004 * 100 + event["activity_id"]
    assert event["metadata"]["version"] == OCSF_VERSION
    for control in event.get("unmapped", {}).get("compliance", []):
        assert Compliance.model_validate(control).model_dump(mode="json", exclude_none=True) == control
    return model


def read_events(path: Path) -> list[dict[str, Any]]:
    events = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(events, list)
    return events


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`standing demo --format ocsf`, with the secret keys the demo seeded (a spy on the real seeding)."""
    out = tmp_path_factory.mktemp("demo") / "out"
    seeded = []
    real_seed = demo_estate.seed_estate

    def spy(*args, **kwargs):
        seeded.append(real_seed(*args, **kwargs))
        return seeded[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo_estate, "seed_estate", spy)
        result = CliRunner().invoke(main, ["demo", "--output-dir", str(out), "--format", "ocsf"])
    assert result.exit_code == 0, result.output
    [estate] = seeded
    return result, out, estate.test_only_secret_access_keys


def test_the_validator_rejects_a_wrong_value_and_a_field_outside_the_schema(demo):
    _, out, _ = demo
    event = read_events(out / OCSF_FILE)[0]
    assert_valid_ocsf(event)
    with pytest.raises(ValidationError):
        assert_valid_ocsf(event | {"severity_id": 7})
    with pytest.raises(AssertionError):  # Detection Finding has no top-level compliance attribute
        assert_valid_ocsf(event | {"compliance": {"standards": ["x"]}})


def test_the_demo_writes_one_valid_event_per_finding_with_account_resource_severity_and_compliance(demo):
    result, out, _ = demo
    findings = json.loads((out / "findings.json").read_text())["findings"]
    events = read_events(out / OCSF_FILE)
    assert str(out / OCSF_FILE) in result.output  # listed with the other files written
    assert len(events) == len(findings)
    assert {(e["metadata"]["event_code"], e["resources"][0]["uid"]) for e in events} == DEMO_ESTATE.expected_findings()
    assert [e["finding_info"]["uid"] for e in events] == [f["fingerprint"] for f in findings]
    plans = {p["identity"]: p for p in json.loads((out / "plans.json").read_text())["plans"]}
    for event, finding in zip(events, findings, strict=True):
        assert_valid_ocsf(event)
        assert event["metadata"]["product"] == {"name": "standing", "vendor_name": "standing", "version": __version__}
        assert event["cloud"]["provider"] == "AWS"
        assert event["cloud"]["account"]["uid"] == finding["account"]
        [resource] = event["resources"]
        assert resource["uid"] == finding["identity"] and resource["name"] == finding["identity_name"]
        assert resource["cloud_partition"] == "aws"
        assert event["severity_id"] == SEVERITY_ID[finding["severity"]]
        assert event["finding_info"]["title"] == finding["title"] and event["finding_info"]["types"] == [
            finding["rule_id"]
        ]
        assert (event["status_id"], event["status"]) == (1, "New")
        controls = [(c["standards"][0], c["control"]) for c in event.get("unmapped", {}).get("compliance", [])]
        assert controls == [(f"{r['framework']} {r['version']}", r["control"]) for r in finding["frameworks"]]
        plan = plans.get(finding["identity"])
        if plan is not None:
            assert event["remediation"]["desc"].startswith(f"Plan {plan['pattern']}: {plan['target']}.")
        else:
            assert "remediation" not in event
    [jenkins] = [e for e in events if e["metadata"]["event_code"] == "path-to-admin" and "ci-jenkins" in e["message"]]
    assert jenkins["severity"] == "Critical" and jenkins["resources"][0]["type"] == "AWS::IAM::User"
    assert jenkins["cloud"]["account"] == {
        "uid": "123456789012",
        "name": "123456789012",
        "type": "AWS Account",
        "type_id": 10,
    }
    assert ("OWASP Non-Human Identities Top 10 2025", "NHI5:2025") in [
        (c["standards"][0], c["control"]) for c in jenkins["unmapped"]["compliance"]
    ]
    assert any(e["resources"][0]["type"] == "AWS::IAM::Role" for e in events)
    assert any("remediation" in e for e in events)


def test_no_secret_value_reaches_the_ocsf_events_or_any_other_output(demo):
    result, out, secrets = demo
    assert len(secrets) >= 10
    text = (out / OCSF_FILE).read_text(encoding="utf-8")
    assert not any(secret in text for secret in secrets)
    assert not any(secret in result.output for secret in secrets)
    # the search finds a secret where there is one: the key ids are in the events, the secrets are not
    assert "AKIA" in text


def _analysed():
    ci = user("svc-ci")
    admin = policy("admin", allow("*"))
    vendor = role("vendor")
    inv = inventory(
        ci,
        admin,
        vendor,
        grant(vendor, admin),
        key(ci, "AKIACI0000000001", age=400, used=2),
        trust(vendor, "*", TrustKind.ANY),
    )
    return inv, scan_inventory(inv, ScanConfig(), as_of=NOW, generated_at=NOW, output_dir=None, with_plans=True)


def test_a_finding_without_framework_references_has_no_compliance_and_a_waived_one_is_suppressed():
    inv, result = _analysed()
    cited = next(f for f in result.findings if f.frameworks)
    bare = cited.model_copy(update={"frameworks": []})
    waiver = Waiver(
        rule="*", subject="*", owner="iam@example.com", justification="vendor migrates", expires=date(2027, 1, 1)
    )
    waived = cited.model_copy(update={"waiver": waiver})
    with_plans, without_plans, no_refs, suppressed = (
        scan_events([cited], time=NOW, inventory=inv, plans=result.plans)[0],
        scan_events([cited], time=NOW, inventory=inv, plans=None)[0],
        scan_events([bare], time=NOW, inventory=inv, plans=result.plans)[0],
        scan_events([waived], time=NOW, inventory=inv, plans=result.plans)[0],
    )
    for event in (with_plans, without_plans, no_refs, suppressed):
        assert_valid_ocsf(event)
    assert with_plans["unmapped"]["compliance"]
    assert "unmapped" not in no_refs and "compliance" not in no_refs  # no empty list, no empty object
    assert with_plans["finding_info"] == no_refs["finding_info"]
    assert "remediation" in with_plans and "remediation" not in without_plans  # only from a plan
    assert (with_plans["status_id"], with_plans["status"]) == (1, "New") and "status_detail" not in with_plans
    assert (suppressed["status_id"], suppressed["status"]) == (3, "Suppressed")
    assert suppressed["status_detail"] == "waived by iam@example.com until 2027-01-01: vendor migrates"
    assert with_plans["time"] == int(NOW.timestamp() * 1000)


def test_every_severity_maps_to_its_ocsf_id():
    inv, result = _analysed()
    finding = result.findings[0]
    for severity, expected in SEVERITY_ID.items():
        event = scan_events(
            [finding.model_copy(update={"severity": Severity(severity)})], time=NOW, inventory=inv, plans=None
        )[0]
        assert assert_valid_ocsf(event).severity_id == expected


def test_hostile_names_survive_as_data_in_the_events(tmp_path):
    snapshot = tmp_path / "hostile.json"
    snapshot.write_text(dump_snapshot(hostile_estate()))
    out = tmp_path / "out"
    run = CliRunner().invoke(
        main,
        [
            "scan",
            "--snapshot",
            str(snapshot),
            "--output-dir",
            str(out),
            "--format",
            "ocsf",
            "--fail-on",
            "none",
            *AS_OF,
        ],
    )
    assert run.exit_code == 3, run.output  # partial (the estate's gap), nothing fails
    text = (out / OCSF_FILE).read_text(encoding="utf-8")
    assert not RAW.search(text)  # no control or bidi character a terminal showing the file would act on
    events = read_events(out / OCSF_FILE)
    for event in events:
        assert_valid_ocsf(event)
    names = {e["resources"][0]["name"] for e in events}
    assert set(AWS_NAMES) | {BENIGN} <= names  # exactly as the cloud spelled them, nothing interpreted
    gcp = next(e for e in events if e["cloud"]["provider"] == "GCP")
    assert gcp["resources"][0]["type"] == "iam.googleapis.com/ServiceAccount"
    assert gcp["cloud"]["account"] == {"uid": "data-prod", "name": "data-prod", "type": "GCP Project", "type_id": 99}
    azure = next(e for e in events if e["cloud"]["provider"] == "Azure")
    assert azure["resources"][0]["type"] == "Microsoft.Graph/servicePrincipals"
    assert azure["cloud"]["account"]["type"] == "Azure Tenant"


def _estate(*extra):
    ci = user("svc-ci")
    return inventory(ci, key(ci, "AKIACI0000000001", age=400, used=2), *extra)


def test_the_gate_reports_new_accepted_and_gone_findings_as_events(tmp_path):
    runner = CliRunner()
    old, new = user("svc-old"), user("svc-new")
    base = tmp_path / "base.json"
    base.write_text(dump_snapshot(_estate(old, key(old, "AKIAOLD000000001", age=300, used=1))))
    current = tmp_path / "current.json"
    current.write_text(dump_snapshot(_estate(new, key(new, "AKIANEW000000001", age=300, used=1))))
    baseline = tmp_path / "baseline.json"
    made = runner.invoke(main, ["baseline", "--snapshot", str(base), "-o", str(baseline), *AS_OF])
    assert made.exit_code == 0, made.output
    out = tmp_path / "gate.ocsf.json"
    run = runner.invoke(
        main, ["gate", "--snapshot", str(current), "--baseline", str(baseline), "--ocsf", str(out), *AS_OF]
    )
    assert run.exit_code == 1, run.output  # the new standing key blocks
    events = read_events(out)
    for event in events:
        assert_valid_ocsf(event)
    by_gate = {}
    for event in events:
        by_gate.setdefault(event.get("unmapped", {}).get("gate", "gone"), []).append(event)
    assert {e["resources"][0]["name"] for e in by_gate["new"]} == {"svc-new"}
    assert all(e["status"] == "New" and e["activity_name"] == "Create" for e in by_gate["new"])
    assert any(e["unmapped"]["blocking"] for e in by_gate["new"])
    assert {e["resources"][0]["name"] for e in by_gate["accepted"]} == {"svc-ci"}
    assert all(
        e["status"] == "Suppressed" and e["status_detail"] == "accepted by the baseline" for e in by_gate["accepted"]
    )
    assert all(not e["unmapped"]["blocking"] for e in by_gate["accepted"])
    assert by_gate["gone"] and {e["resources"][0]["uid"] for e in by_gate["gone"]} <= {old.id, "AKIAOLD000000001"}
    assert all(
        (e["status"], e["activity_name"], e["type_uid"]) == ("Resolved", "Close", 200403) for e in by_gate["gone"]
    )
    baseline_entries = json.loads(baseline.read_text())["entries"]
    assert len(events) == len(baseline_entries) + len(by_gate["new"])  # one per finding the gate judged
    assert all(e["resources"][0]["type"] == "AWS::IAM::User" for e in by_gate["new"])


def test_the_gate_on_an_iac_change_locates_each_event_in_the_plan(tmp_path):
    from tests.test_gate_iac import PLAN, line_of

    out = tmp_path / "plan.ocsf.json"
    run = CliRunner().invoke(main, ["gate", "--terraform-plan", str(PLAN), "--ocsf", str(out), *AS_OF])
    assert run.exit_code == 1, run.output
    events = read_events(out)
    assert len(events) == 15  # as many as the SARIF results of the same plan
    for event in events:
        assert_valid_ocsf(event)
    key_event = next(
        e
        for e in events
        if e["resources"][0].get("data", {}).get("subject") == "module.ci_bots.aws_iam_access_key.bot[0]"
    )
    [location, *_] = key_event["unmapped"]["locations"]
    assert location == {
        "file": str(PLAN),
        "address": "module.ci_bots.aws_iam_access_key.bot[0]",
        "line": line_of(PLAN, '"address": "module.ci_bots.aws_iam_access_key.bot[0]"'),
    }


def test_format_ocsf_without_an_output_dir_or_without_the_extra_is_one_line_before_any_work(tmp_path, monkeypatch):
    snapshot = tmp_path / "s.json"
    snapshot.write_text(dump_snapshot(_estate()))
    runner = CliRunner()
    no_dir = runner.invoke(main, ["scan", "--snapshot", str(snapshot), "--format", "ocsf", *AS_OF])
    assert no_dir.exit_code == 2 and "--format ocsf writes into --output-dir" in no_dir.output
    assert runner.invoke(main, ["scan", "--snapshot", str(snapshot), "--format", "json"]).exit_code == 2  # not offered
    monkeypatch.setitem(sys.modules, "py_ocsf_models", None)  # as if the ocsf extra were not installed
    out = tmp_path / "out"
    missing = runner.invoke(main, ["scan", "--snapshot", str(snapshot), "--output-dir", str(out), "--format", "ocsf"])
    assert missing.exit_code == 2, missing.output
    assert "needs the ocsf extra: pip install 'standing-nhi[ocsf]'" in missing.output
    assert not out.exists()  # refused while parsing: nothing analysed or written
    gate = runner.invoke(main, ["gate", "--snapshot", str(snapshot), "--ocsf", str(tmp_path / "g.json")])
    assert gate.exit_code == 2 and "--ocsf: needs the ocsf extra" in gate.output
