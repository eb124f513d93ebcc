"""Meta-test: every rule is documented, configurable, mapped to real framework ids and tested;
every framework mapping names a real rule; every rule has a case in tests/rule_cases.py that it
flags, beside a near miss it leaves alone."""

from __future__ import annotations

import re

import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.core.findings import Finding, Framework
from standing.rules.engine import RuleSettings
from standing.rules.frameworks import frameworks_for, mappings
from standing.rules.registry import default_settings, load_rules, run_rules
from tests.builders import NOW
from tests.rule_cases import CASES

NHI_IDS = {f"NHI{n}:2025" for n in range(1, 11)}
CIS_SECTION_1 = re.compile(r"^1\.(\d|1\d|2[0-2])$")
NIST_CONTROL = re.compile(r"^(AC|IA|AU|CM|SA|SC|SI|RA)-\d+(\(\d+\))?$")


def test_rules_are_discovered_with_complete_metadata():
    rules = load_rules()
    assert len(rules) >= 20
    for rule_id, rule in rules.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id), rule_id
        assert rule.__doc__ and len(rule.__doc__.strip()) > 40, f"{rule_id} needs a docstring"
        assert rule.title and rule.severity
        rule.Params()  # every parameter has a default
        assert not hasattr(rule, "frameworks"), f"{rule_id}: framework references belong in standing/frameworks"


def test_every_rule_is_mapped_to_owasp_nhi_and_every_mapping_names_a_real_rule():
    rules = load_rules()
    for rule_id in rules:
        assert any(ref.framework is Framework.OWASP_NHI for ref in frameworks_for(rule_id)), rule_id
    for mapping in mappings():
        unknown = [r for r in mapping.rules if r not in rules]
        assert unknown == [], f"{mapping.file} {mapping.ref.control} names unknown rules {unknown}"
        assert mapping.title, f"{mapping.file} {mapping.ref.control} needs a title"


def test_mapped_control_ids_are_real_ids_of_their_framework():
    for mapping in mappings():
        ref = mapping.ref
        if ref.framework is Framework.OWASP_NHI:
            assert ref.control in NHI_IDS and ref.version == "2025"
        elif ref.framework in (Framework.CIS_AWS, Framework.CIS_GCP):
            assert CIS_SECTION_1.match(ref.control) and ref.version == "3.0.0"
        elif ref.framework is Framework.NIST_800_53:
            assert NIST_CONTROL.match(ref.control) and ref.version == "Rev. 5"
        elif ref.framework is Framework.OWASP_AGENTIC:
            assert ref.control == "ASI03:2026" and ref.version == "2026"  # the identity item
        # versions are strings: CIS "1.10" must never become 1.1
        assert isinstance(ref.control, str) and isinstance(ref.version, str)


def test_every_registered_rule_has_a_case_and_every_case_names_a_registered_rule():
    rules, cases = set(load_rules()), set(CASES)
    assert sorted(rules - cases) == [], "registered rules without a case in tests/rule_cases.py"
    assert sorted(cases - rules) == [], "cases in tests/rule_cases.py for rules that are not registered"


def concerns(finding: Finding, subject: str) -> bool:
    return subject in (finding.subject, finding.identity)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_flags_its_case_and_not_the_near_miss(rule_id):
    case = CASES[rule_id]
    rule = load_rules()[rule_id]
    settings = default_settings()
    settings[rule_id] = RuleSettings(enabled=True, params=rule.Params(**case.params))
    inventory = case.estate()
    ids = {i.id for i in inventory.identities} | {c.id for c in inventory.credentials}
    # A policy finding's subject is a policy; a third-party one may name a principal known only by its grants.
    ids |= {r.id for r in inventory.roles} | {g.principal_id for g in inventory.grants}
    assert {case.positive, case.near_miss} <= ids, "the case's subjects must be in its estate"
    hits = [f for f in run_rules(PrivilegeGraph(inventory), settings, NOW) if f.rule_id == rule_id]
    assert any(concerns(f, case.positive) for f in hits), f"{rule_id} missed {case.positive}"
    assert not [f.message for f in hits if concerns(f, case.near_miss)], f"near miss ({case.why}) was flagged"


def test_rules_off_by_default_stay_silent_on_their_case_unless_enabled():
    off = [rule_id for rule_id, rule in load_rules().items() if not rule.enabled_by_default]
    assert off, "the registry has rules that are off by default (long-lived-secret, identity-without-owner)"
    for rule_id in off:
        findings = run_rules(PrivilegeGraph(CASES[rule_id].estate()), default_settings(), NOW)
        assert not [f for f in findings if f.rule_id == rule_id], rule_id
