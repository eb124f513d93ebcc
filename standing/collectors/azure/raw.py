"""The raw bundle both the API path (``fetch.py``) and the offline import (``importer.py``) build.

Kept free of Azure SDK imports, so that importing ``az`` exports needs no SDK.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from standing.core.model import CoverageEntry

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
TENANT_SCOPE = "tenant"


class RawTenant(BaseModel):
    """Everything read from one tenant. ``None`` means the read failed or was not made."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str
    applications: list[dict[str, Any]] | None = None
    service_principals: list[dict[str, Any]] | None = None
    app_federated_credentials: dict[str, list[dict[str, Any]]] | None = Field(
        default=None, description="application object id -> its federated identity credentials"
    )
    app_owners: dict[str, list[dict[str, Any]]] | None = Field(
        default=None, description="application object id -> its owners (users or service principals)"
    )
    graph_app_role_assignments: list[dict[str, Any]] | None = None
    directory_role_definitions: list[dict[str, Any]] | None = None
    directory_role_assignments: list[dict[str, Any]] | None = None
    directory_assignment_instances: list[dict[str, Any]] | None = Field(
        default=None, description="Entra PIM: active role assignment instances (Assigned or Activated)"
    )
    directory_eligibility_schedules: list[dict[str, Any]] | None = None
    sp_sign_ins: list[dict[str, Any]] | None = None
    credential_sign_ins: list[dict[str, Any]] | None = None
    directory_recommendations: list[dict[str, Any]] | None = Field(
        default=None, description="Entra's recommendations for the tenant (beta), as Graph lists them"
    )
    recommendation_resources: dict[str, list[dict[str, Any]]] | None = Field(
        default=None, description="recommendation id -> its impacted resources (open staleAppCreds only)"
    )
    management_groups: list[dict[str, Any]] | None = None
    subscriptions: list[dict[str, Any]] | None = None
    role_assignments: list[dict[str, Any]] | None = None
    role_definitions: list[dict[str, Any]] | None = None
    eligibility_schedules: list[dict[str, Any]] | None = None
    assignment_schedules: list[dict[str, Any]] | None = None
    user_assigned_identities: list[dict[str, Any]] | None = None
    identity_federated_credentials: dict[str, list[dict[str, Any]]] | None = Field(
        default=None, description="user-assigned identity resource id -> its federated credentials"
    )
    group_members: dict[str, list[dict[str, Any]]] | None = Field(
        default=None, description="object id of a group holding an ARM role -> its transitive members"
    )
    workloads: list[dict[str, Any]] | None = Field(
        default=None,
        description="compute records as Resource Graph returns them (id, type, kind, location, identity, properties)",
    )
    deny_assignments: list[dict[str, Any]] | None = None
    coverage: list[CoverageEntry] = Field(default_factory=list)


def flatten(wire: dict[str, Any], *, rename: dict[str, str] | None = None) -> dict[str, Any]:
    """ARM wire JSON with ``properties`` lifted up, as ``az`` prints it."""
    out = {k: v for k, v in wire.items() if k != "properties"}
    for key, value in (wire.get("properties") or {}).items():
        out[(rename or {}).get(key, key)] = value
    return out
