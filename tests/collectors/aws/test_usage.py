"""AWS usage reads: Access Analyzer findings in bulk, Access Advisor per identity otherwise.

moto answers neither Access Analyzer v2 findings nor Access Advisor; these tests hand the
real boto3 client responses in the shapes of the IAM and Access Analyzer API references via
botocore's ``Stubber`` (the client validates each against the service model), each beside
its near miss. No real sleep: the poll loop's ``sleep`` is a list that records the waits.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from standing.collectors.aws.coverage import CoverageLog
from standing.collectors.aws.usage import UsageParseError, usage_from_finding, usage_from_last_accessed
from standing.collectors.aws.usage_fetch import fetch_access_advisor, fetch_analyzer_usage
from standing.core.model import CoverageStatus, UsageSource

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ROLE = "arn:aws:iam::111122223333:role/deployer"
OTHER = "arn:aws:iam::111122223333:role/reporter"
J1 = "11111111-1305-c245-eba4-71fe298bcda7"
J2 = "22222222-1305-c245-eba4-71fe298bcda7"
ANALYZER = "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/unused"


def client(service: str):
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def analyzer(kind: str = "ACCOUNT_UNUSED_ACCESS", age: int = 60) -> dict:
    return {
        "arn": ANALYZER,
        "name": "unused",
        "type": kind,
        "createdAt": NOW,
        "status": "ACTIVE",
        "configuration": {"unusedAccess": {"unusedAccessAge": age}},
    }


def finding(fid: str, resource: str, kind: str = "UnusedPermission") -> dict:
    return {
        "id": fid,
        "resource": resource,
        "resourceType": "AWS::IAM::Role",
        "resourceOwnerAccount": "111122223333",
        "status": "ACTIVE",
        "findingType": kind,
        "analyzedAt": NOW,
        "createdAt": NOW,
        "updatedAt": NOW,
    }


def finding_detail(fid: str, resource: str) -> dict:
    return {
        **finding(fid, resource),
        "findingDetails": [
            {
                "unusedPermissionDetails": {
                    "serviceNamespace": "s3",
                    "actions": [{"action": "DeleteBucket"}, {"action": "PutBucketPolicy", "lastAccessed": NOW}],
                    "lastAccessed": datetime(2026, 6, 1, tzinfo=UTC),
                }
            },
            {"unusedPermissionDetails": {"serviceNamespace": "iam"}},
        ],
    }


def test_an_unused_access_analyzer_gives_one_record_per_flagged_identity_in_its_window():
    aa = client("accessanalyzer")
    log = CoverageLog("aws:111122223333")
    with Stubber(aa) as stub:
        stub.add_response("list_analyzers", {"analyzers": [analyzer()]})
        stub.add_response(
            "list_findings_v2", {"findings": [finding("f1", ROLE), finding("f2", OTHER, "UnusedIAMRole")]}
        )
        stub.add_response("get_finding_v2", finding_detail("f1", ROLE), {"analyzerArn": ANALYZER, "id": "f1"})
        result = fetch_analyzer_usage(aa, log, NOW)
        stub.assert_no_pending_responses()
    assert result is not None
    assert result.flagged == [ROLE, OTHER]  # the unused role is flagged too, but has no permission details
    (record,) = result.records
    assert record.identity_id == ROLE
    assert record.source is UsageSource.AWS_ACCESS_ANALYZER
    assert record.window_days == 60
    assert record.unused_actions == ["iam:*", "s3:DeleteBucket", "s3:PutBucketPolicy"]
    assert [s.name for s in record.services] == ["s3", "iam"]
    assert record.action_level


def test_an_external_access_analyzer_reports_no_usage_so_access_advisor_is_the_fallback():
    aa = client("accessanalyzer")
    with Stubber(aa) as stub:
        stub.add_response("list_analyzers", {"analyzers": [analyzer(kind="ACCOUNT")]})
        assert fetch_analyzer_usage(aa, CoverageLog("aws:111122223333"), NOW) is None
        stub.assert_no_pending_responses()  # no findings are listed


def test_no_analyzer_at_all_is_the_fallback_too():
    aa = client("accessanalyzer")
    with Stubber(aa) as stub:
        stub.add_response("list_analyzers", {"analyzers": []})
        assert fetch_analyzer_usage(aa, CoverageLog("aws:111122223333"), NOW) is None


def test_a_denied_finding_is_a_gap_and_the_other_findings_are_kept():
    aa = client("accessanalyzer")
    log = CoverageLog("aws:111122223333")
    with Stubber(aa) as stub:
        stub.add_response("list_analyzers", {"analyzers": [analyzer()]})
        stub.add_response("list_findings_v2", {"findings": [finding("f1", ROLE), finding("f2", OTHER)]})
        stub.add_client_error("get_finding_v2", "AccessDeniedException", http_status_code=403)
        stub.add_response("get_finding_v2", finding_detail("f2", OTHER))
        result = fetch_analyzer_usage(aa, log, NOW)
    assert result is not None
    assert [r.identity_id for r in result.records] == [OTHER]
    assert ("access-analyzer:GetFinding", CoverageStatus.DENIED) in [(e.operation, e.status) for e in log.entries]


def test_a_denied_analyzer_listing_is_a_gap_not_a_crash():
    aa = client("accessanalyzer")
    log = CoverageLog("aws:111122223333")
    with Stubber(aa) as stub:
        stub.add_client_error("list_analyzers", "AccessDeniedException", http_status_code=403)
        assert fetch_analyzer_usage(aa, log, NOW) is None
    assert [(e.operation, e.status) for e in log.entries] == [("access-analyzer:ListAnalyzers", CoverageStatus.DENIED)]


def report(services: list[dict], *, truncated: bool = False, marker: str | None = None) -> dict:
    page = {
        "JobStatus": "COMPLETED",
        "JobType": "ACTION_LEVEL",
        "JobCreationDate": NOW,
        "JobCompletionDate": NOW,
        "ServicesLastAccessed": services,
        "IsTruncated": truncated,
    }
    if marker:
        page["Marker"] = marker
    return page


S3_USED = {
    "ServiceName": "Amazon S3",
    "ServiceNamespace": "s3",
    "LastAuthenticated": datetime(2026, 11, 2, tzinfo=UTC),
    "TotalAuthenticatedEntities": 1,
    "TrackedActionsLastAccessed": [
        {"ActionName": "GetObject", "LastAccessedTime": datetime(2026, 11, 2, tzinfo=UTC)},
        {"ActionName": "DeleteBucket"},
    ],
}
EC2_IDLE = {"ServiceName": "Amazon EC2", "ServiceNamespace": "ec2", "TotalAuthenticatedEntities": 0}


def in_progress() -> dict:
    return {"JobStatus": "IN_PROGRESS", "JobCreationDate": NOW, "JobCompletionDate": NOW, "ServicesLastAccessed": []}


def test_access_advisor_polls_pages_and_keeps_at_most_max_jobs_open():
    iam = client("iam")
    log = CoverageLog("aws:111122223333")
    waits: list[float] = []
    with Stubber(iam) as stub:
        stub.add_response(
            "generate_service_last_accessed_details", {"JobId": J1}, {"Arn": ROLE, "Granularity": "ACTION_LEVEL"}
        )
        stub.add_response("get_service_last_accessed_details", in_progress(), {"JobId": J1})
        stub.add_response(
            "get_service_last_accessed_details", report([S3_USED], truncated=True, marker="m"), {"JobId": J1}
        )
        stub.add_response("get_service_last_accessed_details", report([EC2_IDLE]), {"JobId": J1, "Marker": "m"})
        # only now, with j1 closed, is the second job started (max_jobs=1)
        stub.add_response(
            "generate_service_last_accessed_details", {"JobId": J2}, {"Arn": OTHER, "Granularity": "ACTION_LEVEL"}
        )
        stub.add_response("get_service_last_accessed_details", report([EC2_IDLE]), {"JobId": J2})
        records = fetch_access_advisor(iam, log, [ROLE, OTHER], NOW, sleep=waits.append, max_jobs=1)
        stub.assert_no_pending_responses()
    assert waits == [2.0, 2.0]
    first, second = records
    assert first.identity_id == ROLE and first.source is UsageSource.AWS_ACCESS_ADVISOR
    assert first.window_days == 400
    assert [(s.name, s.last_used is not None) for s in first.services] == [("s3", True), ("ec2", False)]
    assert [(a.name, a.last_used is not None) for a in first.actions] == [
        ("s3:GetObject", True),
        ("s3:DeleteBucket", False),
    ]
    assert first.action_level
    assert second.identity_id == OTHER and not second.action_level  # EC2 reports no tracked actions here


def test_a_job_that_never_completes_is_a_gap_naming_the_identity():
    iam = client("iam")
    log = CoverageLog("aws:111122223333")
    with Stubber(iam) as stub:
        stub.add_response("generate_service_last_accessed_details", {"JobId": J1})
        for _ in range(3):
            stub.add_response("get_service_last_accessed_details", in_progress())
        records = fetch_access_advisor(iam, log, [ROLE], NOW, sleep=lambda _: None, max_polls=3)
        stub.assert_no_pending_responses()
    assert records == []
    gaps = [e for e in log.entries if e.status is CoverageStatus.FAILED]
    assert len(gaps) == 1 and ROLE in (gaps[0].detail or "")


def test_a_failed_job_is_a_gap_and_a_throttled_start_loses_only_its_identity():
    iam = client("iam")
    log = CoverageLog("aws:111122223333")
    with Stubber(iam) as stub:
        stub.add_client_error("generate_service_last_accessed_details", "Throttling", http_status_code=400)
        stub.add_response("generate_service_last_accessed_details", {"JobId": J2})
        stub.add_response(
            "get_service_last_accessed_details",
            {**in_progress(), "JobStatus": "FAILED", "Error": {"Message": "internal", "Code": "InternalError"}},
        )
        records = fetch_access_advisor(iam, log, [ROLE, OTHER], NOW, sleep=lambda _: None)
    assert records == []
    statuses = [(e.operation, e.status) for e in log.entries]
    assert ("iam:GenerateServiceLastAccessedDetails", CoverageStatus.THROTTLED) in statuses
    failed = [e for e in log.entries if e.status is CoverageStatus.FAILED]
    assert len(failed) == 1 and OTHER in (failed[0].detail or "")


def test_no_identities_means_no_calls():
    iam = client("iam")
    with Stubber(iam):
        assert fetch_access_advisor(iam, CoverageLog("aws:1"), [], NOW, sleep=lambda _: None) == []


def test_a_cli_export_of_another_shape_is_refused():
    with pytest.raises(UsageParseError):
        usage_from_last_accessed(ROLE, {"findings": []}, NOW)
    with pytest.raises(UsageParseError):
        usage_from_finding({"ServicesLastAccessed": []}, 90, NOW)


def test_cli_exports_parse_like_the_live_reads():
    """``aws ... --output json`` prints timestamps as ISO strings; the live client gives datetimes."""
    exported = {
        "JobStatus": "COMPLETED",
        "JobCompletionDate": "2026-11-30T10:00:00+00:00",
        "ServicesLastAccessed": [
            {"ServiceNamespace": "s3", "LastAuthenticated": "2026-11-02T00:00:00Z", "ServiceName": "Amazon S3"}
        ],
    }
    record = usage_from_last_accessed(ROLE, exported, NOW)
    assert record.services[0].last_used == datetime(2026, 11, 2, tzinfo=UTC)
    assert record.observed_at == datetime(2026, 11, 30, 10, tzinfo=UTC)


def test_cli_exports_become_the_same_records(tmp_path):
    from standing.collectors.aws.usage_collect import usage_from_exports

    finding_file = tmp_path / "finding.json"
    finding_file.write_text(
        json.dumps(
            {
                **finding("f1", ROLE),
                "analyzedAt": "2026-11-30T00:00:00Z",
                "createdAt": "2026-11-30T00:00:00Z",
                "updatedAt": "2026-11-30T00:00:00Z",
                "findingDetails": [{"unusedPermissionDetails": {"serviceNamespace": "iam"}}],
            }
        )
    )
    advisor_file = tmp_path / "advisor.json"
    advisor_file.write_text(json.dumps({"JobStatus": "COMPLETED", "ServicesLastAccessed": [EC2_IDLE]}))
    first, second = usage_from_exports([str(finding_file), f"{OTHER}={advisor_file}"], NOW)
    assert (first.identity_id, first.source, first.unused_actions) == (ROLE, UsageSource.AWS_ACCESS_ANALYZER, ["iam:*"])
    assert (second.identity_id, second.source, second.services[0].name) == (
        OTHER,
        UsageSource.AWS_ACCESS_ADVISOR,
        "ec2",
    )


def test_a_listing_or_a_broken_export_is_refused_naming_the_file(tmp_path):
    from standing.collectors.aws.usage_collect import usage_from_exports
    from standing.core.errors import UserError

    listing = tmp_path / "list.json"
    listing.write_text(json.dumps({"findings": [finding("f1", ROLE)]}, default=str))
    with pytest.raises(UserError, match="list.json: .*get-finding-v2"):
        usage_from_exports([str(listing)], NOW)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(UserError, match="broken.json"):
        usage_from_exports([f"{ROLE}={broken}"], NOW)


def test_a_bad_usage_export_stops_the_scan_in_one_line_before_any_call(tmp_path):
    from click.testing import CliRunner

    from standing.cli.main import main

    bad = tmp_path / "usage.json"
    bad.write_text("[]")
    result = CliRunner().invoke(
        main,
        [
            "collect",
            "aws",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--usage-from",
            str(bad),
            "-o",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 2
    assert str(bad) in result.output and len(result.output.strip().splitlines()) == 1


def test_a_report_truncated_with_no_next_page_or_unreadable_is_a_gap_not_a_loop_or_a_crash():
    """AWS's model allows both: IsTruncated with no Marker (asking again would return the same
    page forever) and a tracked action with no name. Each loses only its identity; the near miss,
    a whole report beside them, is kept."""
    iam = client("iam")
    log = CoverageLog("aws:111122223333")
    nameless = {**S3_USED, "TrackedActionsLastAccessed": [{"LastAccessedTime": datetime(2026, 11, 2, tzinfo=UTC)}]}
    third, J3 = "arn:aws:iam::111122223333:role/third", "33333333-3333-3333-3333-333333333333"
    with Stubber(iam) as stub:
        for job in (J1, J2, J3):
            stub.add_response("generate_service_last_accessed_details", {"JobId": job})
        stub.add_response("get_service_last_accessed_details", report([S3_USED], truncated=True), {"JobId": J1})
        stub.add_response("get_service_last_accessed_details", report([nameless]), {"JobId": J2})
        stub.add_response("get_service_last_accessed_details", report([EC2_IDLE]), {"JobId": J3})
        records = fetch_access_advisor(iam, log, [ROLE, OTHER, third], NOW, sleep=lambda _: None)
        stub.assert_no_pending_responses()
    assert [r.identity_id for r in records] == [third]
    failed = [e.detail or "" for e in log.entries if e.status is CoverageStatus.FAILED]
    assert any(ROLE in d and "names no next page" in d for d in failed)
    assert any(OTHER in d and "could not be read" in d for d in failed)
