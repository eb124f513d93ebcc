"""Who can take over a privileged identity by adding a credential to it."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from standing.rules._shared import is_nhi
from standing.scanner.engine import Hit, Rule
from standing.scanner.findings import Severity, nhi, nist
from standing.scanner.graph import PrivilegeGraph
from standing.scanner.model import TrustKind
from standing.scanner.privilege import PrivilegeLevel


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
    frameworks = (nhi(5), nist("AC-6"))

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
                    evidence={"owner": trust.principal, "owner_name": who, "actions": trust.actions,
                              "privilege": assessment.level.label, "because": list(assessment.evidence)},
                )
