"""What the planner knows about each cloud, in one profile per ``Provider``.

A profile names the provider's own pattern questions (after the shared ones in
``patterns.choose``), the pattern for an agent, the new path for a pattern, how to retire
an identity or keep its credential behind compensating controls, and the log queries that
verify a plan. A provider with no profile is an error, never a silent fallback to another
cloud. Adding a provider means adding its profile here (and analysis's in
``standing.analysis.providers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from standing.analysis.graph import PrivilegeGraph
from standing.core.model import Provider
from standing.planner import verify
from standing.planner.aws_documents import source_conditions
from standing.planner.aws_targets import aws_compensate, aws_retire, aws_target
from standing.planner.azure_targets import azure_compensate, azure_retire, azure_target
from standing.planner.context import PlanContext
from standing.planner.gcp_targets import gcp_compensate, gcp_retire, gcp_target
from standing.planner.model import LogCheck, TargetPattern
from standing.planner.patterns import Choice, aws_choice, azure_choice, gcp_choice
from standing.planner.progress import azure_recorded_new_path, gcp_recorded_new_path, no_recorded_new_path
from standing.planner.targets import Target


class UnknownProvider(LookupError):
    """A provider this version has no planner profile for: a programming error, not bad input."""


@dataclass(frozen=True)
class PlannerProfile:
    provider: Provider
    choose: Callable[[PlanContext], Choice]  # the provider's own questions, once the shared ones are answered
    agent_pattern: TargetPattern
    target: Callable[[PlanContext, Choice, bool], Target]  # (ctx, choice, approval required)
    retire: Callable[[PlanContext], Target]
    compensate: Callable[[PlanContext, int], Target]  # (ctx, rotation days)
    old_credential_query: Callable[[PlanContext], LogCheck]
    new_path_query: Callable[[PlanContext, str], LogCheck]  # (ctx, name of the new path)
    new_source_query: Callable[[PlanContext], str]
    # Network conditions already limiting where the identity's policies may be used from.
    source_conditions: Callable[[PlanContext], list[str]]
    # Where a key-expiry organization policy must be enforced to cover the identity (None: anywhere).
    key_expiry_scope: Callable[[PlanContext], str | None]
    # The provider's own record that the new path exists (an eligible assignment, a federation binding).
    recorded_new_path: Callable[[PrivilegeGraph, PlanContext], str | None]


def _ungated(build: Callable[[PlanContext, Choice], Target]) -> Callable[[PlanContext, Choice, bool], Target]:
    """A provider whose new path is the same whether elevation needs approval or not."""

    def target(ctx: PlanContext, choice: Choice, gated: bool) -> Target:
        return build(ctx, choice)

    return target


def _aws_sources(ctx: PlanContext) -> list[str]:
    return source_conditions(ctx.policy_documents)


def _aws_compensate(ctx: PlanContext, rotation_days: int) -> Target:
    return aws_compensate(ctx, rotation_days, bool(_aws_sources(ctx)))


def _none(ctx: PlanContext) -> list[str]:
    return []


def _anywhere(ctx: PlanContext) -> str | None:
    return None


def _gcp_project(ctx: PlanContext) -> str | None:
    return f"projects/{ctx.identity.account}"


_PROFILES = {
    Provider.AWS: PlannerProfile(
        provider=Provider.AWS,
        choose=aws_choice,
        agent_pattern=TargetPattern.AWS_AGENT_PER_CALL,
        target=aws_target,
        retire=aws_retire,
        compensate=_aws_compensate,
        old_credential_query=verify.aws_old_credential_query,
        new_path_query=verify.aws_new_path_query,
        new_source_query=verify.aws_new_source_query,
        source_conditions=_aws_sources,
        key_expiry_scope=_anywhere,
        recorded_new_path=no_recorded_new_path,
    ),
    Provider.GCP: PlannerProfile(
        provider=Provider.GCP,
        choose=gcp_choice,
        agent_pattern=TargetPattern.GCP_AGENT_DOWNSCOPED,
        target=_ungated(gcp_target),
        retire=gcp_retire,
        compensate=gcp_compensate,
        old_credential_query=verify.gcp_old_credential_query,
        new_path_query=verify.gcp_new_path_query,
        new_source_query=verify.gcp_new_source_query,
        source_conditions=_none,
        key_expiry_scope=_gcp_project,
        recorded_new_path=gcp_recorded_new_path,
    ),
    Provider.AZURE: PlannerProfile(
        provider=Provider.AZURE,
        choose=azure_choice,
        agent_pattern=TargetPattern.AZURE_AGENT_PER_RESOURCE,
        target=_ungated(azure_target),
        retire=azure_retire,
        compensate=azure_compensate,
        old_credential_query=verify.azure_old_credential_query,
        new_path_query=verify.azure_new_path_query,
        new_source_query=verify.azure_new_source_query,
        source_conditions=_none,
        key_expiry_scope=_anywhere,
        recorded_new_path=azure_recorded_new_path,
    ),
}


def profile(provider: Provider) -> PlannerProfile:
    try:
        return _PROFILES[provider]
    except KeyError:
        raise UnknownProvider(
            f"no planner profile for provider {provider!r}: add one to standing/planner/providers.py"
        ) from None
