"""The history page's (docs/history.md) history and scheduling examples use options that exist, and stay keyless."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from standing.cli.main import main

SECTION = (Path(__file__).parents[2] / "docs" / "history.md").read_text()


def _commands() -> list[list[str]]:
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", SECTION, re.S):
        commands += [
            shlex.split(line, comments=True)[1:] for line in block.splitlines() if line.startswith("standing ")
        ]
    cron = re.search(r"^17 5 \* \* \* standing standing (.*?) >>", SECTION, re.M)
    service = re.search(r"^ExecStart=/usr/local/bin/standing (.*)$", SECTION, re.M)
    assert cron and service
    return commands + [shlex.split(cron.group(1)), shlex.split(service.group(1))]


def test_every_example_command_parses():
    commands = _commands()
    assert len(commands) == 9
    for args in commands:
        result = CliRunner().invoke(main, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)


def test_no_example_gives_the_scanner_a_key():
    assert not re.search(
        r"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|GOOGLE_APPLICATION_CREDENTIALS|"
        r"AZURE_CLIENT_SECRET|--auth (client-secret|secret)|\.json key",
        SECTION,
    )
    for keyless in (
        "instance profile",
        "managed-identity",
        "eks.amazonaws.com/role-arn",
        "iam.gke.io/gcp-service-account",
    ):
        assert keyless in SECTION
