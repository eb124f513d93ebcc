"""How the AWS collector's API calls and time grow with the size of an account.

Seeds synthetic estates of 100, 1,000 and 5,000 identities into an in-process moto server,
then runs the real collector over HTTP and prints, for each size, the API calls by
operation and the seconds the collection took, with and without key-id resolution.
Also checks the findings against the estate's planted issues, so a fast wrong answer
shows up here too.

    python benchmarks/aws_collect_scale.py [--sizes 100 1000 5000]
    python benchmarks/aws_collect_scale.py --workloads   # with and without workloads, 4 regions
    python benchmarks/aws_collect_scale.py --usage       # what --usage flagged adds, 1,000 / 200 flagged

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


def _advisor_report(services: int) -> dict:
    used = {"JobStatus": "COMPLETED", "JobType": "ACTION_LEVEL", "JobCreationDate": "2026-05-31T00:00:00Z"}
    return used | {
        "ServicesLastAccessed": [
            {"ServiceName": f"svc{n}", "ServiceNamespace": f"svc{n}", "TotalAuthenticatedEntities": 0}
            for n in range(services)
        ]
    }


def _finding(n: int, arn: str, analyzer: str) -> dict:
    return {
        "id": f"finding-{n}",
        "analyzerArn": analyzer,
        "resource": arn,
        "resourceType": "AWS::IAM::Role" if ":role/" in arn else "AWS::IAM::User",
        "resourceOwnerAccount": "123456789012",
        "status": "ACTIVE",
        "findingType": "UnusedPermission",
        "analyzedAt": "2026-05-31T00:00:00Z",
        "createdAt": "2026-05-31T00:00:00Z",
        "updatedAt": "2026-05-31T00:00:00Z",
        "findingDetails": [
            {"unusedPermissionDetails": {"serviceNamespace": "iam", "actions": [{"action": "CreateUser"}]}}
        ],
    }


def usage_main(identities: int, flagged_count: int) -> None:
    """The calls ``--usage flagged`` adds to a collection: Access Advisor for the flagged
    identities (each job answered IN_PROGRESS once, so one poll round shows), then the same
    account with an unused-access analyzer, whose findings are read in bulk instead."""
    from standing.collectors.aws.usage_collect import collect_aws_usage
    from standing.demo.moto_usage import BOOK
    from standing.scan import usage_targets

    spec = synthetic_estate(identities)
    with start_moto_server() as server:
        seed_estate(spec, endpoint_url=server.endpoint_url, now=NOW)
        inventory, collect_calls, _ = measure(server.endpoint_url)
        flagged = usage_targets(inventory, ScanConfig(), as_of=NOW)
        targets = [arn for arn in flagged if ":role/" in arn or ":user/" in arn][:flagged_count]
        options = AwsScanOptions(endpoint_url=server.endpoint_url, region="us-east-1", workloads=False)
        rows = []
        BOOK.reports.update({arn: _advisor_report(12) for arn in targets})
        BOOK.polls_before_done = 1
        for label in ("Access Advisor (no analyzer)", "unused-access analyzer present"):
            if label.startswith("unused"):
                analyzer = "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/unused"
                BOOK.analyzers[:] = [{"arn": analyzer, "name": "unused", "type": "ACCOUNT_UNUSED_ACCESS",
                                      "status": "ACTIVE", "createdAt": "2026-01-01T00:00:00Z"}]  # fmt: skip
                # the analyzer flags every identity with a finding; details are read for the flagged ones
                BOOK.findings[:] = [_finding(n, arn, analyzer) for n, arn in enumerate(flagged)]
            session, calls = counted_session()
            started = time.perf_counter()
            result = collect_aws_usage(
                inventory, options, targets, now=lambda: NOW, session=session, sleep=lambda s: None
            )
            rows.append((label, calls, time.perf_counter() - started, len(result.usage)))
    print(f"\n== {identities} identities, {len(flagged)} with a finding, {len(targets)} flagged identities asked about")
    print(f"   the collection itself: {sum(collect_calls.values())} calls")
    for label, calls, seconds, records in rows:
        print(f"\n   {label}: {sum(calls.values())} calls in {seconds:.1f}s, {records} usage records")
        for op, n in sorted(calls.items()):
            print(f"      {op:45s} {n:6d}")
    print("\n| usage read | calls | per flagged identity | seconds |\n|---|---:|---:|---:|")
    for label, calls, seconds, _ in rows:
        print(f"| {label} | {sum(calls.values())} | {sum(calls.values()) / max(1, len(targets)):.2f} | {seconds:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument(
        "--workloads", action="store_true", help="1,000 identities with 500 functions and 500 instances in 4 regions"
    )
    parser.add_argument("--usage", action="store_true", help="what --usage flagged adds: 1,000 identities, 200 flagged")
    args = parser.parse_args()
    if args.usage:
        usage_main(1000, 200)
        return
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
