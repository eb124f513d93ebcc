"""Pagination, polling bounds and per-operation failures: the scan records gaps and goes on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3
import pytest
from aws_support import ACCT, NOW, REGION, fixed_now, no_sleep
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.collectors.aws.fetch import (
    REPORT_MAX_ATTEMPTS,
    CoverageLog,
    RawAccount,
    fetch_authorization_details,
    fetch_credential_report,
)
from standing.collectors.aws.normalize import normalize_account
from standing.collectors.aws.session import install_guard, make_client
from standing.core.model import CoverageEntry, CoverageStatus, IdentityKind, Provider, UsageStatus

ARN = f"arn:aws:iam::{ACCT}"
CREATED = datetime(2024, 1, 1, tzinfo=NOW.tzinfo)

ONE_REGION = ("us-east-1",)  # workloads are read where the tests put them, not in every moto region


def stubbed_iam() -> Any:
    session = install_guard(boto3.Session(region_name=REGION))
    return make_client(session, "iam", AwsScanOptions())


def user(name: str) -> dict[str, Any]:
    return {
        "UserName": name,
        "UserId": f"AIDA{name.upper():0<17}",
        "Arn": f"{ARN}:user/{name}",
        "Path": "/",
        "CreateDate": CREATED,
    }


def role(name: str) -> dict[str, Any]:
    return {
        "RoleName": name,
        "RoleId": f"AROA{name.upper():0<17}",
        "Arn": f"{ARN}:role/{name}",
        "Path": "/",
        "CreateDate": CREATED,
        "AssumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[]}',
        "RoleLastUsed": {},
    }


def test_authorization_details_follow_the_marker_across_pages() -> None:
    iam = stubbed_iam()
    log = CoverageLog(ACCT)
    with Stubber(iam) as stub:
        stub.add_response(
            "get_account_authorization_details",
            {"UserDetailList": [user("a")], "RoleDetailList": [role("r1")], "IsTruncated": True, "Marker": "page-2"},
            {},
        )
        stub.add_response(
            "get_account_authorization_details",
            {
                "UserDetailList": [user("b")],
                "RoleDetailList": [role("r2")],
                "GroupDetailList": [
                    {
                        "GroupName": "g",
                        "Arn": f"{ARN}:group/g",
                        "Path": "/",
                        "GroupId": "AGPA0000000000000000G",
                        "CreateDate": CREATED,
                    }
                ],
                "IsTruncated": False,
            },
            {"Marker": "page-2"},
        )
        details = fetch_authorization_details(iam, log)
        stub.assert_no_pending_responses()

    assert details is not None
    raw = RawAccount(account_id=ACCT, caller_arn=f"{ARN}:user/scanner", authorization_details=details)
    inv = normalize_account(raw, now=NOW)
    assert {(i.id, i.kind) for i in inv.identities} == {
        (f"{ARN}:user/a", IdentityKind.USER),
        (f"{ARN}:user/b", IdentityKind.USER),
        (f"{ARN}:group/g", IdentityKind.GROUP),
        (f"{ARN}:role/r1", IdentityKind.ROLE),
        (f"{ARN}:role/r2", IdentityKind.ROLE),
    }
    # A trust policy still in its string wire form is decoded.
    roles = {i.name: i for i in inv.identities if i.kind is IdentityKind.ROLE}
    assert roles["r1"].trust_policy == {"Version": "2012-10-17", "Statement": []}
    assert [c.status for c in log.entries] == [CoverageStatus.OK]


def test_credential_report_polling_is_bounded() -> None:
    iam = stubbed_iam()
    log = CoverageLog(ACCT)
    sleeps: list[float] = []
    with Stubber(iam) as stub:
        for _ in range(REPORT_MAX_ATTEMPTS):
            stub.add_response("generate_credential_report", {"State": "STARTED"}, {})
        report = fetch_credential_report(iam, log, sleeps.append)
        stub.assert_no_pending_responses()
    assert report is None
    assert len(sleeps) == REPORT_MAX_ATTEMPTS - 1
    assert sleeps[:4] == [0.25, 0.5, 1.0, 2.0] and max(sleeps) == 2.0  # backs off, then steady
    assert log.entries == [
        CoverageEntry(
            provider=Provider.AWS,
            scope=ACCT,
            operation="iam:GenerateCredentialReport",
            status=CoverageStatus.FAILED,
            detail=f"report not COMPLETE after {REPORT_MAX_ATTEMPTS} attempts",
        ),
    ]


def error_response(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    """What a before-call handler returns to make botocore raise as if AWS answered."""
    http = AWSResponse(url="https://iam.amazonaws.com/", status_code=status, headers={}, raw=None)
    return http, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}


def test_denied_report_is_a_gap_and_gaad_identities_remain(session: boto3.Session) -> None:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="ci-bot")
    key = iam.create_access_key(UserName="ci-bot")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="no-keys")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')
    message = f"User: {ARN}:user/scanner is not authorized to perform: iam:GetCredentialReport"
    session.events.register(
        "before-call.iam.GetCredentialReport",
        lambda **_: error_response(403, "AccessDenied", message),
    )
    listed: list[str] = []
    session.events.register("before-call.iam.ListAccessKeys", lambda **_: listed.append("x"))

    inv = collect_aws(AwsScanOptions(regions=ONE_REGION), session=session, now=fixed_now, sleep=no_sleep)

    assert inv.gaps == [
        CoverageEntry(
            provider=Provider.AWS,
            scope=ACCT,
            operation="iam:GetCredentialReport",
            status=CoverageStatus.DENIED,
            detail=f"AccessDenied: {message}",
        ),
    ]
    assert {i.id for i in inv.identities} == {f"{ARN}:user/ci-bot", f"{ARN}:user/no-keys", f"{ARN}:role/r"}
    # Without the report nobody is known to hold a key, so every user's keys are listed.
    assert len(listed) == 2
    assert {(c.id, c.active, c.last_used_status) for c in inv.credentials} == {(key, True, UsageStatus.UNKNOWN)}
    assert inv.meta.source_times == {}


@pytest.mark.parametrize(
    ("failure", "status", "detail"),
    [
        (
            lambda **_: error_response(400, "Throttling", "Rate exceeded"),
            CoverageStatus.THROTTLED,
            "Throttling: Rate exceeded",
        ),
        (lambda **_: error_response(500, "ServiceFailure", "boom"), CoverageStatus.FAILED, "ServiceFailure: boom"),
    ],
)
def test_other_failures_are_classified(session: boto3.Session, failure, status, detail) -> None:
    session.events.register("before-call.iam.ListSAMLProviders", failure)
    inv = collect_aws(AwsScanOptions(regions=ONE_REGION), session=session, now=fixed_now, sleep=no_sleep)
    assert [(g.operation, g.status, g.detail) for g in inv.gaps] == [("iam:ListSAMLProviders", status, detail)]


def test_connection_error_is_a_failed_operation(session: boto3.Session) -> None:
    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")

    session.events.register("before-call.iam.ListOpenIDConnectProviders", unreachable)
    boto3.client("iam", region_name=REGION).create_user(UserName="u")
    inv = collect_aws(AwsScanOptions(regions=ONE_REGION), session=session, now=fixed_now, sleep=no_sleep)
    assert [(g.operation, g.status) for g in inv.gaps] == [("iam:ListOpenIDConnectProviders", CoverageStatus.FAILED)]
    assert "Could not connect" in (inv.gaps[0].detail or "")
    assert {i.name for i in inv.identities} == {"u"}
    assert inv.federation == []
