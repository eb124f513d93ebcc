"""Which new findings block a pipeline.

The gate exists to stop *new standing keys*; ``--fail-on keys`` (the default for a live
baseline) blocks only findings of the rules that declare ``Trait.STANDING_KEY`` (findings about
a long-lived secret itself: a new one is a new standing key). ``--fail-on SEVERITY`` blocks
those and, in addition, any new finding at or above the severity (the default for IaC,
``high``, so that a plan granting Owner or writing a trust open to ``*`` fails too).
``--fail-on none`` never blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from standing.core.findings import Finding, Severity
from standing.core.traits import Trait
from standing.rules.registry import traits_of

FAIL_ON_CHOICES = ["keys"] + [s.value for s in Severity] + ["none"]


@dataclass(frozen=True)
class GatePolicy:
    """``keys``: credential findings block; ``min_severity``: so does anything at least this severe."""

    keys: bool
    min_severity: Severity | None = None

    @classmethod
    def parse(cls, value: str) -> GatePolicy:
        if value == "none":
            return cls(keys=False)
        if value == "keys":
            return cls(keys=True)
        return cls(keys=True, min_severity=Severity(value))

    def blocks(self, finding: Finding) -> bool:
        if finding.waiver is not None:
            return False
        if self.keys and Trait.STANDING_KEY in traits_of(finding.rule_id):
            return True
        return self.min_severity is not None and finding.severity.rank >= self.min_severity.rank

    def describe(self) -> str:
        if not self.keys:
            return "nothing (--fail-on none)"
        if self.min_severity is None:
            return "new standing keys and secrets"
        return f"new standing keys and secrets, and new findings of severity {self.min_severity.value} or worse"
