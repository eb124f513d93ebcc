"""Escalation: standing credentials some hops away from admin, and owners who can take over."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from standing.analysis.escalation import ADMIN_SINK
from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeLevel
from standing.core.facts import is_nhi
from standing.core.findings import Severity
from standing.core.model import TrustKind
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule


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
    traits = frozenset({Trait.PRIVILEGED})

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
            secrets = graph.standing_secrets_of(identity.id)
            if not secrets:
                continue
            end = path[-1].target
            landing = "administrator" if end == ADMIN_SINK else (graph.identity(end) or identity).name
            names = [identity.name] + [
                "administrator" if h.target == ADMIN_SINK else (graph.identity(h.target) or identity).name for h in path
            ]
            yield Hit(
                identity=identity,
                severity=Severity.CRITICAL if not any(h.conditional for h in path) else Severity.HIGH,
                message=f"{identity.name}'s key reaches {landing} in {len(path)} hop(s): " + " -> ".join(names),
                evidence={"long_lived_secrets": secrets, "hops": [h.as_evidence() for h in path]},
            )


class OwnerOfPrivilegedIdentity(Rule):
    """Someone can add a credential to an admin-equivalent workload identity.

    An owner of an Azure app (or a GCP key admin on a service account) can mint a new
    secret and sign in as the identity: every owner holds the identity's privilege, whatever
    their own roles say. Remove owners from privileged apps, or move the privilege to a
    just-in-time grant.
    """

    id = "owner-of-privileged-identity"
    title = "Privileged identity can be taken over by its owners"
    severity = Severity.HIGH

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        for identity in graph.identities():
            owners = [t for t in graph.trusts_into(identity.id) if t.kind is TrustKind.OWNER]
            if not owners or not is_nhi(identity):
                continue
            assessment = graph.privilege_of(identity.id)
            if assessment.level < PrivilegeLevel.PRIVILEGE_MANAGEMENT:
                continue
            for trust in owners:
                owner = graph.identity(trust.principal)
                who = owner.name if owner else trust.principal
                yield Hit(
                    identity=identity,
                    discriminator=trust.principal,
                    message=f"{who} can add credentials to {identity.name}, which holds "
                    f"{assessment.level.label} permissions",
                    evidence={
                        "owner": trust.principal,
                        "owner_name": who,
                        "actions": trust.actions,
                        "privilege": assessment.level.label,
                        "because": list(assessment.evidence),
                    },
                )
