"""`standing scan azure` as a user runs it: the installed command against a loopback Azure.

The CLI runs in a subprocess pointed at ``tests/support/azure_wire.py`` (ARM and Graph
answered from ``fixtures/azure/wire``) with ``--arm-endpoint`` / ``--graph-endpoint`` and
a static test token from ``STANDING_AZURE_TEST_TOKEN``. The fixture tenant has two
subscriptions under a management group; one answers 403; one Graph list answers 429 once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from standing.collectors.azure.operations import declared
from tests.support.azure_wire import FIXTURES, TENANT, AzureWireServer, fixture_wire

STANDING = str(Path(sys.executable).parent / "standing")
AS_OF = TENANT["as_of"]
TOKEN = "test-token-for-the-loopback-server"
SP = TENANT["service_principals"]
EXPORT = FIXTURES / "export"


def named(*pairs: tuple[str, str]) -> set[tuple[str, str]]:
    return {(rule, SP[name]) for rule, name in pairs}


# The census: every live client secret or certificate is a (low) finding of its own, the clean
# control's included; an expired secret is not live, a federated credential is not a secret.
CENSUS = named(
    *(
        ("long-lived-secret", name)
        for name in (
            "app-graph-admin",
            "sp-owner-subscription",
            "app-old-secret",
            "app-two-secrets",
            "sp-clean-control",
            "app-two-year-secret",
            "app-never-expiring-cert",
            "app-federated-with-secret",
        )
    )
)
PLANTED = (
    named(
        ("key-too-old", "app-old-secret"),
        ("secret-lifetime-too-long", "app-two-year-secret"),
        ("secret-never-expires", "app-never-expiring-cert"),
        ("expired-secret-present", "app-expired-secret"),
        ("two-active-keys", "app-two-secrets"),
        ("admin-equivalent", "sp-owner-subscription"),
        ("admin-equivalent", "sp-active-owner"),
        ("admin-equivalent", "sp-mg-access-admin"),
        ("admin-equivalent", "app-graph-admin"),
        ("azure-standing-privileged-role", "sp-owner-subscription"),
        ("azure-standing-privileged-role", "sp-active-owner"),
        ("azure-standing-privileged-role", "sp-mg-access-admin"),
        ("azure-custom-role-wildcard", "sp-custom-star"),
        ("owner-of-privileged-identity", "app-graph-admin"),
        ("federated-and-secrets", "app-federated-with-secret"),
        ("admin-equivalent", "sp-via-group"),  # Owner through a group
        ("azure-standing-privileged-role", "sp-via-group"),
    )
    | CENSUS
)
NEVER_FLAGGED = {SP[n] for n in ("sp-clean-control", "sp-eligible-owner", "sp-timebound-contributor", "mi-deploy")}


class Runs:
    def __init__(self, home: Path) -> None:
        self.home = home

    def cli(self, *args: str, out: Path | None = None, token: str | None = TOKEN) -> subprocess.CompletedProcess:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.home), "COLUMNS": "200"}
        if token:
            env["STANDING_AZURE_TEST_TOKEN"] = token
        argv = [STANDING, *args]
        if out is not None:
            argv += ["--output-dir", str(out), "--as-of", AS_OF, "--fail-on", "none"]
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        # Searched as it ends, in whichever test made it: no test depends on runs made by others.
        assert leaks(proc.stdout, proc.stderr, out) == [], f"a secret reached {leaks(proc.stdout, proc.stderr, out)}"
        return proc


def leaks(stdout: str, stderr: str, out: Path | None) -> list[str]:
    """Where a planted secret value or the test token appears in what a run printed or wrote."""
    texts = {"stdout": stdout, "stderr": stderr}
    if out is not None and out.is_dir():
        texts |= {str(p): p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()}
    secrets = [*TENANT["planted_secret_values"], TOKEN]
    return sorted(where for where, text in texts.items() if any(secret in text for secret in secrets))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return Runs(tmp_path_factory.mktemp("home"))


def findings(out: Path) -> list[dict]:
    return json.loads((out / "findings.json").read_text())["findings"]


def pairs(out: Path) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["identity"]) for f in findings(out)}


@pytest.fixture(scope="module")
def live(runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("live")
    wire = fixture_wire(TOKEN)
    with AzureWireServer(wire) as url:
        proc = runs.cli("scan", "azure", "--arm-endpoint", url, "--graph-endpoint", url, out=out)
    return proc, out, wire


def test_scan_finds_every_planted_issue_and_nothing_on_the_clean_control(live):
    proc, out, _ = live
    assert proc.returncode == 3, proc.stdout + proc.stderr  # partial: one subscription answered 403
    assert pairs(out) == PLANTED
    assert not {f["identity"] for f in findings(out) if (f["rule_id"], f["identity"]) not in CENSUS} & NEVER_FLAGGED
    doc = json.loads((out / "findings.json").read_text())
    restricted = f"/subscriptions/{TENANT['subscriptions']['restricted']}"
    assert {(g["operation"], g["scope"], g["status"]) for g in doc["scan"]["gaps"]} == {
        (op, restricted, "denied")
        for op in (
            "arm:roleAssignments",
            "arm:roleDefinitions",
            "arm:roleEligibilitySchedules",
            "arm:roleAssignmentSchedules",
            "arm:userAssignedIdentities",
            "arm:denyAssignments",
        )
    }
    assert "PARTIAL SCAN" in proc.stdout and "Traceback" not in proc.stderr


def test_scan_pages_retries_and_makes_only_declared_reads(live):
    _, _, wire = live
    queries = {(c.path, c.query.split("$skiptoken=")[-1]) for c in wire.calls if "$skiptoken=" in c.query}
    assert queries == {
        ("/v1.0/servicePrincipals", "page2"),
        (
            f"/subscriptions/{TENANT['subscriptions']['prod']}/providers/Microsoft.Authorization/roleAssignments",
            "page2",
        ),
    }
    assert wire.paths().count("/v1.0/applications") == 2  # the 429 was retried after Retry-After
    # every call is a GET but the Resource Graph query, a read-only POST (its two pages)
    posts = [c.path for c in wire.calls if c.method != "GET"]
    assert posts == ["/providers/Microsoft.ResourceGraph/resources"] * 2
    assert [c.path for c in wire.calls if declared(c.method, c.path) is None] == []
    assert {c.authorization for c in wire.calls} == {f"Bearer {TOKEN}"}


BASIC_EXPORTS = (
    "--from-sp-list",
    str(EXPORT / "az-ad-sp-list.json"),
    "--from-app-list",
    str(EXPORT / "az-ad-app-list.json"),
    "--from-role-assignments",
    str(EXPORT / "az-role-assignment-list.json"),
    "--from-role-definitions",
    str(EXPORT / "az-role-definition-list.json"),
)
ALL_EXPORTS = (
    *BASIC_EXPORTS,
    "--from-app-owners",
    str(EXPORT / "az-ad-app-owner-list.json"),
    "--from-federated-credentials",
    str(EXPORT / "az-ad-app-federated-credential-list.json"),
    "--from-app-role-assignments",
    str(EXPORT / "az-rest-graph-app-role-assigned-to.json"),
    "--from-group-members",
    str(EXPORT / "az-rest-group-transitive-members.json"),
    *(
        arg
        for scope in ("prod", "mg-platform")
        for kind in ("assignment", "eligibility")
        for arg in (f"--from-role-{kind}-schedules", str(EXPORT / f"az-rest-role-{kind}-schedules-{scope}.json"))
    ),
)
# Directory roles, managed identities and sign-in activity: each export and the flag that takes it.
DIRECTORY_AND_ACTIVITY = {
    "--from-directory-role-assignments": "az-rest-directory-role-assignments.json",
    "--from-directory-role-definitions": "az-rest-directory-role-definitions.json",
    "--from-directory-role-instances": "az-rest-directory-role-instances.json",
    "--from-directory-role-eligibility": "az-rest-directory-role-eligibility.json",
    "--from-managed-identities": "az-identity-list.json",
    "--from-identity-federated-credentials": "az-identity-federated-credential-list.json",
    "--from-sign-in-activity": "az-rest-sp-sign-in-activities.json",
    "--from-credential-sign-in-activity": "az-rest-credential-sign-in-activities.json",
    "--from-workloads": "az-graph-query-workloads.json",
    "--from-recommendations": "az-rest-directory-recommendations.json",
}
COMPLETE_EXPORTS = (*ALL_EXPORTS, *(a for f, n in DIRECTORY_AND_ACTIVITY.items() for a in (f, str(EXPORT / n))))
# What ALL_EXPORTS leave out (the sources above), each a gap naming the command that writes it.
NEVER_IMPORTED = {
    "graph:directory.roleAssignments",
    "graph:directory.roleDefinitions",
    "graph:directory.roleAssignmentScheduleInstances",
    "graph:directory.roleEligibilitySchedules",
    "arm:userAssignedIdentities",
    "arm:userAssignedIdentities.federatedIdentityCredentials",
    "graph:beta.servicePrincipalSignInActivities",
    "graph:beta.appCredentialSignInActivities",
    "arm:resourceGraph.resources",
    "graph:beta.directoryRecommendations",
}
# What the three basic exports cannot show: owners, Graph app roles, federated credentials, group members,
# and the PIM schedules (so a time-bound assignment looks standing).
BASIC_MISSING = {
    "graph:applications.federatedIdentityCredentials",
    "graph:applications.owners",
    "graph:servicePrincipals.appRoleAssignedTo",
    "graph:groups.transitiveMembers",
    "arm:roleAssignmentSchedules",
    "arm:roleEligibilitySchedules",
}
IMPORT_BLIND = named(
    ("admin-equivalent", "app-graph-admin"),
    ("owner-of-privileged-identity", "app-graph-admin"),
    ("federated-and-secrets", "app-federated-with-secret"),
    ("admin-equivalent", "sp-via-group"),
    ("azure-standing-privileged-role", "sp-via-group"),
)
IMPORT_EXTRA = named(("azure-standing-privileged-role", "sp-timebound-contributor"))


def whole(out: Path) -> list[tuple[str, str, str, str, str]]:
    return sorted((f["rule_id"], f["identity"], f["subject"], f["severity"], f["fingerprint"]) for f in findings(out))


def skipped(out: Path) -> set[str]:
    gaps = json.loads((out / "findings.json").read_text())["scan"]["gaps"]
    return {g["operation"] for g in gaps if g["status"] == "skipped"}


def test_a_complete_offline_export_is_a_complete_scan_with_the_api_findings(runs, live, tmp_path):
    _, api_out, _ = live
    out = tmp_path / "import"
    proc = runs.cli("scan", "azure", *COMPLETE_EXPORTS, out=out, token=None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((out / "findings.json").read_text())["scan"]["gaps"] == []
    assert "Scan complete: every source was read." in proc.stdout
    assert whole(out) == whole(api_out)
    assert {(rule, identity) for rule, identity, *_ in whole(out)} == PLANTED


@pytest.mark.parametrize("path", ["api", "import"])
def test_summary_names_the_tenant_and_counts_its_people(runs, live, tmp_path, path):
    """Live and offline alike: the tenant is named (never `account(s) none`); alice and bob (app owners)
    and carol (in a role-holding group) are people: counted, not judged."""
    if path == "api":
        proc, out, _ = live
    else:
        out = tmp_path / "import"
        proc = runs.cli("scan", "azure", *COMPLETE_EXPORTS, out=out, token=None)
    summary = json.loads((out / "findings.json").read_text())["scan"]
    assert summary["accounts"] == [TENANT["tenant_id"]]
    assert f"azure tenant(s) {TENANT['tenant_id']}:" in proc.stdout and "none" not in proc.stdout.splitlines()[1]
    assert summary["people_left_out"] == {"azure": 3}
    assert "People left out (counted, not judged): azure 3" in proc.stdout
    assert not {"alice@contoso.example", "bob@contoso.example", "Carol Example"} & {
        f["identity_name"] for f in findings(out)
    }


def test_offline_import_without_directory_and_activity_files_says_so_and_keeps_the_api_findings(runs, live, tmp_path):
    _, api_out, _ = live
    out = tmp_path / "import"
    proc = runs.cli("scan", "azure", *ALL_EXPORTS, out=out, token=None)
    assert proc.returncode == 3, proc.stdout + proc.stderr  # sources not given: said, not hidden
    assert whole(out) == whole(api_out)  # none of them changes a finding in the fixture tenant
    assert skipped(out) == NEVER_IMPORTED


@pytest.mark.parametrize(
    "flag, command",
    [
        ("--from-directory-role-assignments", "roleManagement/directory/roleAssignments?$expand=principal"),
        ("--from-managed-identities", "`az identity list`"),
        ("--from-sign-in-activity", "beta/reports/servicePrincipalSignInActivities"),
    ],
)
def test_a_complete_export_less_one_file_exits_3_with_the_gap_naming_its_command(runs, tmp_path, flag, command):
    args = list(COMPLETE_EXPORTS)
    del args[args.index(flag) : args.index(flag) + 2]
    out = tmp_path / "less-one"
    proc = runs.cli("scan", "azure", *args, out=out, token=None)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    gaps = json.loads((out / "findings.json").read_text())["scan"]["gaps"]
    assert len(gaps) == 1 and gaps[0]["status"] == "skipped" and command in gaps[0]["detail"]


def test_basic_exports_report_what_they_cannot_see(runs, live, tmp_path):
    _, api_out, _ = live
    out = tmp_path / "basic"
    proc = runs.cli("scan", "azure", *BASIC_EXPORTS, out=out, token=None)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert skipped(out) == NEVER_IMPORTED | BASIC_MISSING
    # A subset of the API's findings, except the time-bound Contributor the exports cannot tell from a
    # standing one (`az role assignment list` shows no PIM end date).
    assert pairs(out) == (pairs(api_out) - IMPORT_BLIND) | IMPORT_EXTRA
    assert set(whole(out)) - {f for f in whole(out) if (f[0], f[1]) in IMPORT_EXTRA} <= set(whole(api_out))


@pytest.mark.parametrize(
    "flag, content, problem",
    [
        ("--from-sp-list", '[{"id": "x", "appId": "y"', "not valid JSON"),
        ("--from-sp-list", '{"value": []}', "expected the JSON array"),
        (
            "--from-sp-list",
            '[{"id": "x", "appId": "y", "passwordCredentials": [{"keyId": "k", "endDateTime": "soon"}]}]',
            "is not a date",
        ),
        # the optional exports (every other malformed shape: test_azure_collector.py, in process)
        ("--from-app-owners", '{"a": [{"displayName": "no id"}]}', "a: item 0 lacks id"),
        (
            "--from-role-assignment-schedules",
            '{"value": [{"id": "s", "properties": {"scope": "/"}}]}',
            "lacks principalId, roleDefinitionId",
        ),
    ],
)
def test_bad_export_is_one_line_exit_2(runs, tmp_path, flag, content, problem):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    args = [str(a) for a in ALL_EXPORTS]
    args[args.index(flag) + 1] = str(bad)
    proc = runs.cli("scan", "azure", *args, token=None)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and str(bad) in proc.stderr and problem in proc.stderr
    assert "Traceback" not in proc.stderr


def test_plain_http_endpoint_off_loopback_is_refused(runs):
    proc = runs.cli("scan", "azure", "--arm-endpoint", "http://management.example.com")
    assert proc.returncode == 2 and "--arm-endpoint" in proc.stderr and "https" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_plain_http_endpoint_never_gets_a_real_credential(runs):
    proc = runs.cli(
        "scan", "azure", "--arm-endpoint", "http://127.0.0.1:9", "--graph-endpoint", "http://127.0.0.1:9", token=None
    )
    assert proc.returncode == 2 and "STANDING_AZURE_TEST_TOKEN" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_test_token_is_refused_with_real_endpoints(runs):
    proc = runs.cli("scan", "azure")  # default https endpoints, token in the environment
    assert proc.returncode == 2 and "STANDING_AZURE_TEST_TOKEN" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_rejected_token_is_one_line_exit_2(runs, tmp_path):
    with AzureWireServer(fixture_wire("another-token")) as url:
        proc = runs.cli("scan", "azure", "--arm-endpoint", url, "--graph-endpoint", url)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Microsoft Graph" in proc.stderr and "401" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_unreachable_endpoint_is_one_line_exit_2(runs):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    proc = runs.cli("scan", "azure", "--arm-endpoint", url, "--graph-endpoint", url)
    assert proc.returncode == 2 and url in proc.stderr and "cannot connect" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_collect_writes_a_snapshot_that_scans(runs, tmp_path):
    snap = tmp_path / "snap.json"
    with AzureWireServer(fixture_wire(TOKEN)) as url:
        proc = runs.cli("collect", "azure", "--arm-endpoint", url, "--graph-endpoint", url, "-o", str(snap))
    assert proc.returncode == 3 and "PARTIAL" in proc.stdout, proc.stdout + proc.stderr
    out = tmp_path / "from-snapshot"
    again = runs.cli("scan", "--snapshot", str(snap), out=out)
    assert again.returncode == 3, again.stdout + again.stderr
    # Collected without --as-of, expiry is judged on today's clock; the roles do not expire.
    role_rules = {"azure-standing-privileged-role", "azure-custom-role-wildcard"}
    assert {p for p in pairs(out) if p[0] in role_rules} == {p for p in PLANTED if p[0] in role_rules}


def test_no_secret_value_in_any_output(live, tmp_path):
    """Every CLI run in this module is searched for the planted secret text and the test token as
    it ends (``Runs.cli``). Here: the live scan is clean, and the search finds both where they are."""
    proc, out, _ = live
    assert leaks(proc.stdout, proc.stderr, out) == []
    assert len(list(out.rglob("*"))) > 3  # the scan wrote its files, so there was something to search
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "app.json").write_text(TENANT["planted_secret_values"][0])
    assert leaks("", f"Bearer {TOKEN}", planted) == sorted(["stderr", str(planted / "app.json")])
    # the planted value is really in the fixtures the scan read, so the search above means something
    assert TENANT["planted_secret_values"][0] in (FIXTURES / "wire" / "v1.0" / "applications.json").read_text()
