"""Policies and custom roles that grant admin are findings themselves (issue 15 item 11).

Positive cases beside their near misses: AWS's own AdministratorAccess (its holders are judged,
not the policy), a customer policy granting only read, a boundary that caps rather than grants,
a GCP custom role that only reads, an Azure custom role whose '*' leaves role assignments out.
The last test runs a policy finding through scan, findings.json, the report, the gate, SARIF,
explain and the history store.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from standing.analysis.graph import PrivilegeGraph
from standing.core.findings import Severity
from standing.core.model import Provider, Role
from standing.core.snapshot import dump_snapshot
from standing.rules.registry import default_settings, run_rules
from tests.builders import ACCOUNT, NOW, allow, grant, policy, role, user
from tests.planner.cases import PROJECT, sa, sp
from tests.rule_cases import AWS_ADMIN_ACCESS, SUB, arm_role, azure_grant, estate, gcp_grant
from tests.test_gate_outputs import assert_valid_sarif

RULE = "privileged-custom-policy"


def policy_findings(inventory):
    return {f.subject: f for f in run_rules(PrivilegeGraph(inventory), default_settings(), NOW) if f.rule_id == RULE}


def aws_estate():
    deployer, builder, ops, reader = role("deployer"), user("builder"), role("ops"), role("reader")
    custom_admin = policy("CustomAdmin", allow("*"))
    iam_writer = policy("IamWriter", allow("iam:*"))
    spare = policy("SpareAdmin", allow("*"))
    read_only = policy("ReadOnlyReports", allow("s3:GetObject"))
    boundary = policy("Boundary", allow("*"))
    capped = role("capped", permissions_boundary=boundary.id)
    return estate(
        deployer,
        builder,
        ops,
        reader,
        capped,
        custom_admin,
        iam_writer,
        spare,
        read_only,
        boundary,
        AWS_ADMIN_ACCESS,
        grant(deployer, custom_admin),
        grant(builder, custom_admin),
        grant(ops, iam_writer),
        grant(ops, AWS_ADMIN_ACCESS),
        grant(reader, read_only),
    )


def test_customer_policy_granting_admin_is_one_finding_naming_its_holders():
    found = policy_findings(aws_estate())
    admin = found[f"arn:aws:iam::{ACCOUNT}:policy/CustomAdmin"]
    assert admin.severity is Severity.HIGH and admin.identity == admin.subject == admin.evidence["policy"]
    assert admin.identity_name == "CustomAdmin" and admin.account == ACCOUNT and admin.provider is Provider.AWS
    assert admin.message == "CustomAdmin grants admin, attached to 2 identities: builder, deployer"
    assert [h["name"] for h in admin.evidence["holders"]] == ["builder", "deployer"]
    iam = found[f"arn:aws:iam::{ACCOUNT}:policy/IamWriter"]
    assert iam.evidence["privilege"] == "privilege-management" and "attached to 1 identity: ops" in iam.message
    spare = found[f"arn:aws:iam::{ACCOUNT}:policy/SpareAdmin"]
    assert spare.message == "SpareAdmin grants admin, not attached" and spare.severity is Severity.MEDIUM
    # Near misses: AWS's own policy, a read-only customer policy, a boundary that only caps.
    assert AWS_ADMIN_ACCESS.id not in found
    assert f"arn:aws:iam::{ACCOUNT}:policy/ReadOnlyReports" not in found
    assert f"arn:aws:iam::{ACCOUNT}:policy/Boundary" not in found
    assert len(found) == 3


def test_gcp_custom_role_granting_privilege_management_is_reported_and_a_reading_one_is_not():
    setter = Role(
        id=f"projects/{PROJECT}/roles/iamSetter",
        provider=Provider.GCP,
        name="iamSetter",
        permissions=["resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy"],
    )
    reader = Role(
        id=f"projects/{PROJECT}/roles/bucketReader",
        provider=Provider.GCP,
        name="bucketReader",
        permissions=["storage.objects.get", "storage.objects.list"],
    )
    holder = sa("deployer")
    found = policy_findings(estate(setter, reader, holder, gcp_grant(holder, setter.id), gcp_grant(holder, reader.id)))
    assert set(found) == {setter.id}
    finding = found[setter.id]
    assert finding.account == PROJECT and finding.evidence["holders"] == [{"id": holder.id, "name": holder.name}]
    assert "resourcemanager.projects.setIamPolicy" in finding.evidence["because"][0]


def test_azure_custom_role_allowing_everything_is_reported_and_one_fenced_from_role_assignments_is_not():
    everything = arm_role("c0ffee00-0000-4000-8000-000000000001", "Everything", ["*"])
    fenced = Role(
        id="/providers/microsoft.authorization/roledefinitions/c0ffee00-0000-4000-8000-000000000002",
        provider=Provider.AZURE,
        name="AlmostEverything",
        documents=[
            {
                "kind": "arm-role-definition",
                "roleType": "CustomRole",
                "permissions": [{"actions": ["*"], "notActions": ["Microsoft.Authorization/*"]}],
                "assignableScopes": [SUB],
            }
        ],
    )
    app = sp("deployer-app")
    found = policy_findings(estate(everything, fenced, app, azure_grant(app, everything, SUB)))
    assert set(found) == {everything.id}
    assert (
        found[everything.id].evidence["privilege"] == "admin"
        and "attached to 1 identity" in found[everything.id].message
    )


def test_a_policy_finding_passes_through_scan_report_gate_sarif_explain_and_history(tmp_path):
    from standing.cli.main import main

    runner = CliRunner()
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(dump_snapshot(aws_estate()))
    out = tmp_path / "out"
    store = f"sqlite:///{tmp_path / 'history.db'}"
    as_of = NOW.isoformat()
    scanned = runner.invoke(
        main,
        ["scan", "--snapshot", str(snapshot), "--output-dir", str(out), "--as-of", as_of, "--store", store, "--all"],
        env={"COLUMNS": "200"},
    )
    assert scanned.exit_code == 1, scanned.output  # high findings
    assert "CustomAdmin grants admin, attached to 2 identities" in scanned.output
    document = json.loads((out / "findings.json").read_text())
    (admin,) = [f for f in document["findings"] if f["subject"].endswith(":policy/CustomAdmin")]
    assert admin["rule_id"] == RULE and [h["name"] for h in admin["evidence"]["holders"]] == ["builder", "deployer"]
    plans = json.loads((out / "plans.json").read_text())
    assert not [p for p in plans["plans"] if p["identity"] == admin["identity"]]  # no plan for a policy
    assert "CustomAdmin" in (out / "report.html").read_text()

    # The gate against a baseline taken before the policy existed: the policy finding is new.
    empty = tmp_path / "empty.json"
    empty.write_text(dump_snapshot(estate()))
    baseline = tmp_path / "baseline.json"
    made = runner.invoke(main, ["baseline", "--snapshot", str(empty), "--as-of", as_of, "-o", str(baseline)])
    assert made.exit_code == 0, made.output
    sarif, markdown = tmp_path / "gate.sarif", tmp_path / "gate.md"
    gated = runner.invoke(
        main,
        [
            "gate",
            "--findings",
            str(out / "findings.json"),
            "--baseline",
            str(baseline),
            "--fail-on",
            "high",
            "--sarif",
            str(sarif),
            "--markdown",
            str(markdown),
        ],
    )
    assert gated.exit_code == 1, gated.output
    log = json.loads(sarif.read_text())
    assert_valid_sarif(log)
    assert any(
        r["ruleId"] == RULE and "attached to 2 identities" in r["message"]["text"] for r in log["runs"][0]["results"]
    )
    assert "CustomAdmin" in markdown.read_text()

    explained = runner.invoke(
        main, ["explain", "deployer", "--snapshot", str(snapshot), "--as-of", as_of], env={"COLUMNS": "200"}
    )
    assert explained.exit_code == 0 and RULE in explained.output, explained.output

    listed = runner.invoke(main, ["history", "--store", store, "list", "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    from standing.history.store import HistoryStore

    with HistoryStore.open(store) as history:
        (scan,) = history.scans()
        opened = history.findings_of(scan.id).values()
    assert any(f.rule_id == RULE and f.subject.endswith(":policy/CustomAdmin") for f in opened)
