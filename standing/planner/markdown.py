"""``plans.md``: one section per identity, for the engineer who must do the work.

Names, tags and messages come from the cloud, so prose passes ``_text`` (Markdown and HTML
characters escaped) and code passes ``_code`` (a fence longer than any backtick run inside).
"""

from __future__ import annotations

import json
import re

from standing.core.findings import Exposure
from standing.planner.model import Plan, PlansDocument

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _text(value: object) -> str:
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _code(body: str, language: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body.rstrip()}\n{fence}"


def _inline(value: object) -> str:
    text = " ".join(str(value).split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def _exposure(e: Exposure) -> str:
    return (
        f"{e.standing_secrets} standing secrets ({e.standing_secret_days} secret-days), "
        f"{e.admin_secrets} reaching admin ({e.admin_secret_days} secret-days)"
    )


def _ttl(seconds: int | None) -> str:
    if seconds is None:
        return "none: nothing is issued"
    if seconds % 86400 == 0 and seconds >= 86400:
        return f"{seconds // 86400} days"
    return f"{seconds // 60} minutes" if seconds < 3600 else f"{seconds / 3600:g} hours"


def _plan(plan: Plan) -> list[str]:
    lines = [
        f"## {_text(plan.identity_name)}",
        "",
        f"- Identity: {_inline(plan.identity)} ({plan.provider.value} {plan.identity_kind.value}, "
        f"workload {plan.workload.value}, account {_inline(plan.account)})",
        f"- Target: **{plan.pattern.value}**: {_text(plan.target)}",
        f"- Why: {_text(plan.reason)}",
        f"- Phase: {plan.phase.value}; risk {plan.risk} -> {plan.residual_risk}; effort {plan.effort}/5",
        f"- TTL: {_ttl(plan.ttl_seconds)}",
        f"- Approval: {'required' if plan.approval.required else 'not required'} ({_text(plan.approval.reason)})",
        f"- Permissions: {_text(plan.permissions.note)}",
    ]
    if plan.agentic:
        lines.append(
            f"- Agentic: {plan.agentic.mode.value} credentials, "
            f"{'fail-closed' if plan.agentic.fail_closed else 'fail-open'}: {_text(plan.agentic.mechanism)}"
        )
    lines += ["", "### Today", ""] + [f"- {_text(s)}" for s in plan.current_state]
    if plan.placeholders:
        lines += ["", "### Fill in before applying", ""] + [f"- {_text(p)}" for p in plan.placeholders]
    if plan.controls:
        lines += ["", "### Compensating controls", ""]
        for c in plan.controls:
            state = f"in place ({_text(c.evidence)})" if c.in_place else "to add"
            lines.append(f"- **{c.kind.value}**, {state}, -{c.risk_reduction}: {_text(c.description)}")
            if c.query:
                lines += ["", _code(c.query, "sql" if "SELECT" in c.query else ""), ""]
    lines += ["", "### Steps", ""]
    for step in plan.steps:
        done = f" Done: {_text(step.done_evidence)}." if step.done else ""
        lines += [
            f"{step.order}. **{_text(step.title)}** ({step.kind.value}).{done} {_text(step.instruction)}",
            f"   Rollback: {_text(step.rollback)}",
        ]
    lines += ["", "### Verify in the logs", ""]
    for check in plan.verify:
        lines += [f"{_text(check.source)}: {_text(check.purpose)}", "", _code(check.query), ""]
    lines += ["### Terraform", ""]
    for snippet in plan.iac:
        lines += [f"`{_text(snippet.filename)}`", "", _code(snippet.terraform, "hcl"), ""]
    if plan.aws_policies:
        lines += ["### Policy documents", ""]
        for policy in plan.aws_policies:
            lines += [
                f"{policy.kind.value}: {_text(policy.name)}",
                "",
                _code(json.dumps(policy.document, indent=2), "json"),
                "",
            ]
    return lines


def render_markdown(document: PlansDocument) -> str:
    lines = [
        "# Migration plans",
        "",
        f"As of {document.as_of.isoformat()}; {len(document.plans)} identities to change.",
        "",
        "## Roadmap",
        "",
    ]
    for phase in document.roadmap.phases:
        lines += [
            f"### {phase.phase.value}: {len(phase.plans)} plans, risk removed {phase.risk_removed}, "
            f"effort {phase.effort}",
            "",
            f"- Exposure before: {_exposure(phase.exposure_before)}",
            f"- Exposure after: {_exposure(phase.exposure_after)}",
            "",
        ]
        names = {p.identity: p.identity_name for p in document.plans}
        lines += [f"{i}. {_text(names[identity])}" for i, identity in enumerate(phase.plans, start=1)] + [""]
    if document.completed:
        lines += (
            ["## Done since the previous scan", ""]
            + [f"- {_text(c.identity_name)} ({c.pattern.value}): {_text(c.how)}" for c in document.completed]
            + [""]
        )
    for plan in document.plans:
        lines += _plan(plan) + [""]
    return "\n".join(lines).rstrip() + "\n"
