"""One command line: every command's --help works, options mean one thing with one spelling,
and the scan summary fits a terminal or an 80-column CI log.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from standing.cli.common import FINDINGS_HELP, FORMATS, SNAPSHOT_HELP
from standing.cli.main import COMMANDS, main
from standing.core.snapshot import dump_snapshot
from tests.builders import NOW, inventory, key, user

AS_OF = NOW.isoformat()


def _walk(command: click.Command, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, (path, name)
            found += _walk(sub, (*path, name))
    return found


EVERY_COMMAND = _walk(main, ())


def _options(name: str) -> list[tuple[tuple[str, ...], click.Option]]:
    return [
        (path, param)
        for path, command in EVERY_COMMAND
        for param in command.params
        if isinstance(param, click.Option) and name in param.opts + param.secondary_opts
    ]


def test_the_walk_reaches_every_command_and_subcommand():
    paths = {path for path, _ in EVERY_COMMAND}
    assert {(name,) for name in COMMANDS} <= paths
    assert {("scan", "aws"), ("collect", "gcp"), ("history", "list"), ("history", "prune")} <= paths


@pytest.mark.parametrize("path", [path for path, _ in EVERY_COMMAND], ids=lambda p: " ".join(p) or "standing")
def test_help_works_on_every_command_without_its_required_options(path):
    result = CliRunner().invoke(main, [*path, "--help"], env={"STANDING_STORE": ""})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")


def test_every_format_value_is_one_of_the_shared_names():
    from standing.history.export import FORMATS as HISTORY_FORMATS
    from standing.reports.leadership.formats import ReportFormat

    offered = {
        value
        for _, option in _options("--format")
        if isinstance(option.type, click.Choice)
        for value in option.type.choices
    }
    assert offered and offered <= set(FORMATS)
    assert {f.value for f in ReportFormat} <= set(FORMATS) and set(HISTORY_FORMATS) <= set(FORMATS)
    assert "markdown" not in FORMATS


def test_reading_options_have_one_meaning_and_one_help():
    snapshots = _options("--snapshot")
    assert {path for path, _ in snapshots} >= {
        ("scan",),
        ("explain",),
        ("plan",),
        ("report",),
        ("baseline",),
        ("gate",),
    }
    assert {option.help for _, option in snapshots} == {SNAPSHOT_HELP}
    assert {option.help for _, option in _options("--findings")} == {FINDINGS_HELP}


def test_dash_o_is_always_one_file_and_output_dir_always_a_directory():
    for path, option in _options("-o"):
        assert option.opts == ["-o", "--output"] or (path == ("report",) and option.hidden), path
        if not option.hidden:
            assert isinstance(option.type, click.Path) and not option.type.dir_okay, path
    output_dirs = _options("--output-dir")
    assert {path for path, _ in output_dirs} >= {("scan",), ("scan", "aws"), ("demo",), ("plan",), ("report",)}
    assert all(isinstance(o.type, click.Path) and not o.type.file_okay for _, o in output_dirs)


def test_refresh_reads_a_refresh_snapshot_not_a_snapshot():
    [(_, refresh)] = [(p, o) for p, o in _options("--refresh-snapshot") if p == ("collect", "aws")]
    assert refresh.name == "refresh_snapshot"
    assert ("collect", "aws") not in {path for path, _ in _options("--snapshot")}


# --- plan and report ---------------------------------------------------------------------------


def _snapshot(tmp_path: Path, users: int = 2, name: str = "svc-{i}") -> Path:
    records = []
    for i in range(users):
        u = user(name.format(i=i))
        records += [u, key(u, f"AKIAOLD{i:013d}", age=400, used=1)]
    path = tmp_path / "snap.json"
    path.write_text(dump_snapshot(inventory(*records)))
    return path


def test_plan_takes_the_identity_as_explain_does_and_writes_both_files(tmp_path):
    snap = _snapshot(tmp_path)
    runner = CliRunner()
    positional = runner.invoke(main, ["plan", "--snapshot", str(snap), "svc-1", "--as-of", AS_OF, "--format", "json"])
    alias = runner.invoke(
        main, ["plan", "--snapshot", str(snap), "--identity", "svc-1", "--as-of", AS_OF, "--format", "json"]
    )
    assert positional.exit_code == alias.exit_code == 0, positional.output
    plans = [json.loads(r.output) for r in (positional, alias)]
    assert [p["identity_name"] for p in plans[0]["plans"]] == ["svc-1"]
    assert {k: v for k, v in plans[0].items() if k != "generated_at"} == {
        k: v for k, v in plans[1].items() if k != "generated_at"
    }
    assert "IDENTITY" in runner.invoke(main, ["plan", "--help"]).output
    assert "--identity" not in runner.invoke(main, ["plan", "--help"]).output  # hidden, still accepted

    out = tmp_path / "plans"
    written = runner.invoke(main, ["plan", "--snapshot", str(snap), "--as-of", AS_OF, "--output-dir", str(out)])
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in out.iterdir()) == ["plans.json", "plans.md"]
    assert written.output.splitlines() == [f"Wrote {out / 'plans.json'}", f"Wrote {out / 'plans.md'}"]
    printed = runner.invoke(main, ["plan", "--snapshot", str(snap), "--as-of", AS_OF])
    assert (out / "plans.md").read_text() == printed.output
    both = runner.invoke(main, ["plan", "--snapshot", str(snap), "--output-dir", str(out), "--format", "json"])
    assert both.exit_code == 2


def test_report_dash_o_is_a_hidden_deprecated_spelling_of_output_dir(tmp_path):
    snap = _snapshot(tmp_path)
    runner = CliRunner()
    old = runner.invoke(
        main, ["report", "--snapshot", str(snap), "--as-of", AS_OF, "--format", "json", "-o", str(tmp_path / "a")]
    )
    assert old.exit_code == 0, old.output
    assert "deprecated; use --output-dir DIR" in old.output and (tmp_path / "a" / "report.json").exists()
    assert not re.search(r"^\s+-o\b", runner.invoke(main, ["report", "--help"]).output, re.M)
    missing = runner.invoke(main, ["report", "--snapshot", str(snap)])
    assert missing.exit_code == 2 and "Missing option '--output-dir'" in missing.output


def test_history_subcommands_ask_for_the_store_when_they_run(tmp_path):
    result = CliRunner().invoke(main, ["history", "list"], env={"STANDING_STORE": ""})
    assert result.exit_code == 2 and "Missing option '--store' (or set STANDING_STORE)" in result.output
    assert "Traceback" not in result.output


# --- the scan summary --------------------------------------------------------------------------

SEVERITY_LINE = re.compile(r"^(CRITICAL|HIGH|MEDIUM|LOW|INFO)\b")


def _scan(tmp_path: Path, *extra: str, columns: int = 80) -> list[str]:
    snap = _snapshot(tmp_path, users=40, name="svc-[bold]{i}[/bold]-" + "a-very-long-identity-name" * 2)
    result = CliRunner().invoke(
        main,
        ["scan", "--snapshot", str(snap), "--as-of", AS_OF, "--output-dir", str(tmp_path / "out"), *extra],
        env={"COLUMNS": str(columns)},
    )
    assert result.exit_code == 1, result.output  # 40 HIGH findings, and the 40 keys' low census findings
    assert len(json.loads((tmp_path / "out" / "findings.json").read_text())["findings"]) == 80
    return result.output.splitlines()


def test_the_summary_shows_counts_then_the_worst_15_then_how_many_more(tmp_path):
    lines = _scan(tmp_path)
    findings = [line for line in lines if SEVERITY_LINE.match(line)]
    assert len(findings) == 15 and not any("long-lived-secret" in line for line in findings)
    stored = tmp_path / "out" / "findings.json"
    assert lines[-2] == f"25 more in {stored} (or run with --all)"
    # the census of standing secrets is one line, after the findings, never ahead of worse ones
    assert lines[-1] == f"40 live long-lived secret(s) on 40 identities (census, low): see {stored} or run with --all"
    first = lines.index(findings[0])
    assert lines[first - 1] == "The worst 15 of 80 findings (risk 0-100):"
    assert any(line.startswith("Findings by severity: critical 0  high 40") for line in lines[:first])
    assert any(line.startswith("Wrote ") for line in lines[:first])  # files before findings
    assert "svc-[bold]0[/bold]" in findings[0] or any("[bold]" in f for f in findings)  # text, never markup


def test_all_prints_every_finding(tmp_path):
    lines = _scan(tmp_path, "--all")
    assert len([line for line in lines if SEVERITY_LINE.match(line)]) == 80
    assert not any("--all" in line for line in lines)
    assert "Findings (80), worst first (risk 0-100):" in lines


@pytest.mark.parametrize("columns", [80, 200])
def test_no_finding_spans_two_lines_at_the_log_width(tmp_path, columns):
    lines = _scan(tmp_path, "--all", columns=columns)
    start = lines.index("Findings (80), worst first (risk 0-100):") + 1
    block = lines[start:]
    assert len(block) == 80 and all(SEVERITY_LINE.match(line) for line in block)
    assert all(len(line) <= columns for line in block)
    if columns == 80:
        assert all(line.endswith("…") for line in block)  # long messages are cut, not wrapped


def test_the_summary_on_a_console_at_80_columns(tmp_path):
    import io

    from rich.console import Console

    from standing.core.snapshot import read_snapshot
    from standing.reports.terminal import render_summary
    from standing.rules.config import ScanConfig
    from standing.scan import scan_inventory

    snap = _snapshot(tmp_path, users=40)
    result = scan_inventory(read_snapshot(snap), ScanConfig(), as_of=NOW, generated_at=NOW, output_dir=None)
    console = Console(file=io.StringIO(), width=80, color_system=None, highlight=False)
    render_summary(console, result.document, written=[])
    lines = console.file.getvalue().splitlines()
    assert len([line for line in lines if SEVERITY_LINE.match(line)]) == 15
    assert lines[-2:] == [
        "25 more: run with --all",
        "40 live long-lived secret(s) on 40 identities (census, low): run with --all",
    ]
    assert all(len(line) <= 80 for line in lines)


def test_what_an_organization_scan_left_out_is_capped_like_its_gaps(tmp_path):
    """--region on 25 member accounts: one "left out" entry each, 10 shown, the rest counted."""
    import io

    from rich.console import Console

    from standing.core.model import CoverageEntry, CoverageStatus, Provider
    from standing.core.snapshot import read_snapshot
    from standing.reports.terminal import render_summary
    from standing.rules.config import ScanConfig
    from standing.scan import scan_inventory

    inventory = read_snapshot(_snapshot(tmp_path, users=2))
    scoped = [
        CoverageEntry(
            provider=Provider.AWS,
            scope=f"{n:012d}",
            operation="ec2:DescribeRegions",
            status=CoverageStatus.SCOPED,
            detail="workloads read in 1 of 17 enabled regions (us-east-1 asked for); 16 not read: ...",
        )
        for n in range(25)
    ]
    inventory = inventory.model_copy(update={"coverage": [*inventory.coverage, *scoped]})
    result = scan_inventory(inventory, ScanConfig(), as_of=NOW, generated_at=NOW, output_dir=None)
    assert result.document.scan.complete and len(result.document.scan.left_out) == 25
    for show_all, shown in ((False, 10), (True, 25)):
        console = Console(file=io.StringIO(), width=200, color_system=None, highlight=False)
        render_summary(console, result.document, written=[], show_all=show_all)
        text = console.file.getvalue()
        assert "Scan complete: every source in scope was read." in text
        assert text.count("16 not read") == shown
        assert ("15 more: run with --all" in text) is not show_all


def test_shell_completion_knows_the_commands_without_their_required_options():
    result = CliRunner().invoke(
        main,
        [],
        prog_name="standing",
        env={"_STANDING_COMPLETE": "bash_complete", "COMP_WORDS": "standing history l", "COMP_CWORD": "2"},
    )
    assert result.exit_code == 0 and "plain,list" in result.output.splitlines()


def test_docs_cli_lists_every_command():
    page = (Path(__file__).parents[1] / "docs" / "cli.md").read_text()
    assert all(f"`standing {name}" in page for name in COMMANDS)
    assert "_STANDING_COMPLETE=bash_source standing" in page


@pytest.mark.parametrize(
    ("code", "status", "stderr"), [(3, 3, ""), (None, 0, ""), ("standing: error: x", 1, "standing: error: x\n")]
)
def test_the_installed_command_leaves_without_teardown_but_with_its_code_output_and_cleanups(code, status, stderr):
    """The installed command skips the interpreter's teardown (seconds of freeing at 100k
    identities): what it printed, its atexit cleanups and its exit code are still as sys.exit's."""
    import subprocess
    import sys

    program = (
        "import atexit, sys\n"
        "from standing.cli.main import _exit_now\n"
        "atexit.register(lambda: sys.stdout.write(' and cleaned up'))\n"
        "sys.stdout.write('printed')\n"
        f"_exit_now({code!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (status, "printed and cleaned up", stderr)
