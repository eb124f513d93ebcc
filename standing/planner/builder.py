"""Findings in, one plan per flagged identity out.

Every plan merges its identity's findings, names a target pattern with the evidence for it,
states TTL, approval, permissions, the logs that verify it, steps in the safe order with a
rollback each, and Terraform. Risk and effort are documented in ``Plan`` and ``controls``.
"""

from __future__ import annotations

from collections import defaultdict

from standing.analysis.risk import RiskModel
from standing.core.facts import days_since, describe
from standing.core.findings import Finding
from standing.core.traits import Trait
from standing.planner.aws_documents import without_unknown_actions
from standing.planner.ci import PLATFORMS, CiSystem
from standing.planner.consumer import consumer_changes
from standing.planner.context import PlanContext, build_context
from standing.planner.controls import ROTATION_DAYS, compensating_controls, control, risk_after
from standing.planner.model import (
    Approval,
    ControlKind,
    Permissions,
    Phase,
    Plan,
    PlanFinding,
    Step,
    StepKind,
    TargetPattern,
    UsageBasis,
)
from standing.planner.narrowing import usage_permissions
from standing.planner.patterns import Choice, choose
from standing.planner.progress import replacements, tagged_new_path
from standing.planner.providers import PlannerProfile, profile
from standing.planner.targets import Target
from standing.planner.third_party import (
    access_query,
    is_third_party,
    outside_identity,
    third_party_controls,
    third_party_target,
)

_SENSITIVE_ROLES = ("secret", "kms", "storage", "bigquery", "keyvault", "key vault", "sql")


def _approval(ctx: PlanContext, choice: Choice) -> Approval:
    if choice.pattern is TargetPattern.RETIRE:
        return Approval(required=False, reason="grants nothing: it only removes access")
    if choice.pattern is TargetPattern.COMPENSATE:
        return Approval(
            required=True,
            reason="the exception itself: its owner approves it, and renews it explicitly before it expires",
        )
    if choice.split_admin:
        platform = PLATFORMS[choice.ci or CiSystem.GITHUB]
        return Approval(
            required=True,
            reason=f"admin-equivalent (or a path to admin), in CI: only the deploy job gets the admin role, approved "
            f"through {platform.approval}; every other job runs unattended, and no per-run approval broker stops "
            "the pipeline",
        )
    # Judged on what the plan grants: the usage-narrowed policy where there is one (context.elevation).
    admin, sensitive = ctx.elevation
    if admin:
        return Approval(required=True, reason="admin-equivalent (or a path to admin): every elevation is approved")
    narrowed = ctx.narrowed_aws[0] is not None
    was = " (admin-level today, through permissions the usage-narrowed policy drops)" if ctx.admin else ""
    if sensitive:
        return Approval(required=True, reason="reaches sensitive data: " + ", ".join(sensitive) + was)
    if not narrowed and any(word in role.lower() for _, role in ctx.standing_grants for word in _SENSITIVE_ROLES):
        return Approval(required=True, reason="holds a role over secrets, keys or data stores")
    if narrowed and (ctx.admin or ctx.sensitive):
        parts = ["admin-level access"] if ctx.admin else []
        parts += [f"access to sensitive data ({', '.join(ctx.sensitive)})"] if ctx.sensitive else []
        held = " and ".join(parts)
        return Approval(
            required=False,
            reason=f"held {held} unused in the usage window; the narrowed policy grants neither admin nor "
            "sensitive data: issued automatically on the workload's own proof of identity",
        )
    return Approval(
        required=False,
        reason="neither admin-equivalent nor sensitive-data access: "
        "issued automatically on the workload's own proof of identity",
    )


def _permissions(ctx: PlanContext, verify: str) -> Permissions:
    narrowed = usage_permissions(ctx, verify)
    if narrowed is not None:
        return narrowed
    dropped = sorted({a for _, doc in ctx.inline_policies for a in without_unknown_actions(doc)[1]})
    # A key's last-used service is its most recent call only, never what it uses: a worker reading
    # S3 and writing DynamoDB shows whichever came last. It is named, and never narrows.
    last = ", ".join(ctx.services_in_use)
    return Permissions(
        basis=UsageBasis.NO_USAGE_DATA,
        note=(
            "the inventory has no usage data for this identity, so its permissions are carried over unchanged"
            + (
                f" (its credentials were last used with {last}, which says what came last, not what is used)"
                if last
                else ""
            )
            + "; collect usage (standing scan aws reads IAM Access Analyzer or Access Advisor for flagged "
            "identities; GCP IAM Recommender) to narrow them"
            + (f"; actions AWS does not know are left behind: {', '.join(dropped)}" if dropped else "")
        ),
    )


def _watch_days(ctx: PlanContext) -> int:
    """Long enough to see a consumer that runs weekly or monthly, not only daily."""
    if any(c.last_used and days_since(c.last_used, ctx.as_of) > 3 for c in ctx.secrets):
        return 30
    return 14


def _steps(ctx: PlanContext, choice: Choice, target: Target, watch: int, built: str | None) -> list[Step]:
    if choice.pattern is TargetPattern.COMPENSATE and is_third_party(ctx):
        return _third_party_steps(ctx, target, watch, built)
    old = ", ".join(describe(c) for c in ctx.secrets) or f"the current standing access of {ctx.identity.name}"
    query = profile(ctx.identity.provider).old_credential_query(ctx).query
    steps: list[tuple[StepKind, str, str, str, int | None]] = []
    if choice.pattern is not TargetPattern.RETIRE:
        steps += [
            (
                StepKind.CREATE_NEW_PATH,
                "Put the controls in place and issue the rotated key"
                if choice.pattern is TargetPattern.COMPENSATE
                else "Create the new path",
                f"Apply the Terraform below: {target.description}. The old credential keeps working meanwhile.",
                "Destroy the new resources (`terraform destroy -target ...`); nothing else changed.",
                None,
            ),
            (
                StepKind.SWITCH_CONSUMER,
                "Switch the consumer",
                target.switch + _compute_to_switch(ctx),
                "Point the consumer back at the old credential, which is still active.",
                None,
            ),
        ]
    steps += [
        (
            StepKind.WATCH_UNUSED,
            f"Watch the old credential stay unused for {watch} days",
            f"Watch {old}: this query must return nothing for {watch} days: {query}",
            "Nothing to undo. If it shows use, find the consumer from the source address and switch it too, "
            "then restart the watch.",
            watch,
        ),
        (StepKind.DEACTIVATE, "Deactivate the old credential", target.deactivate, target.reactivate, None),
        (
            StepKind.DELETE,
            "Delete the old credential",
            f"After {watch} quiet days deactivated: {target.delete}",
            "Not reversible; it is safe because the credential was unused and deactivated for the whole window. "
            "If something breaks now, give it the new path, not a new standing credential.",
            None,
        ),
    ]
    return _numbered(steps, built)


def _compute_to_switch(ctx: PlanContext) -> str:
    """The compute the switch moves, as the inventory names it (empty when none was read)."""
    if not ctx.compute:
        return ""
    return " Compute that runs as it today, each to switch: " + "; ".join(ctx.compute) + "."


def _third_party_steps(ctx: PlanContext, target: Target, watch: int, built: str | None) -> list[Step]:
    """Access an outside party holds is not retired: it moves behind the controls, and the old form goes."""
    query = access_query(ctx).query
    return _numbered(
        [
            (
                StepKind.CREATE_NEW_PATH,
                "Put the controls in place",
                f"Apply the Terraform below: {target.description}.",
                "Destroy the new resources (`terraform destroy -target ...`); nothing else changed.",
                None,
            ),
            (
                StepKind.SWITCH_CONSUMER,
                "Switch the outside party to the controlled access",
                target.switch,
                "Tell the outside party to go back to its previous call; the old access is still in place.",
                None,
            ),
            (
                StepKind.WATCH_UNUSED,
                f"Watch the outside party's use for {watch} days",
                f"Every use in this query must meet the new conditions for {watch} days: {query}",
                "Nothing to undo. A use that does not meet them means the partner has not switched yet.",
                watch,
            ),
            (StepKind.DEACTIVATE, "Remove the uncontrolled access", target.deactivate, target.reactivate, None),
        ],
        built,
    )


def _numbered(steps: list[tuple[StepKind, str, str, str, int | None]], built: str | None) -> list[Step]:
    return [
        Step(
            order=i,
            kind=kind,
            title=title,
            instruction=text,
            rollback=rollback,
            watch_days=days,
            done=kind is StepKind.CREATE_NEW_PATH and built is not None,
            done_evidence=built if kind is StepKind.CREATE_NEW_PATH else None,
        )
        for i, (kind, title, text, rollback, days) in enumerate(steps, start=1)
    ]


def _target(ctx: PlanContext, choice: Choice, provider: PlannerProfile) -> Target:
    if choice.pattern is TargetPattern.RETIRE:
        return provider.retire(ctx)
    if choice.pattern is TargetPattern.COMPENSATE:
        return third_party_target(ctx) if is_third_party(ctx) else provider.compensate(ctx, ROTATION_DAYS)
    return provider.target(ctx, choice, _approval(ctx, choice).required)


def _current_state(ctx: PlanContext) -> list[str]:
    lines = []
    for cred in ctx.secrets:
        age = f"{days_since(cred.created, ctx.as_of)} days old" if cred.created else "age unknown"
        used = (
            f"last used {days_since(cred.last_used, ctx.as_of)} days ago"
            if cred.last_used
            else f"use {cred.last_used_status.value}"
        )
        report = cred.reported_unused
        said = f", {report.source} reports it unused for {report.window_days} days" if report else ""
        lines.append(f"{describe(cred)}: {age}, {used}{said}")
    for scope, role in ctx.standing_grants:
        lines.append(f"standing grant of {role} on {scope}")
    for compute in ctx.compute:
        lines.append(f"{compute} runs as this identity")
    for finding in ctx.findings:
        lines.append(f"{finding.rule_id} ({finding.severity.value}): {finding.message}")
    return lines


def plan_identity(ctx: PlanContext, built: str | None = None) -> Plan:
    """``built``: evidence that the new path already exists (see ``progress``)."""
    provider = profile(ctx.identity.provider)
    choice = choose(ctx, provider)
    target = _target(ctx, choice, provider)
    if Trait.SHARED in ctx.traits and choice.pattern not in (TargetPattern.RETIRE, TargetPattern.COMPENSATE):
        target.description += "; one per consumer, since several consumers share this identity today"
    risk = max((f.risk or 0) for f in ctx.findings)
    outside = choice.pattern is TargetPattern.COMPENSATE and is_third_party(ctx)
    controls = (
        (third_party_controls(ctx) if outside else compensating_controls(ctx))
        if choice.pattern is TargetPattern.COMPENSATE
        else []
    )
    if choice.pattern is TargetPattern.COMPENSATE and ctx.cut is not None:
        # It cannot move to just-in-time yet, so its path to admin is cut now instead.
        controls.append(
            control(
                ControlKind.CUT_PATH, f"cut the path to admin now: {ctx.cut.summary} ({ctx.cut.why_this_hop})", None
            )
        )
    approval = _approval(ctx, choice)
    if choice.pattern is TargetPattern.RETIRE:
        phase, residual = Phase.QUICK_WIN, 0
    elif choice.pattern is TargetPattern.COMPENSATE:
        phase, residual = Phase.COMPENSATION, risk_after(risk, controls, planned=True)
        risk = risk_after(risk, controls, planned=False)
    else:
        # Still reachable on approved request: a small remainder, not zero.
        phase, residual = Phase.MIGRATION, min(risk, 5 if approval.required else 0)
    identity = ctx.identity
    watch = 7 if choice.pattern is TargetPattern.RETIRE else _watch_days(ctx)
    verify = [access_query(ctx) if outside else provider.old_credential_query(ctx)]
    if choice.pattern not in (TargetPattern.RETIRE, TargetPattern.COMPENSATE):
        # the AWS role name of ``aws_targets._role_name``: at most 57 characters of the name, then -jit
        verify += [provider.new_path_query(ctx, name) for name in target.new_paths or [f"{identity.name[:57]}-jit"]]
    return Plan(
        identity=identity.id,
        identity_name=identity.name,
        provider=identity.provider,
        account=identity.account,
        identity_kind=identity.kind,
        workload=ctx.workload,
        findings=[
            PlanFinding(
                rule_id=f.rule_id,
                severity=f.severity,
                subject=f.subject,
                fingerprint=f.fingerprint,
                risk=f.risk,
                waived=f.waiver is not None,
            )
            for f in ctx.findings
        ],
        current_state=_current_state(ctx),
        pattern=choice.pattern,
        reason=choice.reason,
        target=target.description,
        placeholders=target.placeholders,
        ttl_seconds=target.ttl_seconds,
        approval=approval,
        permissions=_permissions(ctx, verify[0].query),
        verify=verify,
        steps=_steps(ctx, choice, target, watch, built if choice.pattern is not TargetPattern.RETIRE else None),
        iac=target.iac
        + ([ctx.cut_iac] if ctx.cut_iac is not None and choice.pattern is not TargetPattern.RETIRE else []),
        aws_policies=target.policies,
        controls=controls,
        agentic=target.agentic,
        phase=phase,
        risk=risk,
        residual_risk=residual,
        effort=target.effort,
        compute=list(ctx.compute),
        cut=ctx.cut if choice.pattern is not TargetPattern.RETIRE else None,
        consumer=[]
        if choice.pattern in (TargetPattern.RETIRE, TargetPattern.COMPENSATE)
        else consumer_changes(ctx, choice, target),
    )


def build_plans(model: RiskModel, findings: list[Finding]) -> list[Plan]:
    """One plan per identity with findings, highest risk removed per unit of effort first."""
    graph, as_of = model.graph, model.now
    by_identity: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_identity[finding.identity].append(finding)
    plans = []
    replaced_by = replacements(graph)
    for identity_id, merged in by_identity.items():
        identity = graph.identity(identity_id) or outside_identity(merged)
        if identity is None:  # a finding about a policy: the policy is the fix, there is no identity to plan
            continue
        ctx = build_context(graph, model, identity, merged, as_of)
        built = tagged_new_path(ctx, replaced_by) or profile(identity.provider).recorded_new_path(graph, ctx)
        plans.append(plan_identity(ctx, built))
    return sorted(plans, key=lambda p: (-p.priority, -p.risk, p.identity))
