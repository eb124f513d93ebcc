"""The README's table of escalation methods, generated from the registry so the two cannot drift.

Grouped by provider (each provider's module adds its own methods), then by the kind of hop a
method makes; ids only, so the front page stays short: each method's actions, summary and test
are in its provider module.
"""

from __future__ import annotations

from standing.analysis.methods import EscalationMethod, all_methods
from standing.core.model import Provider

START = "<!-- methods:start -->"
END = "<!-- methods:end -->"
_PROVIDERS = {Provider.AWS: "AWS", Provider.GCP: "GCP", Provider.AZURE: "Azure"}


def methods_table(methods: list[EscalationMethod] | None = None) -> str:
    """Markdown table: one row per provider and hop kind, listing method ids in registry order."""
    rows: dict[tuple[str, str], list[str]] = {}
    for method in methods if methods is not None else list(all_methods().values()):
        rows.setdefault((method.provider.value, method.hop), []).append(f"`{method.id}`")
    order = {p.value: i for i, p in enumerate(_PROVIDERS)}
    lines = ["| Provider | Hop | Methods |", "|---|---|---|"]
    for provider, hop in sorted(rows, key=lambda k: (order.get(k[0], len(order)), k[1])):
        name = _PROVIDERS.get(Provider(provider), provider)
        lines.append(f"| {name} | {hop} | {', '.join(rows[(provider, hop)])} |")
    return "\n".join(lines) + "\n"


def readme_section(readme: str) -> str | None:
    """The text between the README's markers, or None when they are missing."""
    if START not in readme or END not in readme:
        return None
    return readme.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"
