"""Organization scans of 10, 100 and 500 accounts: the thread pool against a local Dask cluster.

For each size, creates a moto organization (the management account plus members, each with
a few users, a key holder and a role), then runs the real collector over HTTP through the
recording proxy of ``tests/support/aws_wire.py`` twice: on the default thread pool and on a
``distributed.LocalCluster`` of worker processes. Prints the wall time and the API calls of
each, and whether both gave the same findings (a fast wrong answer shows up here too).

    python benchmarks/org_scale.py [--sizes 10 100 500] [--threads 8] [--dask-workers 2]

Not a test: nothing here asserts a time. moto answers every account from this one process
(one GIL), so the figures show the scanner's overhead and fan-out, not AWS's latency; with
real AWS each call takes tens of milliseconds of network wait, which both executors overlap.
Credential reports are generated while seeding, so no scan waits for one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.collectors.executors import DaskExecutor, ThreadExecutor
from standing.core.model import Inventory
from standing.demo.estate import iam_client, start_moto_server
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.support.aws_wire import AwsWireProxy

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TRUST_LAMBDA = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
    '"Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
)
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def seed_organization(endpoint: str, accounts: int) -> list[str]:
    org = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    members = [
        org.create_account(AccountName=f"member-{n:04d}", Email=f"m{n}@example.com")["CreateAccountStatus"]["AccountId"]
        for n in range(accounts - 1)
    ]
    for account in ["123456789012", *members]:
        iam = iam_client(endpoint, account_id=account)
        for name in ("svc-ci", "svc-etl", "svc-report"):
            iam.create_user(UserName=name)
        iam.create_access_key(UserName="svc-ci")
        iam.create_role(RoleName="app-runtime", AssumeRolePolicyDocument=TRUST_LAMBDA)
        iam.generate_credential_report()
    return members


def scan(endpoint: str, executor) -> tuple[Inventory, Counter, float]:
    with AwsWireProxy(endpoint) as proxy:
        options = AwsScanOptions(
            organization=True, endpoint_url=proxy.endpoint_url, region="us-east-1", regions=("us-east-1",)
        )
        started = time.perf_counter()
        inventory = collect_aws(options, session=boto3.Session(), now=lambda: NOW, executor=executor)
        seconds = time.perf_counter() - started
        calls = Counter(f"{service}:{op}" for service, op in proxy.log.calls)
    return inventory, calls, seconds


def findings(inventory: Inventory) -> set[tuple[str, str]]:
    return {(f.rule_id, f.identity) for f in analyse(inventory, ScanConfig(), as_of=NOW)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--threads", type=int, default=8, help="thread pool size (--max-workers)")
    parser.add_argument("--dask-workers", type=int, default=2, help="local Dask worker processes")
    parser.add_argument("--dask-threads", type=int, default=4, help="threads per Dask worker")
    args = parser.parse_args()
    os.environ.update(ENV)  # the Dask workers inherit these: their own credential chain

    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=args.dask_workers, threads_per_worker=args.dask_threads, processes=True, dashboard_address=":0"
    )
    client = Client(cluster)
    print(
        f"local Dask cluster: {args.dask_workers} processes x {args.dask_threads} threads, "
        f"started in {time.perf_counter() - t0:.1f}s; thread pool: {args.threads}; "
        f"{os.cpu_count()} CPUs"
    )
    rows = []
    try:
        for size in args.sizes:
            with start_moto_server() as server:
                t0 = time.perf_counter()
                seed_organization(server.endpoint_url, size)
                seeded = time.perf_counter() - t0
                by_thread = scan(server.endpoint_url, ThreadExecutor(max_workers=args.threads))
                by_dask = scan(server.endpoint_url, DaskExecutor(client=client))
            same = findings(by_thread[0]) == findings(by_dask[0])
            rows.append((size, by_thread, by_dask, same))
            print(f"\n== {size} accounts ({len(by_thread[0].identities)} identities); seeded in {seeded:.1f}s")
            for label, (inventory, calls, seconds) in (("thread pool", by_thread), ("dask", by_dask)):
                print(
                    f"   {label:12s} {sum(calls.values()):6d} calls in {seconds:6.2f}s "
                    f"({len(inventory.gaps)} gaps): " + ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
                )
            print(f"   same findings: {same}")
    finally:
        client.close()
        cluster.close()
    print("\naccounts  identities  calls(thread)  seconds(thread)  calls(dask)  seconds(dask)  same-findings")
    for size, by_thread, by_dask, same in rows:
        print(
            f"{size:8d}  {len(by_thread[0].identities):10d}  {sum(by_thread[1].values()):13d}  "
            f"{by_thread[2]:15.2f}  {sum(by_dask[1].values()):11d}  {by_dask[2]:13.2f}  {same}"
        )


if __name__ == "__main__":
    main()
