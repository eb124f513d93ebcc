"""`standing` as a user runs it: the installed command, over HTTP, against moto's server.

The estate is TEST_ESTATE seeded into an in-process moto server; the CLI runs as a
subprocess pointed at it with --endpoint-url (through a recording proxy where a test needs
to see or fail the calls). Ages are measured --as-of a fixed date, so results do not depend
on the day the suite runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from standing.analysis import catalogue
from standing.collectors.aws.operations import declared_actions
from standing.demo.estate import TEST_ESTATE, seed_estate, start_moto_server
from tests.support.aws_wire import AwsWireProxy, Fault

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STANDING = str(Path(sys.executable).parent / "standing")
CLEAN_CONTROL = "svc-clean-control"

# Calls AWS's catalogue files under Write that change no principal, policy or credential.
REVIEWED_NON_READ = {
    "iam:GenerateCredentialReport": "rebuilds IAM's cached credential report",
    "sts:AssumeRole": "obtains a session in the read-only member role",
}


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out_dir: Path


class Estate:
    def __init__(self, endpoint_url: str, secrets: frozenset[str], home: Path) -> None:
        self.endpoint_url = endpoint_url
        self.secrets = secrets
        self.home = home

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(self.home / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "aws-credentials"),
            "COLUMNS": "200",
        }

    def cli(self, *args: str, out_dir: Path, endpoint: str | None = None) -> Run:
        argv = [STANDING, *args]
        if args[:2] in (("scan", "aws"), ("collect", "aws")):
            # One region: moto enables ~30, and the estate's compute is all in this one.
            argv += ["--endpoint-url", endpoint or self.endpoint_url, "--region", "us-east-1"]
            if "--usage" not in args:  # moto records no service use: the usage reads have their own test
                argv += ["--usage", "none"]
        proc = subprocess.run(argv, capture_output=True, text=True, env=self.env(), timeout=120)
        run = Run(proc.returncode, proc.stdout, proc.stderr, out_dir)
        # Searched as it ends, in whichever test made it: no test depends on runs made by others.
        assert leaks(self.secrets, run) == [], f"a secret access key reached {leaks(self.secrets, run)}"
        return run


def leaks(secrets: frozenset[str], run: Run) -> list[str]:
    """Where any of ``secrets`` appears in what ``run`` printed or wrote in its output directory."""
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    if run.out_dir.is_dir():
        texts |= {str(p): p.read_text(errors="replace") for p in run.out_dir.rglob("*") if p.is_file()}
    return sorted(where for where, text in texts.items() if any(secret in text for secret in secrets))


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    with start_moto_server() as server:
        seeded = seed_estate(TEST_ESTATE, endpoint_url=server.endpoint_url, now=AS_OF)
        yield Estate(server.endpoint_url, seeded.test_only_secret_access_keys, tmp_path_factory.mktemp("home"))


def findings(out_dir: Path) -> list[dict]:
    return json.loads((out_dir / "findings.json").read_text())["findings"]


def pairs(out_dir: Path) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["identity"]) for f in findings(out_dir)}


@pytest.fixture(scope="module")
def live(estate, tmp_path_factory):
    out = tmp_path_factory.mktemp("live")
    with AwsWireProxy(estate.endpoint_url) as proxy:
        run = estate.cli(
            "scan",
            "aws",
            "--output-dir",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
            out_dir=out,
            endpoint=proxy.endpoint_url,
        )
    return run, proxy.log.calls


def test_live_scan_finds_every_planted_issue_and_nothing_on_the_clean_control(live):
    run, _ = live
    assert run.code == 1, run.stderr  # high findings meet the default --fail-on
    assert pairs(run.out_dir) == TEST_ESTATE.expected_findings()
    # the clean control's key is counted (the census, low) and nothing about it is judged
    control = [f for f in findings(run.out_dir) if CLEAN_CONTROL in f["identity"]]
    assert [(f["rule_id"], f["severity"]) for f in control] == [("long-lived-secret", "low")]
    # --region names one of moto's regions: the rest are said to be left out, and are no gap
    assert "Scan complete: every source in scope was read." in run.stdout
    assert "Left out by the scan's own options (not read, by choice):" in run.stdout
    assert "enabled regions (us-east-1 asked for)" in run.stdout
    assert {rule for rule, _ in pairs(run.out_dir)} >= {
        "key-too-old",
        "key-unused",
        "two-active-keys",
        "admin-equivalent",
        "open-trust",
        "oidc-subject-unpinned",
        "console-and-keys",
    }


def test_collector_calls_grow_with_pages_not_identities(live):
    _, calls = live
    users_with_keys = sum(1 for u in TEST_ESTATE.users if u.keys)
    per_call = {op: calls.count(("iam", op)) for _, op in calls}
    assert per_call["GetAccountAuthorizationDetails"] == 1
    assert per_call["ListAccessKeys"] == users_with_keys  # the one per-holder call: no bulk API has key ids
    assert "GetAccessKeyLastUsed" not in per_call and "ListUsers" not in per_call


def test_snapshot_scan_gives_exactly_the_live_findings(estate, live, tmp_path):
    run, _ = live
    snap = tmp_path / "snap.json"
    collected = estate.cli("collect", "aws", "-o", str(snap), out_dir=tmp_path)
    assert collected.code == 0, collected.stderr
    out = tmp_path / "from-snapshot"
    again = estate.cli(
        "scan", "--snapshot", str(snap), "--output-dir", str(out), "--as-of", AS_OF.isoformat(), out_dir=out
    )
    assert again.code == 1
    assert findings(out) == findings(run.out_dir)


def test_denied_api_gives_a_partial_scan_that_keeps_what_it_read(estate, tmp_path):
    with AwsWireProxy(estate.endpoint_url) as proxy:
        proxy.log.faults.append(Fault("iam", "GetCredentialReport", "AccessDenied"))
        run = estate.cli(
            "scan",
            "aws",
            "--output-dir",
            str(tmp_path),
            "--as-of",
            AS_OF.isoformat(),
            "--fail-on",
            "none",
            out_dir=tmp_path,
            endpoint=proxy.endpoint_url,
        )
    assert run.code == 3, run.stderr
    assert "PARTIAL SCAN" in run.stdout and "iam:GetCredentialReport: denied" in run.stdout
    assert "Traceback" not in run.stderr
    doc = json.loads((tmp_path / "findings.json").read_text())
    assert doc["scan"]["complete"] is False
    assert [(g["operation"], g["status"]) for g in doc["scan"]["gaps"]] == [("iam:GetCredentialReport", "denied")]
    # Trusts and policies came from GetAccountAuthorizationDetails and are all still judged.
    from_gaad = {p for p in TEST_ESTATE.expected_findings() if p[0] in ("open-trust", "oidc-subject-unpinned")}
    assert from_gaad and from_gaad <= pairs(tmp_path)


def test_throttled_call_is_retried_and_the_scan_completes(estate, tmp_path):
    with AwsWireProxy(estate.endpoint_url) as proxy:
        proxy.log.faults.append(Fault("iam", "GetAccountAuthorizationDetails", "Throttling", status=400, times=1))
        run = estate.cli(
            "scan",
            "aws",
            "--output-dir",
            str(tmp_path),
            "--as-of",
            AS_OF.isoformat(),
            "--fail-on",
            "none",
            out_dir=tmp_path,
            endpoint=proxy.endpoint_url,
        )
        gaad_calls = proxy.log.calls.count(("iam", "GetAccountAuthorizationDetails"))
    assert run.code == 0, run.stdout + run.stderr
    assert gaad_calls == 2
    assert pairs(tmp_path) == TEST_ESTATE.expected_findings()


def test_missing_profile_is_one_line_exit_2(estate, tmp_path):
    run = estate.cli("scan", "aws", "--profile", "no-such-profile", out_dir=tmp_path)
    assert run.code == 2
    assert run.stderr.strip().count("\n") == 0 and "no-such-profile" in run.stderr
    assert "Traceback" not in run.stderr


def test_organization_scan_makes_only_read_only_calls(estate, tmp_path):
    """Every call of a full organization scan, recorded on the wire, is declared and read-only."""
    import boto3

    org = boto3.client(
        "organizations",
        endpoint_url=estate.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    org.create_organization(FeatureSet="ALL")
    org.create_account(AccountName="workloads", Email="workloads@example.com")
    with AwsWireProxy(estate.endpoint_url) as proxy:
        run = estate.cli(
            "scan",
            "aws",
            "--organization",
            "--usage",
            "flagged",
            "--output-dir",
            str(tmp_path),
            "--as-of",
            AS_OF.isoformat(),
            "--fail-on",
            "none",
            out_dir=tmp_path,
            endpoint=proxy.endpoint_url,
        )
        calls = set(proxy.log.calls)
    assert run.code == 0, run.stdout + run.stderr
    assert len(json.loads((tmp_path / "findings.json").read_text())["scan"]["accounts"]) == 2
    # usage is the caller's account's only: under --organization it is said to be left out, not read
    assert "usage is not read under --organization (yet)" in run.stdout
    assert not any(op.endswith("LastAccessedDetails") for _, op in calls)
    actions = {f"{service}:{op}" for service, op in calls}
    assert {"sts:AssumeRole", "organizations:ListAccounts", "iam:GetAccountAuthorizationDetails"} <= actions
    assert actions <= declared_actions()
    for action in actions:
        entry = catalogue.lookup(action)
        assert entry is not None, f"{action} is not in AWS's action catalogue"
        assert not entry.mutating or action in REVIEWED_NON_READ, f"{action} is not read-only"


def test_no_secret_value_in_any_output_or_log(estate, live, tmp_path):
    """Every CLI run in this module is searched for the seeded secret keys as it ends (Estate.cli).

    Here: the live scan is clean, the search does find a secret where one is, and the key ids
    themselves are reported (so a search for them would have found them had they leaked).
    """
    run, _ = live
    assert estate.secrets
    assert leaks(estate.secrets, run) == []
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "log.txt").write_text(f"key={sorted(estate.secrets)[0]}")
    assert leaks(estate.secrets, Run(0, "", "", planted)) == [str(planted / "log.txt")]
    assert leaks(estate.secrets, Run(0, "", sorted(estate.secrets)[0], tmp_path / "absent")) == ["stderr"]
    assert any(f["subject"].startswith("AKIA") for f in findings(run.out_dir))


def test_ocsf_events_of_a_live_scan_and_its_gate_carry_every_finding_and_no_secret(estate, tmp_path):
    """`--format ocsf` given before the provider name (the group's option reaches the scan), and
    the gate's `--ocsf`: every run is searched for the seeded secret keys (Estate.cli)."""
    from tests.test_ocsf import assert_valid_ocsf

    out = tmp_path / "out"
    endpoint = ["--endpoint-url", estate.endpoint_url, "--region", "us-east-1", "--usage", "none"]
    scan = estate.cli(
        "scan",
        "--format",
        "ocsf",
        "--output-dir",
        str(out),
        "aws",
        *endpoint,
        "--as-of",
        AS_OF.isoformat(),
        out_dir=out,
    )
    assert scan.code == 1, scan.stderr
    events = json.loads((out / "findings.ocsf.json").read_text())
    assert [e["finding_info"]["uid"] for e in events] == [f["fingerprint"] for f in findings(out)]
    for event in events:
        assert_valid_ocsf(event)
    assert {e["cloud"]["account"]["uid"] for e in events} == {f["account"] for f in findings(out)}
    baseline = out / "baseline.json"
    made = estate.cli("baseline", "--findings", str(out / "findings.json"), "-o", str(baseline), out_dir=out)
    assert made.code == 0, made.stderr
    gate = estate.cli(
        "gate",
        "--findings",
        str(out / "findings.json"),
        "--baseline",
        str(baseline),
        "--ocsf",
        str(out / "gate.json"),
        out_dir=out,
    )
    assert gate.code == 0, gate.stdout
    judged = json.loads((out / "gate.json").read_text())
    assert sorted(e["finding_info"]["uid"] for e in judged) == sorted(e["finding_info"]["uid"] for e in events)
    assert {e["status"] for e in judged} == {"Suppressed"}  # all accepted by the baseline


def _advisor_report(used: str, idle: str) -> dict:
    """One identity's Access Advisor report as AWS returns it: one service used, one never."""
    return {
        "JobStatus": "COMPLETED",
        "JobType": "ACTION_LEVEL",
        "JobCreationDate": "2026-05-31T00:00:00Z",
        "JobCompletionDate": "2026-05-31T00:00:05Z",
        "ServicesLastAccessed": [
            {
                "ServiceName": used,
                "ServiceNamespace": used,
                "LastAuthenticated": "2026-05-30T00:00:00Z",
                "TotalAuthenticatedEntities": 1,
            },
            {"ServiceName": idle, "ServiceNamespace": idle, "TotalAuthenticatedEntities": 0},
        ],
    }


def test_by_default_only_the_flagged_identities_are_asked_about_and_their_unused_part_is_reported(
    estate, live, tmp_path
):
    """The default ``--usage flagged`` against moto, whose missing Access Advisor the demo server
    answers from its usage book: a report per identity that has a finding, except one."""
    from standing.demo.moto_usage import BOOK

    run, _ = live
    flagged = sorted({f["identity"] for f in findings(run.out_dir)})
    left_out = next(a for a in flagged if ":role/" in a)  # near miss: no report, a gap naming it
    BOOK.reports.update({arn: _advisor_report("s3", "iam") for arn in flagged if arn != left_out})
    try:
        with AwsWireProxy(estate.endpoint_url) as proxy:
            run = estate.cli(
                "scan", "aws", "--usage", "flagged", "--output-dir", str(tmp_path), "--as-of", AS_OF.isoformat(),
                "--fail-on", "none", "--all", out_dir=tmp_path, endpoint=proxy.endpoint_url,
            )  # fmt: skip
            calls = proxy.log.calls
        asked = BOOK.asked()
    finally:
        BOOK.clear()
    polled = calls.count(("iam", "GetServiceLastAccessedDetails"))
    assert ("access-analyzer", "ListAnalyzers") in calls  # no analyzer in moto: Access Advisor instead
    # only identities with a finding, each once, one read each (no job ever waits in moto)
    assert asked and set(asked) <= set(flagged) and len(asked) == len(set(asked)) == polled
    roles = {f"arn:aws:iam::{TEST_ESTATE.account_id}:role/{r.name}" for r in TEST_ESTATE.roles}
    assert roles - set(flagged), "the estate has roles without a finding: the near miss of being asked"
    assert run.code == 3, run.stderr  # the identity without a report is a gap
    assert f"report job for {left_out} FAILED" in run.stdout
    doc = json.loads((tmp_path / "findings.json").read_text())
    unused = {f["identity"] for f in doc["findings"] if f["rule_id"] == "permissions-unused"}
    assert unused and unused <= set(flagged) - {left_out}
    assert all("iam" in f["evidence"]["unused"] for f in doc["findings"] if f["rule_id"] == "permissions-unused")
