"""The AWS usage reads: Access Analyzer in bulk, Access Advisor per identity where it must.

Order (issue 18): ``ListAnalyzers``; with an active unused-access analyzer, one paged
``ListFindingsV2`` for the account and ``GetFindingV2`` per ``UnusedPermission`` finding;
otherwise Access Advisor for the identities the caller names (the scan layer passes the
flagged ones under ``--usage flagged``): ``GenerateServiceLastAccessedDetails``
(``ACTION_LEVEL``) then polled, paged ``GetServiceLastAccessedDetails``.

At most ``max_jobs`` report jobs are open at once (AWS queues them per account); a poll
round sleeps through the injected ``sleep``, so tests never wait. A job still running after
``max_polls`` rounds, or one AWS reports FAILED, is a coverage gap naming the identity; a
denied or throttled call is a gap too, and what was read before it is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from standing.collectors.aws.coverage import CoverageLog
from standing.collectors.aws.operations import operation
from standing.collectors.aws.usage import (
    UsageParseError,
    analyzer_window_days,
    flagged_resources,
    unused_access_analyzers,
    unused_permission_finding_ids,
    usage_from_finding,
    usage_from_last_accessed,
)
from standing.core.model import CoverageStatus, PermissionUsage

MAX_JOBS = 5
MAX_POLLS = 30
POLL_SECONDS = 2.0


@dataclass
class AnalyzerUsage:
    """What the account's unused-access analyzer said: records and every identity it flags."""

    analyzer_arn: str
    window_days: int
    records: list[PermissionUsage] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)


def fetch_analyzer_usage(
    client: Any, log: CoverageLog, now: datetime, wanted: set[str] | None = None
) -> AnalyzerUsage | None:
    """``None`` when no active unused-access analyzer exists (or listing it was refused):
    the caller falls back to Access Advisor. The listing is read whole (its pages are the bulk
    read); a finding's details cost one ``GetFindingV2`` each, so they are read only for the
    identities in ``wanted`` (``None``: all)."""
    list_op = operation("accessanalyzer", "ListAnalyzers")

    def list_analyzers() -> list[dict[str, Any]]:
        pages = client.get_paginator("list_analyzers").paginate()
        return [a for page in pages for a in page.get("analyzers", [])]

    analyzers = log.attempt(list_op, list_analyzers)
    if analyzers is None:
        return None
    usable = unused_access_analyzers(analyzers)
    if not usable:
        return None
    analyzer = usable[0]
    result = AnalyzerUsage(analyzer_arn=str(analyzer["arn"]), window_days=analyzer_window_days(analyzer))

    def list_findings() -> list[dict[str, Any]]:
        pages = client.get_paginator("list_findings_v2").paginate(
            analyzerArn=result.analyzer_arn, filter={"status": {"eq": ["ACTIVE"]}}
        )
        return [f for page in pages for f in page.get("findings", [])]

    findings = log.attempt(operation("accessanalyzer", "ListFindingsV2"), list_findings)
    if findings is None:
        return result
    result.flagged = flagged_resources(findings)
    get_op = operation("accessanalyzer", "GetFindingV2")
    asked = [f for f in findings if wanted is None or f.get("resource") in wanted]
    for finding_id in unused_permission_finding_ids(asked):

        def get(finding_id: str = finding_id) -> dict[str, Any]:
            response = dict(client.get_finding_v2(analyzerArn=result.analyzer_arn, id=finding_id))
            details = list(response.get("findingDetails", []))
            while response.get("nextToken"):
                response = dict(
                    client.get_finding_v2(
                        analyzerArn=result.analyzer_arn, id=finding_id, nextToken=response["nextToken"]
                    )
                )
                details.extend(response.get("findingDetails", []))
            response["findingDetails"] = details
            return response

        detail = log.attempt(get_op, get, record_ok=False)
        if detail is None:
            continue
        try:
            record = usage_from_finding(detail, result.window_days, now)
        except (UsageParseError, KeyError) as err:
            log.record(get_op, CoverageStatus.FAILED, f"finding {finding_id}: {err}")
            continue
        if record is not None:
            result.records.append(record)
    log.record(get_op, CoverageStatus.OK, f"{len(result.records)} unused-permission findings read")
    return result


def fetch_access_advisor(
    iam: Any,
    log: CoverageLog,
    arns: list[str],
    now: datetime,
    *,
    sleep: Callable[[float], None],
    max_jobs: int = MAX_JOBS,
    max_polls: int = MAX_POLLS,
    poll_seconds: float = POLL_SECONDS,
) -> list[PermissionUsage]:
    """Access Advisor for ``arns``, at most ``max_jobs`` report jobs open at once."""
    gen_op = operation("iam", "GenerateServiceLastAccessedDetails")
    get_op = operation("iam", "GetServiceLastAccessedDetails")
    waiting = list(arns)
    open_jobs: dict[str, tuple[str, int]] = {}  # arn -> (job id, polls so far)
    records: list[PermissionUsage] = []

    def start() -> None:
        while waiting and len(open_jobs) < max_jobs:
            arn = waiting.pop(0)
            job = log.attempt(
                gen_op,
                partial(_generate, iam, arn),
                record_ok=False,
            )
            if job is None:
                if log.entries and log.entries[-1].status is CoverageStatus.DENIED and waiting:
                    # Refused once is refused for all: asking for each identity only fills CloudTrail.
                    log.record(
                        gen_op,
                        CoverageStatus.DENIED,
                        f"not asked for the {len(waiting)} other identities after the refusal",
                    )
                    waiting.clear()
                continue
            open_jobs[arn] = (str(job["JobId"]), 0)

    start()
    while open_jobs:
        for arn, (job_id, polls) in list(open_jobs.items()):
            page = log.attempt(get_op, partial(_details, iam, job_id, None), record_ok=False)
            if page is None:
                del open_jobs[arn]
                continue
            status = page.get("JobStatus")
            if status == "IN_PROGRESS":
                if polls + 1 >= max_polls:
                    del open_jobs[arn]
                    log.record(
                        get_op, CoverageStatus.FAILED, f"report job for {arn} still running after {max_polls} polls"
                    )
                else:
                    open_jobs[arn] = (job_id, polls + 1)
                continue
            del open_jobs[arn]
            if status != "COMPLETED":
                message = (page.get("Error") or {}).get("Message", "")
                log.record(get_op, CoverageStatus.FAILED, f"report job for {arn} {status}: {message}"[:300])
                continue
            services = list(page.get("ServicesLastAccessed", []))
            complete = True
            while page.get("IsTruncated"):
                marker = page.get("Marker")
                if not marker:  # more pages said, none named: asking again would loop forever
                    log.record(get_op, CoverageStatus.FAILED, f"report for {arn} is truncated and names no next page")
                    complete = False
                    break
                nxt = log.attempt(
                    get_op,
                    partial(_details, iam, job_id, marker),
                    record_ok=False,
                )
                if nxt is None:
                    complete = False
                    break
                page = nxt
                services.extend(page.get("ServicesLastAccessed", []))
            if not complete:
                continue
            page["ServicesLastAccessed"] = services
            try:
                records.append(usage_from_last_accessed(arn, page, now))
            except (UsageParseError, KeyError, TypeError, ValueError) as err:
                log.record(get_op, CoverageStatus.FAILED, f"report for {arn} could not be read: {err}"[:300])
        start()
        if open_jobs:
            sleep(poll_seconds)
    if arns:
        log.record(
            get_op,
            CoverageStatus.OK,
            f"usage read for {len(records)} of {len(arns)} identities",
        )
    return records


def _generate(iam: Any, arn: str) -> dict[str, Any]:
    return dict(iam.generate_service_last_accessed_details(Arn=arn, Granularity="ACTION_LEVEL"))


def _details(iam: Any, job_id: str, marker: str | None) -> dict[str, Any]:
    if marker is None:
        return dict(iam.get_service_last_accessed_details(JobId=job_id))
    return dict(iam.get_service_last_accessed_details(JobId=job_id, Marker=marker))
