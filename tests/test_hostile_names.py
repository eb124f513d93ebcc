"""A hostile estate through the real command line and every output it writes (issue 16, item 5).

Identities named ``ESC ]0;pwned BEL``, ``ESC [2J``, ``a\\n```\\n}``, ``=HYPERLINK("x")``,
``+cmd|' /C calc'!A0``, ``O'Brien" or 1=1 --``, ``U+202E gnp.exe``, a C1 CSI and rich markup, with
hostile tags, an Entra app and a GCP service account with hostile display names, and a coverage
gap with a hostile detail, are scanned (with a history store and a webhook), explained, planned,
reported and gated. Every output must keep the text as text: no raw control character, no broken
line or fence, no name outside a query's string literal, XML that parses, no formula-leading CSV
cell. The near miss, a benign non-ASCII name with an inner hyphen, must come out exactly as typed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import xml.etree.ElementTree as ElementTree
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from standing.cli.main import main
from standing.core.snapshot import dump_snapshot
from tests.builders import NOW
from tests.hostile import (
    AWS_NAMES,
    AZURE_DISPLAY,
    BENIGN,
    BIDI,
    C1,
    CLEAR,
    DDE,
    FENCE_BREAKER,
    FORMULA,
    FORMULA_START,
    GAP_DETAIL,
    GCP_DISPLAY,
    HOSTILE_TAGS,
    MARKUP,
    QUOTES,
    RAW,
    RETITLE,
    hostile_estate,
    visible,
)
from tests.support.webhook import WebhookReceiver

ENV = {"COLUMNS": "400"}
EARLIER = NOW - timedelta(days=1)
HOSTILE_NAMES = (*AWS_NAMES, GCP_DISPLAY, AZURE_DISPLAY)
# What an injection would leave outside a query's string literals (or Terraform's) if a name were
# pasted bare; a Terraform label made of a name's letters (``_0_pwned_fa43d9b2``) is not one.
INJECTED = ("1=1", "]0;pwned", "HYPERLINK(", "calc'", "gnp.exe", "[bold", "[31m")


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), env=ENV)


@pytest.fixture(scope="module")
def run(tmp_path_factory, store_url_module) -> dict[str, Any]:
    """One pass of every command over the hostile estate; the outputs, by name."""
    tmp = tmp_path_factory.mktemp("hostile")
    clean, hostile = tmp / "clean.json", tmp / "hostile.json"
    clean.write_text(dump_snapshot(hostile_estate(with_hostile=False)))
    hostile.write_text(dump_snapshot(hostile_estate()))
    out = tmp / "scan"
    store = store_url_module
    first = _invoke("scan", "--snapshot", str(clean), "--store", store, "--as-of", EARLIER.isoformat())
    assert first.exit_code in (0, 1), first.output
    with WebhookReceiver([]) as receiver:
        scan = _invoke(
            "scan",
            "--snapshot",
            str(hostile),
            "--output-dir",
            str(out),
            "--as-of",
            NOW.isoformat(),
            "--all",
            "--fail-on",
            "none",
            "--store",
            store,
            "--notify-webhook",
            receiver.url("/hook"),
            "--notify-on",
            "low",
        )
    assert scan.exit_code == 3, scan.output  # partial (the gap), nothing fails
    results: dict[str, Any] = {"dir": out, "scan": scan, "webhook": receiver.received}
    results["plan_md"] = _invoke("plan", "--snapshot", str(hostile), "--as-of", NOW.isoformat())
    results["plan_json"] = _invoke("plan", "--snapshot", str(hostile), "--as-of", NOW.isoformat(), "--format", "json")
    plans = json.loads((out / "plans.json").read_text())["plans"]
    results["explain"] = {
        p["identity_name"]: _invoke("explain", p["identity"], "--snapshot", str(hostile), "--as-of", NOW.isoformat())
        for p in plans
    }
    report = tmp / "report"
    results["report"] = _invoke(
        "report", "--findings-dir", str(out), "--format", "html,json,csv,md", "--output-dir", str(report)
    )
    results["report_dir"] = report
    baseline = tmp / "baseline.json"
    made = _invoke("baseline", "--snapshot", str(clean), "--as-of", NOW.isoformat(), "-o", str(baseline))
    assert made.exit_code == 0, made.output
    gate = tmp / "gate"
    gate.mkdir()
    results["gate"] = _invoke(
        "gate",
        "--snapshot",
        str(hostile),
        "--baseline",
        str(baseline),
        "--as-of",
        NOW.isoformat(),
        "--fail-on",
        "low",
        "--sarif",
        str(gate / "gate.sarif"),
        "--markdown",
        str(gate / "gate.md"),
        "--junit",
        str(gate / "junit.xml"),
    )
    results["gate_dir"] = gate
    results["history_table"] = _invoke("history", "--store", store, "diff")
    results["history_csv"] = _invoke("history", "--store", store, "diff", "--format", "csv")
    results["history_json"] = _invoke("history", "--store", store, "diff", "--format", "json")
    results["history_list"] = _invoke("history", "--store", store, "list")
    return results


@pytest.fixture(scope="module")
def store_url_module(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'history.db'}"


def _no_raw(text: str, where: str) -> None:
    found = RAW.search(text)
    assert found is None, (
        f"{where}: raw {found.group()!r} at {found.start()}: {text[max(0, found.start() - 60) : found.start() + 20]!r}"
    )


def _files(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.iterdir())}


# --- the terminal -----------------------------------------------------------------------------


def test_every_terminal_line_shows_the_escapes_and_obeys_none(run):
    outputs = {
        "scan": run["scan"],
        "plan": run["plan_md"],
        "gate": run["gate"],
        "report": run["report"],
        "history diff": run["history_table"],
        "history list": run["history_list"],
        **{f"explain {name!r}": result for name, result in run["explain"].items()},
    }
    for where, result in outputs.items():
        assert "Traceback" not in result.output, where
        _no_raw(result.output, where)
    summary = run["scan"].output
    for name in (RETITLE, CLEAR, BIDI, C1, GCP_DISPLAY, AZURE_DISPLAY, FORMULA, DDE, QUOTES, MARKUP):
        assert visible(name) in summary, name  # shown, escaped, on the finding's own line
    assert visible(GAP_DETAIL) in summary  # the coverage gap's detail too
    assert "a ``` }" in summary  # a name's newlines folded: it never starts a fake line
    # The near miss: ordinary Unicode, an inner hyphen and rich markup print exactly as typed.
    assert "access key AKIABENIGN of naïve 名前-svc is 200 days old" in summary
    assert "[bold red]boss[/bold red]" in summary


def test_explain_and_the_gate_show_names_tags_and_paths_escaped(run):
    explained = run["explain"][RETITLE].output
    assert explained.splitlines()[0].startswith(visible(RETITLE))
    tags = next(line for line in explained.splitlines() if line.startswith("tags: "))
    assert tags == "tags: " + ", ".join(f"{k}={visible(v)}" for k, v in sorted(HOSTILE_TAGS.items()))
    assert f"Path to admin: {visible(RETITLE)} -> acme-admin" in explained
    benign = run["explain"][BENIGN].output
    assert benign.splitlines()[0].startswith(BENIGN)  # the near miss, untouched
    gate = run["gate"].output
    assert run["gate"].exit_code == 1 and visible(QUOTES) in gate and visible(RETITLE) in gate


def test_an_error_quoting_a_hostile_name_is_one_inert_line(tmp_path):
    snapshot = tmp_path / "s.json"
    snapshot.write_text(dump_snapshot(hostile_estate()))
    missing = _invoke("explain", RETITLE + "ghost", "--snapshot", str(snapshot))
    assert missing.exit_code == 2
    _no_raw(missing.output, "explain error")
    assert missing.output.count("\n") == 1 and "\\x1b]0;pwned\\x07ghost" in missing.output
    found = _invoke("explain", BENIGN, "--snapshot", str(snapshot))  # near miss: a name that exists
    assert found.exit_code == 0 and found.output.startswith(BENIGN)


# --- the files a scan writes --------------------------------------------------------------------


def test_findings_and_plans_json_keep_every_name_exactly_with_no_raw_character(run):
    files = _files(run["dir"])
    assert set(files) == {"findings.json", "snapshot.json", "plans.json", "plans.md", "report.html"}
    for name, text in files.items():
        _no_raw(text, name)
    names = {f["identity_name"] for f in json.loads(files["findings.json"])["findings"]}
    assert set(HOSTILE_NAMES) | {BENIGN} <= names  # the data stays true: JSON escapes, never rewrites
    planned = {p["identity_name"] for p in json.loads(files["plans.json"])["plans"]}
    assert set(HOSTILE_NAMES) | {BENIGN} <= planned
    assert json.loads(run["plan_json"].output)["plans"] == json.loads(files["plans.json"])["plans"]


def _fences(plans: list[dict[str, Any]]) -> int:
    return sum(
        len(p["verify"])
        + len(p["iac"])
        + len(p["aws_policies"])
        + sum(1 for c in p["controls"] if c.get("query"))
        + (1 if (p.get("cut") or {}).get("policy") else 0)  # the Deny that cuts a path to admin
        + len(p.get("consumer", []))  # the consumer's side: one YAML snippet each
        for p in plans
    )


def test_plans_md_keeps_every_name_on_its_line_and_every_block_in_its_fence(run):
    text = (run["dir"] / "plans.md").read_text()
    _no_raw(text, "plans.md")
    assert run["plan_md"].output == text  # `standing plan` prints the same, just as inert
    plans = json.loads((run["dir"] / "plans.json").read_text())["plans"]
    tokens = MarkdownIt("commonmark").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert len(headings) == len(plans) + 1  # "Roadmap" and one per plan: no name started a heading
    assert "a \\`\\`\\` }" in headings  # the fence breaker, escaped on one line
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == _fences(plans)  # no name closed a block early or opened a stray one
    assert {t.info for t in fences} <= {"", "sql", "hcl", "json", "yaml"}
    assert not any(t.type == "html_block" or t.type == "html_inline" for t in tokens)


def _hcl_outside_strings(text: str) -> str:
    without_strings = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', text)
    return re.sub(r"#[^\n]*", "", without_strings)


def test_terraform_holds_names_only_inside_escaped_strings_and_one_line_comments(run):
    plans = json.loads((run["dir"] / "plans.json").read_text())["plans"]
    for plan in plans:
        for snippet in plan["iac"]:
            hcl = snippet["terraform"]
            _no_raw(hcl, snippet["filename"])
            code = _hcl_outside_strings(hcl)
            assert code.count("{") == code.count("}"), snippet["filename"]  # `}` in a name closed nothing
            for fragment in INJECTED:
                assert fragment not in code, (snippet["filename"], fragment)


# --- the verify queries -------------------------------------------------------------------------

_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_DQ_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _queries(run) -> list[tuple[str, str]]:
    plans = json.loads((run["dir"] / "plans.json").read_text())["plans"]
    found = [(c["source"], c["query"]) for p in plans for c in p["verify"]]
    found += [("control", c["query"]) for p in plans for c in p["controls"] if c.get("query")]
    return found


def test_no_name_reaches_a_query_outside_a_string_literal(run):
    queries = _queries(run)
    sources = {source for source, _ in queries}
    assert {"AWS CloudTrail Lake", "Cloud Audit Logs", "Entra sign-in logs (Log Analytics)"} <= sources
    for source, query in queries:
        _no_raw(query, source)
        literal = _SQL_STRING if query.startswith("SELECT") else _DQ_STRING
        bare = literal.sub("''", query)
        for fragment in INJECTED:
            assert fragment not in bare, (source, fragment, query)
    quoted = [q for _, q in queries if "O''Brien" in q]
    assert quoted, "the quote-carrying name reached a CloudTrail query, doubled"


def test_shell_commands_in_plan_steps_take_each_name_as_one_word(run):
    plans = json.loads((run["dir"] / "plans.json").read_text())["plans"]
    checked = set()
    for plan in plans:
        name = plan["identity_name"]
        if plan["provider"] != "aws" or "`" in name:  # a backtick ends the command's code span in prose
            continue
        for step in plan["steps"]:
            for command in re.findall(r"`(aws iam [a-z-]+-access-key[^`]*)`", step["instruction"]):
                words = shlex.split(command)
                assert words[words.index("--user-name") + 1] == name, command  # nothing split off or run
                checked.add(name)
    assert {QUOTES, DDE, BENIGN, RETITLE} <= checked


# --- reports: html, csv, md, json ---------------------------------------------------------------


def test_report_files_are_inert_and_csv_cells_are_never_formulas(run):
    files = _files(run["report_dir"])
    for name, text in files.items():
        _no_raw(text, name)
    rows = list(csv.reader(io.StringIO(files["report.csv"])))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    names = {row[6] for row in rows[1:]}
    assert {"'" + FORMULA, "'" + DDE, BENIGN} <= names  # the near miss keeps its inner hyphen, unguarded
    md = files["report.md"]
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert all(line.endswith("|") for line in table)  # every row on one line
    assert "<img" not in files["report.html"] and visible(CLEAR) in files["report.html"]


# --- the gate's files ---------------------------------------------------------------------------


def test_gate_sarif_markdown_and_junit_parse_and_stay_inert(run):
    files = _files(run["gate_dir"])
    for name, text in files.items():
        _no_raw(text, name)
    sarif = json.loads(files["gate.sarif"])
    messages = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert any(RETITLE in m for m in messages)  # JSON escapes; the data stays true
    suite = ElementTree.fromstring(files["junit.xml"].encode()).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert any(visible(RETITLE) in (c.get("name") or "") for c in cases)
    assert int(suite.get("failures") or 0) == len([c for c in cases if c.find("failure") is not None]) > 0
    md = files["gate.md"]
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows and all(line.endswith("|") and line.count(" | ") >= 4 for line in rows)
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in rendered and "<b>" not in rendered


# --- history and the webhook --------------------------------------------------------------------


def test_history_csv_and_json_keep_names_as_data(run):
    csv_text = run["history_csv"].output
    _no_raw(csv_text, "history csv")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    identities = {r["identity"] for r in rows}
    assert {"'" + FORMULA, "'" + DDE, BENIGN} <= identities
    assert not any(cell.startswith(FORMULA_START) for r in rows for cell in r.values())
    json_text = run["history_json"].output
    _no_raw(json_text, "history json")
    assert set(HOSTILE_NAMES) <= {r["identity"] for r in json.loads(json_text)}  # exact, JSON-escaped


def test_the_webhook_payload_shows_escapes_not_control_characters(run):
    (path, content_type, payload) = run["webhook"][-1]
    texts = [payload["text"]] + [b["text"]["text"] for b in payload["blocks"] if "text" in b]
    assert len(texts) > 2
    for text in texts:
        _no_raw(text, "webhook")  # decoded: what the chat shows
    joined = "\n".join(texts)
    assert visible(RETITLE) in joined and "O'Brien\" or 1=1 --" in joined
    assert FENCE_BREAKER not in joined
    # The near miss: ordinary text (accounts, times, rule ids) goes out exactly as written.
    assert (
        payload["text"].startswith("standing: ")
        and "of 111122223333, data-prod (as of 2026-06-01 12:00 UTC)" in payload["text"]
    )
