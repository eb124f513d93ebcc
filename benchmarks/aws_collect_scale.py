"""How the AWS collector's API calls and time grow with the size of an account.

Seeds synthetic estates of 100, 1,000 and 5,000 identities into an in-process moto server,
then runs the real collector over HTTP and prints, for each size, the API calls by
operation and the seconds the collection took, with and without key-id resolution.
Also checks the findings against the estate's planted issues, so a fast wrong answer
shows up here too.

    python benchmarks/aws_collect_scale.py [--sizes 100 1000 5000]
    python benchmarks/aws_collect_scale.py --workloads   # with and without workloads, 4 regions

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


def measure(endpoint: str, *, resolve_key_ids: bool = True, regions: tuple[str, ...] = ()):
    """One collection; without ``regions`` no workload is read (the IAM figures alone)."""
    session, calls = counted_session()
    options = AwsScanOptions(
        endpoint_url=endpoint,
        region="us-east-1",
        resolve_key_ids=resolve_key_ids,
        regions=regions,
        workloads=bool(regions),
    )
    started = time.perf_counter()
    inventory = collect_aws(options, session=session, now=lambda: NOW, sleep=lambda s: None)
    return inventory, calls, time.perf_counter() - started


WORKLOAD_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")


def seed_workloads(endpoint: str, functions: int, instances: int) -> None:
    """``functions`` Lambda functions and ``instances`` EC2 instances spread over 4 regions,
    every one running as one of two roles (an instance through its instance profile)."""
    import io
    import json
    import zipfile

    def client(service: str, region: str = "us-east-1"):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    iam = client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    fn_role = iam.create_role(RoleName="bench-fn", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.create_role(RoleName="bench-ec2", AssumeRolePolicyDocument=trust)
    iam.create_instance_profile(InstanceProfileName="bench-ec2")
    iam.add_role_to_instance_profile(InstanceProfileName="bench-ec2", RoleName="bench-ec2")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", "def handler(e, c):\n    return 1\n")
    for index, region in enumerate(WORKLOAD_REGIONS):
        share = range(index, functions, len(WORKLOAD_REGIONS))
        lam = client("lambda", region)
        for n in share:
            lam.create_function(
                FunctionName=f"fn-{n}",
                Runtime="python3.12",
                Role=fn_role,
                Handler="app.handler",
                Code={"ZipFile": buf.getvalue()},
            )
        ec2 = client("ec2", region)
        for _ in range(index, instances, len(WORKLOAD_REGIONS)):
            # One launch each: moto attaches the profile to the first instance of a launch only.
            ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, IamInstanceProfile={"Name": "bench-ec2"})


def workloads_main(identities: int, functions: int, instances: int) -> None:
    spec = synthetic_estate(identities)
    with start_moto_server() as server:
        seed_estate(spec, endpoint_url=server.endpoint_url, now=NOW)
        seed_workloads(server.endpoint_url, functions, instances)
        _, calls_iam, seconds_iam = measure(server.endpoint_url)
        inventory, calls, seconds = measure(server.endpoint_url, regions=WORKLOAD_REGIONS)
    with_role = sum(1 for w in inventory.workloads if w.identity_ids)
    print(
        f"\n== {identities} identities, {functions} functions, {instances} instances, {len(WORKLOAD_REGIONS)} regions"
    )
    for op, n in sorted(calls.items()):
        print(f"   {op:45s} {n:6d}")
    print("\n| | calls | seconds | workloads (with their role) |\n|---|---:|---:|---:|")
    print(f"| without workloads | {sum(calls_iam.values())} | {seconds_iam:.1f} | 0 |")
    print(
        f"| with workloads, 4 regions | {sum(calls.values())} | {seconds:.1f} | {len(inventory.workloads)} ({with_role}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument(
        "--workloads", action="store_true", help="1,000 identities with 500 functions and 500 instances in 4 regions"
    )
    args = parser.parse_args()
    if args.workloads:
        workloads_main(1000, 500, 500)
        return
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
