"""How the AWS collector's API calls and time grow with the size of an account.

Seeds synthetic estates of 100, 1,000 and 5,000 identities into an in-process moto server,
then runs the real collector over HTTP and prints, for each size, the API calls by
operation and the seconds the collection took, with and without key-id resolution.
Also checks the findings against the estate's planted issues, so a fast wrong answer
shows up here too.

    python benchmarks/aws_collect_scale.py [--sizes 100 1000 5000]

Not a test: nothing here asserts a time. Seeding 5,000 identities takes a few minutes
(about 8 ms per moto call); the collection itself is the figure that matters.
Note: moto returns GetAccountAuthorizationDetails in one page whatever its size; real
AWS pages it (MaxItems up to 1,000), so there the GAAD count is about identities / 1,000.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, datetime

import boto3

from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.demo.estate import seed_estate, start_moto_server, synthetic_estate
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def counted_session() -> tuple[boto3.Session, Counter]:
    calls: Counter = Counter()
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

    def count(model, **_):
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    session.events.register("before-call", count)
    return session, calls


def measure(endpoint: str, *, resolve_key_ids: bool):
    session, calls = counted_session()
    options = AwsScanOptions(endpoint_url=endpoint, region="us-east-1", resolve_key_ids=resolve_key_ids)
    started = time.perf_counter()
    inventory = collect_aws(options, session=session, now=lambda: NOW, sleep=lambda s: None)
    return inventory, calls, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        spec = synthetic_estate(size)
        with start_moto_server() as server:
            t0 = time.perf_counter()
            seed_estate(spec, endpoint_url=server.endpoint_url, now=NOW)
            seed_seconds = time.perf_counter() - t0
            inventory, calls, seconds = measure(server.endpoint_url, resolve_key_ids=True)
            _, calls_no_ids, seconds_no_ids = measure(server.endpoint_url, resolve_key_ids=False)
        t0 = time.perf_counter()
        found = {(f.rule_id, f.identity) for f in analyse(inventory, ScanConfig(), as_of=NOW)}
        analyse_seconds = time.perf_counter() - t0
        key_holders = sum(1 for u in spec.users if u.keys)
        rows.append((size, key_holders, calls, seconds, calls_no_ids, seconds_no_ids, analyse_seconds))
        correct = found == spec.expected_findings()
        print(
            f"\n== {size} identities ({len(spec.users)} users, {key_holders} holding keys, "
            f"{len(spec.roles)} roles, {len(spec.groups)} groups); seeded in {seed_seconds:.1f}s"
        )
        for op, n in sorted(calls.items()):
            print(f"   {op:45s} {n:6d}")
        print(
            f"   collect: {sum(calls.values())} calls in {seconds:.2f}s; "
            f"--no-key-ids: {sum(calls_no_ids.values())} calls in {seconds_no_ids:.2f}s; "
            f"analyse: {analyse_seconds:.2f}s; findings match the planted issues: {correct}"
        )
    print("\nidentities  key-holders  calls  seconds  calls(--no-key-ids)  seconds(--no-key-ids)  analyse-s")
    for size, holders, calls, seconds, calls_no_ids, seconds_no_ids, analyse_seconds in rows:
        print(
            f"{size:10d}  {holders:11d}  {sum(calls.values()):5d}  {seconds:7.2f}  "
            f"{sum(calls_no_ids.values()):19d}  {seconds_no_ids:21.2f}  {analyse_seconds:9.2f}"
        )


if __name__ == "__main__":
    main()
