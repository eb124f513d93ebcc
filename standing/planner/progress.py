"""Progress across scans: steps the inventory shows done, and plans the previous scan had.

The new path is recognised by what the plan's own Terraform leaves behind (the
``standing:replaces`` tag on the new role or permission set), or by the provider's own
record of it (an eligible Azure assignment, a federated credential, a federation trust).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from standing.analysis.graph import PrivilegeGraph
from standing.core.errors import UserError
from standing.core.model import CredentialKind, GrantDuration, TrustKind
from standing.core.textfiles import read_json
from standing.planner.context import PlanContext
from standing.planner.model import CompletedPlan, Plan

REPLACES_TAG = "standing:replaces"


def replacements(graph: PrivilegeGraph) -> dict[str, str]:
    """Identity id -> the new identity tagged as replacing it, looked up once per scan."""
    found: dict[str, str] = {}
    for other in graph.identities():
        replaced = other.tags.get(REPLACES_TAG)
        if replaced and replaced != other.id:
            found.setdefault(replaced, other.id)
    return found


def tagged_new_path(ctx: PlanContext, replaced_by: dict[str, str]) -> str | None:
    """The plan's own Terraform left its tag on the new identity (every provider)."""
    identity = ctx.identity
    if identity.id in replaced_by:
        return f"{replaced_by[identity.id]} carries {REPLACES_TAG}={identity.id}"
    return None


def no_recorded_new_path(graph: PrivilegeGraph, ctx: PlanContext) -> str | None:
    """A provider whose new path is recognised only by the tag."""
    return None


def azure_recorded_new_path(graph: PrivilegeGraph, ctx: PlanContext) -> str | None:
    identity = ctx.identity
    eligible = {(g.scope_id, g.role_id) for g in graph.grants_of(identity.id) if g.duration is GrantDuration.ELIGIBLE}
    if ctx.standing_grants and set(ctx.standing_grants) <= eligible:
        return "an eligible assignment exists for each active one"
    if ctx.secrets and any(c.kind is CredentialKind.FEDERATED for c in graph.credentials_of(identity.id)):
        return "a federated identity credential exists"
    return None


def gcp_recorded_new_path(graph: PrivilegeGraph, ctx: PlanContext) -> str | None:
    if ctx.secrets and any(t.kind is TrustKind.OIDC for t in ctx.trusts):
        return "a workload identity federation binding exists"
    return None


def completed_since(previous: list[Plan], current: list[Plan], graph: PrivilegeGraph) -> list[CompletedPlan]:
    still_open = {p.identity for p in current}
    return [
        CompletedPlan(
            identity=p.identity,
            identity_name=p.identity_name,
            pattern=p.pattern,
            how="no findings remain" if graph.identity(p.identity) else "the identity is gone",
        )
        for p in previous
        if p.identity not in still_open
    ]


def previous_plans(output_dir: Path) -> list[Plan]:
    """The plans a previous scan left in this directory; none if absent or of another version."""
    from standing.planner.model import PlansDocument

    path = output_dir / "plans.json"
    if not path.is_file():
        return []
    try:  # bounded like every user file: a FIFO or a deeply nested file is no previous plan
        return PlansDocument.model_validate(read_json(path)).plans
    except (UserError, ValueError, ValidationError):
        return []  # nothing to compare with; this scan's plans replace the file either way
