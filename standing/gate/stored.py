"""The gate's baseline from the history store (``standing gate --store URL``): the findings of the
last complete scan of the same scope, so a scheduled gate judges only what is new since the
scan before it, with no baseline file to keep.

The same scope is the same providers and the same accounts, projects or tenants
(``history.records.Scope``): a scan of another account, or of more accounts, in a shared store
is never the baseline. A partial scan is never the baseline either (it cannot tell "fixed" from
"not read", so everything it missed would come back as new). Only scans measured before the
judged findings count, so gating the findings.json of the scan the store just recorded compares
it with the scan before it, not with itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from standing.core.errors import UserError
from standing.gate.baseline import Baseline, BaselineEntry
from standing.gate.judge import GateInput
from standing.history.records import Scope, StoredScan
from standing.history.store import HistoryStore


@dataclass(frozen=True)
class StoredBaseline:
    baseline: Baseline
    scan: StoredScan
    store: str  # the URL as shown, never a password
    scope: Scope

    def describe(self) -> str:
        return (
            f"baseline: scan {self.scan.id} as of {self.scan.as_of:%Y-%m-%d %H:%M} UTC "
            f"({len(self.baseline.entries)} finding(s), {self.scope.describe()}) in {self.store}"
        )


def baseline_from_store(url: str, source: GateInput) -> StoredBaseline:
    """The last complete scan of ``source``'s scope before it, as a baseline; ``UserError`` when
    there is none (a gate without a baseline cannot tell new from old: exit 2)."""
    if source.as_of is None:
        raise UserError("--store", "an IaC change has no scope in the store; it is judged against itself")
    scope = Scope.of(source.providers, source.accounts)
    with HistoryStore.open(url, create=False) as store:
        scan = store.last_complete(scope, before=source.as_of)
        if scan is None:
            raise UserError(
                store.url.display,
                f"no complete scan of {scope.describe()} before {source.as_of:%Y-%m-%d %H:%M} UTC to gate "
                "against (record one with `standing scan ... --store`, or give --baseline FILE)",
            )
        states = store.findings_of(scan.id)
        display = store.url.display
    entries = sorted(
        (
            BaselineEntry(
                fingerprint=s.fingerprint, rule=s.rule_id, subject=s.subject, severity=s.severity, title=s.title
            )
            for s in states.values()
        ),
        key=lambda e: e.fingerprint,
    )
    return StoredBaseline(Baseline(entries=entries), scan, display, scope)
