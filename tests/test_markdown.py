"""One Markdown escaper for plans.md, report.md and the gate's comment: prose escaped, code literal.

Checked by rendering with a CommonMark + GFM-table parser (markdown-it, which rich brings), so
the assertions are about what a reader sees, not about backslashes.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from standing.core.markdown import code, count, escape, fence, prose_with_code

MD = MarkdownIt("commonmark").enable("table")


def html(text: str) -> str:
    return MD.render(text)


def inline(text: str) -> str:
    """The HTML of one paragraph, without the <p> wrapper."""
    return html(text).strip().removeprefix("<p>").removesuffix("</p>")


@pytest.mark.parametrize(
    "text",
    ["*bold* and _it_", "<img src=x onerror=alert(1)>", "[link](http://evil)", "a|b", "~~gone~~", "back\\slash", "`x`"],
)
def test_prose_reads_exactly_as_written(text):
    import html as html_module

    assert inline(escape(text)) == html_module.escape(text, quote=False)


def test_prose_cannot_start_a_heading_or_a_list_on_a_new_line():
    value = "ok\n# pwned\n- item"
    rendered = html(f"- {escape(value)}")
    assert "<h1>" not in rendered and rendered.count("<li>") == 1 and "ok # pwned - item" in rendered


def test_a_table_cell_keeps_its_pipes():
    name = "gh|<img src=x>*deploy*"
    table = f"| name | rule |\n|---|---|\n| {escape(name)} | {code('a|b', table=True)} |\n"
    rendered = html(table)
    cells = re.findall(r"<td>(.*?)</td>", rendered)
    assert cells == ["gh|&lt;img src=x&gt;*deploy*", "<code>a|b</code>"]


@pytest.mark.parametrize(
    "text", ["reporting_export.tf", "a*b*c", "[x](y)", "<b>", "one `tick`", "``two``", "`edge", "edge`", "a\\b"]
)
def test_a_code_span_holds_its_text_literally(text):
    import html as html_module

    span = code(text)
    assert "\\" not in span.replace(text, "")  # nothing escaped inside the span
    assert inline(span) == f"<code>{html_module.escape(text, quote=False)}</code>"


def test_the_fence_is_longer_than_any_backtick_run():
    block = fence("```\n# not a heading\n```", "hcl")
    assert block.startswith("````hcl\n") and block.endswith("\n````")
    rendered = html(block)
    assert "<h1>" not in rendered and "# not a heading" in rendered


def test_commands_the_tool_wrote_become_code_and_the_rest_is_escaped():
    text = "Deactivate key(s) for svc_*x*: `aws iam update-access-key --user-name svc_x --status Inactive` for each."
    rendered = inline(prose_with_code(text))
    assert rendered == (
        "Deactivate key(s) for svc_*x*: <code>aws iam update-access-key --user-name svc_x --status Inactive</code>"
        " for each."
    )


def test_an_unpaired_backtick_from_a_cloud_name_stays_text():
    assert inline(prose_with_code("user a`b owns it")) == "user a`b owns it"


def test_count_is_singular_for_one():
    assert [
        count(1, "plan"),
        count(2, "plan"),
        count(1, "identity", "identities"),
        count(0, "identity", "identities"),
    ] == [
        "1 plan",
        "2 plans",
        "1 identity",
        "0 identities",
    ]


def test_plans_md_of_a_real_plan_renders_as_written():
    from standing.planner.document import plan_estate
    from standing.planner.markdown import render_markdown
    from standing.rules.analyse import analyse_estate
    from standing.rules.config import ScanConfig
    from tests.builders import NOW, key, user
    from tests.planner.cases import aws

    u = user("reporting_export")
    inventory = aws(u, key(u, "AKIAREPORTING0000001", age=200, used=0))
    analysis = analyse_estate(inventory, ScanConfig(), as_of=NOW)
    text = render_markdown(plan_estate(analysis.model, analysis.findings, generated_at=NOW))
    assert "; 1 identity to change." in text and ": 1 plan, risk removed" in text
    assert "1 plans" not in text and "1 identities" not in text
    ttls = {line for line in text.splitlines() if line.startswith("- TTL: ")}
    assert ttls and not [line for line in ttls if line.startswith("- TTL: 1 ") and line.endswith("s")], ttls
    rendered = html(text)
    spans = re.findall(r"<code>(.*?)</code>", rendered)
    from standing.planner.iac import identity_label

    assert f"{identity_label(u)}.tf" in spans  # the file name (reporting_export_<hash>.tf), without a backslash
    assert not [s for s in spans if "\\" in s]
    commands = [s for s in spans if s.startswith("aws iam ")]
    assert any(c.startswith("aws iam update-access-key --user-name reporting_export") for c in commands)
    assert "\\`" not in text  # no literal backticks in prose: commands are code
    assert "<h2>reporting_export</h2>" in rendered


@pytest.mark.parametrize(
    "text",
    [
        "svc-206 holds arn:aws:iam::1:role/x",
        "a  b",
        " lead",
        "trail ",
        "a_b",
        "a&b",
        "<b>",
        "x\ty",
        "é",
        "`c`",
        "a|b",
        "",
    ],
)
def test_plain_text_takes_the_short_way_to_the_same_escape(text):
    """``escape`` and ``prose_with_code`` return plain text as it is: the same as escaping it."""
    from standing.core import markdown

    assert markdown.escape(text) == markdown._escaped(markdown._flat(text))
    if "`" not in text:
        assert markdown.prose_with_code(text) == markdown._escaped(markdown._flat(text))
