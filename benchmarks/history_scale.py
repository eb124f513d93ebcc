"""How long storing a month of daily scans and computing the trend takes.

30 daily scans of a 10,000-identity estate (``analysis_scale.synthetic_inventory``: 20,000
credentials, about 18,000 findings a day), changing day by day as a real estate does: 1% of
keys deleted and as many new ones issued each day, one identity in a hundred removed and new
ones created, while ages grow so findings resolve and appear. Each day is analysed for real
(``analyse_estate``, timed apart, in a worker process, so this process holds one day's
scan at a time as a daily scheduled run does), then recorded with
``HistoryStore.record``; the trend is computed at the end. Target from the issue: storing all 30 and computing the trend in at most
10 s on SQLite.

    python benchmarks/history_scale.py [--identities 10000] [--days 30] [--store URL]

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

from analysis_scale import NOW, synthetic_inventory

from standing.core.findings_json import FindingsDocument, build_document
from standing.core.model import Credential, CredentialKind, IdentityKind, Inventory, UsageStatus
from standing.history.store import HistoryStore
from standing.history.trend import compute_trend
from standing.rules.analyse import analyse_estate
from standing.rules.config import ScanConfig


def next_day(inventory: Inventory, day: int, rng: random.Random) -> Inventory:
    """Yesterday's estate with 1% of keys deleted, as many issued, 1% of identities gone."""
    as_of = NOW + timedelta(days=day)
    gone = {i.id for i in rng.sample(inventory.identities, k=len(inventory.identities) // 100)}
    identities = [i for i in inventory.identities if i.id not in gone]
    credentials = [c for c in inventory.credentials if c.identity_id not in gone]
    deleted = {c.id for c in rng.sample(credentials, k=len(credentials) // 100)}
    credentials = [c for c in credentials if c.id not in deleted]
    users = [i for i in identities if i.kind is IdentityKind.USER]
    for n in range(len(deleted)):
        owner = rng.choice(users)
        credentials.append(
            Credential(
                id=f"{owner.id}/d{day}k{n}",
                identity_id=owner.id,
                kind=CredentialKind.ACCESS_KEY,
                active=True,
                created=as_of - timedelta(hours=1),
                last_used_status=UsageStatus.NEVER,
            )
        )
    return inventory.model_copy(
        update={
            "identities": identities,
            "credentials": credentials,
            "grants": [g for g in inventory.grants if g.principal_id not in gone],
            "trusts": [t for t in inventory.trusts if t.target_id not in gone],
        }
    )


_estate: dict[str, object] = {}


def _start_estate(identities: int) -> None:
    _estate["inventory"] = synthetic_inventory(identities)
    _estate["rng"] = random.Random(0)


def analysed_day(day: int) -> tuple[FindingsDocument, Inventory, float]:
    """In the worker: move the estate on to ``day`` and analyse it, as that day's scan would."""
    inventory: Inventory = _estate["inventory"]  # type: ignore[assignment]
    if day:
        inventory = _estate["inventory"] = next_day(inventory, day, _estate["rng"])  # type: ignore[arg-type]
    as_of = NOW + timedelta(days=day)
    t0 = time.perf_counter()
    analysis = analyse_estate(inventory, ScanConfig(), as_of=as_of)
    document = build_document(
        inventory, analysis.findings, exposure=analysis.exposure, expired_waivers=[], as_of=as_of, generated_at=as_of
    )
    return document, inventory, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--identities", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--store", help="database URL [default: a SQLite file in a temporary folder]")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="standing-history-bench-")
    url = args.store or str(Path(folder.name) / "history.db")
    store = HistoryStore.open(url)
    analyse_s = record_s = record_cpu = 0.0
    print("day  identities  credentials  findings  analyse-s  record-s  record-cpu-s")
    # Each day is analysed in a worker process, so this process holds one day's scan at a
    # time, as a daily scheduled run does.
    with ProcessPoolExecutor(max_workers=1, initializer=_start_estate, initargs=(args.identities,)) as worker:
        upcoming = worker.submit(analysed_day, 0)
        for day in range(args.days):
            document, inventory, analysed = upcoming.result()
            t1, c1 = time.perf_counter(), time.process_time()
            store.record(document, inventory)
            t2, c2 = time.perf_counter(), time.process_time()
            if day + 1 < args.days:  # only now: the analysis must not compete with the timed write
                upcoming = worker.submit(analysed_day, day + 1)
            analyse_s += analysed
            record_s += t2 - t1
            record_cpu += c2 - c1
            print(
                f"{day:3d}  {len(inventory.identities):10d}  {len(inventory.credentials):11d}  "
                f"{len(document.findings):8d}  {analysed:9.1f}  {t2 - t1:8.2f}  {c2 - c1:12.2f}",
                flush=True,
            )
            del document, inventory
    t0, c0 = time.perf_counter(), time.process_time()
    trend = compute_trend(store)
    trend_s, trend_cpu = time.perf_counter() - t0, time.process_time() - c0
    scans = store.scans()
    t0 = time.perf_counter()
    change = store.diff(scans[-2].id, scans[-1].id)
    diff_s = time.perf_counter() - t0
    store.close()
    print()
    print(
        trend[
            [
                "scan",
                "critical",
                "high",
                "medium",
                "low",
                "standing_secrets",
                "credential_age_mean_days",
                "remediated",
                "mttr_days",
            ]
        ]
        .tail(5)
        .to_string(index=False)
    )
    print()
    print(
        f"last diff: {len(change.new)} new, {len(change.resolved)} resolved, {len(change.persisting)} persisting "
        f"findings; {len(change.created)} credentials created, {len(change.removed)} removed ({diff_s:.2f} s)"
    )
    backend = url.split(":")[0] if "://" in url else "sqlite"
    size = f"; database {Path(url).stat().st_size / 2**20:.0f} MiB" if Path(url).is_file() else ""
    print(
        f"{backend}: {args.days} scans recorded in {record_s:.2f} s, trend in {trend_s:.2f} s: "
        f"total {record_s + trend_s:.2f} s wall, {record_cpu + trend_cpu:.2f} s CPU (target <= 10 s){size}; "
        f"analysing the scans (not counted, in a worker) took {analyse_s:.0f} s"
    )
    folder.cleanup()


if __name__ == "__main__":
    main()
