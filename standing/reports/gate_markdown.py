"""The gate's result as Markdown for a pull-request comment: verdict first, then what to fix.

Every string that came from a cloud, a plan or a template is escaped (``standing.core.markdown``),
so a resource named ``<img src=x>`` or ``a|b`` cannot inject HTML or break the table.
"""

from __future__ import annotations

from pathlib import Path

from standing.core.errors import ExitCode
from standing.core.findings import Finding
from standing.core.markdown import code, escape
from standing.core.outputs import write_text_atomic
from standing.gate.judge import GateResult

_VERDICT = {
    ExitCode.FINDINGS: "❌ **standing gate failed**",
    ExitCode.INCOMPLETE: "⚠️ **standing gate could not judge everything**",
    ExitCode.CLEAN: "✅ **standing gate passed**",
}


def _where(result: GateResult, finding: Finding) -> str:
    refs = result.input.locations(finding)
    if not refs:
        return escape(finding.subject)
    ref = refs[0]
    line = f":{ref.line}" if ref.line is not None else ""
    return f"{escape(ref.address)} ({escape(Path(ref.file).name)}{line})"


def _table(result: GateResult, findings: list[Finding]) -> list[str]:
    lines = ["| | severity | rule | where | finding |", "|---|---|---|---|---|"]
    for f in findings:
        mark = "🚫" if result.policy.blocks(f) else "·"
        lines.append(
            f"| {mark} | {f.severity.value} | {code(f.rule_id, table=True)} | {_where(result, f)} | {escape(f.message)} |"
        )
    return lines


def render_markdown(result: GateResult) -> str:
    blocking = result.blocking
    out = [_VERDICT[result.exit_code], ""]
    summary = f"{len(result.new)} new finding(s), {len(blocking)} blocking"
    if result.baseline_given:
        summary += f"; {len(result.accepted)} accepted by the baseline, {len(result.removed)} gone since it"
    out += [f"{summary}.", "", f"Source: {escape(result.input.label)}. Fails on: {result.policy.describe()}.", ""]
    if blocking:
        out += ["### Blocking", ""] + _table(result, blocking) + [""]
    others = [f for f in result.new if not result.policy.blocks(f)]  # not a list scan per finding
    if others:
        out += ["### New, not blocking", ""] + _table(result, others) + [""]
    if result.expired_waivers:
        out += ["### Expired waivers", ""]
        out += [
            f"- {code(w.rule)} on {escape(w.subject)} expired {w.expires.isoformat()} ({escape(w.owner)})"
            for w in result.expired_waivers
        ] + [""]
    if result.input.gaps:
        out += ["### Not judged", "", "Known only after apply or deploy, so neither passed nor failed:", ""]
        out += [
            f"- {escape(g.scope)} {code(g.operation)}: {escape(g.detail or g.status.value)}" for g in result.input.gaps
        ] + [""]
    if result.removed:
        out += ["<details><summary>Gone since the baseline (never blocks)</summary>", ""]
        out += [f"- {code(e.rule)} {escape(e.subject)}" for e in result.removed] + ["", "</details>", ""]
    return "\n".join(out)


def write_markdown(result: GateResult, path: Path) -> None:
    write_text_atomic(path, render_markdown(result))
