"""A scan's history step: record, tell the channel what is new, prune what is past keeping."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.console import Console
from rich.text import Text

from standing.core.findings import Finding, Severity
from standing.core.findings_json import FindingsDocument
from standing.core.model import Inventory
from standing.history.notify import (
    NotificationFailed,
    check_webhook_url,
    deliver,
    new_findings,
    slack_message,
)
from standing.history.records import StoredScan
from standing.history.store import HistoryStore
from standing.planner.model import CompletedPlan

BACKOFF_SLEEP: Callable[[float], None] = time.sleep


@dataclass
class ScanRecorder:
    store: HistoryStore
    keep_days: int | None = None
    webhook: str | None = None
    notify_on: Severity = Severity.HIGH
    sleep: Callable[[float], None] | None = None  # between delivery attempts [default: BACKOFF_SLEEP]

    @classmethod
    def open(
        cls,
        store: str,
        *,
        keep_days: int | None,
        webhook: str | None,
        notify_on: Severity,
        as_of: datetime | None = None,
    ) -> ScanRecorder:
        """Open the store and check everything ``record`` would refuse, before any collecting:
        the webhook's URL and, given the scan's ``as_of``, the time order of scans."""
        checked = check_webhook_url(webhook) if webhook else None
        opened = HistoryStore.open(store)
        if as_of is not None:
            try:
                opened.check_time_order(as_of)
            except BaseException:
                opened.close()
                raise
        return cls(opened, keep_days=keep_days, webhook=checked, notify_on=notify_on)

    def record(
        self,
        document: FindingsDocument,
        inventory: Inventory,
        out: Console,
        err: Console,
        completed: Sequence[CompletedPlan] = (),
    ) -> StoredScan:
        """Store the scan (all or nothing) with the plans it found done, then notify and prune;
        closes the store."""
        try:
            scan = self.store.record(document, inventory, completed)
            previous = self.store.previous(scan)
            current = self.store.findings_of(scan.id)
            before = self.store.findings_of(previous.id) if previous else {}
            since = f"since scan {previous.id}" if previous else "(first stored scan)"
            out.print(
                Text(
                    f"Recorded scan {scan.id} in {self.store.url.display}: "
                    f"{len(current.keys() - before.keys())} new, {len(before.keys() - current.keys())} resolved "
                    f"finding(s) {since}"
                )
            )
            if self.webhook:
                fresh = new_findings(document.findings, before.keys(), self.notify_on)
                self._notify(self.webhook, scan, fresh, out, err)
            if self.keep_days:
                pruned = self.store.prune(before=scan.as_of - timedelta(days=self.keep_days))
                out.print(
                    Text(
                        f"Pruned {pruned.scans} scan(s) older than {self.keep_days} days; "
                        f"{pruned.open_findings_kept} open finding(s) keep their first-seen dates"
                    )
                )
            return scan
        finally:
            self.store.close()

    def _notify(self, webhook: str, scan: StoredScan, findings: list[Finding], out: Console, err: Console) -> None:
        if not findings:
            out.print(Text(f"No new findings at or above {self.notify_on.value}: nothing to notify"))
            return
        try:
            delivery = deliver(
                webhook, slack_message(scan, findings, self.notify_on), sleep=self.sleep or BACKOFF_SLEEP
            )
        except NotificationFailed as exc:
            err.print(Text(f"standing: warning: notification webhook: {exc}; the scan is recorded"), soft_wrap=True)
            return
        out.print(
            Text(
                f"Notified the webhook of {len(findings)} new finding(s) at or above "
                f"{self.notify_on.value} (attempt {delivery.attempts})"
            )
        )
