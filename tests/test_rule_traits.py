"""Meta-test: outside the rules, nothing names a rule by its id; other layers ask for traits.

Renaming a rule, or adding one, must not silently change what the gate blocks, how risk is
scored or which plan is chosen: those read ``Rule.traits`` (``standing.core.traits``), and a
string equal to a registered rule id in any of the modules below fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import standing
from standing.core.traits import Trait
from standing.demo.spec import KEY_GRACE_DAYS, KEY_MAX_AGE_DAYS, KEY_UNUSED_DAYS, RuleId
from standing.rules.registry import load_rules, rules_with, traits_of

PACKAGE = Path(standing.__file__).parent
# Every layer that consumes findings; the rules define them, the demo's spec is test data
# (checked below), the collectors and core never look at a finding's rule.
CONSUMERS = ("planner", "gate", "analysis", "reports", "history", "scan.py", "cli")


def _modules() -> list[Path]:
    found: list[Path] = []
    for name in CONSUMERS:
        path = PACKAGE / name
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


def _rule_ids_named(path: Path, rule_ids: frozenset[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in rule_ids
    ]


def test_no_consumer_names_a_rule_by_its_id():
    rule_ids = frozenset(load_rules())
    modules = _modules()
    assert len(modules) > 50  # the walk found the packages
    named = [hit for path in modules for hit in _rule_ids_named(path, rule_ids)]
    assert named == [], "ask for a Trait (declare it on the rule) instead of naming rules:\n" + "\n".join(named)


def test_every_rule_declares_a_frozenset_of_traits():
    for rule_id, rule in load_rules().items():
        assert isinstance(rule.traits, frozenset), rule_id
        assert all(isinstance(t, Trait) for t in rule.traits), rule_id
        assert traits_of(rule_id) == rule.traits


@pytest.mark.parametrize("trait", list(Trait))
def test_every_trait_is_declared_by_a_rule(trait):
    assert rules_with(trait), f"no rule declares {trait}; remove it or declare it"


def test_a_rule_this_version_does_not_know_has_no_traits():
    assert traits_of("no-such-rule") == frozenset()


def test_traits_that_qualify_others_stay_consistent():
    for rule_id in rules_with(Trait.SECRET_CENSUS):
        assert Trait.STANDING_KEY in traits_of(rule_id), f"{rule_id}: a census of standing keys is about keys"
    for rule_id in rules_with(Trait.PRIVILEGED_ROLE):
        assert Trait.PRIVILEGED in traits_of(rule_id), rule_id
    for rule_id in rules_with(Trait.OPEN_TO_ACCOUNTS):
        assert Trait.ADMITS_OUTSIDERS in traits_of(rule_id), rule_id


def test_the_demo_estate_expects_only_registered_rules_with_their_default_thresholds():
    rules = load_rules()
    assert sorted(str(r) for r in RuleId if str(r) not in rules) == []
    assert rules["key-too-old"].Params().max_age_days == KEY_MAX_AGE_DAYS
    assert rules["key-unused"].Params().unused_days == KEY_UNUSED_DAYS
    assert rules["key-unused"].Params().grace_days == KEY_GRACE_DAYS
