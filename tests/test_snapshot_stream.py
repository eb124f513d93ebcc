"""Snapshots are streamed record by record, in the same layout, and replaced atomically."""

from __future__ import annotations

import json

import pytest

from standing.core import snapshot
from standing.core.errors import UserError
from standing.core.model import TrustKind
from standing.core.snapshot import dump_snapshot, read_snapshot, write_snapshot
from tests.builders import allow, grant, inventory, key, policy, role, trust, user


def estate():
    svc = user("svc-deploy", tags={"team": "payments", "note": "line one\nline two"})
    admin = policy("AdminEverything", allow("*"))
    runner = role("ci-runner", trust_policy={"Statement": [{"Effect": "Allow"}]})
    return inventory(
        svc,
        runner,
        admin,
        key(svc, "AKIA1", age=120, used=3),
        grant(svc, admin),
        trust(runner, "arn:aws:iam::210987654321:root", TrustKind.ACCOUNT),
    )


def test_streamed_snapshot_is_the_documented_layout_and_reads_back_exactly(tmp_path):
    inv = estate()
    envelope = {"schema": "standing.snapshot", "version": 1, "inventory": inv.model_dump(mode="json")}
    assert dump_snapshot(inv) == json.dumps(envelope, indent=1, sort_keys=True)
    path = tmp_path / "snap.json"
    write_snapshot(inv, path)
    assert read_snapshot(path) == inv


def test_an_interrupted_write_leaves_the_previous_snapshot_whole(tmp_path, monkeypatch):
    path = tmp_path / "snap.json"
    write_snapshot(estate(), path)
    before = path.read_bytes()

    def fail_midway(inv, out):
        out.write('{\n "inventory": {')
        raise OSError("disk full")

    monkeypatch.setattr(snapshot, "stream_snapshot", fail_midway)
    with pytest.raises(UserError, match="snap.json: cannot write: disk full"):  # one line, naming the file
        write_snapshot(estate(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["snap.json"]  # no temporary file left


def _scan_snapshot(snap, out):
    from click.testing import CliRunner

    from standing.cli.main import main

    args = ["scan", "--snapshot", str(snap), "--as-of", "2026-06-01T00:00:00+00:00", "--fail-on", "none"]
    result = CliRunner().invoke(main, [*args, "--output-dir", str(out)], env={"STANDING_STORE": ""})
    assert result.exit_code == 0, result.output


def test_a_scan_of_a_snapshot_keeps_the_file_it_read_beside_its_outputs(tmp_path):
    """The snapshot is copied, not written again: a hand-written (compact) snapshot comes back
    byte for byte, reads back into the same inventory, and a scan into its own folder keeps it."""
    inv = estate()
    snap = tmp_path / "compact.json"
    snap.write_text(json.dumps({"schema": "standing.snapshot", "version": 1, "inventory": inv.model_dump(mode="json")}))
    _scan_snapshot(snap, tmp_path / "out")
    assert (tmp_path / "out" / "snapshot.json").read_bytes() == snap.read_bytes()
    assert read_snapshot(tmp_path / "out" / "snapshot.json") == inv
    _scan_snapshot(tmp_path / "out" / "snapshot.json", tmp_path / "out")  # over itself
    assert (tmp_path / "out" / "snapshot.json").read_bytes() == snap.read_bytes()


def test_records_read_share_their_fields_set_without_one_copy_changing_another(tmp_path):
    path = tmp_path / "snap.json"
    inv = estate()
    write_snapshot(inv.model_copy(update={"grants": inv.grants * 3}), path)
    grants = read_snapshot(path).grants
    assert grants[0].model_fields_set is grants[1].model_fields_set  # one set, not one per record
    sparse = grants[0].model_copy(update={"expires": None})
    sparse.model_fields_set.discard("condition")
    assert "condition" in grants[1].model_fields_set


def test_a_snapshot_is_copied_through_the_process_where_the_kernel_cannot(tmp_path, monkeypatch):
    def no_sendfile(*args):
        raise OSError("sendfile: not between these two")

    monkeypatch.setattr(snapshot.os, "sendfile", no_sendfile)
    source = tmp_path / "in.json"
    write_snapshot(estate(), source)
    snapshot.copy_snapshot(source, tmp_path / "out.json")
    assert (tmp_path / "out.json").read_bytes() == source.read_bytes()
