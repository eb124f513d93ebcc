"""Errors a user can act on, each with the exit code the CLI documents.

Anything raised as ``UserError`` is printed as one line (no traceback) by the CLI. Anything
else that escapes a command is a bug in standing: one line, ``ExitCode.CRASH``, and the
traceback in a log file the line names (``standing.cli.main``), so a crash in CI never reads as
exit 1, "findings".
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INCOMPLETE = 3
    CRASH = 70  # EX_SOFTWARE (sysexits.h): an internal error, never a verdict on the estate
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class UserError(Exception):
    """Bad input or configuration: the message names the source and the problem."""

    exit_code = ExitCode.USAGE

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
