"""Meta-test: every rule is documented, configurable, mapped to real framework ids and tested;
every framework mapping names a real rule; every rule has a case in tests/rule_cases.py that it
flags, beside a near miss it leaves alone; every finding cites only its own cloud's controls,
and every control of a one-cloud benchmark is cited by some finding about that cloud."""

from __future__ import annotations

import re

import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.core.findings import Finding, Framework
from standing.core.model import Provider
from standing.rules.engine import RuleSettings
from standing.rules.frameworks import frameworks_for, mappings, mappings_of
from standing.rules.registry import default_settings, load_rules, run_rules
from tests.builders import NOW, key, user
from tests.planner.cases import sa, sa_key
from tests.rule_cases import CASES, estate

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
        assert any(m.ref.framework is Framework.OWASP_NHI for m in mappings_of(rule_id)), rule_id
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


def _every_finding() -> list[Finding]:
    """Every rule, enabled, over every case's estate, plus one too-old key on AWS and one on GCP."""
    settings = {rule_id: RuleSettings(enabled=True, params=rule.Params()) for rule_id, rule in load_rules().items()}
    aws_user, gcp_account = user("both-clouds-key"), sa("both-clouds-key")
    estates = [case.estate() for case in CASES.values()]
    estates.append(estate(aws_user, key(aws_user, "AKIABOTH", age=200, used=1), gcp_account, sa_key(gcp_account, "k1")))
    return [f for inventory in estates for f in run_rules(PrivilegeGraph(inventory), settings, NOW)]


def test_a_finding_cites_only_the_controls_of_its_own_cloud():
    """``key-too-old`` on an AWS key cites CIS AWS 1.14, on a GCP key CIS GCP 1.7, never the other's."""
    findings = _every_finding()
    scoped = {m.ref: m.provider for m in mappings() if m.provider is not None}
    for f in findings:
        assert f.frameworks == list(frameworks_for(f.rule_id, f.provider))
        foreign = [str(ref) for ref in f.frameworks if scoped.get(ref, f.provider) is not f.provider]
        assert foreign == [], f"{f.rule_id} on {f.provider.value} {f.subject} cites {foreign}"
    too_old = {f.provider: {ref.short for ref in f.frameworks} for f in findings if f.rule_id == "key-too-old"}
    assert {"CIS AWS 3.0.0 1.14", "NHI7:2025"} <= too_old[Provider.AWS]
    assert not any(short.startswith("CIS GCP") for short in too_old[Provider.AWS])
    assert {"CIS GCP 3.0.0 1.7", "NHI7:2025"} <= too_old[Provider.GCP]  # near miss: same rule, other cloud
    assert not any(short.startswith("CIS AWS") for short in too_old[Provider.GCP])


def test_every_control_of_a_one_cloud_benchmark_is_reachable_by_a_finding_of_that_cloud():
    """The other way round: a rule mapped under CIS GCP that only ever judges AWS would cite nothing."""
    cited = {(f.rule_id, f.provider, ref) for f in _every_finding() for ref in f.frameworks}
    for m in mappings():
        if m.provider is None:
            continue
        for rule_id in m.rules:
            assert (rule_id, m.provider, m.ref) in cited, (
                f"{m.file} {m.ref.control}: no {m.provider.value} {rule_id} finding"
            )


def test_a_framework_without_a_provider_applies_to_every_cloud():
    nhi = [m for m in mappings() if m.ref.framework is Framework.OWASP_NHI]
    assert nhi and all(m.provider is None for m in nhi)
    assert {m.provider for m in mappings() if m.ref.framework is Framework.CIS_AWS} == {Provider.AWS}
    assert {m.provider for m in mappings() if m.ref.framework is Framework.CIS_GCP} == {Provider.GCP}
    for provider in Provider:
        assert any(ref.control == "NHI7:2025" for ref in frameworks_for("key-too-old", provider))
    assert not any(ref.framework is Framework.CIS_AWS for ref in frameworks_for("key-too-old", Provider.AZURE))
