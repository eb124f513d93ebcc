"""Compensating controls for credentials that cannot be made ephemeral, and the ones already in place.

A control found in the inventory (a ``SourceIp`` / VPC-endpoint condition, a key-expiry
organization policy, secrets that expire, a permissions boundary, a named owner) lowers the
plan's current risk; planned ones lower its residual risk. Each control's weight is stated
here so a reader can recompute both.
"""

from __future__ import annotations

from datetime import timedelta

from standing.core.traits import Trait
from standing.planner.context import PlanContext
from standing.planner.model import CompensatingControl, ControlKind
from standing.planner.providers import profile

WEIGHTS = {
    ControlKind.ROTATION: 10,
    ControlKind.SOURCE_RESTRICTION: 15,
    ControlKind.LEAST_PRIVILEGE: 10,
    ControlKind.ONE_IDENTITY_PER_CONSUMER: 5,
    ControlKind.ALERT_ON_NEW_SOURCE: 10,
    ControlKind.OWNER_AND_JUSTIFICATION: 3,
    ControlKind.EXCEPTION_EXPIRY: 5,
    ControlKind.POST_USE_REVIEW: 2,
    ControlKind.EXTERNAL_ID: 10,
    ControlKind.SESSION_LIMIT: 5,
    ControlKind.SESSION_TAGS: 3,
    ControlKind.ACCESS_REVIEW: 5,
    ControlKind.CUT_PATH: 25,  # the "reaches admin" part of the risk score (analysis.risk)
}
ROTATION_DAYS = 90
EXCEPTION_DAYS = 180
RESIDUAL_FLOOR = 10  # a standing secret remains, whatever surrounds it
_EXPIRY_POLICIES = ("iam.serviceAccountKeyExpiryHours", "appManagementPolicy")


def control(kind: ControlKind, description: str, evidence: str | None, query: str | None = None) -> CompensatingControl:
    return CompensatingControl(
        kind=kind,
        description=description,
        in_place=evidence is not None,
        evidence=evidence,
        query=query,
        risk_reduction=WEIGHTS[kind],
    )


def _rotation_evidence(ctx: PlanContext) -> str | None:
    scope = profile(ctx.identity.provider).key_expiry_scope(ctx)
    for policy in ctx.scope_policies:
        if policy.enforced and policy.constraint in _EXPIRY_POLICIES and (scope is None or policy.scope_id == scope):
            return f"{policy.constraint} enforced on {policy.scope_id}" + (
                f" ({policy.detail})" if policy.detail else ""
            )
    if ctx.secrets and all(
        c.expires and c.created and c.expires - c.created <= timedelta(days=ROTATION_DAYS) for c in ctx.secrets
    ):
        return f"every live secret expires within {ROTATION_DAYS} days of its creation"
    return None


def compensating_controls(ctx: PlanContext) -> list[CompensatingControl]:
    identity = ctx.identity
    provider = profile(identity.provider)
    sources = provider.source_conditions(ctx)
    owner = identity.owner or next((v for k, v in identity.tags.items() if k.lower() == "owner"), None)
    expiry = next((v for k, v in identity.tags.items() if k.lower() == "standing:exception-expires"), None)
    until = (ctx.as_of + timedelta(days=EXCEPTION_DAYS)).date().isoformat()
    return [
        control(
            ControlKind.ROTATION,
            f"rotate every {ROTATION_DAYS} days by automation (new key, update the consumer, deactivate the old key)",
            _rotation_evidence(ctx),
        ),
        control(
            ControlKind.SOURCE_RESTRICTION,
            "allow use only from the consumer's known networks or VPC endpoints",
            "; ".join(sources) if sources else None,
        ),
        control(
            ControlKind.LEAST_PRIVILEGE,
            "cap it with a permissions boundary or a least-privilege policy",
            f"permissions boundary {identity.permissions_boundary}" if identity.permissions_boundary else None,
        ),
        control(
            ControlKind.ONE_IDENTITY_PER_CONSUMER,
            "one identity per consumer: never share this credential",
            None if ctx.traits & {Trait.SHARED, Trait.SEVERAL_SECRETS} else "no sign of sharing in this scan",
        ),
        control(
            ControlKind.ALERT_ON_NEW_SOURCE,
            "alert when the credential is used from a source not seen before",
            None,
            query=provider.new_source_query(ctx),
        ),
        control(
            ControlKind.OWNER_AND_JUSTIFICATION,
            "a named owner and a written justification for the exception",
            f"owner {owner}" if owner else None,
        ),
        control(
            ControlKind.EXCEPTION_EXPIRY,
            f"the exception expires (proposed: {until}) and is renewed explicitly, or the credential goes",
            f"expires {expiry}" if expiry else None,
        ),
        control(
            ControlKind.POST_USE_REVIEW, "review its use after each rotation period (sources, actions, volume)", None
        ),
    ]


def risk_after(risk: int, controls: list[CompensatingControl], *, planned: bool) -> int:
    """Risk less the controls in place (``planned=False``) or less every control (``planned=True``)."""
    reduction = sum(c.risk_reduction for c in controls if planned or c.in_place)
    return max(min(risk, RESIDUAL_FLOOR), risk - reduction)
