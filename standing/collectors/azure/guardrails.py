"""Azure deny assignments: the guardrails above a subscription's role assignments.

A deny assignment (set by Azure itself: managed applications, Blueprints, deployment stacks)
stops the actions it names for the principals it names at its scope and below, whatever a role
assignment grants. Read once per subscription (``denyAssignments`` list, which includes those
inherited from above); a denied read is a coverage gap naming the subscription.

``fetch_deny_assignments`` returns the records as ``az`` prints them (properties lifted);
``normalize_deny_assignments`` (pure) makes ``Guardrail`` records for ``analysis.guardrails``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from standing.collectors.azure.operations import operation
from standing.collectors.azure.raw import flatten
from standing.core.model import Guardrail, GuardrailKind, Provider

if TYPE_CHECKING:
    from standing.collectors.azure.fetch import CoverageLog


def fetch_deny_assignments(auth: Any, log: CoverageLog, scope: str, wire: Any) -> list[dict[str, Any]] | None:
    """Every deny assignment that applies within the subscription ``scope``."""
    return log.attempt(
        operation("arm:denyAssignments"),
        scope,
        lambda: [flatten(wire(d)) for d in auth.deny_assignments.list()],
    )


def normalize_deny_assignments(records: list[dict[str, Any]] | None) -> list[Guardrail]:
    """Pure: one ``Guardrail`` per deny assignment, kept as ARM wrote it, attached at its scope."""
    guardrails = []
    for record in records or []:
        arm_id = str(record.get("id") or "")
        if not arm_id:
            continue
        guardrails.append(
            Guardrail(
                id=arm_id,
                provider=Provider.AZURE,
                kind=GuardrailKind.AZURE_DENY,
                name=str(record.get("denyAssignmentName") or record.get("name") or arm_id.rsplit("/", 1)[-1]),
                document={
                    k: record[k]
                    for k in ("permissions", "principals", "excludePrincipals", "doNotApplyToChildScopes")
                    if k in record
                },
                targets=[str(record.get("scope") or arm_id.split("/providers/Microsoft.Authorization/")[0] or "/")],
            )
        )
    return guardrails
