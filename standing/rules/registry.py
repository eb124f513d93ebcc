"""Which rules exist, and running them: every ``Rule`` subclass in ``standing.rules.families``.

Defining a rule in a module there registers it; nothing is listed by hand. This module sits
above the families (they import the engine, it imports them), so discovery makes no cycle.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime
from functools import cache

import standing.rules.families as families
from standing.analysis.graph import PrivilegeGraph
from standing.core.findings import Finding
from standing.core.traits import Trait
from standing.rules.engine import REGISTERED, Rule, RuleSettings, rank, to_finding


@cache
def load_rules() -> dict[str, type[Rule]]:
    """Import every module of ``standing.rules.families`` so its rules register; ids in sorted order."""
    for module in pkgutil.iter_modules(families.__path__):
        importlib.import_module(f"{families.__name__}.{module.name}")
    return dict(sorted(REGISTERED.items()))


def traits_of(rule_id: str) -> frozenset[Trait]:
    """What a finding of this rule means to other layers; none for a rule this version does not know."""
    rule = load_rules().get(rule_id)
    return rule.traits if rule is not None else frozenset()


def rules_with(trait: Trait) -> tuple[str, ...]:
    """Ids of the rules that declare ``trait``, sorted."""
    return tuple(rule_id for rule_id, rule in load_rules().items() if trait in rule.traits)


def default_settings() -> dict[str, RuleSettings]:
    return {
        rule_id: RuleSettings(enabled=rule.enabled_by_default, params=rule.Params())
        for rule_id, rule in load_rules().items()
    }


def run_rules(graph: PrivilegeGraph, settings: dict[str, RuleSettings], now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    for rule_id, rule_cls in load_rules().items():
        setting = settings[rule_id]
        if not setting.enabled:
            continue
        for hit in rule_cls().evaluate(graph, setting.params, now):
            findings.append(to_finding(rule_cls, setting, hit))
    return rank(findings)
