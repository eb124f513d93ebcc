"""The ``standing`` command line: the group, and where each command lives.

Commands are imported when they run (or when ``--help`` lists them), so ``standing --version``
and every subprocess a CI job starts pay only for the command they use.

Exit codes (also in docs/exit-codes.md): 0 clean, 1 findings at or above ``--fail-on``,
2 usage or input error, 3 scan incomplete (some source could not be read).
"""

from __future__ import annotations

import importlib

import click

from standing import __version__

# command name -> "module:attribute" of its click command, one module per command group
COMMANDS = {
    "collect": "standing.cli.scan:collect",
    "scan": "standing.cli.scan:scan",
    "demo": "standing.cli.demo:demo",
    "explain": "standing.cli.explain:explain",
    "plan": "standing.cli.plan:plan_command",
    "report": "standing.cli.report:report_command",
    "baseline": "standing.cli.gate:baseline_command",
    "gate": "standing.cli.gate:gate_command",
    "history": "standing.cli.history:history",
    "rules": "standing.cli.reference:rules_command",
    "policy": "standing.cli.reference:policy_command",
    "schema": "standing.cli.reference:schema_command",
}


class LazyGroup(click.Group):
    """A group whose commands are imported by name, on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="standing")
def main() -> None:
    """Find the standing privilege of non-human identities and plan its replacement with JIT access."""
