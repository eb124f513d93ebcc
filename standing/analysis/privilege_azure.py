"""How much an Azure identity can do, from its standing grants: ARM roles, Graph app roles, Entra roles.

The scale is the one ``privilege.py`` uses. Scope matters: Owner of a subscription, a
management group or the root is admin; Owner of one resource group is write. Built-in roles
are recognised by their stable GUIDs when an export carries no definition; otherwise a
role is judged by its actions, so a custom role with ``*`` is judged like Owner.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from standing.analysis.privilege import PrivilegeAssessment, PrivilegeLevel
from standing.core.azure_builtins import CONTRIBUTOR, OWNER, RBAC_ADMINISTRATOR, READER, USER_ACCESS_ADMINISTRATOR
from standing.core.model import Grant, Role

# Actions of built-in roles, for grants whose definition was not read.
BUILT_IN_ACTIONS: dict[str, tuple[list[str], list[str]]] = {
    OWNER: (["*"], []),
    CONTRIBUTOR: (
        ["*"],
        [
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
        ],
    ),
    USER_ACCESS_ADMINISTRATOR: (["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], []),
    RBAC_ADMINISTRATOR: (
        ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete", "*/read"],
        [],
    ),
    READER: (["*/read"], []),
}

ROLE_ASSIGNMENT_WRITE = "microsoft.authorization/roleassignments/write"

# Microsoft Graph application permissions that lead to the whole tenant.
GRAPH_ADMIN = {"RoleManagement.ReadWrite.Directory": PrivilegeLevel.ADMIN}
GRAPH_PRIVILEGE_MANAGEMENT = {
    "AppRoleAssignment.ReadWrite.All",  # grant itself any application permission
    "Application.ReadWrite.All",  # add a secret to any app, including a privileged one
    "UserAuthenticationMethod.ReadWrite.All",  # add a sign-in method to any user, admins included
}

# Entra directory roles by template id (stable across tenants).
DIRECTORY_ADMIN = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
}
DIRECTORY_PRIVILEGE_MANAGEMENT = {
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
}


def _matches(patterns: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def arm_actions(role: Role) -> tuple[list[str], list[str]]:
    """(actions, notActions) of an ARM role definition, from its document or the built-in table."""
    doc = role.documents[0] if role.documents else {}
    permissions = doc.get("permissions")
    if permissions:
        actions = [a for p in permissions for a in p.get("actions") or []]
        not_actions = [a for p in permissions for a in p.get("notActions") or []]
        return actions, not_actions
    return BUILT_IN_ACTIONS.get(role.id.rsplit("/", 1)[-1], ([], []))


def scope_label(scope_id: str) -> tuple[str, bool]:
    """A readable scope and whether it is broad (root, management group, subscription, tenant)."""
    parts = [p for p in scope_id.lower().split("/") if p]
    if scope_id.startswith("entra:"):
        tenant_wide = "/" not in scope_id[len("entra:") :]
        return ("the Entra tenant" if tenant_wide else f"Entra scope {scope_id}"), tenant_wide
    if not parts:
        return "the root scope '/'", True
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"] and len(parts) == 4:
        return f"management group {parts[3]}", True
    if parts[0] == "subscriptions" and len(parts) == 2:
        return f"subscription {parts[1]}", True
    return scope_id, False


def _assess_arm(grant: Grant, role: Role) -> PrivilegeAssessment:
    actions, not_actions = arm_actions(role)
    where, broad = scope_label(grant.scope_id)
    if not actions:
        return PrivilegeAssessment(PrivilegeLevel.NONE)

    def allowed(action: str) -> bool:
        return _matches(actions, action) and not _matches(not_actions, action)

    everything = "*" in actions
    writes_rbac = allowed(ROLE_ASSIGNMENT_WRITE)
    label = f"{role.name} on {where}"
    if everything and writes_rbac:
        level = PrivilegeLevel.ADMIN if broad else PrivilegeLevel.WRITE
        return PrivilegeAssessment(level, (f"{label} allows every action, role assignments included",))
    if writes_rbac:
        level = PrivilegeLevel.PRIVILEGE_MANAGEMENT if broad else PrivilegeLevel.WRITE
        return PrivilegeAssessment(level, (f"{label} can write role assignments",))
    if everything or any(not a.lower().endswith("/read") for a in actions):
        return PrivilegeAssessment(PrivilegeLevel.WRITE, (f"{label} allows changes",))
    return PrivilegeAssessment(PrivilegeLevel.READ, (f"{label} reads",))


def _assess_graph(grant: Grant, role: Role) -> PrivilegeAssessment:
    value = role.name
    where, tenant_wide = scope_label(grant.scope_id)
    if value in GRAPH_ADMIN:
        return PrivilegeAssessment(
            GRAPH_ADMIN[value],
            (f"Microsoft Graph application permission {value} on {where}: can assign itself any directory role",),
        )
    if value in GRAPH_PRIVILEGE_MANAGEMENT:
        return PrivilegeAssessment(
            PrivilegeLevel.PRIVILEGE_MANAGEMENT,
            (
                f"Microsoft Graph application permission {value} on {where}: can grant permissions or add "
                "credentials to other identities",
            ),
        )
    if "ReadWrite" in value or value.endswith(".Send"):
        return PrivilegeAssessment(PrivilegeLevel.WRITE, (f"Microsoft Graph application permission {value}",))
    return PrivilegeAssessment(PrivilegeLevel.READ, (f"Microsoft Graph application permission {value}",))


def _assess_directory(grant: Grant, role: Role) -> PrivilegeAssessment:
    template = str((role.documents[0] if role.documents else {}).get("templateId") or "")
    where, tenant_wide = scope_label(grant.scope_id)
    label = f"Entra role {role.name} on {where}"
    if template in DIRECTORY_ADMIN and tenant_wide:
        return PrivilegeAssessment(PrivilegeLevel.ADMIN, (label,))
    if template in DIRECTORY_PRIVILEGE_MANAGEMENT and tenant_wide:
        return PrivilegeAssessment(PrivilegeLevel.PRIVILEGE_MANAGEMENT, (label,))
    if "Administrator" in role.name:
        return PrivilegeAssessment(PrivilegeLevel.WRITE, (label,))
    return PrivilegeAssessment(PrivilegeLevel.READ, (label,))


_BY_KIND: dict[str, Any] = {
    "arm-role-definition": _assess_arm,
    "graph-app-role": _assess_graph,
    "directory-role": _assess_directory,
}


def assess(held: Sequence[tuple[Grant, Role]]) -> PrivilegeAssessment:
    """The strongest of an identity's standing grants, with evidence naming role and scope."""
    assessments = []
    for grant, role in held:
        kind = (role.documents[0] if role.documents else {}).get("kind", "arm-role-definition")
        judge = _BY_KIND.get(kind)
        if judge is not None:
            assessments.append(judge(grant, role))
    return PrivilegeAssessment.strongest(assessments)
