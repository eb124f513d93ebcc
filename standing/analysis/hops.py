"""The edge of every escalation path: one hop from an identity to another, or to admin.

Kept apart from ``escalation`` (which finds AWS hops and the paths) so that each provider's
hop finder (``escalation_gcp``, ...) builds ``Hop`` records itself without importing the
module that chains them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

ADMIN_SINK = "(administrator)"


class HopKind(StrEnum):
    ASSUME_ROLE = "assume-role"
    PASS_ROLE = "pass-role"
    CREATE_CREDENTIALS = "create-credentials"
    REWRITE_TRUST = "rewrite-trust"
    SELF_POLICY = "self-policy"
    JOIN_GROUP = "join-group"
    IMPERSONATE = "impersonate"
    OWNER = "owner"
    FEDERATE = "federate"  # signs in with a token one cloud issues to it, as an identity of another
    EXISTING_COMPUTE = "existing-compute"  # changes what compute already running as the target runs, or reaches into it
    SET_IAM_POLICY = "set-iam-policy"  # rewrites who holds what on the target or its scope (GCP setIamPolicy, Azure role assignments)
    EMPOWER_OTHER = "empower-other"  # raises another identity to admin, then becomes it (``Hop.via`` names it)


@dataclass(frozen=True, slots=True)
class Hop:
    source: str
    target: str
    kind: HopKind
    why: str | Callable[[], str]  # a callable is formatted on demand: most hops are never shown
    conditional: bool = False
    method: str = ""  # the stable id of the escalation method (``analysis.methods``), comparable across tools
    via: str = ""  # the identity a hop passes through without stopping there (EMPOWER_OTHER: the one raised)

    @property
    def reason(self) -> str:
        return self.why() if callable(self.why) else self.why

    def as_evidence(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.target,
            "how": self.kind.value,
            "why": self.reason,
            "conditional": self.conditional,
            **({"method": self.method} if self.method else {}),
            **({"via": self.via} if self.via else {}),
        }
