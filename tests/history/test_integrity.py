"""Two scans at once, a scan killed mid-write, a scan that fails mid-write: history stays whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from standing.core.snapshot import dump_snapshot
from standing.history import store as store_module
from standing.history.store import CREDENTIALS, IDENTITIES, SEEN, HistoryStore
from tests.history.estates import BATCH, OLD, TWO, day, estate, keyed, other_account, scan

ROOT = Path(__file__).parents[2]


def rows(store: HistoryStore) -> tuple[int, int, int]:
    with store.engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (IDENTITIES, CREDENTIALS, SEEN)
        )  # type: ignore[return-value]


def test_two_scans_recording_at_once_both_land_whole(store_url):
    """Two scheduled scans of two accounts, same time, one store: whichever commits first,
    each is stored whole and neither resolves the other's findings."""
    HistoryStore.open(store_url).close()  # the schema exists before the race
    scans = {"ours": scan(estate(), 0), "theirs": scan(other_account(), 0)}
    own = {"ours": {OLD, TWO}, "theirs": {BATCH}}
    start, errors, stored = threading.Barrier(2, timeout=30), [], {}

    def write(name: str) -> None:
        try:
            with HistoryStore.open(store_url) as mine:
                start.wait()
                stored[name] = mine.record(*scans[name]).id
        except Exception as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(name,)) for name in scans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    first, second = sorted(stored, key=stored.get)
    with HistoryStore.open(store_url) as store:
        assert [s.id for s in store.scans()] == [stored[first], stored[second]]
        assert keyed(store.findings_of(stored[first]).values()) == own[first]
        assert keyed(store.findings_of(stored[second]).values()) == own[first] | own[second]
        assert {
            (life.rule_id, life.subject): (life.first_seen, life.resolved_at) for life in store.lives().values()
        } == {k: (day(0), None) for k in {OLD, TWO, BATCH}}
        assert rows(store) == (2, 3, 3)  # one spell each: ci and batch; three keys; three findings


def test_a_scan_failing_mid_write_leaves_earlier_history_intact(store_url, monkeypatch):
    with HistoryStore.open(store_url) as store:
        first = store.record(*scan(estate(), 0))
        before = (store.scans(), store.lives(), rows(store))

        def broken(*args):
            raise RuntimeError("disk full")

        monkeypatch.setattr(store_module, "_update_lives", broken)  # after identities, credentials, findings
        with pytest.raises(RuntimeError):
            store.record(*scan(estate(old_key=False, deploy=True), 1))
        assert (store.scans(), store.lives(), rows(store)) == before
        monkeypatch.undo()
        second = store.record(*scan(estate(), 2))  # nothing half-written stands in the way
        assert [s.id for s in store.scans()] == [first.id, second.id]


_KILLED_WRITER = """
import sys
from standing.history import store as store_module
from standing.history.store import HistoryStore
from standing.rules.config import ScanConfig
from standing.scan import scan_inventory
from standing.core.snapshot import read_snapshot
from datetime import datetime
from pathlib import Path

write_findings = store_module._write_findings

def paused(*args):
    changes = write_findings(*args)
    print("mid-write", flush=True)
    sys.stdin.readline()  # killed here, with identities, credentials and findings written
    return changes

store_module._write_findings = paused
inventory = read_snapshot(Path(sys.argv[2]))
as_of = datetime.fromisoformat(sys.argv[3])
result = scan_inventory(inventory, ScanConfig(), as_of=as_of, generated_at=as_of, output_dir=None)
HistoryStore.open(sys.argv[1]).record(result.document, inventory)
"""


def test_a_scan_killed_mid_write_leaves_earlier_history_intact(store_url, tmp_path):
    with HistoryStore.open(store_url) as store:
        first = store.record(*scan(estate(), 0))
        before = (store.scans(), store.lives(), rows(store))
    snapshot = tmp_path / "snap.json"
    snapshot.write_text(dump_snapshot(estate(old_key=False, deploy=True)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, store_url, str(snapshot), day(1).isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert writer.stdout.readline().strip() == "mid-write"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    with HistoryStore.open(store_url) as store:
        assert (store.scans(), store.lives(), rows(store)) == before
        second = store.record(*scan(estate(old_key=False, deploy=True), 1))  # the store is still writable
        assert [s.id for s in store.scans()] == [first.id, second.id]
