"""Waivers: owned, justified, dated; waived findings stay visible; expired waivers bite."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.core.errors import UserError
from standing.core.snapshot import dump_snapshot
from standing.rules.waivers import load_waivers
from tests.builders import inventory, key, user

AS_OF = "2026-06-01T12:00:00+00:00"


def setup(tmp_path, waivers_toml):
    sftp, ci = user("svc-partner-sftp"), user("ci")
    inv = inventory(sftp, key(sftp, "AKIASFTP", age=300, used=1), ci, key(ci, "AKIACI", age=300, used=1))
    snap = tmp_path / "snap.json"
    snap.write_text(dump_snapshot(inv))
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(waivers_toml)
    return snap, waivers


WAIVER = """
[[waivers]]
rule = "key-too-old"
subject = "arn:aws:iam::*:user/svc-partner-*"
owner = "payments@example.com"
justification = "Partner SFTP only takes static keys; rotation is automated"
expires = {expires}
"""


def scan(tmp_path, snap, waivers):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["scan", "--snapshot", str(snap), "--waivers", str(waivers), "--output-dir", str(out), "--as-of", AS_OF],
        env={"COLUMNS": "200"},
    )
    return result, json.loads((out / "findings.json").read_text())


def test_waived_finding_stays_in_outputs_marked_and_does_not_fail(tmp_path):
    snap, waivers = setup(tmp_path, WAIVER.format(expires="2026-06-01"))  # valid through its last day
    result, doc = scan(tmp_path, snap, waivers)
    by_subject = {f["subject"]: f for f in doc["findings"] if f["rule_id"] == "key-too-old"}
    assert set(by_subject) == {"AKIASFTP", "AKIACI"}
    assert by_subject["AKIASFTP"]["waiver"]["owner"] == "payments@example.com"
    assert by_subject["AKIACI"]["waiver"] is None
    assert result.exit_code == 1  # the unwaived ci key still fails
    assert "HIGH (waived)" in result.output and doc["expired_waivers"] == []


def test_expired_waiver_waives_nothing_and_is_reported(tmp_path):
    snap, waivers = setup(tmp_path, WAIVER.format(expires="2026-05-31"))
    result, doc = scan(tmp_path, snap, waivers)
    assert all(f["waiver"] is None for f in doc["findings"])
    assert [w["subject"] for w in doc["expired_waivers"]] == ["arn:aws:iam::*:user/svc-partner-*"]
    assert "EXPIRED WAIVER (2026-05-31)" in result.output


@pytest.mark.parametrize(
    "text, message",
    [
        (
            WAIVER.format(expires="2026-05-31").replace('owner = "payments@example.com"\n', ""),
            "waiver 1: owner: Field required",
        ),
        (WAIVER.replace("expires = {expires}\n", ""), "waiver 1: expires: Field required"),
        (WAIVER.format(expires="'soon'"), "waiver 1: expires:"),
        (WAIVER.format(expires="2026-05-31").replace("key-too-old", "key-too-olde"), "unknown rule 'key-too-olde'"),
        ("[[waiver]]\nrule = 'x'\n", "unknown key 'waiver'"),
    ],
)
def test_bad_waiver_file_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "waivers.toml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        load_waivers(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)
