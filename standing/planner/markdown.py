"""``plans.md``: one section per identity, for the engineer who must do the work.

Names, tags and messages come from the cloud, so prose passes ``escape`` (Markdown and HTML
characters escaped), ids and file names are code spans, and queries, Terraform and policies are
fenced blocks (``standing.core.markdown``). Steps keep the commands the planner wrote in
backticks as code.
"""

from __future__ import annotations

from io import StringIO
from itertools import chain

from standing.core.findings import Exposure
from standing.core.json_out import dumps
from standing.core.markdown import code, count, escape, fence, prose_with_code
from standing.core.stream_out import TextSink
from standing.planner.model import Plan, PlansDocument


def _exposure(e: Exposure) -> str:
    return (
        f"{e.standing_secrets} standing secrets ({e.standing_secret_days} secret-days), "
        f"{e.admin_secrets} reaching admin ({e.admin_secret_days} secret-days)"
    )


def _ttl(seconds: int | None) -> str:
    if seconds is None:
        return "none: nothing is issued"
    if seconds % 86400 == 0 and seconds >= 86400:
        return count(seconds // 86400, "day")
    if seconds < 3600:
        return count(seconds // 60, "minute")
    hours = seconds / 3600
    return f"{hours:g} hour" if hours == 1 else f"{hours:g} hours"


def _plan(plan: Plan) -> list[str]:
    lines = [
        f"## {escape(plan.identity_name)}",
        "",
        f"- Identity: {code(plan.identity)} ({plan.provider.value} {plan.identity_kind.value}, "
        f"workload {plan.workload.value}, account {code(plan.account)})",
        f"- Target: **{plan.pattern.value}**: {escape(plan.target)}",
        f"- Why: {escape(plan.reason)}",
        f"- Phase: {plan.phase.value}; risk {plan.risk} -> {plan.residual_risk}; effort {plan.effort}/5",
        f"- TTL: {_ttl(plan.ttl_seconds)}",
        f"- Approval: {'required' if plan.approval.required else 'not required'} ({escape(plan.approval.reason)})",
        f"- Permissions: {escape(plan.permissions.note)}",
    ]
    if plan.agentic:
        lines.append(
            f"- Agentic: {plan.agentic.mode.value} credentials, "
            f"{'fail-closed' if plan.agentic.fail_closed else 'fail-open'}: {escape(plan.agentic.mechanism)}"
        )
    lines += ["", "### Today", ""] + [f"- {escape(s)}" for s in plan.current_state]
    if plan.cut:
        lines += [
            "",
            "### Cut the path to admin now",
            "",
            f"{escape(plan.cut.summary)}. Why this hop: {escape(plan.cut.why_this_hop)}.",
        ]
        if plan.cut.policy:
            lines += ["", fence(dumps(plan.cut.policy, indent=2), "json")]
    if plan.placeholders:
        lines += ["", "### Fill in before applying", ""] + [f"- {escape(p)}" for p in plan.placeholders]
    if plan.controls:
        lines += ["", "### Compensating controls", ""]
        for c in plan.controls:
            state = f"in place ({escape(c.evidence)})" if c.in_place else "to add"
            lines.append(f"- **{c.kind.value}**, {state}, -{c.risk_reduction}: {escape(c.description)}")
            if c.query:
                lines += ["", fence(c.query, "sql" if "SELECT" in c.query else ""), ""]
    lines += ["", "### Steps", ""]
    for step in plan.steps:
        done = f" Done: {escape(step.done_evidence)}." if step.done else ""
        lines += [
            f"{step.order}. **{escape(step.title)}** ({step.kind.value}).{done} {prose_with_code(step.instruction)}",
            f"   Rollback: {prose_with_code(step.rollback)}",
        ]
    lines += ["", "### Verify in the logs", ""]
    for check in plan.verify:
        lines += [f"{escape(check.source)}: {escape(check.purpose)}", "", fence(check.query), ""]
    lines += ["### Terraform", ""]
    for snippet in plan.iac:
        lines += [code(snippet.filename), "", fence(snippet.terraform, "hcl"), ""]
    if plan.consumer:
        lines += ["### The consumer's side (same pull request)", ""]
        for change in plan.consumer:
            lines += [f"{code(change.path)} ({change.kind.value}): {prose_with_code(change.summary)}", ""]
            if change.subject:
                lines += [f"Pinned subject: {code(change.subject)}", ""]
            lines += [f"- Fill in {escape(f)}" for f in change.fill_in] + ([""] if change.fill_in else [])
            lines += [fence(change.snippet, "yaml"), ""]
    if plan.aws_policies:
        lines += ["### Policy documents", ""]
        for policy in plan.aws_policies:
            lines += [
                f"{policy.kind.value}: {escape(policy.name)}",
                "",
                fence(dumps(policy.document, indent=2), "json"),
                "",
            ]
    return lines


def render_markdown(document: PlansDocument) -> str:
    out = StringIO()
    write_markdown(document, out)
    return out.getvalue()


def write_markdown(document: PlansDocument, out: TextSink) -> None:
    """plans.md a plan at a time: at 100,000 identities it is hundreds of megabytes."""
    lines = [
        "# Migration plans",
        "",
        f"As of {document.as_of.isoformat()}; {count(len(document.plans), 'identity', 'identities')} to change.",
        "",
        "## Roadmap",
        "",
    ]
    names = {p.identity: p.identity_name for p in document.plans}
    for phase in document.roadmap.phases:
        lines += [
            f"### {phase.phase.value}: {count(len(phase.plans), 'plan')}, risk removed {phase.risk_removed}, "
            f"effort {phase.effort}",
            "",
            f"- Exposure before: {_exposure(phase.exposure_before)}",
            f"- Exposure after: {_exposure(phase.exposure_after)}",
            "",
        ]
        lines += [f"{i}. {escape(names[identity])}" for i, identity in enumerate(phase.plans, start=1)] + [""]
    if document.completed:
        lines += (
            ["## Done since the previous scan", ""]
            + [f"- {escape(c.identity_name)} ({c.pattern.value}): {escape(c.how)}" for c in document.completed]
            + [""]
        )
    # The text is the lines joined by newlines, its trailing whitespace cut, and one newline:
    # whitespace is held back until more text follows it, so the end is cut as in one string.
    held = ""
    for block in chain([lines], (_plan(plan) + [""] for plan in document.plans)):
        text = "\n".join(block)
        kept = text.rstrip()
        if kept:
            out.write(held + kept)
            held = text[len(kept) :]
        else:
            held += text
        held += "\n"  # the newline joining this block's last line to the next block's first
    out.write("\n")
