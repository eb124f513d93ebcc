"""The ``standing`` command line: the group, and where each command lives.

Commands are imported when they run (or when ``--help`` lists them), so ``standing --version``
and every subprocess a CI job starts pay only for the command they use.

Exit codes (also in docs/exit-codes.md): 0 clean, 1 findings at or above ``--fail-on``,
2 usage or input error, 3 scan incomplete (some source could not be read), 70 internal error
(a bug in standing), 130 interrupted.

The group is also the error boundary. Whatever a command raises ends here as one line on
stderr: click's usage errors and every ``UserError`` as ``standing: error: <source>: <problem>``
with exit 2; anything else as ``standing: error: internal error: <type>: <message>`` with exit
70 and the traceback in a log file the line names (mode 0600, under ``$XDG_STATE_HOME/standing``,
else ``~/.local/state/standing``, else the temporary folder), or on stderr with ``--debug``. The
log holds the traceback of standing's own code and the version, never the command line or the
environment; the value of ``--notify-webhook`` and the password of any URL are masked.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from standing import __version__
from standing.core.errors import ExitCode, UserError

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


# Options (and their environment variables) whose whole value is a secret: a webhook URL is a
# bearer credential. Masked in any error line or crash log, as is the password of any URL
# (a --store of postgresql://user:password@host/db).
SECRET_OPTIONS = ("--notify-webhook",)
SECRET_ENV = ("STANDING_NOTIFY_WEBHOOK",)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@", re.IGNORECASE)


class LazyGroup(click.Group):
    """A group whose commands are imported by name, on first use, and the CLI's error boundary."""

    debug = False  # set by --debug (or STANDING_DEBUG) while the command line is parsed

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; in standalone mode (the installed command, CliRunner) every failure
        becomes one line and a documented exit code."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        if args is None:  # the installed command, in a process of its own
            from standing.core.gc_pause import process_ends_after_command

            process_ends_after_command()
            try:
                return self._standalone(None, prog_name, complete_var, **extra)
            except SystemExit as exc:
                _exit_now(exc.code)
        return self._standalone(args, prog_name, complete_var, **extra)

    def _standalone(
        self, args: Sequence[str] | None, prog_name: str | None, complete_var: str | None, **extra: Any
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        LazyGroup.debug = False
        _set_max_input(None, None, None)  # a limit given to an earlier run in this process is not this run's
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `standing`, `standing history`: a request for help
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:  # usage errors, bad parameters, missing options
            _fail(_usage_line(exc), ExitCode.USAGE, argv)
        except UserError as exc:  # raised outside a command's own user_errors (a group, a type)
            _fail(str(exc), exc.exit_code, argv)
        except (click.Abort, KeyboardInterrupt, EOFError):
            _fail("interrupted", ExitCode.INTERRUPTED, argv)
        except Exception as exc:  # a bug in standing: never exit 1, which means "findings"
            _crash(exc, argv)
        sys.exit(result if isinstance(result, int) else ExitCode.CLEAN)  # an Exit's code (--version: 0)

    def invoke(self, ctx: click.Context) -> None:
        """Run the command and drop what it returns: outside standalone mode click hands back
        either that or an ``Exit``'s code, and ``main`` must only ever see the latter."""
        super().invoke(ctx)

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


def _exit_now(code: object) -> NoReturn:
    """Leave the process as ``sys.exit(code)`` would, less the interpreter's teardown.

    A large scan ends holding millions of records; freeing them one by one at exit took seconds
    (about a tenth of a 30k-identity scan) and changes nothing the user sees. Every atexit
    handler still runs (library cleanups, temporary files), the standard streams are flushed,
    and the exit code is the one ``sys.exit`` gives (a message: printed, and 1)."""
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        status = 1
    else:
        status = 0 if code is None else int(code)  # type: ignore[call-overload]
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can reach it
            stream.flush()
    os._exit(status)


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    LazyGroup.debug = LazyGroup.debug or value


def _set_max_input(ctx: click.Context | None, param: click.Parameter | None, value: int | None) -> None:
    # Imported here: ``standing --version`` reads no file and loads no pydantic.
    from standing.core.textfiles import set_max_input_mb

    set_max_input_mb(value)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="standing")
@click.option(
    "--debug",
    is_flag=True,
    envvar="STANDING_DEBUG",
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="On an internal error, print the traceback instead of writing it to a log file.",
)
@click.option(
    "--max-input-mb",
    type=click.IntRange(min=1, max=1024 * 1024),
    expose_value=False,
    is_eager=True,
    callback=_set_max_input,
    metavar="MB",
    help="Refuse input files larger than this many megabytes (default 1024; also STANDING_MAX_INPUT_MB).",
)
def main() -> None:
    """Find the standing privilege of non-human identities and plan its replacement with JIT access."""


def _usage_line(exc: click.ClickException) -> str:
    """A click error as ``<command>: <problem> (see '<command> --help')``."""
    message = exc.format_message().strip().rstrip(".")
    ctx = getattr(exc, "ctx", None)
    if ctx is None or ctx.parent is None:  # the group itself: `standing: error: No such command`
        return f"{message} (see 'standing --help')" if ctx is not None else message
    return f"{ctx.command_path}: {message} (see '{ctx.command_path} --help')"


def _secrets(argv: list[str]) -> list[str]:
    """The values of secret-bearing options on this command line and in the environment."""
    found = [os.environ.get(name, "") for name in SECRET_ENV]
    for i, arg in enumerate(argv):
        for option in SECRET_OPTIONS:
            if arg == option and i + 1 < len(argv):
                found.append(argv[i + 1])
            elif arg.startswith(option + "="):
                found.append(arg.split("=", 1)[1])
    return sorted({value for value in found if len(value) >= 4}, key=len, reverse=True)


def _mask(text: str, secrets: list[str]) -> str:
    for value in secrets:
        text = text.replace(value, "***")
    return _URL_PASSWORD.sub(r"\g<scheme>***@", text)


def _fail(message: str, code: int, argv: list[str]) -> NoReturn:
    from standing.cli.common import fail

    fail(_mask(message, _secrets(argv)), code)


def _crash(exc: BaseException, argv: list[str]) -> NoReturn:
    """One line naming the failure and where its traceback is; exit 70."""
    secrets = _secrets(argv)
    summary = _mask(f"{type(exc).__name__}: {exc}", secrets)
    if len(summary) > 300:
        summary = summary[:299] + "…"
    trace = _mask("".join(traceback.format_exception(exc)), secrets)
    if LazyGroup.debug:
        click.echo(trace, err=True, nl=False)
        _fail(f"internal error: {summary}; the traceback is above", ExitCode.CRASH, argv)
    try:
        log = write_crash_log(trace)
    except Exception as error:  # no writable folder at all: the line still says how to see it
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        where = f"no log written ({reason}); run with --debug for the traceback"
    else:
        where = f"the traceback is in {log}"
    _fail(f"internal error: {summary}; {where}", ExitCode.CRASH, argv)


def crash_log_dirs() -> list[Path]:
    """Where crash logs go, first choice first: $XDG_STATE_HOME/standing, ~/.local/state/standing,
    then the temporary folder."""
    dirs = []
    state = os.environ.get("XDG_STATE_HOME")
    if state and Path(state).is_absolute():
        dirs.append(Path(state) / "standing")
    else:
        with contextlib.suppress(RuntimeError, KeyError):  # no home folder to be found
            dirs.append(Path.home() / ".local" / "state" / "standing")
    dirs.append(Path(tempfile.gettempdir()) / f"standing-{os.getuid() if hasattr(os, 'getuid') else 'user'}")
    return dirs


def write_crash_log(trace: str) -> Path:
    """Write ``trace`` to a new file readable by this user only; return its path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    body = f"standing {__version__} internal error, {stamp}\npython {sys.version.split()[0]}\n\n{trace}"
    error: OSError | None = None
    for folder in crash_log_dirs():
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f"crash-{stamp}-", suffix=".log", dir=folder)
        except OSError as exc:
            error = exc
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp: mode 0600
            out.write(body)
        return Path(name)
    assert error is not None
    raise error
