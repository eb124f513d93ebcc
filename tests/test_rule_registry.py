"""Meta-test: every rule is documented, configurable, mapped to real framework ids and tested;
every framework mapping names a real rule."""

from __future__ import annotations

import re
from pathlib import Path

from standing.core.findings import Framework
from standing.rules.frameworks import frameworks_for, mappings
from standing.rules.registry import load_rules

NHI_IDS = {f"NHI{n}:2025" for n in range(1, 11)}
CIS_SECTION_1 = re.compile(r"^1\.(\d|1\d|2[0-2])$")
NIST_CONTROL = re.compile(r"^(AC|IA|AU|CM|SC|SI|RA)-\d+(\(\d+\))?$")
TESTS = Path(__file__).parent


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


def test_every_rule_id_is_exercised_by_a_test():
    text = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py") if p.name != Path(__file__).name)
    untested = [rule_id for rule_id in load_rules() if f'"{rule_id}"' not in text]
    assert untested == []
