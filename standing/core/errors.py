"""Errors a user can act on, each with the exit code the CLI documents.

Anything raised as ``UserError`` is printed as one line (no traceback) by the CLI.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INCOMPLETE = 3


class UserError(Exception):
    """Bad input or configuration: the message names the source and the problem."""

    exit_code = ExitCode.USAGE

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
