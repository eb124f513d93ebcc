"""Plans grouped into phases, with the estate's exposure before and after each.

Phases run in a fixed order (quick wins, then migrations, then compensations); inside a
phase, plans are ordered by risk removed per unit of effort. Exposure after a phase is
``RiskModel.exposure()`` without the secrets that phase removes: the same metric
findings.json reports, not an estimate of our own.
"""

from __future__ import annotations

from standing.analysis.risk import RiskModel
from standing.planner.model import Phase, Plan, Roadmap, RoadmapPhase, TargetPattern


def build_roadmap(model: RiskModel, plans: list[Plan]) -> Roadmap:
    removed: set[str] = set()
    before = model.exposure()
    phases = []
    for phase in Phase:
        members = sorted((p for p in plans if p.phase is phase), key=lambda p: (-p.priority, -p.risk, p.identity))
        if not members:
            continue
        # Compensated identities keep their secret: their exposure stays, their risk drops.
        removed |= {p.identity for p in members if p.pattern is not TargetPattern.COMPENSATE}
        after = model.exposure(without_secrets_of=removed) if phase is not Phase.COMPENSATION else before
        phases.append(
            RoadmapPhase(
                phase=phase,
                plans=[p.identity for p in members],
                risk_removed=sum(p.risk - p.residual_risk for p in members),
                effort=sum(p.effort for p in members),
                exposure_before=before,
                exposure_after=after,
            )
        )
        before = after
    return Roadmap(phases=phases)
