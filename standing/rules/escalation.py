"""Standing credentials that are one or more hops away from admin."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from pydantic import BaseModel, ConfigDict, Field

from standing.rules._shared import is_nhi, standing_secrets_of
from standing.scanner.engine import Hit, Rule
from standing.scanner.escalation import ADMIN_SINK
from standing.scanner.findings import Severity, nhi, nist
from standing.scanner.graph import PrivilegeGraph
from standing.scanner.privilege import PrivilegeLevel


class PathToAdmin(Rule):
    """A workload's standing credential leads to admin through other identities.

    The credential's own permissions look modest, but they let it assume a role, mint a key
    for another user, pass a role to a service it controls, or rewrite a policy, and so on
    until it is an administrator. Escalation split across several policies is invisible to
    a per-policy check; the path, hop by hop with the permission behind each, is in the
    evidence. Break the weakest hop, and move the credential to short-lived access.
    """

    id = "path-to-admin"
    title = "Standing credential has an escalation path to admin"
    severity = Severity.CRITICAL
    frameworks = (nhi(5), nhi(7), nist("AC-6"))

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        max_hops: int = Field(default=6, ge=1, description="longest path worth reporting")

    def evaluate(self, graph: PrivilegeGraph, params: Params, now: datetime) -> Iterable[Hit]:
        paths = graph.paths_to_admin
        for identity in graph.identities():
            path = paths.get(identity.id)
            if not path or len(path) > params.max_hops or not is_nhi(identity):
                continue
            if graph.privilege_of(identity.id).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT:
                continue  # already admin-equivalent: reported as such
            secrets = standing_secrets_of(graph, identity.id)
            if not secrets:
                continue
            end = path[-1].target
            landing = "administrator" if end == ADMIN_SINK else (graph.identity(end) or identity).name
            names = [identity.name] + [
                "administrator" if h.target == ADMIN_SINK else (graph.identity(h.target) or identity).name
                for h in path
            ]
            yield Hit(
                identity=identity,
                severity=Severity.CRITICAL if not any(h.conditional for h in path) else Severity.HIGH,
                message=f"{identity.name}'s key reaches {landing} in {len(path)} hop(s): "
                + " -> ".join(names),
                evidence={"long_lived_secrets": secrets, "hops": [h.as_evidence() for h in path]},
            )
