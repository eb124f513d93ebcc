"""The usage services moto lacks, answered at its own wire from a book the caller fills.

moto 5 has no IAM Access Analyzer at all and no IAM Access Advisor (its server answers 500 to
``GenerateServiceLastAccessedDetails``), so a ``standing scan aws`` of moto under the default
``--usage flagged`` could only record gaps. ``UsageBook`` holds what AWS would report for the
moto account: the unused-access analyzers and their findings, and one Access Advisor report per
identity ARN. ``answer_usage`` wraps moto's WSGI application and answers those calls in AWS's
own wire formats (rest-json for Access Analyzer, query/XML for IAM), shaped as botocore's
service models say, so the collector parses them with the real client. Everything else goes to
moto unchanged.

moto records no use of any service, so the book starts empty and never invents a report: an
ARN with no report gets the answer AWS gives for a job it could not finish (``JobStatus``
``FAILED`` with its ``Error``), which the scan records as a gap naming the identity. The book is
process-wide, like moto's own backends, and a new ``MotoServer`` empties it.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
ADVISOR_OPERATIONS = frozenset({"GenerateServiceLastAccessedDetails", "GetServiceLastAccessedDetails"})
PAGE = 50  # Access Analyzer's page size when the caller names none


@dataclass
class UsageBook:
    """What AWS's usage services would say about the moto account."""

    analyzers: list[dict[str, Any]] = field(default_factory=list)  # ListAnalyzers entries
    findings: list[dict[str, Any]] = field(default_factory=list)  # GetFindingV2 bodies, details included
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # ARN -> get-service-last-accessed-details
    polls_before_done: int = 0  # IN_PROGRESS answers per job before its report, as AWS's queue gives
    _jobs: dict[str, str] = field(default_factory=dict)
    _polls: dict[str, int] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self._lock:
            self.analyzers.clear()
            self.findings.clear()
            self.reports.clear()
            self._jobs.clear()
            self._polls.clear()
            self.polls_before_done = 0

    def open_job(self, arn: str) -> str:
        with self._lock:
            job = f"00000000-0000-4000-8000-{next(self._ids):012d}"
            self._jobs[job] = arn
            return job

    def asked(self) -> list[str]:
        """The ARNs a report job was opened for, in order: what a scan asked Access Advisor about."""
        with self._lock:
            return list(self._jobs.values())

    def job_arn(self, job: str) -> str | None:
        with self._lock:
            return self._jobs.get(job)

    def still_running(self, job: str) -> bool:
        """Whether this poll of ``job`` is answered IN_PROGRESS (counts the poll)."""
        with self._lock:
            seen = self._polls.get(job, 0)
            self._polls[job] = seen + 1
            return seen < self.polls_before_done


BOOK = UsageBook()


def _service(environ: dict[str, Any]) -> str:
    """The signing service of a SigV4 request (``.../us-east-1/iam/aws4_request``)."""
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    credential = auth.split("Credential=", 1)[1].split(",", 1)[0] if "Credential=" in auth else ""
    parts = credential.split("/")
    return parts[3] if len(parts) > 3 else ""


def _xml(value: Any) -> str:
    if isinstance(value, list):
        return "".join(f"<member>{_xml(v)}</member>" for v in value)
    if isinstance(value, dict):
        return "".join(f"<{k}>{_xml(v)}</{k}>" for k, v in value.items() if v is not None)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _iam_body(operation: str, result: dict[str, Any]) -> bytes:
    return (
        f'<{operation}Response xmlns="{IAM_NAMESPACE}"><{operation}Result>{_xml(result)}</{operation}Result>'
        f"<ResponseMetadata><RequestId>usage-book</RequestId></ResponseMetadata></{operation}Response>"
    ).encode()


def _advisor(book: UsageBook, form: dict[str, str]) -> bytes:
    operation = form["Action"]
    if operation == "GenerateServiceLastAccessedDetails":
        return _iam_body(operation, {"JobId": book.open_job(form.get("Arn", ""))})
    arn = book.job_arn(form.get("JobId", ""))
    if arn is not None and not form.get("Marker") and book.still_running(form["JobId"]):
        return _iam_body(operation, {"JobStatus": "IN_PROGRESS", "JobCreationDate": "2026-01-01T00:00:00Z"})
    report = book.reports.get(arn or "")
    if report is None:
        failed = {
            "JobStatus": "FAILED",
            "JobCreationDate": "2026-01-01T00:00:00Z",
            "ServicesLastAccessed": [],
            "Error": {"Message": f"no record of service use for {arn or 'an unknown job'}", "Code": "NoUsageRecord"},
        }
        return _iam_body(operation, failed)
    services = list(report.get("ServicesLastAccessed", []))
    start = int(form.get("Marker") or 0)
    size = int(form.get("MaxItems") or 100)
    page = services[start : start + size]
    more = start + size < len(services)
    body = {
        "JobStatus": "COMPLETED",
        "JobType": report.get("JobType", "ACTION_LEVEL"),
        "JobCreationDate": report.get("JobCreationDate", "2026-01-01T00:00:00Z"),
        "JobCompletionDate": report.get("JobCompletionDate"),
        "ServicesLastAccessed": page,
        "IsTruncated": more,
        "Marker": str(start + size) if more else None,
    }
    return _iam_body(operation, body)


def _analyzer(book: UsageBook, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> bytes | None:
    if method == "GET" and path == "/analyzer":
        kind = query.get("type")
        return json.dumps({"analyzers": [a for a in book.analyzers if kind in (None, a.get("type"))]}).encode()
    if method == "POST" and path == "/findingv2":
        wanted = ((body.get("filter") or {}).get("status") or {}).get("eq")
        found = [f for f in book.findings if not wanted or f.get("status", "ACTIVE") in wanted]
        start = int(body.get("nextToken") or 0)
        size = int(body.get("maxResults") or PAGE)
        summaries = [{k: v for k, v in f.items() if k != "findingDetails"} for f in found[start : start + size]]
        page: dict[str, Any] = {"findings": summaries}
        if start + size < len(found):
            page["nextToken"] = str(start + size)
        return json.dumps(page, default=str).encode()
    if method == "GET" and path.startswith("/findingv2/"):
        finding_id = path.removeprefix("/findingv2/")
        match = next((f for f in book.findings if f.get("id") == finding_id), None)
        return None if match is None else json.dumps(match, default=str).encode()
    return None


def answer_usage(app: Callable[..., Any], book: UsageBook = BOOK) -> Callable[..., Any]:
    """moto's WSGI ``app`` with Access Analyzer and Access Advisor answered from ``book``."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        service = _service(environ)
        if service not in ("iam", "access-analyzer"):
            return app(environ, start_response)
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)  # what moto reads if the call is not ours
        if service == "iam":
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            if form.get("Action") not in ADVISOR_OPERATIONS:
                return app(environ, start_response)
            start_response("200 OK", [("Content-Type", "text/xml")])
            return [_advisor(book, form)]
        query = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}
        body = json.loads(raw) if raw.strip() else {}
        answer = _analyzer(book, str(environ.get("REQUEST_METHOD")), str(environ.get("PATH_INFO")), query, body)
        if answer is None:
            error = json.dumps({"message": "not answered by this moto server"}).encode()
            start_response(
                "404 Not Found",
                [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ResourceNotFoundException")],
            )
            return [error]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [answer]

    return wsgi
