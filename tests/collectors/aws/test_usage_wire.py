"""The usage reads over the wire: moto's server behind the recording proxy, which answers
the calls moto lacks (Access Analyzer's findings, IAM's Access Advisor) in AWS's own wire
formats (rest-json for Access Analyzer, query/XML for IAM), shaped by the API reference and
parsed by the real client. Each case beside its near miss."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest
from aws_support import ACCT, fixed_now, no_sleep

from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.collectors.aws.usage_collect import collect_aws_usage
from standing.core.model import CoverageStatus, UsageSource
from standing.demo.estate import start_moto_server
from tests.support.aws_wire import Answer, AwsWireProxy, Fault

ROLE = f"arn:aws:iam::{ACCT}:role"
JOB = "11111111-1305-c245-eba4-71fe298bcda7"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def aa(path: str, body: dict) -> Answer:
    return Answer("access-analyzer", path, json.dumps(body), content_type="application/json", rest_path=True)


def iam_xml(operation: str, result: str) -> Answer:
    body = (
        f'<{operation}Response xmlns="{IAM_NS}"><{operation}Result>{result}</{operation}Result>'
        f"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></{operation}Response>"
    )
    return Answer("iam", operation, body, content_type="text/xml")


ADVISOR = [
    iam_xml("GenerateServiceLastAccessedDetails", f"<JobId>{JOB}</JobId>"),
    iam_xml(
        "GetServiceLastAccessedDetails",
        "<JobStatus>COMPLETED</JobStatus><JobType>ACTION_LEVEL</JobType>"
        "<JobCreationDate>2026-11-30T00:00:00Z</JobCreationDate><JobCompletionDate>2026-11-30T00:00:05Z</JobCompletionDate>"
        "<ServicesLastAccessed><member><ServiceName>Amazon S3</ServiceName><ServiceNamespace>s3</ServiceNamespace>"
        "<LastAuthenticated>2026-11-02T00:00:00Z</LastAuthenticated><TotalAuthenticatedEntities>1</TotalAuthenticatedEntities>"
        "<TrackedActionsLastAccessed><member><ActionName>GetObject</ActionName>"
        "<LastAccessedTime>2026-11-02T00:00:00Z</LastAccessedTime></member></TrackedActionsLastAccessed></member>"
        "<member><ServiceName>Amazon EC2</ServiceName><ServiceNamespace>ec2</ServiceNamespace>"
        "<TotalAuthenticatedEntities>0</TotalAuthenticatedEntities></member></ServicesLastAccessed>"
        "<IsTruncated>false</IsTruncated>",
    ),
]
ANALYZER = f"arn:aws:access-analyzer:us-east-1:{ACCT}:analyzer/unused"


def analyzers(kind: str) -> Answer:
    return aa(
        "/analyzer",
        {
            "analyzers": [
                {
                    "arn": ANALYZER,
                    "name": "unused",
                    "type": kind,
                    "createdAt": "2026-01-01T00:00:00Z",
                    "status": "ACTIVE",
                    "configuration": {"unusedAccess": {"unusedAccessAge": 45}},
                }
            ]
        },
    )


# The finding as ListFindingsV2 summarizes it; GetFindingV2 returns the same fields and its details.
FINDING = {
    "id": "f-1",
    "resource": f"{ROLE}/deployer",
    "resourceType": "AWS::IAM::Role",
    "resourceOwnerAccount": ACCT,
    "status": "ACTIVE",
    "findingType": "UnusedPermission",
    "analyzedAt": "2026-11-30T00:00:00Z",
    "createdAt": "2026-11-30T00:00:00Z",
    "updatedAt": "2026-11-30T00:00:00Z",
}
FINDINGS = [
    aa("/findingv2", {"findings": [FINDING]}),
    aa(
        "/findingv2/f-1",
        {
            **FINDING,
            "findingDetails": [
                {"unusedPermissionDetails": {"serviceNamespace": "iam", "actions": [{"action": "CreateUser"}]}}
            ],
        },
    ),
]


@pytest.fixture(scope="module")
def wire():
    with start_moto_server() as server:
        iam = boto3.client("iam", endpoint_url=server.endpoint_url, region_name="us-east-1")
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        for name in ("deployer", "reporter"):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        with AwsWireProxy(server.endpoint_url) as proxy:
            options = AwsScanOptions(endpoint_url=proxy.endpoint_url, workloads=False)
            inventory = collect_aws(
                options, session=boto3.Session(region_name="us-east-1"), now=fixed_now, sleep=no_sleep
            )
            yield proxy, options, inventory


def usage(wire, answers, targets, faults=()):
    proxy, options, inventory = wire
    proxy.log.answers[:] = answers
    proxy.log.faults[:] = list(faults)
    proxy.log.calls.clear()
    result = collect_aws_usage(
        inventory, options, targets, now=fixed_now, session=boto3.Session(region_name="us-east-1"), sleep=no_sleep
    )
    return result, Counter(proxy.log.calls)


def test_an_unused_access_analyzer_is_read_in_bulk_and_access_advisor_is_not_called(wire):
    result, calls = usage(wire, [analyzers("ACCOUNT_UNUSED_ACCESS"), *FINDINGS, *ADVISOR], None)
    (record,) = result.usage
    assert (record.identity_id, record.source, record.window_days) == (
        f"{ROLE}/deployer",
        UsageSource.AWS_ACCESS_ANALYZER,
        45,
    )
    assert record.unused_actions == ["iam:CreateUser"]
    assert not any(service == "iam" and "LastAccessed" in op for service, op in calls)


def test_without_an_unused_access_analyzer_access_advisor_reads_only_the_flagged_identity(wire):
    result, calls = usage(wire, [analyzers("ACCOUNT"), *ADVISOR], [f"{ROLE}/reporter"])
    (record,) = result.usage
    assert (record.identity_id, record.source, record.window_days) == (
        f"{ROLE}/reporter",
        UsageSource.AWS_ACCESS_ADVISOR,
        400,
    )
    assert [a.name for a in record.actions] == ["s3:GetObject"] and record.action_level
    assert [(s.name, s.last_used is None) for s in record.services] == [("s3", False), ("ec2", True)]
    # at most two calls for the one flagged identity, plus nothing else
    assert calls[("iam", "GenerateServiceLastAccessedDetails")] == 1
    assert calls[("iam", "GetServiceLastAccessedDetails")] == 1


def test_a_denied_report_job_is_a_gap_and_the_inventory_is_kept(wire):
    _, _, inventory = wire
    faults = (Fault("iam", "GenerateServiceLastAccessedDetails", "AccessDenied"),)
    result, calls = usage(wire, [aa("/analyzer", {"analyzers": []}), *ADVISOR], None, faults)
    assert result.usage == []
    assert result.identities == inventory.identities
    denied = [c for c in result.coverage if c.status is CoverageStatus.DENIED]
    assert {c.operation for c in denied} == {"iam:GenerateServiceLastAccessedDetails"}
    # refused once, not asked again for the other role: the gap says how many were not asked
    assert calls[("iam", "GenerateServiceLastAccessedDetails")] == 1
    assert any("not asked for the 1 other identities" in (c.detail or "") for c in denied)


def test_an_answer_that_is_not_aws_wire_format_is_a_named_gap_not_a_crash(wire):
    """An emulator's or proxy's HTML error page where IAM's XML should be: the scan goes on."""
    _, _, inventory = wire
    page = Answer("iam", "GenerateServiceLastAccessedDetails", "<!doctype html><title>500</title>", "text/html")
    result, _ = usage(wire, [aa("/analyzer", {"analyzers": []}), page], [f"{ROLE}/reporter"])
    assert result.usage == [] and result.identities == inventory.identities
    [failed] = [c for c in result.coverage if c.status is CoverageStatus.FAILED]
    assert failed.operation == "iam:GenerateServiceLastAccessedDetails"
    assert "not in AWS's wire format" in (failed.detail or "")


def test_finding_details_are_read_only_for_the_flagged_identities(wire):
    result, calls = usage(wire, [analyzers("ACCOUNT_UNUSED_ACCESS"), *FINDINGS], [f"{ROLE}/reporter"])
    assert calls[("access-analyzer", "ListFindingsV2")] == 1  # the listing is the bulk read, whole
    assert calls[("access-analyzer", "GetFindingV2")] == 0  # the deployer's details: not flagged, not read
    assert result.usage == []
