"""The figures at the top of the report, computed once from a ``ReportInput``.

Reports never compute risk: every number here is a count or a sum of what the scan, the risk
model and the planner already decided.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from standing.analysis.compute import KIND_WORDS, is_live
from standing.core.facts import days_since, is_standing_secret
from standing.core.findings import Finding, Framework, Severity
from standing.core.model import Identity, Inventory, Provider, Workload
from standing.history.tally import identity_risks
from standing.planner.model import PlansDocument
from standing.reports.leadership.model import (
    ControlCoverage,
    Count,
    PathHop,
    PhaseProgress,
    ReportFigures,
    ReportInput,
    RiskyIdentity,
)
from standing.rules.frameworks import mappings

TOP_IDENTITIES = 10
SHOWN_COMPUTE = 3  # workloads or identities named per line before "and N more"
REPORTED_FRAMEWORKS = (Framework.OWASP_NHI, Framework.CIS_AWS, Framework.CIS_GCP)
# Upper bounds in days; rotation policies are usually stated in these steps.
AGE_BUCKETS = ((90, "< 90 days"), (180, "90-179 days"), (365, "180-364 days"), (730, "1-2 years"))
OLDEST_BUCKET = "2 years +"
UNKNOWN_AGE = "age unknown"


def short_name(identity_id: str) -> str:
    """The last part of an id (``role/x`` -> ``x``) for identities the findings never name."""
    return identity_id.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] or identity_id


def escalation_path(finding: Finding, names: dict[str, str]) -> list[PathHop]:
    """The finding's path as the report draws it. ``evidence`` is free-form in findings.json, so
    a hop whose ends are not identity ids (strings) is left out rather than trusted."""
    hops: Any = finding.evidence.get("hops")
    if not isinstance(hops, list):
        return []
    return [
        PathHop(
            source=names.get(h["from"], short_name(h["from"])),
            target=names.get(h["to"], short_name(h["to"])),
            how=str(h.get("how", "")),
            conditional=bool(h.get("conditional", False)),
        )
        for h in hops
        if isinstance(h, dict) and isinstance(h.get("from"), str) and isinstance(h.get("to"), str)
    ]


def _counts(counter: Counter[str]) -> list[Count]:
    return [Count(label=label, count=n) for label, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


def compute_words(workload: Workload) -> str:
    """ "Lambda function billing-sync (eu-west-1)": what leadership calls it, where it runs."""
    where = workload.region or workload.account
    state = "" if is_live(workload) else f", {workload.state}"
    return f"{KIND_WORDS[workload.kind]} {workload.name} ({where}{state})"


def _some(items: list[str]) -> str:
    more = len(items) - SHOWN_COMPUTE
    return ", ".join(items[:SHOWN_COMPUTE]) + (f" and {more} more" if more > 0 else "")


class ComputeLines:
    """Compute in the top risks: what runs as an identity (the inventory's workloads, when the
    report has one) and who can run code as it (the risk model's ``runs_code_as``, over every
    identity the findings name). Counted and named, never judged again here."""

    def __init__(self, findings: list[Finding], inventory: Inventory | None, names: dict[str, str]) -> None:
        self.names = names
        self.running: dict[str, list[Workload]] = {}
        self.kinds: dict[str, Identity] = {i.id: i for i in inventory.identities} if inventory else {}
        for workload in sorted(inventory.workloads if inventory else [], key=lambda w: (w.kind, w.name, w.id)):
            for identity in dict.fromkeys(workload.identity_ids):
                self.running.setdefault(identity, []).append(workload)
        self.takers: dict[str, set[str]] = {}
        for f in findings:
            for target in f.blast_radius.runs_code_as if f.blast_radius else ():
                self.takers.setdefault(target, set()).add(f.identity)

    def lines(self, identity_id: str, runs_code_as: list[str]) -> list[str]:
        found = []
        workloads = self.running.get(identity_id, [])
        takers = len(self.takers.get(identity_id, set()) - {identity_id})
        if workloads:
            who = self.kinds.get(identity_id)
            noun = who.kind.value.replace("_", " ") if who is not None else "identity"
            line = f"{_some([compute_words(w) for w in workloads])} {'runs' if len(workloads) == 1 else 'run'} as this {noun}"
            if takers:
                line += f"; {takers} {'identity' if takers == 1 else 'identities'} can take over its compute"
            found.append(line)
        elif takers:
            found.append(f"{takers} {'identity' if takers == 1 else 'identities'} can run code as it through compute")
        targets = []
        for target in runs_code_as:
            name = self.names.get(target, short_name(target))
            via = [compute_words(w) for w in self.running.get(target, [])]
            targets.append(f"{name} (through {_some(via)})" if via else name)
        if targets:
            found.append("can run code as " + _some(targets))
        return found


def _riskiest(
    findings: list[Finding], names: dict[str, str], inventory: Inventory | None = None
) -> list[RiskyIdentity]:
    risks = identity_risks(findings)
    compute = ComputeLines(findings, inventory, names)
    top = sorted(risks, key=lambda i: (-risks[i], names.get(i, i), i))[:TOP_IDENTITIES]
    by_identity: dict[str, list[Finding]] = {i: [] for i in top}
    for f in findings:
        if f.identity in by_identity and f.waiver is None:
            by_identity[f.identity].append(f)
    rows = []
    for identity in top:
        mine = by_identity[identity]
        worst = max(mine, key=lambda f: (f.risk or 0, f.severity.rank))
        paths = [p for p in (escalation_path(f, names) for f in mine) if p]
        blast = worst.blast_radius
        rows.append(
            RiskyIdentity(
                identity=identity,
                name=worst.identity_name,
                provider=worst.provider,
                account=worst.account,
                risk=risks[identity],
                findings=len(mine),
                rules=sorted({f.rule_id for f in mine}),
                reachable=len(blast.reachable) if blast else 0,
                reachable_truncated=bool(blast and blast.truncated),
                reaches_admin=bool(blast and blast.reaches_admin),
                accounts=blast.accounts if blast else [],
                sensitive=blast.sensitive if blast else [],
                path=min(paths, key=len) if paths else [],
                compute=compute.lines(identity, blast.runs_code_as if blast else []),
            )
        )
    return rows


def _roadmap(plans: PlansDocument | None) -> list[PhaseProgress]:
    if plans is None:
        return []
    by_identity = {p.identity: p for p in plans.plans}
    progress = []
    for phase in plans.roadmap.phases:
        steps = [s for i in phase.plans if i in by_identity for s in by_identity[i].steps]
        progress.append(
            PhaseProgress(
                phase=phase.phase,
                plans=len(phase.plans),
                steps_done=sum(1 for s in steps if s.done),
                steps_total=len(steps),
                risk_removed=phase.risk_removed,
                exposure_before=phase.exposure_before,
                exposure_after=phase.exposure_after,
            )
        )
    return progress


def _frameworks(open_findings: list[Finding], scanned: set[Provider]) -> list[ControlCoverage]:
    """Each reported control with the open findings that cite it.

    A benchmark written for one cloud (CIS AWS, CIS GCP) is shown only when that cloud was
    scanned, and counts only findings about that cloud's identities: CIS GCP controls have
    nothing to say about an AWS-only estate, failing or passing.
    """
    per_rule = Counter((f.rule_id, f.provider) for f in open_findings)
    return [
        ControlCoverage(
            framework=m.ref.framework.value,
            version=m.ref.version,
            control=m.ref.control,
            title=m.title,
            rules=sorted(m.rules),
            open_findings=sum(
                n for (rule_id, provider), n in per_rule.items() if rule_id in m.rules and m.applies_to(provider)
            ),
        )
        for m in mappings()
        if m.ref.framework in REPORTED_FRAMEWORKS and (m.provider is None or m.provider in scanned)
    ]


def credential_ages(inventory: Inventory, as_of: datetime) -> list[Count]:
    """Live long-lived secrets by age, every bucket present so the histogram's axis never shifts."""
    counter: Counter[str] = Counter({label: 0 for _, label in AGE_BUCKETS} | {OLDEST_BUCKET: 0})
    for credential in inventory.credentials:
        if not is_standing_secret(credential):
            continue
        if credential.created is None:
            counter[UNKNOWN_AGE] += 1
            continue
        age = days_since(credential.created, as_of)
        counter[next((label for bound, label in AGE_BUCKETS if age < bound), OLDEST_BUCKET)] += 1
    order = [label for _, label in AGE_BUCKETS] + [OLDEST_BUCKET, UNKNOWN_AGE]
    return [Count(label=label, count=counter[label]) for label in order if label in counter]


def identity_names(report: ReportInput) -> dict[str, str]:
    names = {i.id: i.name for i in report.inventory.identities} if report.inventory else {}
    names.update({f.identity: f.identity_name for f in report.findings.findings})
    return names


def compute_figures(report: ReportInput) -> ReportFigures:
    document = report.findings
    open_findings = [f for f in document.findings if f.waiver is None]
    names = identity_names(report)
    return ReportFigures(
        generated_at=document.generated_at,
        as_of=document.as_of,
        complete=document.scan.complete,
        identities=document.scan.identities,
        credentials=document.scan.credentials,
        open_findings=len(open_findings),
        waived_findings=len(document.findings) - len(open_findings),
        estate_risk=sum(identity_risks(document.findings).values()),
        risk_identities=len(identity_risks(document.findings)),
        trend=report.trend,
        exposure=document.exposure,
        by_severity=[Count(label=s.value, count=sum(1 for f in open_findings if f.severity is s)) for s in Severity],
        by_provider=_counts(Counter(f.provider.value for f in open_findings)),
        by_account=_counts(Counter(f.account for f in open_findings)),
        riskiest=_riskiest(document.findings, names, report.inventory),
        roadmap=_roadmap(report.plans),
        plans_completed=len(report.plans.completed) if report.plans else 0,
        remediation=list(report.stored.remediation) if report.stored else [],
        plans_completed_on_record=(
            sum(p.plans_completed or 0 for p in report.trend) if report.stored is not None else None
        ),
        history_store=report.stored.store if report.stored else None,
        gaps=document.scan.gaps,
        left_out=document.scan.left_out,
        frameworks=_frameworks(open_findings, set(document.scan.providers) | {f.provider for f in document.findings}),
        credential_ages=credential_ages(report.inventory, document.as_of) if report.inventory else None,
    )
