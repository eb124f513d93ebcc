"""Property-based: whatever an attacker names an identity, tags it, or a provider writes in a
coverage gap, every output function keeps it text (issue 16, item 6, the escaping half).

Strings come from ``tests.hostile.hostile_text``: control, bidi, Markdown, XML, CSV and query
metacharacters among arbitrary Unicode. The budget is the suite's Hypothesis profile
("standing", in conftest.py). Each property is stated for what a person or a parser downstream
would notice: a raw control character, an extra line or block, a formula, XML that does not
parse, a query literal that does not read back as the name.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import xml.etree.ElementTree as ElementTree
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.console import Console

from standing.core.findings import Severity
from standing.core.markdown import code, escape, fence
from standing.core.model import (
    CoverageEntry,
    CoverageStatus,
    Credential,
    CredentialKind,
    Identity,
    IdentityKind,
    Provider,
)
from standing.core.safe_text import printable, printable_block, spreadsheet_cell
from standing.gate.judge import GateInput, judge
from standing.gate.policy import GatePolicy
from standing.history.export import Tabular, as_csv
from standing.history.notify import slack_message
from standing.history.records import StoredScan
from standing.planner.document import plan_estate
from standing.planner.markdown import render_markdown as plans_markdown
from standing.planner.verify import kql_literal, logging_literal, sql_literal
from standing.reports.explain import render_explanation
from standing.reports.gate_markdown import render_markdown as gate_markdown
from standing.reports.junit import junit_xml
from standing.reports.terminal import render_summary
from standing.rules.analyse import analyse_estate
from standing.rules.config import ScanConfig
from standing.scan import scan_inventory
from tests.builders import ACCOUNT, NOW, days_ago, inventory, key, user
from tests.hostile import FORMULA_START, RAW, hostile_text, read_kql

MD = MarkdownIt("commonmark").enable("table")
names = hostile_text.filter(lambda s: s.strip() != "")


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=160, color_system=None, highlight=False), buffer


# --- the pure helpers ---------------------------------------------------------------------------


@given(hostile_text)
def test_printable_leaves_nothing_a_terminal_obeys_and_changes_nothing_else(text):
    shown = printable(text)
    assert not RAW.search(shown) and "\n" not in shown
    if not RAW.search(text) and "\n" not in text:
        assert shown == text  # the near miss: ordinary text, any script, is untouched


@given(hostile_text)
def test_escaped_prose_is_one_paragraph_of_plain_text(text):
    tokens = MD.parse(f"- {escape(text)}")
    kinds = [t.type for t in tokens]
    assert kinds.count("list_item_open") == 1 and "fence" not in kinds and "heading_open" not in kinds
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert {c.type for c in inline} <= {"text"}  # no link, emphasis, code span or HTML
    assert not RAW.search(MD.render(escape(text)))


@given(hostile_text)
def test_a_code_span_is_one_span_holding_the_printable_text(text):
    tokens = MD.parseInline(code(text))[0].children or []
    assert [t.type for t in tokens] == ["code_inline"]
    assert tokens[0].content.strip() == printable(" ".join(text.split())).strip()


@given(hostile_text)
def test_a_fence_holds_its_body_whole(body):
    blocks = MD.parse(fence(body, "sql"))
    assert [t.type for t in blocks] == ["fence"]
    assert blocks[0].info == "sql" and not RAW.search(blocks[0].content)
    # Every line of the body is in the block, escaped: nothing it holds closed the fence early.
    assert blocks[0].content.rstrip("\n") == printable_block(body).rstrip()


@given(hostile_text)
def test_query_literals_read_back_as_the_value_and_hold_nothing_raw(value):
    sql, kql, logging = sql_literal(value), kql_literal(value), logging_literal(value)
    assert not RAW.search(sql + kql + logging) and "\n" not in sql + kql + logging
    if "\x00" not in value:  # SQLite's char(0) ends its C string; Trino's chr(0) does not
        (read,) = sqlite3.connect(":memory:").execute("SELECT " + sql.replace("chr(", "char(")).fetchone()
        assert read == value
    assert read_kql(kql) == value and json.loads(logging) == value


@given(st.lists(hostile_text, min_size=1, max_size=4))
def test_no_csv_cell_is_a_formula_or_holds_a_raw_character(values):
    out = io.StringIO()
    csv.writer(out).writerow([spreadsheet_cell(v) for v in values])
    (row,) = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(row) == len(values)  # commas, quotes and newlines stay inside their cell
    assert not any(cell.startswith(FORMULA_START) or RAW.search(cell) for cell in row)


# --- every output, over a small estate named by the attacker ------------------------------------


def _estate(name: str, tag: str, display: str, detail: str):
    hostile = user(name, tags={"owner": tag, "team": "payments"})
    sa = Identity(
        id="projects/p/serviceAccounts/etl@p.iam.gserviceaccount.com",
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account="p",
        name=display,
        human=False,
    )
    inv = inventory(hostile, key(hostile, "AKIAHOSTILE", age=300, used=2))
    gap = CoverageEntry(
        provider=Provider.AWS,
        scope=f"aws:account:{ACCOUNT}",
        operation="iam:ListAccessKeys",
        status=CoverageStatus.DENIED,
        detail=detail,
    )
    credential = Credential(
        id=f"{sa.id}/keys/k1", identity_id=sa.id, kind=CredentialKind.SA_KEY, active=True, created=days_ago(400)
    )
    return inv.model_copy(
        update={"identities": [*inv.identities, sa], "credentials": [*inv.credentials, credential], "coverage": [gap]}
    ), hostile


@given(names, hostile_text, names, hostile_text)
def test_the_terminal_summary_and_explain_print_nothing_raw(name, tag, display, detail):
    inv, hostile = _estate(name, tag, display, detail)
    result = scan_inventory(inv, ScanConfig(), as_of=NOW, generated_at=NOW, output_dir=None)
    console, buffer = _console()
    render_summary(console, result.document, written=[], show_all=True)
    analysis = analyse_estate(inv, ScanConfig(), as_of=NOW)
    render_explanation(console, analysis.model.graph, hostile, analysis.findings)
    text = buffer.getvalue()
    assert not RAW.search(text)
    assert printable(" ".join(name.split())) in text  # the name is shown, escaped, not dropped


@given(names, hostile_text, names)
def test_plans_md_has_one_heading_per_plan_and_every_block_fenced(name, tag, display):
    inv, _ = _estate(name, tag, display, "denied")
    analysis = analyse_estate(inv, ScanConfig(), as_of=NOW)
    document = plan_estate(analysis.model, analysis.findings, generated_at=NOW)
    text = plans_markdown(document)
    assert not RAW.search(text)
    tokens = MD.parse(text)
    h2 = [t for t in tokens if t.type == "heading_open" and t.tag == "h2"]
    assert len(h2) == len(document.plans) + 1
    expected = sum(
        len(p.verify)
        + len(p.iac)
        + len(p.aws_policies)
        + sum(1 for c in p.controls if c.query)
        + len(p.consumer)  # one YAML snippet per consumer change
        for p in document.plans
    )
    assert len([t for t in tokens if t.type == "fence"]) == expected
    assert not any(t.type in ("html_block", "html_inline") for t in tokens)


@given(names, hostile_text, hostile_text)
def test_the_gate_junit_parses_and_its_markdown_rows_stay_rows(name, tag, detail):
    inv, _ = _estate(name, tag, "etl", detail)
    findings = analyse_estate(inv, ScanConfig(), as_of=NOW).findings
    source = GateInput(label=f"snapshot {name}.json", findings=findings, gaps=inv.gaps)
    result = judge(source, None, GatePolicy.parse("low"), waivers=[], as_of=NOW)
    xml = junit_xml(result)
    suite = ElementTree.fromstring(xml.encode()).find("testsuite")
    assert suite is not None and int(suite.get("tests") or 0) == len(result.new) + len(result.accepted) + len(inv.gaps)
    assert not RAW.search(xml)
    md = gate_markdown(result)
    assert not RAW.search(md)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(rows) == len(result.new) + 1  # a header row and one per new finding, each on one line
    for row in rows:
        assert row.endswith("|")


@given(names, hostile_text)
def test_history_csv_and_the_webhook_carry_names_as_inert_data(name, tag):
    inv, _ = _estate(name, tag, "etl", "denied")
    findings = analyse_estate(inv, ScanConfig(), as_of=NOW).findings
    rows = tuple(("new", "finding", f.severity.value, f.rule_id, f.identity_name, f.subject) for f in findings)
    text = as_csv(Tabular("Changes", ("change", "kind", "severity", "rule", "identity", "subject"), rows))
    parsed = list(csv.reader(io.StringIO(text)))
    assert len(parsed) == len(rows) + 1 and not any(c.startswith(FORMULA_START) for r in parsed for c in r)
    assert not RAW.search(text)
    scan = StoredScan(
        id=2,
        as_of=NOW,
        generated_at=NOW + timedelta(seconds=1),
        tool_version="test",
        complete=True,
        providers=("aws",),
        accounts=(ACCOUNT,),
        identities=2,
        credentials=2,
        findings=len(findings),
        exposure=analyse_estate(inv, ScanConfig(), as_of=NOW).exposure,
    )
    payload = slack_message(scan, findings, Severity.LOW)
    decoded = json.loads(json.dumps(payload))
    texts = [decoded["text"]] + [b["text"]["text"] for b in decoded["blocks"] if "text" in b]
    assert not any(RAW.search(t) for t in texts)
