"""Standing grants the cloud itself saw go unused: the part a plan can drop."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeLevel
from standing.analysis.usage import UnusedPart, unused_parts
from standing.core.findings import Severity
from standing.rules.engine import Hit, Rule


def _severity(part: UnusedPart) -> Severity:
    if part.level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT:
        return Severity.HIGH
    return Severity.MEDIUM if part.sensitive else Severity.LOW


class PermissionsUnused(Rule):
    """A standing grant whose services or actions the cloud saw unused for ``unused_days``.

    Read only from a usage record a collector wrote (IAM Access Analyzer unused-access findings
    or Access Advisor for AWS, the IAM Recommender's role replacements for GCP); an identity
    without one has no finding: the rule never guesses. The credential report's single
    ``last_used_service`` and Azure's sign-in activity say whether, not what, and are never read
    as a record of unused permissions. A record whose window is shorter than ``unused_days``
    cannot say "unused for that long" and is passed over.

    The unused part is named. Its severity is what it reaches, judged by the same privilege and
    sensitive-data analysis as every other rule: high when it is admin or privilege management,
    medium when it reads secrets, keys, storage, databases or AI models, low otherwise. An unused
    part that only reads non-sensitive data (a Recommender advice that removes a viewer role) is
    not reported: dropping it changes little.
    """

    id = "permissions-unused"
    title = "Standing permissions the cloud saw unused"
    severity = Severity.MEDIUM

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        unused_days: int = Field(
            default=90, ge=1, description="days a granted service or action must be unused to count"
        )

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        cutoff = now - timedelta(days=params.unused_days)
        for record in graph.inventory.usage:
            identity = graph.identity(record.identity_id)
            if identity is None:
                continue
            for part in unused_parts(graph, record, cutoff=cutoff, min_window_days=params.unused_days):
                if part.level < PrivilegeLevel.WRITE and not part.sensitive:
                    continue
                yield Hit(
                    identity=identity,
                    severity=_severity(part),
                    message=(
                        f"{identity.name} has not used {part.describe()} in {params.unused_days} days "
                        f"({record.source.value}, {record.window_days}-day window); "
                        f"it reaches {part.level.label}"
                        + (f" and {', '.join(sorted(part.sensitive))}" if part.sensitive else "")
                    ),
                    discriminator=f"{record.source.value}:{part.key}",
                    evidence={
                        "source": record.source.value,
                        "window_days": record.window_days,
                        "observed_at": record.observed_at.isoformat(),
                        "unused": list(part.names),
                        "grain": part.grain,
                        "scope": part.scope,
                        "privilege": part.level.label,
                        "sensitive": sorted(part.sensitive),
                    },
                )
