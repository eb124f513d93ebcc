"""The one module that decides how cloud text is shown (``standing.core.safe_text``) and the query
literals of the verify queries (``standing.planner.verify``), each beside its near miss.

Query literals are checked by reading them back: SQL by SQLite (the same ``'...'``, ``''`` and
``||`` grammar as Trino; Trino's ``chr`` is SQLite's ``char``), KQL and Cloud Logging strings by
a JSON decoder (their ``\\\\``, ``\\"``, ``\\t`` and ``\\uXXXX`` escapes are JSON's).
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from standing.core.safe_text import json_text, printable, printable_block, spreadsheet_cell
from standing.planner.verify import _like_suffix, kql_literal, logging_literal, sql_literal
from tests.hostile import (
    AWS_NAMES,
    AZURE_DISPLAY,
    BENIGN,
    BIDI,
    C1,
    CLEAR,
    DDE,
    FORMULA,
    MARKUP,
    QUOTES,
    RAW,
    RETITLE,
    read_kql,
)

HOSTILE = (*AWS_NAMES, AZURE_DISPLAY, "\x00nul", "del\x7f", "\u2066iso\u2069", "cr\rlf", "")


@pytest.mark.parametrize(
    "text, shown",
    [
        (RETITLE, "\\x1b]0;pwned\\x07"),
        (CLEAR, "\\x1b[2J"),
        (BIDI, "\\u202egnp.exe"),
        (C1, "svc\\x9b31mred"),
        ("two\nlines\r", "two\\x0alines\\x0d"),
        ("\ud800lone", "\\ud800lone"),  # a lone surrogate could not even be encoded
    ],
)
def test_printable_shows_what_a_terminal_would_obey(text, shown):
    assert printable(text) == shown


@pytest.mark.parametrize("text", [BENIGN, "tab\there", "back\\slash \\x1b", "emoji 🎉", "line\u2028sep", MARKUP])
def test_printable_leaves_ordinary_text_alone(text):
    assert printable(text) == text


def test_a_block_keeps_its_lines_but_not_their_escapes():
    assert printable_block("SELECT 1\n\x1b[2J\r\n") == "SELECT 1\n\\x1b[2J\\x0d\n"
    assert printable_block("plain\nlines\n") == "plain\nlines\n"  # near miss


@pytest.mark.parametrize("value", [FORMULA, DDE, "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_csv_cell_is_never_a_formula(value):
    cell = spreadsheet_cell(value)
    assert cell[0] not in "=+-@\t\r" and not RAW.search(cell)


@pytest.mark.parametrize("value, cell", [("svc-batch", "svc-batch"), ("a=b", "a=b"), (None, ""), (42, "42")])
def test_a_csv_cell_that_is_no_formula_is_unchanged(value, cell):
    assert spreadsheet_cell(value) == cell


def test_json_text_escapes_raw_c1_and_bidi_and_means_the_same():
    data = {"name": C1 + BIDI + "\x7f", "plain": BENIGN}
    encoded = json.dumps(data, ensure_ascii=False)
    assert RAW.search(encoded)  # what a JSON encoder leaves raw
    safe = json_text(encoded)
    assert not RAW.search(safe) and json.loads(safe) == data
    assert json_text(json.dumps({"plain": BENIGN}, ensure_ascii=False)) == json.dumps(
        {"plain": BENIGN}, ensure_ascii=False
    )


# --- query literals -----------------------------------------------------------------------------


def _sqlite(expression: str) -> str:
    (value,) = sqlite3.connect(":memory:").execute("SELECT " + expression.replace("chr(", "char(")).fetchone()
    return str(value)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_sql_literal_reads_back_as_the_exact_name_with_nothing_raw(name):
    literal = sql_literal(name)
    assert _sqlite(literal) == name
    assert not RAW.search(literal) and "\n" not in literal


def test_a_plain_sql_literal_is_one_quoted_string():
    assert sql_literal("deploy-bot") == "'deploy-bot'"  # near miss: no chr(), no ||
    assert sql_literal(QUOTES) == "'O''Brien\" or 1=1 --'"


def test_like_matches_the_name_literally_not_as_a_pattern():
    like = _like_suffix("svc_x-jit")
    db = sqlite3.connect(":memory:")

    def matches(arn: str) -> bool:
        return bool(db.execute(f"SELECT ? {like}", (arn,)).fetchone()[0])

    assert matches("arn:aws:iam::111122223333:role/svc_x-jit")
    assert not matches("arn:aws:iam::111122223333:role/svcAx-jit")  # `_` is not a wildcard
    assert not matches("arn:aws:iam::111122223333:role/svc_x-jit-old")


@pytest.mark.parametrize("name", HOSTILE)
def test_kql_and_logging_literals_read_back_as_the_exact_name(name):
    kql, logging = kql_literal(name), logging_literal(name)
    assert read_kql(kql) == name and json.loads(logging) == name
    assert not RAW.search(kql + logging) and "\n" not in kql + logging


def test_a_plain_kql_or_logging_literal_is_one_quoted_string():
    assert kql_literal("deploy-bot") == '"deploy-bot"' == logging_literal("deploy-bot")  # near miss
    assert kql_literal('say "hi" \\') == '"say \\"hi\\" \\\\"'
