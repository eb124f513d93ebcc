"""Current findings against a baseline: what is new, what is accepted, what went away, what blocks.

Matching is by fingerprint only (rule, subject and discriminator; never time, order, risk or
wording), so a re-scan, a reordered inventory or a reworded message matches the same
baseline entry. Removed findings are reported and never block.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from standing.core.errors import ExitCode
from standing.core.findings import Finding, Waiver
from standing.core.iac import IacChange, SourceRef
from standing.core.model import CoverageEntry, IdentityKind
from standing.core.traits import Trait
from standing.gate.baseline import Baseline, BaselineEntry
from standing.gate.policy import GatePolicy
from standing.rules.config import ScanConfig
from standing.rules.registry import rules_with
from standing.rules.waivers import apply_waivers


def gate_config(config: ScanConfig) -> ScanConfig:
    """The scan config with the gate's own rules switched on: every standing secret is a finding."""
    rules = dict(config.rules)
    for rule_id in rules_with(Trait.SECRET_CENSUS):
        rules[rule_id] = replace(rules[rule_id], enabled=True)
    return replace(config, rules=rules)


@dataclass(frozen=True)
class GateInput:
    """What the gate judges: findings from one source, and what that source could not know."""

    label: str
    findings: list[Finding]
    artifact: str | None = None  # the file the findings came from, for locations
    gaps: list[CoverageEntry] = field(default_factory=list)
    changes: tuple[IacChange, ...] = ()
    kinds: Mapping[str, IdentityKind] = field(default_factory=dict)  # each identity's kind, when the source says
    # What a live estate's findings cover, for a baseline from the history store: the scan's
    # providers and accounts, and when it was measured. Empty for an IaC change.
    providers: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    as_of: datetime | None = None

    def locations(self, finding: Finding) -> list[SourceRef]:
        """Where in the IaC files a finding comes from; empty for a live estate."""
        for change in self.changes:
            refs = change.locations(finding)
            if refs:
                return refs
        return []


@dataclass(frozen=True)
class GateResult:
    input: GateInput
    policy: GatePolicy
    new: list[Finding]
    accepted: list[Finding]
    removed: list[BaselineEntry]
    expired_waivers: list[Waiver]
    baseline_given: bool

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.new if self.policy.blocks(f)]

    @property
    def exit_code(self) -> ExitCode:
        """1 on a blocking new finding or an expired waiver; 3 when something could not be known."""
        if self.blocking or (self.policy.keys and self.expired_waivers):
            return ExitCode.FINDINGS
        if self.input.gaps:
            return ExitCode.INCOMPLETE
        return ExitCode.CLEAN


def judge(
    source: GateInput, baseline: Baseline | None, policy: GatePolicy, *, waivers: list[Waiver], as_of: datetime
) -> GateResult:
    findings, expired = apply_waivers(source.findings, waivers, as_of)
    known = baseline.fingerprints if baseline is not None else frozenset()
    current = {f.fingerprint for f in findings}
    return GateResult(
        input=source,
        policy=policy,
        new=[f for f in findings if f.fingerprint not in known],
        accepted=[f for f in findings if f.fingerprint in known],
        removed=[e for e in (baseline.entries if baseline else []) if e.fingerprint not in current],
        expired_waivers=expired,
        baseline_given=baseline is not None,
    )
