"""`standing scan gcp` as a user runs it: the installed command against local Google servers.

The real client libraries (gRPC ``IAMClient``, REST Resource Manager and Org Policy clients,
discovery clients for IAM and Policy Analyzer) talk to ``tests/support/gcp_wire.py``, which
replays ``fixtures/gcp/api/`` in Google's wire formats, page tokens and one project's 403s
included. The same estate as gcloud / Cloud Asset files must give the same findings.
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

from standing.collectors.gcp.operations import OPERATIONS, READ_VERBS
from tests.support.gcp_wire import FIXTURES, GcpWire

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STANDING = str(Path(sys.executable).parent / "standing")
ORG = "123456789012"
IMPORTS = FIXTURES / "import"
PLANTED_SECRET = "U1RBTkRJTkctVEVTVC1QUklWQVRFLUtFWS1ET05PVExFQUs="
CLEAN_CONTROL = "clean-control@acme-prod.iam.gserviceaccount.com"


def sa(name: str, project: str = "acme-prod") -> str:
    return f"{name}@{project}.iam.gserviceaccount.com"


COMPUTE = "1001-compute@developer.gserviceaccount.com"
EXPECTED = {
    ("key-too-old", sa("old-key")),
    ("key-unused", sa("unused-key")),
    ("secret-never-expires", sa("forever-key")),
    ("compromised-secret-active", sa("exposed-key")),
    ("admin-equivalent", sa("owner-sa")),
    ("admin-equivalent", sa("ci-deployer", "acme-dev")),  # token creator on folders/456
    ("gcp-basic-or-admin-role", sa("owner-sa")),
    # Owner and folder-wide token creator with no user-managed key, and never seen authenticating
    # in the activity window: dormant admins whoever can impersonate or key them can arm.
    ("dormant-privileged-identity", sa("owner-sa")),
    ("dormant-privileged-identity", sa("ci-deployer", "acme-dev")),
    ("gcp-basic-or-admin-role", COMPUTE),
    ("gcp-default-sa-editor", COMPUTE),
    # Editor holds actAs and compute.instances.create on acme-prod: an instance running as
    # owner-sa is one call away (gcp-compute-001), and the account was never seen in use
    ("path-to-admin", COMPUTE),
    # the IAM Recommender would replace its Editor with an object viewer: Editor went unused
    ("permissions-unused", COMPUTE),
    ("dormant-privileged-identity", COMPUTE),
    ("gcp-impersonation-granted-broadly", sa("ci-deployer", "acme-dev")),
    ("oidc-subject-unpinned", sa("gh-open", "acme-dev")),
    ("gcp-key-creation-unrestricted", sa("old-key")),
    ("gcp-key-creation-unrestricted", sa("unused-key")),
    ("gcp-key-creation-unrestricted", sa("forever-key")),
    ("gcp-key-creation-unrestricted", sa("exposed-key")),
    # the census: every live user-managed key is a (low) finding of its own
    ("long-lived-secret", sa("old-key")),
    ("long-lived-secret", sa("unused-key")),
    ("long-lived-secret", sa("forever-key")),
    ("long-lived-secret", sa("exposed-key")),
    # custom roles: one that sets IAM policy, bound, and an unattached one that mints keys
    ("privileged-custom-policy", "projects/acme-prod/roles/iamSetter"),
    ("privileged-custom-policy", f"organizations/{ORG}/roles/keyMinter"),
    ("admin-equivalent", sa("role-setter")),
    # ... whose holder has no user-managed key and no use on record: dormant, like owner-sa
    ("dormant-privileged-identity", sa("role-setter")),
}
# Planted but rightly silent: a disabled account's old unused key, a time-bound Owner,
# a pool provider with an attribute condition, system-managed (Google-managed) keys, which
# are not in the census either, the clean control; a custom role that only reads objects, and
# a disabled and a deleted custom role that would set IAM policy (they grant nothing).
SILENT = {
    sa("disabled-sa"),
    sa("temp-admin"),
    sa("gh-pinned", "acme-dev"),
    CLEAN_CONTROL,
    sa("object-reader"),
    sa("retired-setter"),
    "projects/acme-prod/roles/objectReader",
    "projects/acme-prod/roles/retiredSetter",
    "projects/acme-prod/roles/goneSetter",
}


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out_dir: Path


def cli(*args: str, out_dir: Path, home: Path) -> Run:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "COLUMNS": "200",
        "NO_GCE_CHECK": "True",
        "STANDING_GCP_TEST_TOKEN": "test-token",
        "CLOUDSDK_CONFIG": str(home / "gcloud"),
        "GOOGLE_APPLICATION_CREDENTIALS": str(home / "no-adc.json"),
    }
    proc = subprocess.run([STANDING, *args], capture_output=True, text=True, env=env, timeout=120)
    run = Run(proc.returncode, proc.stdout, proc.stderr, out_dir)
    # Searched as it ends, in whichever test made it: no test depends on runs made by others.
    assert leaks(run) == [], f"planted private key data reached {leaks(run)}"
    return run


def leaks(run: Run) -> list[str]:
    """Where the planted private key data appears in what ``run`` printed or wrote in its output directory."""
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    if run.out_dir.is_dir():
        texts |= {str(p): p.read_text(errors="replace") for p in run.out_dir.rglob("*") if p.is_file()}
    return sorted(where for where, text in texts.items() if PLANTED_SECRET in text)


def findings(out_dir: Path) -> list[dict]:
    return json.loads((out_dir / "findings.json").read_text())["findings"]


def pairs(out_dir: Path) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["identity"]) for f in findings(out_dir)}


def judged(out_dir: Path) -> set[tuple[str, str, str, str]]:
    return {(f["rule_id"], f["identity"], f["subject"], f["severity"]) for f in findings(out_dir)}


def analysis(out: Path) -> list[str]:
    return ["--output-dir", str(out), "--as-of", AS_OF.isoformat(), "--fail-on", "none"]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def live(tmp_path_factory, home):
    out = tmp_path_factory.mktemp("gcp-live")
    with GcpWire() as wire:
        run = cli("scan", "gcp", "--organization", ORG, *wire.cli_args(), *analysis(out), out_dir=out, home=home)
    return run, wire.log


def test_organization_scan_finds_every_planted_issue_and_nothing_on_the_clean_control(live):
    run, _ = live
    assert run.code == 3, run.stdout + run.stderr  # partial: acme-locked answered 403
    assert pairs(run.out_dir) == EXPECTED
    assert not {identity for _, identity in pairs(run.out_dir)} & SILENT
    assert "Traceback" not in run.stderr


def test_a_denied_project_is_a_coverage_gap_and_the_scan_goes_on(live):
    run, _ = live
    doc = json.loads((run.out_dir / "findings.json").read_text())
    assert doc["scan"]["complete"] is False
    assert {(g["scope"], g["operation"], g["status"]) for g in doc["scan"]["gaps"]} == {
        ("projects/acme-locked", "cloudresourcemanager:projects.getIamPolicy", "denied"),
        ("projects/acme-locked", "iam:ListServiceAccounts", "denied"),
        ("projects/acme-locked", "iam:projects.locations.workloadIdentityPools.list", "denied"),
        ("projects/acme-locked", "policyanalyzer:projects.locations.activityTypes.activities.query", "denied"),
        ("projects/acme-locked", "orgpolicy:policies.getEffectivePolicy", "denied"),
        # compute listings: three denied, and Cloud Run's API not enabled (Google answers 403 too)
        ("projects/acme-locked", "compute:instances.aggregatedList", "denied"),
        ("projects/acme-locked", "run:projects.locations.services.list", "denied"),
        ("projects/acme-locked", "cloudfunctions:projects.locations.functions.list", "denied"),
        ("projects/acme-locked", "container:projects.locations.clusters.list", "denied"),
        ("projects/acme-locked", "iam:ListRoles", "denied"),
        # the IAM Recommender API not enabled there (SERVICE_DISABLED is a 403 too)
        ("projects/acme-locked", "recommender:projects.locations.recommenders.recommendations.list", "denied"),
    }
    assert "PARTIAL" in run.stdout
    assert "[3/3] GCP project" in run.stderr  # progress, projects read concurrently


def is_read_only_call(call: str) -> bool:
    """``grpc ListServiceAccounts`` or ``GET /v1/...:query``: the verb must only read."""
    verb, target = call.split(" ", 1)
    if verb == "grpc":
        return target.lower().startswith(READ_VERBS)
    last = target.rsplit("/", 1)[-1]
    if ":" in last:
        return last.split(":", 1)[1].lower().startswith(READ_VERBS)
    return verb == "GET"


def test_read_only_check_rejects_writes():
    assert not is_read_only_call("POST /v3/projects/p:setIamPolicy")
    assert not is_read_only_call("grpc CreateServiceAccountKey")
    assert not is_read_only_call("DELETE /v1/projects/p/serviceAccounts/e/keys/k")
    assert not is_read_only_call("POST /v1/projects/p/serviceAccounts/e:generateAccessToken")
    assert is_read_only_call("POST /v3/projects/p:getIamPolicy") and is_read_only_call("grpc ListServiceAccounts")


def test_full_scan_calls_only_get_list_search_or_query_methods(live):
    _, log = live
    assert log.calls
    writes = sorted({c for c in log.calls if not is_read_only_call(c)})
    assert writes == []
    grpc_methods = {c.split(" ", 1)[1] for c in log.calls if c.startswith("grpc ")}
    assert grpc_methods == {op.method for op in OPERATIONS if op.api == "iam" and "." not in op.method}
    assert all(op.method.rsplit(".", 1)[-1].lower().startswith(READ_VERBS) for op in OPERATIONS)
    assert log.authorization == {"Bearer test-token"}  # the test token reached every REST call


def test_pages_are_followed(live):
    _, log = live
    assert log.calls.count("grpc ListServiceAccounts") == 5  # two pages each in two projects, one 403
    assert log.calls.count("GET /v3/projects") == 3  # one page under the org, two under the folder
    assert log.calls.count("GET /v1/projects/acme-dev/locations/global/workloadIdentityPools") == 2


def import_args(export: bool) -> list[str]:
    args = (
        ["--from-asset-export", str(IMPORTS / "asset-export.jsonl")]
        if export
        else ["--from-asset-search", str(IMPORTS / "asset-search.json")]
    )
    args += ["--from-service-accounts", str(IMPORTS / "service-accounts.json")]
    for flag, pattern in (
        ("--from-keys", "keys-*.json"),
        ("--from-activity", "activity-*.json"),
        ("--from-wif-providers", "wif-providers-*.json"),
        ("--from-org-policy", "org-policy-*.json"),
        ("--from-custom-roles", "custom-roles-*.json"),
        ("--from-compute-instances", "compute-instances.json"),
        ("--from-run-services", "run-services.json"),
        ("--from-functions", "functions.json"),
        ("--from-container-clusters", "container-clusters.json"),
        ("--from-recommendations", "recommendations-*.json"),
    ):
        for path in sorted(IMPORTS.glob(pattern)):
            args += [flag, str(path)]
    return args


@pytest.mark.parametrize("export", [False, True], ids=["asset-search", "asset-export"])
def test_imported_files_give_the_same_findings_as_the_api(live, export, tmp_path, home):
    run, _ = live
    imported = cli("scan", "gcp", *import_args(export), *analysis(tmp_path), out_dir=tmp_path, home=home)
    assert imported.code == 0, imported.stdout + imported.stderr  # files are complete: no gaps
    assert scan_summary(tmp_path)["gaps"] == [] and "Scan complete: every source was read." in imported.stdout
    assert judged(tmp_path) == judged(run.out_dir)


def scan_summary(out_dir: Path) -> dict:
    return json.loads((out_dir / "findings.json").read_text())["scan"]


def test_asset_search_alone_knows_the_bound_service_accounts_and_declares_their_keys_unread(tmp_path, home):
    """The issue's case: Owner granted to service accounts, no account or key file: never a clean scan."""
    run = cli("scan", "gcp", "--from-asset-search", str(IMPORTS / "asset-search.json"), *analysis(tmp_path),
              out_dir=tmp_path, home=home)  # fmt: skip
    assert run.code == 3, run.stdout + run.stderr
    assert ("admin-equivalent", sa("owner-sa")) in pairs(tmp_path)
    gaps = {(g["scope"], g["operation"]): g["detail"] for g in scan_summary(tmp_path)["gaps"]}
    owner_keys = gaps[(f"projects/acme-prod/serviceAccounts/{sa('owner-sa')}", "iam:ListServiceAccountKeys")]
    assert f"`gcloud iam service-accounts keys list --iam-account={sa('owner-sa')} --format=json`" in owner_keys
    assert (
        "`gcloud iam service-accounts list --project=acme-prod --format=json`"
        in gaps[("projects/acme-prod", "iam:ListServiceAccounts")]
    )
    # Only the estate's own service accounts become identities; a deleted one never does.
    assert "gone@acme-prod.iam.gserviceaccount.com" not in {f["identity"] for f in findings(tmp_path)}
    assert "PARTIAL SCAN" in run.stdout and "every source was read" not in run.stdout


IMPORT_KINDS = {
    "--from-keys": ("iam:ListServiceAccountKeys", "gcloud iam service-accounts keys list --iam-account="),
    "--from-activity": (
        "policyanalyzer:projects.locations.activityTypes.activities.query",
        "gcloud policy-intelligence query-activity --activity-type=serviceAccountKeyLastAuthentication",
    ),
    "--from-wif-providers": (
        "iam:projects.locations.workloadIdentityPools.list",
        "gcloud iam workload-identity-pools list --location=global",
    ),
    "--from-org-policy": (
        "orgpolicy:policies.getEffectivePolicy",
        "gcloud org-policies describe iam.disableServiceAccountKeyCreation --effective",
    ),
    "--from-service-accounts": ("iam:ListServiceAccounts", "gcloud iam service-accounts list --project="),
    "--from-custom-roles": (
        "iam:ListRoles",
        "--show-deleted --format=json`, then for each role `gcloud iam roles describe ROLE",
    ),
    "--from-compute-instances": ("compute:instances.aggregatedList", "gcloud compute instances list --project="),
    "--from-run-services": ("run:projects.locations.services.list", "gcloud run services list --project="),
    "--from-functions": ("cloudfunctions:projects.locations.functions.list", "gcloud functions list --project="),
    "--from-container-clusters": (
        "container:projects.locations.clusters.list",
        "gcloud container clusters list --project=",
    ),
    "--from-recommendations": (
        "recommender:projects.locations.recommenders.recommendations.list",
        "gcloud recommender recommendations list --recommender=google.iam.policy.Recommender --project=",
    ),
}


@pytest.mark.parametrize("dropped", sorted(IMPORT_KINDS))
def test_a_complete_import_less_one_kind_of_file_exits_3_naming_the_command(dropped, tmp_path, home):
    args = import_args(export=False)
    kept = [a for i, a in enumerate(args) if a != dropped and (i == 0 or args[i - 1] != dropped)]
    run = cli("scan", "gcp", *kept, *analysis(tmp_path), out_dir=tmp_path, home=home)
    assert run.code == 3, run.stdout + run.stderr
    operation, command = IMPORT_KINDS[dropped]
    gaps = scan_summary(tmp_path)["gaps"]
    assert gaps and {(g["operation"], g["status"]) for g in gaps} == {(operation, "skipped")}
    assert all(command in g["detail"] and dropped in g["detail"] for g in gaps)


def test_an_import_that_yields_no_identity_says_so_and_is_never_clean(tmp_path, home):
    empty = tmp_path / "asset-search.json"
    empty.write_text("[]")
    out = tmp_path / "out"
    run = cli("scan", "gcp", "--from-asset-search", str(empty), *analysis(out), out_dir=out, home=home)
    assert run.code == 3, run.stdout + run.stderr
    assert "No identity was found, so nothing was judged." in run.stdout
    assert any(g["operation"] == "import:identities" for g in scan_summary(out)["gaps"])


def test_summary_names_the_projects_and_counts_the_people_left_out(live, tmp_path, home):
    run, _ = live
    imported = cli("scan", "gcp", *import_args(False), *analysis(tmp_path), out_dir=tmp_path, home=home)
    # The live scan also names the project it was denied (its gap says so); the files never show it.
    for scan, projects in ((run, "acme-dev, acme-locked, acme-prod"), (imported, "acme-dev, acme-prod")):
        summary = scan_summary(scan.out_dir)
        assert summary["accounts"] == projects.split(", ")
        # user:alice, user:bob and group:secops hold roles: counted, never judged
        assert summary["people_left_out"] == {"gcp": 3}
        assert f"gcp project(s) {projects}:" in scan.stdout
        assert "People left out (counted, not judged): gcp 3" in scan.stdout
        assert not any(f["identity"].startswith(("user:", "group:")) for f in findings(scan.out_dir))


@pytest.mark.parametrize("damage", ["truncated", "not-a-list", "wrong-file"])
def test_malformed_export_is_one_line_naming_the_file_exit_2(damage, tmp_path, home):
    bad = tmp_path / "asset-search.json"
    text = (IMPORTS / "asset-search.json").read_text()
    bad.write_text(
        {"truncated": text[: len(text) // 2], "not-a-list": '"hello"', "wrong-file": json.dumps([{"email": "x"}])}[
            damage
        ]
    )
    run = cli("scan", "gcp", "--from-asset-search", str(bad), *analysis(tmp_path / "out"), out_dir=tmp_path, home=home)
    assert run.code == 2
    assert run.stderr.strip().count("\n") == 0 and str(bad) in run.stderr
    assert "Traceback" not in run.stderr


def test_scan_without_a_scope_is_a_usage_error(tmp_path, home):
    run = cli("scan", "gcp", "--api-endpoint", "http://127.0.0.1:9", *analysis(tmp_path), out_dir=tmp_path, home=home)
    assert run.code == 2 and "--organization" in run.stderr and "Traceback" not in run.stderr


def test_project_scope_reads_only_that_project(tmp_path, home):
    with GcpWire() as wire:
        run = cli(
            "scan", "gcp", "--project", "acme-dev", *wire.cli_args(), *analysis(tmp_path), out_dir=tmp_path, home=home
        )
    assert run.code == 0, run.stdout + run.stderr
    assert pairs(tmp_path) == {("oidc-subject-unpinned", sa("gh-open", "acme-dev"))}
    assert not any("acme-prod" in c or "folders" in c for c in wire.log.calls)


def test_folder_scope_reaches_the_projects_beneath(tmp_path, home):
    with GcpWire() as wire:
        run = cli("scan", "gcp", "--folder", "456", *wire.cli_args(), *analysis(tmp_path), out_dir=tmp_path, home=home)
    assert run.code == 3
    # acme-dev hangs off the organization: its findings (and ci-deployer's grant holder) are out of scope,
    # and ci-deployer, of a project this scan did not read, holding a role beneath the folder is outside
    # access as far as this scan can tell (third-party-gcp-binding names the project).
    # The organization's custom roles are read only when the organization is scanned or a binding names one.
    assert pairs(tmp_path) == {p for p in EXPECTED if "acme-dev" not in p[1] and "organizations/" not in p[1]} | {
        ("third-party-gcp-binding", "ci-deployer@acme-dev.iam.gserviceaccount.com")
    }


def test_missing_application_default_credentials_is_one_line_exit_2(tmp_path, home):
    env_free = ["scan", "gcp", "--organization", ORG, *analysis(tmp_path)]
    proc = subprocess.run(
        [STANDING, *env_free],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "NO_GCE_CHECK": "True",
            "CLOUDSDK_CONFIG": str(home / "gcloud"),
            "GCE_METADATA_HOST": "127.0.0.1:9",
            "STANDING_GCP_TEST_TOKEN": "ignored-without-an-endpoint-override",
            "GOOGLE_APPLICATION_CREDENTIALS": str(home / "no-adc.json"),
        },
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Application Default Credentials" in proc.stderr


def test_collect_then_scan_snapshot_gives_the_live_findings(live, tmp_path, home):
    snap = tmp_path / "snap.json"
    with GcpWire() as wire:
        collected = cli(
            "collect", "gcp", "--organization", ORG, *wire.cli_args(), "-o", str(snap), out_dir=tmp_path, home=home
        )
    assert collected.code == 3  # partial, said so
    out = tmp_path / "from-snapshot"
    again = cli("scan", "--snapshot", str(snap), *analysis(out), out_dir=out, home=home)
    assert again.code == 3
    assert judged(out) == judged(live[0].out_dir)


def test_unreachable_endpoint_is_one_line_exit_2(tmp_path, home):
    run = cli(
        "scan",
        "gcp",
        "--organization",
        ORG,
        "--api-endpoint",
        "http://127.0.0.1:9",
        "--grpc-endpoint",
        "127.0.0.1:9",
        *analysis(tmp_path),
        out_dir=tmp_path,
        home=home,
    )
    assert run.code == 2 and "cannot connect" in run.stderr
    assert run.stderr.strip().count("\n") == 0 and "Traceback" not in run.stderr


def test_no_secret_value_in_any_output_or_log(live, tmp_path):
    """Every CLI run in this module is searched for the planted private key data as it ends (``cli``).

    Here: the live scan is clean, the search does find the value where it is, and the keys
    themselves are reported by name.
    """
    run, _ = live
    assert leaks(run) == []
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "log.txt").write_text(f"privateKeyData={PLANTED_SECRET}")
    assert leaks(Run(0, "", "", planted)) == [str(planted / "log.txt")]
    assert leaks(Run(0, PLANTED_SECRET, "", tmp_path / "absent")) == ["stdout"]
    assert any(f["subject"].endswith("/keys/" + f["subject"].rsplit("/", 1)[-1]) for f in findings(run.out_dir))
