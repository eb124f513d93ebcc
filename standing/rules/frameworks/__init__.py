"""Framework mappings: which rules evidence which controls, kept apart from the rules.

A rule says what is wrong; ``standing/rules/frameworks/*.toml`` say who cites it (OWASP NHI Top 10,
OWASP Agentic Top 10, CIS AWS and GCP, NIST SP 800-53). A new framework, or a benchmark's
renumbering, is a data change that touches no rule.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from standing.core.findings import Framework, FrameworkRef


@dataclass(frozen=True)
class Mapping:
    file: str
    ref: FrameworkRef
    title: str
    rules: tuple[str, ...]


@cache
def mappings() -> tuple[Mapping, ...]:
    found = []
    for entry in sorted(resources.files("standing.rules.frameworks").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        framework = Framework(data["framework"])
        for control, body in data["controls"].items():
            ref = FrameworkRef(framework=framework, version=str(data["version"]), control=str(control))
            found.append(Mapping(entry.name, ref, body.get("title", ""), tuple(body["rules"])))
    return tuple(found)


@cache
def frameworks_by_rule() -> dict[str, tuple[FrameworkRef, ...]]:
    by_rule: dict[str, list[FrameworkRef]] = {}
    for mapping in mappings():
        for rule_id in mapping.rules:
            by_rule.setdefault(rule_id, []).append(mapping.ref)
    order = list(Framework)
    return {
        rule_id: tuple(sorted(refs, key=lambda r: (order.index(r.framework), r.control)))
        for rule_id, refs in by_rule.items()
    }


def frameworks_for(rule_id: str) -> tuple[FrameworkRef, ...]:
    return frameworks_by_rule().get(rule_id, ())
