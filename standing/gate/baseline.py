"""The baseline file: the findings a team has accepted, one reviewable line of JSON each.

Sorted by fingerprint and free of scan times, risk scores and messages, so regenerating it
from an unchanged estate gives a byte-identical file and a pull request that changes it shows
exactly the findings added or removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final, Literal

from pydantic import Field

from standing.core.findings import Finding, Severity
from standing.core.model import Record
from standing.core.outputs import write_text_atomic
from standing.core.textfiles import read_document

BASELINE_VERSION: Final = 1


class BaselineEntry(Record):
    fingerprint: str
    rule: str
    subject: str
    severity: Severity
    title: str


class Baseline(Record):
    schema_: Literal["standing.baseline"] = Field(default="standing.baseline", alias="schema")
    version: Literal[1] = BASELINE_VERSION
    entries: list[BaselineEntry]

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)


def baseline_of(findings: list[Finding]) -> Baseline:
    entries = {
        f.fingerprint: BaselineEntry(
            fingerprint=f.fingerprint, rule=f.rule_id, subject=f.subject, severity=f.severity, title=f.title
        )
        for f in findings
    }
    return Baseline(entries=[entries[k] for k in sorted(entries)])


def dump_baseline(baseline: Baseline) -> str:
    """One entry per line, so a diff of two baselines is a diff of findings."""
    lines = [json.dumps(e.model_dump(mode="json"), sort_keys=True) for e in baseline.entries]
    body = ",\n    ".join(lines)
    entries = f"[\n    {body}\n  ]" if lines else "[]"
    return f'{{\n  "schema": "standing.baseline",\n  "version": {BASELINE_VERSION},\n  "entries": {entries}\n}}\n'


def write_baseline(baseline: Baseline, path: Path) -> None:
    write_text_atomic(path, dump_baseline(baseline))


def read_baseline(path: Path) -> Baseline:
    return read_document(
        path,
        Baseline,
        "standing.baseline",
        "baseline",
        not_ours="not a standing baseline (write one with `standing baseline`)",
    )
