"""Credential report parsing and value semantics, from a CSV in the real report format.

moto's report has no <root_account> row and never shows "N/A" for an old key, so these
cases come from a fixture written in the documented 22-column format.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_support import ACCT, NOW, utc

from standing.collectors.aws.fetch import CredentialReport, RawAccount, parse_credential_report
from standing.collectors.aws.normalize import normalize_account, report_usage
from standing.core.findings_json import FindingsDocument
from standing.core.model import CredentialKind, IdentityKind, Provider, UsageStatus
from standing.rules.config import ScanConfig
from standing.scan import scan_inventory

FIXTURE = Path(__file__).parent / "fixtures" / "credential_report.csv"
GENERATED = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def report_only_account(*, with_key_ids: dict | None = None) -> RawAccount:
    return RawAccount(
        account_id=ACCT,
        caller_arn=f"arn:aws:iam::{ACCT}:user/scanner",
        credential_report=CredentialReport(
            generated_time=GENERATED, rows=parse_credential_report(FIXTURE.read_bytes())
        ),
        access_keys=with_key_ids or {},
    )


def test_parse_keeps_every_row_and_column_as_written() -> None:
    rows = parse_credential_report(FIXTURE.read_bytes())
    assert [row["user"] for row in rows] == ["<root_account>", "legacy", "deployer", "odd", "alice"]
    assert all(len(row) == 22 for row in rows)
    assert rows[0]["password_enabled"] == "not_supported"


@pytest.mark.parametrize(
    ("value", "created", "expected"),
    [
        ("2024-06-01T08:00:00+00:00", utc(2020, 1, 1), (utc(2024, 6, 1, 8), UsageStatus.USED)),
        ("N/A", utc(2023, 3, 3), (None, UsageStatus.NEVER)),
        ("N/A", utc(2014, 2, 2), (None, UsageStatus.UNKNOWN)),  # before tracking began
        ("N/A", None, (None, UsageStatus.UNKNOWN)),
        ("no_information", utc(2023, 1, 1), (None, UsageStatus.UNKNOWN)),
        ("not_supported", utc(2023, 1, 1), (None, UsageStatus.UNKNOWN)),
        ("2024-13-45", utc(2023, 1, 1), (None, UsageStatus.UNKNOWN)),
        ("", utc(2023, 1, 1), (None, UsageStatus.UNKNOWN)),
    ],
)
def test_report_values_never_read_unknown_as_never(value, created, expected) -> None:
    usage = report_usage(value, created=created, tracking_start=utc(2015, 4, 22))
    assert (usage.at, usage.status) == expected


def test_report_rows_become_identities_and_credentials() -> None:
    inv = normalize_account(report_only_account(), now=NOW)
    user = f"arn:aws:iam::{ACCT}:user"
    root = f"arn:aws:iam::{ACCT}:root"

    assert {
        (i.id, i.kind, i.name, i.human, i.console_access, i.mfa_active, i.last_used, i.last_used_status)
        for i in inv.identities
    } == {
        (root, IdentityKind.ROOT, "root", True, False, False, utc(2024, 6, 1, 8), UsageStatus.USED),
        (f"{user}/legacy", IdentityKind.USER, "legacy", None, True, False, None, UsageStatus.UNKNOWN),
        (
            f"{user}/ci/deployer",
            IdentityKind.USER,
            "deployer",
            False,
            False,
            False,
            utc(2024, 6, 30, 23, 59),
            UsageStatus.USED,
        ),
        (f"{user}/odd", IdentityKind.USER, "odd", False, False, None, None, UsageStatus.UNKNOWN),
        (f"{user}/alice", IdentityKind.USER, "alice", True, True, True, utc(2025, 5, 30, 8), UsageStatus.USED),
    }
    assert {
        (c.id, c.identity_id, c.kind, c.active, c.created, c.last_used, c.last_used_status, c.last_used_service)
        for c in inv.credentials
    } == {
        # Only the active root key is reported; slot 2 is empty.
        (
            f"{root}/access-key-1",
            root,
            CredentialKind.ACCESS_KEY,
            True,
            utc(2016, 3, 1, 12),
            utc(2024, 6, 1, 8),
            UsageStatus.USED,
            "s3",
        ),
        (
            f"{user}/legacy/console-password",
            f"{user}/legacy",
            CredentialKind.PASSWORD,
            True,
            utc(2013, 5, 5),
            None,
            UsageStatus.UNKNOWN,
            None,
        ),
        # "N/A" on a key older than 2015-04-22 is not "never used".
        (
            f"{user}/legacy/access-key-1",
            f"{user}/legacy",
            CredentialKind.ACCESS_KEY,
            True,
            utc(2014, 2, 2),
            None,
            UsageStatus.UNKNOWN,
            None,
        ),
        (
            f"{user}/ci/deployer/access-key-1",
            f"{user}/ci/deployer",
            CredentialKind.ACCESS_KEY,
            True,
            utc(2021, 1, 1, 0, 5),
            utc(2024, 6, 30, 23, 59),
            UsageStatus.USED,
            "sts",
        ),
        (
            f"{user}/ci/deployer/access-key-2",
            f"{user}/ci/deployer",
            CredentialKind.ACCESS_KEY,
            True,
            utc(2023, 3, 3),
            None,
            UsageStatus.NEVER,
            None,
        ),
        (
            f"{user}/odd/access-key-1",
            f"{user}/odd",
            CredentialKind.ACCESS_KEY,
            True,
            utc(2022, 2, 2),
            None,
            UsageStatus.UNKNOWN,
            None,
        ),
        (
            f"{user}/alice/console-password",
            f"{user}/alice",
            CredentialKind.PASSWORD,
            True,
            utc(2024, 12, 1),
            utc(2025, 5, 30, 8),
            UsageStatus.USED,
            None,
        ),
    }
    assert inv.meta.source_times == {f"aws:{ACCT}:credential-report": GENERATED}


def test_listed_key_ids_replace_slot_ids_matched_by_creation_time() -> None:
    from standing.collectors.aws.fetch import AccessKeyMetadata

    deployer = f"arn:aws:iam::{ACCT}:user/ci/deployer"
    listed = [  # listed newest first, to show matching is by date, not position
        AccessKeyMetadata(
            user_name="deployer", access_key_id="AKIANEWER00000000002", status="Active", created=utc(2023, 3, 3)
        ),
        AccessKeyMetadata(
            user_name="deployer", access_key_id="AKIAOLDER00000000001", status="Active", created=utc(2021, 1, 1, 0, 5)
        ),
        # Created after the cached report: no slot, so its use is unknown.
        AccessKeyMetadata(
            user_name="deployer", access_key_id="AKIABRANDNEW00000003", status="Inactive", created=utc(2025, 6, 1, 10)
        ),
    ]
    inv = normalize_account(report_only_account(with_key_ids={deployer: listed}), now=NOW)
    assert {
        (c.id, c.active, c.last_used, c.last_used_status) for c in inv.credentials if c.identity_id == deployer
    } == {
        ("AKIAOLDER00000000001", True, utc(2024, 6, 30, 23, 59), UsageStatus.USED),
        ("AKIANEWER00000000002", True, None, UsageStatus.NEVER),
        ("AKIABRANDNEW00000003", False, None, UsageStatus.UNKNOWN),
    }


def _scan(report: bytes) -> FindingsDocument:
    account = RawAccount(
        account_id=ACCT,
        caller_arn=f"arn:aws:iam::{ACCT}:user/scanner",
        credential_report=CredentialReport(generated_time=GENERATED, rows=parse_credential_report(report)),
    )
    inventory = normalize_account(account, now=NOW)
    return scan_inventory(inventory, ScanConfig(), as_of=NOW, generated_at=NOW, output_dir=None).document


def test_a_person_is_counted_not_judged_and_a_password_beside_keys_is_judged_for_its_keys() -> None:
    """alice (console password, no key) is a person; legacy (password and a 2014 key) is not."""
    document = _scan(FIXTURE.read_bytes())
    judged = {(f.rule_id, f.identity_name) for f in document.findings}
    assert ("key-too-old", "legacy") in judged
    assert not any(name == "alice" for _, name in judged)
    assert document.scan.people_left_out == {Provider.AWS: 1}
    assert document.scan.accounts == [ACCT]


@pytest.mark.parametrize(("active", "people"), [("true", {}), ("false", {Provider.AWS: 1})])
def test_a_person_with_a_live_access_key_is_judged_and_no_longer_left_out(active, people) -> None:
    """The near miss: alice with a live key is judged for it (an old one: key-too-old) and nobody is
    counted; with the key switched off she is a person again (an inactive key is no credential today)."""
    lines = FIXTURE.read_text().splitlines()
    alice = lines[-1].split(",")
    alice[8:10] = [active, "2023-01-01T00:00:00+00:00"]  # access_key_1_active, access_key_1_last_rotated
    document = _scan("\n".join([*lines[:-1], ",".join(alice)]).encode())
    assert document.scan.people_left_out == people
    assert (("key-too-old", "alice") in {(f.rule_id, f.identity_name) for f in document.findings}) is (active == "true")
