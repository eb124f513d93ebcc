"""Tell a chat channel at once when a scan finds something new and serious.

A Slack-compatible incoming webhook (``{"text": ..., "blocks": [...]}``; Mattermost, Rocket.Chat
and Teams' Slack-compatible endpoints accept the same) gets the findings that are new since
the previous stored scan, unwaived, at or above a severity. Delivery is retried on connection
errors, 429 and 5xx, with exponential backoff (honouring ``Retry-After``); the sleep is
injected so tests never wait. The webhook URL carries its own secret: it is never printed or
put in an error message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.util.retry import Retry

from standing.core.errors import UserError
from standing.core.findings import Finding, Severity
from standing.core.loopback import is_loopback
from standing.core.safe_text import printable
from standing.history.records import StoredScan

SOURCE = "--notify-webhook"
ATTEMPTS = 4
BASE_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0
LISTED = 20  # Slack allows 50 blocks a message; the rest are counted, not listed
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class NotificationFailed(Exception):
    """The webhook did not accept the message; the text never includes the URL."""


@dataclass(frozen=True)
class Delivery:
    attempts: int
    status: int


def check_webhook_url(url: str) -> str:
    """https anywhere; plain http only to a loopback address (local relays and tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and is_loopback(url):
        return url
    raise UserError(SOURCE, "must be an https:// URL (plain http only on a loopback address)")


def new_findings(current: Sequence[Finding], previous: Collection[str], threshold: Severity) -> list[Finding]:
    """Unwaived findings at or above ``threshold`` whose fingerprint the previous scan did not have."""
    fresh = [
        f for f in current if f.fingerprint not in previous and f.waiver is None and f.severity.rank >= threshold.rank
    ]
    return sorted(fresh, key=lambda f: (-f.severity.rank, f.rule_id, f.subject))


def slack_message(scan: StoredScan, findings: Sequence[Finding], threshold: Severity) -> dict[str, Any]:
    accounts = ", ".join(scan.accounts) or "-"
    headline = (
        f"standing: {len(findings)} new finding(s) at or above {threshold.value} "
        f"in scan {scan.id} of {accounts} (as of {scan.as_of:%Y-%m-%d %H:%M} UTC)"
    )
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": _escape(headline)}}]
    for finding in findings[:LISTED]:
        line = (
            f"*{finding.severity.value.upper()}* `{finding.rule_id}` {finding.identity_name} "
            f"({finding.account}): {finding.message}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _escape(line)}})
    if len(findings) > LISTED:
        more = f"and {len(findings) - LISTED} more: standing history diff"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(more)}]})
    return {"text": printable(headline), "blocks": blocks}


def _escape(text: str) -> str:
    """Slack's three control characters escaped, and control and bidi characters a cloud name
    holds written as visible escapes (``printable``), so the chat shows them instead of obeying."""
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def deliver(
    url: str,
    payload: dict[str, Any],
    *,
    sleep: Callable[[float], None],
    attempts: int = ATTEMPTS,
    timeout: float = 10.0,
) -> Delivery:
    http = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout), retries=False)
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    outcome = ""
    for attempt in range(1, attempts + 1):
        retry_after = 0.0
        try:
            response = http.request("POST", url, body=body, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            outcome = f"connection failed ({type(exc).__name__})"
        else:
            if 200 <= response.status < 300:
                return Delivery(attempts=attempt, status=response.status)
            outcome = f"HTTP {response.status}"
            if response.status not in _RETRY_STATUSES:
                raise NotificationFailed(f"refused the message: {outcome}")
            header = response.headers.get("Retry-After")
            if header:
                try:
                    retry_after = Retry().parse_retry_after(header)
                except urllib3.exceptions.InvalidHeader:
                    retry_after = 0.0
        if attempt < attempts:
            sleep(min(MAX_DELAY_SECONDS, max(retry_after, BASE_DELAY_SECONDS * 2 ** (attempt - 1))))
    raise NotificationFailed(f"gave up after {attempts} attempts: {outcome}")
