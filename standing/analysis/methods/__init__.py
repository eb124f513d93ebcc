"""Named escalation methods: every hop carries the stable id of the method it uses.

A method is one way to go from what an identity holds to acting as another (or as an
administrator): which actions it needs, which hop kind it makes, and the test that shows
it with its near miss. AWS methods take the public pathfinding.cloud id where one exists
(``iam-001`` is ``iam:CreatePolicyVersion``), so a finding can be compared with other tools;
the rest, and every GCP and Azure method, are named the same way with the provider in
front (``gcp-iam-001``, ``azure-compute-001``). An id, once published, never changes meaning.

Each provider's methods live in their own module (``aws``, ``gcp``, ``azure``); the README's
table of methods is generated from this registry and checked against it by a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from standing.core.model import Provider


@dataclass(frozen=True, slots=True)
class EscalationMethod:
    id: str
    provider: Provider
    hop: str  # the HopKind value it makes (kept as text: ``escalation`` imports this module)
    actions: tuple[str, ...]  # what the source must be allowed, all of them, in the provider's spelling
    summary: str  # one line a reader of a path understands
    test: str  # the pytest node id that shows the method and its near miss
    pathfinding: bool = False  # the id is pathfinding.cloud's


MethodMaker = Callable[[str, str, tuple[str, ...], str], EscalationMethod]


def method_maker(provider: Provider, test: str) -> MethodMaker:
    """``(id, hop, actions, summary) -> EscalationMethod`` for one provider's module, whose methods
    one test shows: an id without the provider's own prefix (``iam-001``) is pathfinding.cloud's."""
    own = f"{provider.value}-"

    def make(mid: str, hop: str, actions: tuple[str, ...], summary: str) -> EscalationMethod:
        return EscalationMethod(mid, provider, hop, actions, summary, test, pathfinding=not mid.startswith(own))

    return make


@cache
def all_methods() -> dict[str, EscalationMethod]:
    from standing.analysis.methods import aws, azure, gcp

    found: dict[str, EscalationMethod] = {}
    for module in (aws, gcp, azure):
        for method in module.METHODS:
            if method.id in found:
                raise ValueError(f"escalation method {method.id} is defined twice")
            found[method.id] = method
    return found


def method(method_id: str) -> EscalationMethod:
    return all_methods()[method_id]
