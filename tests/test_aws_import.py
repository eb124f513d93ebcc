"""`standing scan aws --from-...`: the test estate's `aws iam` exports give the live scan's findings.

The estate (TEST_ESTATE, seeded into moto's server) is scanned live with `--usage none
--no-workloads` (an import has no usage or workloads; live then reads exactly what the exports
hold: GAAD, the credential report, ListAccessKeys per key holder, the OIDC and SAML providers),
and exported with boto3 exactly as the AWS CLI prints it (tests/support/aws_exports.py). The
installed command imports the files in a subprocess, at the same `--as-of`; both sides'
(rule, identity, subject, severity) sets must be equal. Beside it the near misses: pages
missing, malformed or wrong files (one line naming the file, exit 2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from standing.demo.estate import TEST_ESTATE, seed_estate, start_moto_server
from tests.support.aws_exports import client, export_account, write
from tests.test_end_to_end import Estate

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STANDING = str(Path(sys.executable).parent / "standing")
ANALYSIS = ("--as-of", AS_OF.isoformat())


def env(home: Path) -> dict[str, str]:
    return Estate("", frozenset(), home).env()  # the end-to-end tests' environment: no real AWS


def standing(*args: Any, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STANDING, *map(str, args)], capture_output=True, text=True, env=env(home), timeout=120, check=False
    )


def judged(out: Path) -> set[tuple[str, str, str, str]]:
    found = json.loads((out / "findings.json").read_text())["findings"]
    return {(f["rule_id"], f["identity"], f["subject"], f["severity"]) for f in found}


def gaps(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "findings.json").read_text())["scan"]["gaps"]


class Account:
    def __init__(self, files: dict[str, Any], home: Path, live: Path, live_slots: Path, code: int) -> None:
        self.files = files
        self.home = home
        self.live = live  # live scan, key ids listed
        self.live_slots = live_slots  # live scan with --no-key-ids
        self.code = code

    def args(self, *, gaad: list[Path] | None = None, report: Path | None = None, keys: bool = True) -> list[Any]:
        files = self.files
        args: list[Any] = []
        for path in gaad or [files["gaad"]]:
            args += ["--from-authorization-details", path]
        args += ["--from-credential-report", report or files["report"]]
        for path in files["keys"] if keys else []:
            args += ["--from-access-keys", path]
        args += ["--from-oidc-providers", files["oidc_list"], "--from-saml-providers", files["saml"]]
        for arn, path in files["oidc"]:
            args += ["--from-oidc-provider", f"{arn}={path}"]
        return args

    def scan(self, *args: Any, out: Path) -> subprocess.CompletedProcess[str]:
        return standing("scan", "aws", *args, *ANALYSIS, "--output-dir", out, home=self.home)


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    live, slots = tmp_path_factory.mktemp("live"), tmp_path_factory.mktemp("live-slots")
    with start_moto_server() as server:
        seed_estate(TEST_ESTATE, endpoint_url=server.endpoint_url, now=AS_OF)
        files = export_account(client(server.endpoint_url), tmp_path_factory.mktemp("exports"))
        common = ("--endpoint-url", server.endpoint_url, "--region", "us-east-1", "--usage", "none", "--no-workloads")
        run = standing("scan", "aws", *common, *ANALYSIS, "--output-dir", live, home=home)
        assert run.returncode == 1, run.stdout + run.stderr
        no_ids = standing("scan", "aws", *common, "--no-key-ids", *ANALYSIS, "--output-dir", slots, home=home)
        assert no_ids.returncode == 1, no_ids.stdout + no_ids.stderr
    return Account(files, home, live, slots, run.returncode)


VARIANTS = {
    # name: (GAAD files, credential report file)
    "merged-json": ("gaad", "report"),
    "api-pages-csv": ("gaad_pages", "report_csv"),
    "cli-pages-json": ("gaad_cli_pages", "report"),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_exports_give_the_live_scan_s_findings(account, variant, tmp_path):
    gaad, report = (account.files[name] for name in VARIANTS[variant])
    pages = gaad if isinstance(gaad, list) else [gaad]
    if variant != "merged-json":
        assert len(pages) > 2  # paged for real: more than a first and a last page
    run = account.scan(*account.args(gaad=pages, report=report), "--usage", "none", "--no-workloads", out=tmp_path)
    assert run.returncode == account.code, run.stdout + run.stderr
    assert judged(tmp_path) == judged(account.live)
    assert {rule for rule, *_ in judged(tmp_path)} >= {"key-too-old", "key-unused", "oidc-subject-unpinned"}
    # every source the live scan read was imported: nothing is a gap, workloads left out by choice
    assert gaps(tmp_path) == []
    assert "Left out by the scan's own options" in run.stdout


def test_without_key_listings_keys_are_named_by_slot_as_the_live_scan_does_with_no_key_ids(account, tmp_path):
    run = account.scan(*account.args(keys=False), "--usage", "none", "--no-workloads", out=tmp_path)
    assert judged(tmp_path) == judged(account.live_slots)
    assert judged(tmp_path) != judged(account.live)  # near miss: with the listings, key ids
    [gap] = gaps(tmp_path)
    assert gap["operation"] == "iam:ListAccessKeys" and "--no-key-ids" in gap["detail"]
    assert "iam:ListAccessKeys" in run.stdout


def test_what_an_import_cannot_know_is_said_and_never_a_complete_scan(account, tmp_path):
    account.scan(*account.args(), out=tmp_path)
    missing = {g["operation"]: g["detail"] for g in gaps(tmp_path)}
    assert set(missing) == {"ec2:DescribeRegions", "iam:GenerateServiceLastAccessedDetails"}
    assert "no IAM export shows which compute runs as which role" in missing["ec2:DescribeRegions"]
    assert "--usage-from" in missing["iam:GenerateServiceLastAccessedDetails"]
    assert judged(tmp_path) == judged(account.live)


def test_an_import_of_the_report_alone_names_each_export_it_lacks(account, tmp_path):
    run = account.scan("--from-credential-report", account.files["report_csv"], "--fail-on", "none", out=tmp_path)
    assert run.returncode == 3, run.stdout + run.stderr  # partial: nothing else was given
    missing = {g["operation"] for g in gaps(tmp_path)}
    assert {
        "iam:GetAccountAuthorizationDetails",
        "iam:ListAccessKeys",
        "iam:ListOpenIDConnectProviders",
        "iam:ListSAMLProviders",
    } <= missing
    assert "aws iam get-account-authorization-details --output json" in run.stdout


# --- near misses: a page set that is not one whole listing --------------------------------------


def refused(run: subprocess.CompletedProcess[str], path: Path | str, *words: str) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    line = run.stderr.strip()
    assert line.count("\n") == 0 and str(path) in line and "Traceback" not in line, run.stderr
    for word in words:
        assert word in line, line
    return line


def _scan_pages(account: Account, pages: list[Path], out: Path) -> subprocess.CompletedProcess[str]:
    return account.scan(*account.args(gaad=pages), "--usage", "none", "--no-workloads", out=out)


@pytest.mark.parametrize("kind", ["gaad_pages", "gaad_cli_pages"])
def test_a_page_set_without_its_last_page_is_refused(account, kind, tmp_path):
    pages = account.files[kind]
    refused(_scan_pages(account, pages[:-1], tmp_path), pages[-2], "the last page is missing")


def test_a_page_set_missing_a_middle_page_that_others_name_is_refused(account, tmp_path):
    """The page holding the `admins` group is dropped: a user of an earlier page names it."""
    pages = account.files["gaad_pages"]
    holder = next(p for p in pages[1:-1] if json.loads(p.read_text())["GroupDetailList"])
    run = _scan_pages(account, [p for p in pages if p != holder], tmp_path)
    refused(run, "gaad-page-", "names group admins, which is in no page given: is a page missing?")


def test_the_same_page_twice_is_refused(account, tmp_path):
    pages = account.files["gaad_pages"]
    refused(_scan_pages(account, [*pages, pages[0]], tmp_path), pages[0], "the same page as")


def test_near_miss_the_pages_in_any_order_are_read(account, tmp_path):
    run = _scan_pages(account, list(reversed(account.files["gaad_pages"])), tmp_path)
    assert run.returncode == account.code and judged(tmp_path) == judged(account.live)


# --- near misses: malformed and wrong-shaped files ----------------------------------------------


def _cut(path: Path, tmp: Path) -> Path:
    bad = tmp / f"cut-{path.name}"
    bad.write_text(path.read_text()[: len(path.read_text()) // 2])
    return bad


def _csv_short_row(path: Path, tmp: Path) -> Path:
    lines = path.read_text().splitlines()
    bad = tmp / "short-row.csv"
    bad.write_text("\n".join([*lines[:2], ",".join(lines[2].split(",")[:5]), *lines[3:]]) + "\n")
    return bad


def _edited(path: Path, tmp: Path, change: Any) -> Path:
    data = json.loads(path.read_text())
    change(data)
    return write(tmp / f"edited-{path.name}", data)


def _first_user(data: dict[str, Any]) -> dict[str, Any]:
    return data["UserDetailList"][0]


MALFORMED = {
    # name: (flag, file key, how to break it, words of the one line)
    "gaad-cut-in-half": ("--from-authorization-details", "gaad", _cut, ("not valid JSON",)),
    "report-json-cut": ("--from-credential-report", "report", _cut, ("not valid JSON",)),
    "report-csv-short-row": ("--from-credential-report", "report_csv", _csv_short_row, ("line 3",)),
    "report-not-base64": (
        "--from-credential-report",
        "report",
        lambda p, t: _edited(p, t, lambda d: d.update(Content="not base64!")),
        ("Content is not base64",),
    ),
    "report-given-as-gaad": (
        "--from-authorization-details",
        "report",
        lambda p, t: p,
        ("is not `aws iam get-account-authorization-details` output",),
    ),
    "gaad-given-as-report": (
        "--from-credential-report",
        "gaad",
        lambda p, t: p,
        ("is not `aws iam get-credential-report` output", "Content"),
    ),
    "create-date-yesterday": (
        "--from-authorization-details",
        "gaad",
        lambda p, t: _edited(p, t, lambda d: _first_user(d).update(CreateDate="yesterday")),
        ("UserDetailList[0].CreateDate", "'yesterday' is not a date"),
    ),
    "policy-list-null": (
        "--from-authorization-details",
        "gaad",
        lambda p, t: _edited(p, t, lambda d: _first_user(d).update(UserPolicyList=None)),
        ("UserDetailList[0].UserPolicyList", "valid list"),
    ),
    "document-not-json": (
        "--from-authorization-details",
        "gaad",
        lambda p, t: _edited(
            p, t, lambda d: d["RoleDetailList"][0].update(AssumeRolePolicyDocument="%7B%22Statement%22")
        ),
        ("RoleDetailList[0].AssumeRolePolicyDocument", "not JSON"),
    ),
}


def _replace(args: list[Any], flag: str, path: Path) -> list[Any]:
    out = [a for i, a in enumerate(args) if a != flag and (i == 0 or args[i - 1] != flag)]
    return [*out, flag, path]


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_or_wrong_export_is_one_line_naming_the_file_exit_2(account, case, tmp_path):
    flag, key, breaks, words = MALFORMED[case]
    bad = breaks(account.files[key], tmp_path)
    refused(account.scan(*_replace(account.args(), flag, bad), out=tmp_path / "o"), bad, *words)


def test_keys_of_a_user_the_account_does_not_hold_are_refused(account, tmp_path):
    stray = write(
        tmp_path / "keys.json",
        {"AccessKeyMetadata": [{"UserName": "nobody", "AccessKeyId": "AKIAX", "Status": "Active"}]},
    )
    refused(account.scan(*account.args(), "--from-access-keys", stray, out=tmp_path / "o"), stray, "'nobody'")


def test_an_import_cannot_be_combined_with_a_live_flag(account, tmp_path):
    run = account.scan(*account.args(), "--organization", out=tmp_path / "o")
    assert run.returncode == 2 and "--organization reads live" in run.stderr
