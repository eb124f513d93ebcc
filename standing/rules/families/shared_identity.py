"""One workload identity used by several consumers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.graph import PrivilegeGraph
from standing.core.facts import days_since, is_nhi, is_standing_secret
from standing.core.findings import Severity
from standing.core.model import UsageStatus
from standing.core.ownership import named_parties
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule


class SharedIdentity(Rule):
    """A workload identity shared by several consumers.

    When two teams or two jobs use one identity, nobody can narrow its permissions, rotate
    its secret, or delete it without breaking the other; its use cannot be attributed.
    Signals: ownership tags naming several teams, or several live secrets in use at the same
    time from different services. Ownership tags are read in every common form: several keys
    (``owner``, ``team``, ``consumer``, namespaced as ``acme:team``), or one key holding a list
    (``owner-teams = "search,billing"``; ``,`` ``;`` ``|``, and spaces under a plural key).
    Give each consumer its own identity.
    """

    id = "shared-identity"
    title = "Workload identity shared by several consumers"
    severity = Severity.MEDIUM
    traits = frozenset({Trait.SHARED})

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        concurrent_days: int = Field(default=7, ge=1, description="uses this close count as concurrent")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            if not is_nhi(identity):
                continue
            owners = sorted(named_parties(identity.tags), key=str.casefold)
            in_use = [
                c
                for c in graph.credentials_of(identity.id)
                if is_standing_secret(c)
                and c.last_used_status is UsageStatus.USED
                and c.last_used
                and days_since(c.last_used, now) <= params.concurrent_days
            ]
            services = sorted({c.last_used_service for c in in_use if c.last_used_service})
            signals = []
            if len(owners) > 1:
                signals.append(f"tagged for {len(owners)} owners ({', '.join(owners)})")
            if len(in_use) > 1 and len(services) > 1:
                signals.append(f"{len(in_use)} secrets in use from {', '.join(services)}")
            if signals:
                yield Hit(
                    identity=identity,
                    message=f"{identity.name} looks shared: " + "; ".join(signals),
                    evidence={
                        "owners": owners,
                        "services_in_use": services,
                        "secrets_in_use": sorted(c.id for c in in_use),
                    },
                )
