"""The tables of escalation methods, generated from the registry so they cannot drift from it.

The README's table is grouped by provider (each provider's module adds its own methods), then by
the kind of hop a method makes, with the test files that show each group, so the front page stays
short; ``docs/methods.md`` has one row per method: the actions it needs, what it does, and the
test that shows it beside its near miss.
"""

from __future__ import annotations

from standing.analysis.methods import EscalationMethod, all_methods
from standing.core.model import Provider

START = "<!-- methods:start -->"
END = "<!-- methods:end -->"
_PROVIDERS = {Provider.AWS: "AWS", Provider.GCP: "GCP", Provider.AZURE: "Azure"}


def methods_table(methods: list[EscalationMethod] | None = None) -> str:
    """Markdown table: one row per provider and hop kind, listing method ids in registry order."""
    rows: dict[tuple[str, str], list[EscalationMethod]] = {}
    for method in methods if methods is not None else list(all_methods().values()):
        rows.setdefault((method.provider.value, method.hop), []).append(method)
    order = {p.value: i for i, p in enumerate(_PROVIDERS)}
    lines = ["| Provider | Hop | Methods | Tests |", "|---|---|---|---|"]
    for provider, hop in sorted(rows, key=lambda k: (order.get(k[0], len(order)), k[1])):
        name = _PROVIDERS.get(Provider(provider), provider)
        group = rows[(provider, hop)]
        ids = ", ".join(f"`{m.id}`" for m in group)
        files = ", ".join(f"`{f}`" for f in dict.fromkeys(_test_file(m) for m in group))
        lines.append(f"| {name} | {hop} | {ids} | {files} |")
    return "\n".join(lines) + "\n"


def _test_file(method: EscalationMethod) -> str:
    return method.test.split("::", 1)[0].rsplit("/", 1)[-1]


def methods_page(methods: list[EscalationMethod] | None = None) -> str:
    """docs/methods.md: one row per method, in registry order within each provider."""
    chosen = methods if methods is not None else list(all_methods().values())
    parts = [
        "# Escalation methods\n",
        "Every hop of an escalation path names one of these methods (`hops[].method` in a "
        "path-to-admin finding's evidence), so a finding can be compared with other tools. AWS "
        "methods take the [pathfinding.cloud](https://pathfinding.cloud) id where one exists; the "
        "rest are named the same way with the provider in front. An id never changes meaning. "
        "This page is generated from `standing/analysis/methods/` and checked by "
        "`tests/test_methods_table.py`.\n",
    ]
    for provider, title in _PROVIDERS.items():
        mine = [m for m in chosen if m.provider is provider]
        if not mine:
            continue
        parts.append(f"## {title}\n")
        rows = ["| Method | Hop | Needs | What it does | Test (with its near miss) |", "|---|---|---|---|---|"]
        for m in mine:
            needs = " + ".join(f"`{a}`" for a in m.actions)
            source = " (pathfinding.cloud)" if m.pathfinding else ""
            rows.append(f"| `{m.id}`{source} | {m.hop} | {needs} | {m.summary} | `{m.test}` |")
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


def readme_section(readme: str) -> str | None:
    """The text between the README's markers, or None when they are missing."""
    if START not in readme or END not in readme:
        return None
    return readme.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"
