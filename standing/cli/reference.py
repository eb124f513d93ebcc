"""``standing rules``, ``standing policy`` and ``standing schema``: what the tool knows, printed."""

from __future__ import annotations

import json

import click

from standing.cli.common import stdout
from standing.cli.scan import PROVIDERS


@click.command("rules")
def rules_command() -> None:
    """List every rule with its default severity, parameters and framework references.

    A control of a one-cloud benchmark is marked with its cloud (``CIS AWS 3.0.0 1.14 (aws)``):
    only findings about that cloud's identities cite it.
    """
    from rich.table import Table

    from standing.rules.frameworks import cited_as, mappings_of
    from standing.rules.registry import load_rules

    table = Table(title="Rules")
    for column in ("Id", "Severity", "Title", "Parameters", "Frameworks"):
        table.add_column(column, overflow="fold")
    for rule_id, rule in load_rules().items():
        params = ", ".join(f"{name}={field.default}" for name, field in rule.Params.model_fields.items())
        title = rule.title if rule.enabled_by_default else f"{rule.title} (off unless enabled in the config)"
        table.add_row(
            rule_id, rule.severity.value, title, params or "-", "; ".join(cited_as(m) for m in mappings_of(rule_id))
        )
    stdout().print(table)


_PERMISSIONS = {c.name: c.permissions for c in PROVIDERS if c.permissions is not None}


@click.command("policy")
@click.argument("provider", type=click.Choice(sorted(_PERMISSIONS)))
def policy_command(provider: str) -> None:
    """Print the read-only permissions the scanner needs, generated from the calls it declares."""
    click.echo(json.dumps(_PERMISSIONS[provider](), indent=2))


@click.command("schema")
@click.argument("document", type=click.Choice(["findings"]))
def schema_command(document: str) -> None:
    """Print the JSON Schema of an output document."""
    from standing.core.findings_json import json_schema

    click.echo(json_schema(), nl=False)
