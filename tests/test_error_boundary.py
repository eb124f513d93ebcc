"""The CLI's error boundary (issue 16): every failure a person sees is one line on stderr.

- bad input and click's own usage errors: ``standing: error: <source>: <problem>``, exit 2;
- a bug in standing: ``standing: error: internal error: <type>: <message>; the traceback is in
  <log>``, exit 70 (never 1, which means "findings"), the traceback only in that 0600 log or,
  with ``--debug``, on stderr;
- an output path that cannot be written, a ``--store`` that cannot be used or would refuse the
  scan, a date or a number beyond range: refused before any work, nothing written.

Each group runs the exact input from the issue through the real command line (CliRunner, and a
subprocess for the installed command), beside the near miss that must keep working.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standing.cli.main import main
from standing.core.errors import ExitCode
from standing.core.outputs import write_text_atomic
from standing.core.snapshot import dump_snapshot
from tests.builders import NOW, inventory, key, user

AS_OF = NOW.isoformat()
WEBHOOK = "https://hooks.example.test/services/T000/B000/secret-token-value"


@pytest.fixture
def state_home(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def run(state_home: Path):
    """The command line as a user runs it; crash logs go under ``state_home``."""

    def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        environment = {"XDG_STATE_HOME": str(state_home), "COLUMNS": "200", "STANDING_STORE": ""}
        environment.update(env or {})
        return CliRunner().invoke(main, [str(a) for a in args], env=environment, prog_name="standing")

    return invoke


def one_error_line(result: Result, code: int) -> str:
    """The result failed with ``code`` and exactly one line on stderr, in the boundary's shape."""
    assert result.exit_code == code, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("standing: error: ")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return lines[0]


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    svc = user("svc")
    path = tmp_path / "snap.json"
    path.write_text(dump_snapshot(inventory(svc, key(svc, "AKIAOLD0000000000001", age=400, used=1))))
    return path


@pytest.fixture
def baseline(tmp_path: Path, snapshot: Path, run) -> Path:
    path = tmp_path / "baseline.json"
    assert run("baseline", "--snapshot", snapshot, "--as-of", AS_OF, "-o", path).exit_code == 0
    return path


# --- 1. usage errors: one line, exit 2 ---------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (["foo"], "standing: error: No such command 'foo' (see 'standing --help')"),
        (["scan", "--bogus"], "standing: error: standing scan: No such option '--bogus' (see 'standing scan --help')"),
        (["gate", "--fail-on", "bogus"], "standing gate: Invalid value for '--fail-on': 'bogus' is not one of"),
        (["history", "prune"], "standing history prune: Missing option '--keep-days'"),
        (["report", "--snapshot", "x.json"], "standing report: Missing option '--output-dir'"),
    ],
)
def test_click_usage_errors_are_one_line_naming_the_command(run, args, expected):
    line = one_error_line(run(*args), ExitCode.USAGE)
    assert expected in line
    assert "Usage:" not in line


def test_help_is_not_an_error_and_keeps_its_usage_block(run):
    result = run("scan", "--help")
    assert result.exit_code == 0 and result.output.startswith("Usage: standing scan")
    assert result.stderr == ""


def test_input_errors_keep_the_user_error_shape(run, tmp_path):
    line = one_error_line(run("scan", "--snapshot", tmp_path / "missing.json"), ExitCode.USAGE)
    assert line.startswith("standing: error: ") and "missing.json" in line and "internal error" not in line


# --- 1. an internal error: one line, exit 70, the traceback in a log ---------------------------


def _explode(*args, **kwargs):
    raise RuntimeError(f"boom while posting to {WEBHOOK} for postgresql://scanner:hunter2@db/h\nsecond line")


def test_an_injected_internal_error_is_one_line_exit_70_with_the_traceback_in_a_private_log(
    run, monkeypatch, snapshot, tmp_path, state_home
):
    monkeypatch.setattr("standing.scan.scan_inventory", _explode)
    result = run(
        "scan", "--snapshot", snapshot, "--as-of", AS_OF, "--output-dir", tmp_path / "out",
        "--store", tmp_path / "h.db", "--notify-webhook", WEBHOOK,
    )  # fmt: skip
    line = one_error_line(result, ExitCode.CRASH)
    assert line.startswith(
        "standing: error: internal error: RuntimeError: boom while posting to *** "
        "for postgresql://scanner:***@db/h\\x0asecond line;"
    )
    assert "secret-token-value" not in result.output and "hunter2" not in result.output
    logs = list((state_home / "standing").glob("crash-*.log"))
    assert len(logs) == 1 and line.endswith(f"the traceback is in {logs[0]}")
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(logs[0].parent.stat().st_mode) == 0o700
    text = logs[0].read_text()
    assert "Traceback (most recent call last)" in text and "in _explode" in text
    assert "secret-token-value" not in text and "hunter2" not in text
    assert "XDG_STATE_HOME" not in text and "--notify-webhook" not in text  # no environment, no command line


def test_with_debug_the_traceback_goes_to_stderr_and_no_log_is_written(run, monkeypatch, snapshot, state_home):
    monkeypatch.setattr("standing.scan.scan_inventory", _explode)
    result = run("--debug", "scan", "--snapshot", snapshot, "--as-of", AS_OF)
    assert result.exit_code == ExitCode.CRASH
    assert result.stderr.startswith("Traceback (most recent call last)") and "in _explode" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("standing: error: internal error: RuntimeError: boom")
    assert not (state_home / "standing").exists()


def test_a_user_error_raised_deep_down_is_still_exit_2_not_a_crash(run, monkeypatch, snapshot, state_home):
    from standing.core.errors import UserError

    def refuse(*args, **kwargs):
        raise UserError("config.toml", "threshold must be positive")

    monkeypatch.setattr("standing.scan.scan_inventory", refuse)
    line = one_error_line(run("scan", "--snapshot", snapshot, "--as-of", AS_OF), ExitCode.USAGE)
    assert line == "standing: error: config.toml: threshold must be positive"
    assert not (state_home / "standing").exists()


def test_an_interrupt_is_one_line_exit_130(run, monkeypatch, snapshot):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("standing.scan.scan_inventory", interrupt)
    result = run("scan", "--snapshot", snapshot)
    assert result.exit_code == ExitCode.INTERRUPTED
    # click ends the terminal's ^C echo with a newline; then the one line
    assert result.stderr.strip().splitlines() == ["standing: error: interrupted"]


def test_the_installed_command_crashes_with_exactly_one_line_and_exit_70(tmp_path, snapshot):
    program = (
        "import sys, standing.scan\n"
        "def boom(*a, **k): raise ValueError('injected')\n"
        "standing.scan.scan_inventory = boom\n"
        "from standing.cli.main import main\n"
        "sys.argv[0] = 'standing'\n"
        "main()\n"
    )
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), COLUMNS="200")
    done = subprocess.run(
        [sys.executable, "-c", program, "scan", "--snapshot", str(snapshot), "--as-of", AS_OF],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 70, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("standing: error: internal error: ValueError: injected; the traceback is in ")
    assert Path(line.rsplit(" ", 1)[1]).is_file()


# --- 2. output paths: checked before any work, one line, nothing written -----------------------


def _bad_output_cases(t: Path, snap: Path, base: Path) -> list[tuple[list[str], str]]:
    missing = t / "missing-snapshot.json"  # never read: the output is refused first
    return [
        (["gate", "--snapshot", missing, "--baseline", base, "--junit", t / "afile/x.xml"], "--junit"),
        (["gate", "--snapshot", missing, "--baseline", base, "--sarif", t / "afile/x.sarif"], "--sarif"),
        (["gate", "--snapshot", missing, "--baseline", base, "--markdown", t / "afile/x.md"], "--markdown"),
        (["scan", "--snapshot", missing, "--output-dir", t / "afile/out"], "--output-dir"),
        (["scan", "--output-dir", t / "afile/out", "aws", "--endpoint-url", "http://127.0.0.1:9"], "--output-dir"),
        (["report", "--snapshot", missing, "--output-dir", t / "afile/r"], "--output-dir"),
        (["report", "--snapshot", missing, "-o", t / "afile/r"], "-o"),
        (["baseline", "--snapshot", missing, "-o", t / "afile/b.json"], "--output"),
        (["collect", "aws", "--endpoint-url", "http://127.0.0.1:9", "-o", t / "afile/s.json"], "--output"),
        (["history", "--store", t / "h.db", "list", "-o", t / "afile/l.csv"], "--output"),
        (["history", "--store", t / "h.db", "diff", "-o", t / "afile/d.csv"], "--output"),
        (["history", "--store", t / "h.db", "trend", "-o", t / "afile/t.csv"], "--output"),
        (["plan", "--snapshot", missing, "--output-dir", t / "afile/p"], "--output-dir"),
        (["demo", "--output-dir", t / "afile/d"], "--output-dir"),
    ]


@pytest.mark.parametrize("case", range(14))
def test_an_output_path_under_a_file_is_refused_before_any_work(run, tmp_path, snapshot, baseline, case):
    (tmp_path / "afile").write_text("not a folder\n")
    before = sorted(tmp_path.rglob("*"))
    args, option = _bad_output_cases(tmp_path, snapshot, baseline)[case]
    line = one_error_line(run(*args), ExitCode.USAGE)
    assert line.startswith(f"standing: error: {option}: cannot write ")
    assert line.endswith(f"{tmp_path / 'afile'} is a file, not a folder")
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, nothing created
    assert (tmp_path / "afile").read_text() == "not a folder\n"


def test_gate_junit_into_a_folder_that_does_not_exist_yet_creates_it(run, tmp_path, snapshot, baseline, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("gate", "--snapshot", snapshot, "--baseline", baseline, "--as-of", AS_OF, "--junit", "reports/x.xml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "x.xml").read_text().startswith("<?xml")
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["x.xml"]  # no temporary file left


@pytest.mark.parametrize("option", ["--junit", "--sarif", "--markdown"])
def test_a_gate_output_that_is_a_folder_is_refused(run, tmp_path, snapshot, baseline, option):
    (tmp_path / "reports").mkdir()
    line = one_error_line(run("gate", "--snapshot", snapshot, "--baseline", baseline, option, tmp_path / "reports"), 2)
    assert option in line and "is a folder" in line


def test_new_nested_output_folders_are_created_for_every_writer(run, tmp_path, snapshot):
    out = tmp_path / "new" / "nested"
    assert run("scan", "--snapshot", snapshot, "--as-of", AS_OF, "--output-dir", out / "scan").exit_code == 1
    assert (out / "scan" / "findings.json").is_file()
    assert run("baseline", "--snapshot", snapshot, "--as-of", AS_OF, "-o", out / "b" / "b.json").exit_code == 0
    assert run("report", "--snapshot", snapshot, "--as-of", AS_OF, "--output-dir", out / "r").exit_code == 0
    assert run("plan", "--snapshot", snapshot, "--as-of", AS_OF, "--output-dir", out / "p").exit_code == 0
    assert {p.parent.name for p in out.rglob("*.*")} == {"scan", "b", "r", "p"}
    assert not list(out.rglob(".*.tmp"))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_an_output_folder_that_is_not_writable_is_refused(run, tmp_path, snapshot):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        line = one_error_line(run("scan", "--snapshot", snapshot, "--output-dir", locked / "out"), 2)
        assert f"folder {locked} is not writable" in line
    finally:
        locked.chmod(0o700)


def test_an_atomic_write_that_fails_leaves_the_previous_file_whole(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("previous,report\n")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "half\n" * 1000 + "\ud800")  # fails while writing
    assert target.read_text() == "previous,report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_an_atomic_write_replaces_the_file_with_an_ordinary_mode(tmp_path):
    target = tmp_path / "new" / "report.csv"
    write_text_atomic(target, "a,b\n")
    assert target.read_text() == "a,b\n"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


# --- 3. --store: the URL scheme and the time order, before collecting --------------------------


@pytest.mark.parametrize("command", [["history", "--store", "foo://bar", "list"], ["scan", "--store", "foo://bar"]])
def test_a_store_url_with_an_unknown_scheme_is_one_line(run, snapshot, command):
    args = [*command, "--snapshot", snapshot] if command[0] == "scan" else command
    line = one_error_line(run(*args), ExitCode.USAGE)
    assert line.startswith("standing: error: --store: unsupported database 'foo'")


@pytest.mark.parametrize(
    "store, expected",
    [
        ("postgresql://host:notaport/db", "--store: not a usable database URL or file path"),
        ("postgresql://[::1/db", "--store: not a usable database URL or file path"),
        ("sqlite:///x\x00.db", "--store: not a usable database URL or file path"),
        ("postgresql://h:99999999999/db", "--store: postgresql://h:99999999999/db: port 99999999999 is not a TCP port"),
    ],
)
def test_a_store_url_that_does_not_parse_is_one_line(run, store, expected):
    assert expected in one_error_line(run("history", "--store", store, "list"), ExitCode.USAGE)


def test_a_sqlite_url_is_the_near_miss_that_records(run, tmp_path, snapshot):
    store = f"sqlite:///{tmp_path / 'h.db'}"
    result = run("scan", "--snapshot", snapshot, "--as-of", AS_OF, "--store", store, "--fail-on", "none")
    assert result.exit_code == 0 and "Recorded scan 1" in result.output


def test_a_scan_older_than_the_store_is_refused_before_anything_is_written(run, tmp_path, snapshot):
    store = str(tmp_path / "h.db")
    later, earlier = "2026-06-02T12:00:00+00:00", "2026-06-01T12:00:00+00:00"
    first = run("scan", "--snapshot", snapshot, "--as-of", later, "--store", store, "--fail-on", "none")
    assert first.exit_code == 0, first.output
    out = tmp_path / "out"
    line = one_error_line(
        run("scan", "--snapshot", snapshot, "--as-of", earlier, "--store", store, "--output-dir", out),
        ExitCode.USAGE,
    )
    assert "already holds a scan as of 2026-06-02 12:00 UTC, later than this one (2026-06-01 12:00 UTC)" in line
    assert not out.exists()  # refused before analysing: none of the five files was written
    # the near miss: the same moment again is in time order, and is recorded
    again = run("scan", "--snapshot", snapshot, "--as-of", later, "--store", store, "--output-dir", out)
    assert again.exit_code == 1 and "Recorded scan 2" in again.output and (out / "findings.json").is_file()


def test_a_live_scan_older_than_the_store_is_refused_before_collecting(run, tmp_path, snapshot):
    store = str(tmp_path / "h.db")
    assert run("scan", "--snapshot", snapshot, "--as-of", "2026-06-02", "--store", store).exit_code == 1
    live = run(
        "scan", "--store", store, "--as-of", "2026-06-01", "aws", "--endpoint-url", "http://127.0.0.1:9",
    )  # fmt: skip
    assert "scans are recorded in time order" in one_error_line(live, ExitCode.USAGE)


# --- 4. dates and numbers beyond range ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "--snapshot", "{snap}"],
        ["explain", "--snapshot", "{snap}", "svc"],
        ["plan", "--snapshot", "{snap}"],
        ["report", "--snapshot", "{snap}", "--output-dir", "{tmp}/r"],
        ["baseline", "--snapshot", "{snap}", "-o", "{tmp}/b.json"],
        ["history", "--store", "{tmp}/h.db", "prune", "--keep-days", "1"],
    ],
    ids=lambda a: a[0],
)
@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_an_as_of_beyond_the_supported_range_is_one_line(run, tmp_path, snapshot, args, as_of):
    filled = [a.replace("{snap}", str(snapshot)).replace("{tmp}", str(tmp_path)) for a in args]
    line = one_error_line(run(*filled, "--as-of", as_of), ExitCode.USAGE)
    assert f"Invalid value for '--as-of': '{as_of}' is outside the supported range (1970-01-01 to 8999-12-31)" in line
    assert not (tmp_path / "r").exists() and not (tmp_path / "b.json").exists()


def test_the_last_supported_day_is_the_near_miss_that_plans(run, tmp_path, snapshot):
    result = run("plan", "--snapshot", snapshot, "--as-of", "8999-12-31T23:59:59", "--output-dir", tmp_path / "p")
    assert result.exit_code == 0, result.output  # the planner dates exceptions and reviews months later


@pytest.mark.parametrize("where", ["prune", "scan"])
def test_keep_days_beyond_a_century_is_one_line(run, tmp_path, snapshot, where):
    store = str(tmp_path / "h.db")
    assert run("scan", "--snapshot", snapshot, "--as-of", AS_OF, "--store", store).exit_code == 1
    if where == "prune":
        result = run("history", "--store", store, "prune", "--keep-days", "99999999999")
    else:
        result = run("scan", "--snapshot", snapshot, "--store", store, "--keep-days", "99999999999")
    line = one_error_line(result, ExitCode.USAGE)
    assert "Invalid value for '--keep-days': 99999999999 is not in the range 1<=x<=36500" in line
    # the near miss: a century is kept, and pruning with it succeeds
    kept = run("history", "--store", store, "prune", "--keep-days", "36500", "--as-of", AS_OF)
    assert kept.exit_code == 0 and kept.output.startswith("Pruned 0 scan(s)")


def test_a_scan_id_beyond_any_store_is_one_line_and_a_missing_one_names_the_store(run, tmp_path, snapshot):
    store = str(tmp_path / "h.db")
    assert run("scan", "--snapshot", snapshot, "--as-of", AS_OF, "--store", store).exit_code == 1
    line = one_error_line(run("history", "--store", store, "diff", "99999999999999999999", "1"), ExitCode.USAGE)
    assert "Invalid value for '[BEFORE]': 99999999999999999999 is not in the range 1<=x<=2147483647" in line
    # the near miss: an id in range that names no scan is the store's own one-line answer
    assert one_error_line(run("history", "--store", store, "diff", "5", "1"), ExitCode.USAGE).endswith(
        "no scan 5 (see `standing history list`)"
    )


def test_a_task_timeout_beyond_a_week_is_one_line(run):
    result = run("collect", "aws", "--endpoint-url", "http://127.0.0.1:9", "--task-timeout", "1e400", "-o", "x.json")
    assert "Invalid value for '--task-timeout': inf is not in the range 1<=x<=604800" in one_error_line(result, 2)


def test_a_task_timeout_of_nan_is_one_line(run):
    result = run("collect", "aws", "--endpoint-url", "http://127.0.0.1:9", "--task-timeout", "nan", "-o", "x.json")
    assert "Invalid value for '--task-timeout': nan is not a number of seconds" in one_error_line(result, 2)


def test_the_installed_command_refuses_an_output_below_a_file_in_one_line(tmp_path, snapshot):
    (tmp_path / "reports").write_text("a file where a folder should be\n")
    standing = Path(sys.executable).with_name("standing")
    done = subprocess.run(
        [str(standing), "gate", "--snapshot", str(snapshot), "--junit", str(tmp_path / "reports" / "x.xml")],
        capture_output=True, text=True, env=dict(os.environ, COLUMNS="200"), timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"standing: error: --junit: cannot write {tmp_path}/reports/x.xml: {tmp_path}/reports is a file, not a folder"
    ]


# --- hostile text through the boundary (Hypothesis, the suite's bounded profile) ---------------

HOSTILE = st.lists(
    st.one_of(
        st.characters(),  # any code point, controls and bidi overrides included
        st.sampled_from(["\x1b[2J", "\x1b]0;owned\x07", "\r\n", "\n", "\u2028", "\u202e", "\x85", "\x9b"]),
    ),
    max_size=30,
).map("".join)


def _plain_one_line(line: str) -> bool:
    """Nothing the shared sanitiser would escape, and nothing any reader takes for a line break."""
    from standing.core.safe_text import printable

    return printable(line) == line and line.splitlines() == [line]


@settings(suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture])
@given(message=HOSTILE)
def test_any_internal_error_message_stays_one_line_of_plain_text(run, monkeypatch, snapshot, message):
    def explode(*args, **kwargs):
        raise RuntimeError(message)

    monkeypatch.setattr("standing.scan.scan_inventory", explode)
    line = one_error_line(run("scan", "--snapshot", snapshot, "--as-of", AS_OF), ExitCode.CRASH)
    assert _plain_one_line(line)


@settings(suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture])
@given(source=HOSTILE, problem=HOSTILE)
def test_any_user_error_stays_one_line_of_plain_text_exit_2(run, monkeypatch, snapshot, source, problem):
    from standing.core.errors import UserError

    def refuse(*args, **kwargs):
        raise UserError(source, problem)

    monkeypatch.setattr("standing.scan.scan_inventory", refuse)
    line = one_error_line(run("scan", "--snapshot", snapshot, "--as-of", AS_OF), ExitCode.USAGE)
    assert _plain_one_line(line)


def test_a_crash_with_nowhere_to_log_still_says_how_to_see_the_traceback(run, monkeypatch, snapshot, tmp_path):
    monkeypatch.setattr("standing.scan.scan_inventory", _explode)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, so no folder can be made below it\n")
    monkeypatch.setattr("standing.cli.main.crash_log_dirs", lambda: [blocked / "standing"])
    line = one_error_line(run("scan", "--snapshot", snapshot, "--as-of", AS_OF), ExitCode.CRASH)
    assert line.endswith("; no log written (Not a directory); run with --debug for the traceback")


# --- writing: devices and links are written through, never replaced ---------------------------


def test_an_output_that_is_a_fifo_is_written_in_place_not_replaced(run, tmp_path, snapshot):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = run("baseline", "--snapshot", snapshot, "--as-of", AS_OF, "-o", fifo)
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # as /dev/stdout or /dev/null would stay devices
    assert received and '"schema": "standing.baseline"' in received[0]


def test_an_output_that_is_a_link_keeps_the_link_and_replaces_the_file_it_names(run, tmp_path, snapshot):
    (tmp_path / "real").mkdir()
    link = tmp_path / "baseline.json"
    link.symlink_to(tmp_path / "real" / "b.json")
    assert run("baseline", "--snapshot", snapshot, "--as-of", AS_OF, "-o", link).exit_code == 0
    assert link.is_symlink() and '"schema": "standing.baseline"' in (tmp_path / "real" / "b.json").read_text()


@pytest.mark.parametrize("option", [["baseline", "--snapshot", "s.json", "-o"], ["scan", "--output-dir"]])
def test_an_empty_output_path_is_refused_not_read_as_the_current_folder(run, option):
    line = one_error_line(run(*option, ""), ExitCode.USAGE)
    assert line.endswith(": an empty path") and ("--output:" in line or "--output-dir:" in line)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, where no folder can be made")
def test_a_folder_the_file_system_refuses_at_write_time_is_one_line_not_a_crash(run, snapshot):
    result = run("scan", "--snapshot", snapshot, "--as-of", AS_OF, "--output-dir", "/proc/standing-test-out")
    line = one_error_line(result, ExitCode.USAGE)  # checked at parse time unless root; then at write time
    assert "/proc" in line and "internal error" not in line


@pytest.mark.parametrize("webhook", ["https://[::1", "https://hooks.example.test:99999/x"])
def test_a_webhook_url_that_does_not_parse_is_one_line_and_not_echoed(run, tmp_path, snapshot, webhook):
    store = str(tmp_path / "h.db")
    result = run("scan", "--snapshot", snapshot, "--store", store, "--notify-webhook", webhook)
    assert (
        one_error_line(result, ExitCode.USAGE)
        == "standing: error: --notify-webhook: not a URL (expected https://HOST/PATH)"
    )
