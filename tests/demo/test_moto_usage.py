"""The demo server's usage book, read by the real collector over HTTP: what moto lacks (Access
Analyzer, Access Advisor) answered in AWS's wire formats, paged and polled as AWS does, and
never a report the book was not given."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.collectors.aws.usage_collect import collect_aws_usage
from standing.core.model import CoverageStatus, UsageSource
from standing.demo.estate import start_moto_server
from standing.demo.moto_usage import BOOK

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
ANALYZER = f"arn:aws:access-analyzer:us-east-1:{ACCOUNT}:analyzer/unused"
NAMES = [f"app-{n:02d}" for n in range(60)]


def arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


@pytest.fixture(scope="module")
def world():
    with start_moto_server() as server:
        iam = boto3.client("iam", endpoint_url=server.endpoint_url, region_name="us-east-1")
        for name in NAMES:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))
        options = AwsScanOptions(endpoint_url=server.endpoint_url, region="us-east-1", workloads=False)
        session = boto3.Session(region_name="us-east-1")
        inventory = collect_aws(options, session=session, now=lambda: NOW, sleep=lambda s: None)
        yield options, inventory
    BOOK.clear()


def read(world, targets, calls):
    options, inventory = world
    session = boto3.Session(region_name="us-east-1")
    session.events.register("before-call", lambda model, **_: calls.append(model.name))
    return collect_aws_usage(inventory, options, targets, now=lambda: NOW, session=session, sleep=lambda s: None)


def test_access_advisor_is_polled_until_done_and_an_identity_without_a_report_is_a_gap(world):
    BOOK.clear()
    BOOK.polls_before_done = 2
    BOOK.reports[arn("app-00")] = {
        "ServicesLastAccessed": [
            {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "LastAuthenticated": "2026-05-30T00:00:00Z"},
            {"ServiceName": "AWS IAM", "ServiceNamespace": "iam", "TotalAuthenticatedEntities": 0},
        ]
    }
    calls: list[str] = []
    result = read(world, [arn("app-00"), arn("app-01")], calls)
    (record,) = result.usage
    assert record.source is UsageSource.AWS_ACCESS_ADVISOR and record.identity_id == arn("app-00")
    assert {(s.name, s.last_used is not None) for s in record.services} == {("s3", True), ("iam", False)}
    assert calls.count("GetServiceLastAccessedDetails") == 6  # 2 IN_PROGRESS + the answer, per job
    [gap] = [c for c in result.coverage if c.status is CoverageStatus.FAILED]
    assert arn("app-01") in (gap.detail or "")  # moto records no use: no report is invented


def test_an_analyzer_is_listed_in_pages_and_its_findings_read_for_the_flagged_only(world):
    BOOK.clear()
    BOOK.analyzers.append(
        {"arn": ANALYZER, "name": "unused", "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE",
         "createdAt": "2026-01-01T00:00:00Z", "configuration": {"unusedAccess": {"unusedAccessAge": 60}}}
    )  # fmt: skip
    for n, name in enumerate(NAMES):
        BOOK.findings.append(
            {"id": f"f-{n}", "analyzerArn": ANALYZER, "resource": arn(name), "resourceType": "AWS::IAM::Role",
             "resourceOwnerAccount": ACCOUNT, "status": "ACTIVE", "findingType": "UnusedPermission",
             "analyzedAt": "2026-05-31T00:00:00Z", "createdAt": "2026-05-31T00:00:00Z",
             "updatedAt": "2026-05-31T00:00:00Z",
             "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "iam",
                                                             "actions": [{"action": "CreateUser"}]}}]}
        )  # fmt: skip
    calls: list[str] = []
    result = read(world, [arn("app-07"), arn("app-55")], calls)
    assert sorted(r.identity_id for r in result.usage) == [arn("app-07"), arn("app-55")]
    assert all(r.window_days == 60 and r.unused_actions == ["iam:CreateUser"] for r in result.usage)
    assert calls.count("ListFindingsV2") == 2  # 60 findings, 50 a page
    assert calls.count("GetFindingV2") == 2 and "GenerateServiceLastAccessedDetails" not in calls
