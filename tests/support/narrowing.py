"""Is each narrowed plan strictly smaller than what its identity holds? Reusable on any plans output.

``compare_narrowed`` takes plans (``Plan`` records, or the dicts of a ``plans.json``) and the
inventory they were planned from, and for every plan with a narrowed AWS policy returns the
concrete actions (through AWS's action catalogue) the identity's grants allow today and the ones
the narrowed policy allows. The demo check and the unit tests assert ``narrowed < granted``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from standing.analysis import catalogue
from standing.core.model import Inventory
from standing.planner.model import Plan, PolicyKind


@dataclass(frozen=True)
class Comparison:
    identity: str
    granted: frozenset[str]
    narrowed: frozenset[str]

    @property
    def strictly_smaller(self) -> bool:
        return self.narrowed < self.granted


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_actions(documents: Iterable[dict[str, Any]]) -> frozenset[str]:
    """Every catalogue action the Allow statements of ``documents`` name (patterns expanded)."""
    actions: set[str] = set()
    for document in documents:
        for statement in _as_list(document.get("Statement", [])):
            if isinstance(statement, dict) and statement.get("Effect") == "Allow":
                for pattern in _as_list(statement.get("Action", [])):
                    actions |= {a.qualified.lower() for a in catalogue.expand(str(pattern))}
    return frozenset(actions)


def compare_narrowed(plans: Iterable[Plan | dict[str, Any]], inventory: Inventory) -> list[Comparison]:
    """One comparison per plan that carries a narrowed AWS policy."""
    roles = {r.id: r for r in inventory.roles}
    held: dict[str, list[dict[str, Any]]] = {}
    for grant in inventory.grants:
        if (role := roles.get(grant.role_id)) is not None:
            held.setdefault(grant.principal_id, []).extend(role.documents)
    found = []
    for item in plans:
        plan = item if isinstance(item, Plan) else Plan.model_validate(item)
        narrowed = [p.document for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
        if narrowed:
            found.append(
                Comparison(plan.identity, allowed_actions(held.get(plan.identity, [])), allowed_actions(narrowed))
            )
    return found
