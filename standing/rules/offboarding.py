"""Workload identities nobody uses any more, and nobody owns."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from pydantic import BaseModel, ConfigDict, Field

from standing.rules._shared import idleness, is_nhi, standing_secrets_of
from standing.scanner.engine import Hit, Rule
from standing.scanner.findings import Severity
from standing.scanner.graph import PrivilegeGraph


class IdentityUnused(Rule):
    """A workload identity that has not been used for months, or never was.

    Dead identities keep their grants and trusts: whoever can still assume or impersonate
    them inherits standing access nobody is watching. Identities holding long-lived secrets
    are judged by ``key-unused`` instead; identities whose use the provider cannot report
    are not judged.
    """

    id = "identity-unused"
    title = "Workload identity unused"
    severity = Severity.LOW

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        unused_days: int = Field(default=90, ge=1, description="days without use before an identity is dead")
        grace_days: int = Field(default=30, ge=0, description="age a never-used identity may reach")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if not is_nhi(identity) or identity.disabled or standing_secrets_of(graph, identity.id):
                continue
            idle = idleness(identity, now, unused_days=params.unused_days, grace_days=params.grace_days)
            if idle is None:
                continue
            if idle.never:
                yield Hit(identity=identity,
                          message=f"{identity.name} has never been used in {idle.days} days",
                          evidence={"created": identity.created.isoformat(), "age_days": idle.days})
            else:
                yield Hit(identity=identity,
                          message=f"{identity.name} was last used {idle.days} days ago (limit {params.unused_days})",
                          evidence={"last_used": identity.last_used.isoformat(), "idle_days": idle.days})
