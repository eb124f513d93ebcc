"""Framework mappings: which rules evidence which controls, kept apart from the rules.

A rule says what is wrong; ``standing/rules/frameworks/*.toml`` say who cites it (OWASP NHI Top 10,
OWASP Agentic Top 10, CIS AWS and GCP, NIST SP 800-53). A new framework, or a benchmark's
renumbering, is a data change that touches no rule.

A benchmark written for one cloud declares it (``provider = "aws"`` at the top of the file):
its controls are cited only by findings about that cloud's identities, so a shared rule such
as ``key-too-old`` cites CIS AWS 1.14 on an AWS key and CIS GCP 1.7 on a GCP key, never the
other cloud's control. A file without ``provider`` applies to every cloud.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from standing.core.findings import Framework, FrameworkRef
from standing.core.model import Provider


@dataclass(frozen=True)
class Mapping:
    file: str
    ref: FrameworkRef
    title: str
    rules: tuple[str, ...]
    provider: Provider | None = None  # the one cloud the framework judges; None: every cloud

    def applies_to(self, provider: Provider) -> bool:
        return self.provider is None or self.provider is provider


@cache
def mappings() -> tuple[Mapping, ...]:
    found = []
    for entry in sorted(resources.files("standing.rules.frameworks").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        framework = Framework(data["framework"])
        provider = Provider(data["provider"]) if "provider" in data else None
        for control, body in data["controls"].items():
            ref = FrameworkRef(framework=framework, version=str(data["version"]), control=str(control))
            found.append(Mapping(entry.name, ref, body.get("title", ""), tuple(body["rules"]), provider))
    return tuple(found)


def _order(mapping: Mapping) -> tuple[int, str]:
    return list(Framework).index(mapping.ref.framework), mapping.ref.control


@cache
def mappings_of(rule_id: str) -> tuple[Mapping, ...]:
    """Every control citing the rule, whatever the cloud: for listings, which must say each one's cloud."""
    return tuple(sorted((m for m in mappings() if rule_id in m.rules), key=_order))


def frameworks_for(rule_id: str, provider: Provider) -> tuple[FrameworkRef, ...]:
    """The controls a finding of this rule about an identity of ``provider`` evidences."""
    return tuple(m.ref for m in mappings_of(rule_id) if m.applies_to(provider))


def cited_as(mapping: Mapping) -> str:
    """A control's short name for a listing, with the one cloud it applies to (``CIS AWS 3.0.0 1.14 (aws)``)."""
    return mapping.ref.short + (f" ({mapping.provider.value})" if mapping.provider else "")
