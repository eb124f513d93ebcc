"""Meta-test: every rule is documented, configurable, mapped to real framework ids and tested."""

from __future__ import annotations

import re
from pathlib import Path

from standing.scanner.engine import load_rules
from standing.scanner.findings import Framework

NHI_IDS = {f"NHI{n}:2025" for n in range(1, 11)}
CIS_AWS_SECTION_1 = re.compile(r"^1\.(\d|1\d|2[0-2])$")
NIST_CONTROL = re.compile(r"^(AC|IA|AU|CM|SC|SI|RA)-\d+(\(\d+\))?$")
TESTS = Path(__file__).parent


def test_rules_are_discovered_with_complete_metadata():
    rules = load_rules()
    assert len(rules) >= 8
    for rule_id, rule in rules.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id), rule_id
        assert rule.__doc__ and len(rule.__doc__.strip()) > 40, f"{rule_id} needs a docstring"
        assert rule.title and rule.severity
        rule.Params()  # every parameter has a default
        assert any(ref.framework is Framework.OWASP_NHI for ref in rule.frameworks), rule_id
        for ref in rule.frameworks:
            if ref.framework is Framework.OWASP_NHI:
                assert ref.control in NHI_IDS and ref.version == "2025"
            elif ref.framework is Framework.CIS_AWS:
                assert CIS_AWS_SECTION_1.match(ref.control) and ref.version == "3.0.0"
            elif ref.framework is Framework.NIST_800_53:
                assert NIST_CONTROL.match(ref.control)
            elif ref.framework is Framework.OWASP_AGENTIC:
                assert ref.control == "ASI03:2026" and ref.version == "2026"  # the identity item


def test_every_rule_id_is_exercised_by_a_test():
    text = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py") if p.name != Path(__file__).name)
    untested = [rule_id for rule_id in load_rules() if f'"{rule_id}"' not in text]
    assert untested == []
