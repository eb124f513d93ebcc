"""How much a set of GCP role bindings lets a principal do, and where.

Scope matters: ``roles/owner`` on a project is admin of that project and everything in it;
the same role on one service account is not. Only bindings on a project, folder or
organization can reach admin or privilege management; a binding on a single resource is
capped at write. Called by ``PrivilegeGraph.privilege_of`` with standing grants only, so a
binding that ends with a ``request.time`` condition never counts here. A custom role whose
permissions the collector read is judged by them (only ``get`` / ``list`` / ``getIamPolicy``:
read); one whose definition was not read, by its name.

``iam.serviceAccounts.actAs`` (Service Account User) alone is not privilege management, as
``iam:PassRole`` is not on AWS: running compute as an account matters only when the holder can
also launch or change that compute, which is an escalation hop judged per account
(``analysis.escalation_gcp``). Workload Identity User lets a Kubernetes account mint tokens as
one service account: an impersonation hop to that account, not management of anything else.
The level of either is what the rest of the holder's roles grant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from standing.analysis.privilege import PrivilegeAssessment, PrivilegeLevel

ADMIN_ROLES = frozenset({"roles/owner"})
# Roles that can change IAM policy or mint credentials for other identities (not Service Account
# User or Workload Identity User: hops to one account, judged in ``analysis.escalation_gcp``).
PRIVILEGE_MANAGEMENT_ROLES = frozenset(
    {
        "roles/resourcemanager.organizationAdmin",
        "roles/resourcemanager.folderAdmin",
        "roles/resourcemanager.folderIamAdmin",
        "roles/resourcemanager.projectIamAdmin",
        "roles/iam.securityAdmin",
        "roles/iam.serviceAccountAdmin",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.serviceAccountTokenCreator",
    }
)
# Permissions of custom roles with the same effect (``actAs`` is a hop only with a launcher).
PRIVILEGE_MANAGEMENT_PERMISSIONS = (
    ".setIamPolicy",
    "iam.serviceAccountKeys.create",
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.signJwt",
    "iam.serviceAccounts.signBlob",
    "iam.roles.update",
)
_READ_MARKERS = ("viewer", "reader", "browser", "securityreviewer", "lister")
# Permission verbs that only read metadata; anything else (``access``, ``getKeyString``,
# ``create``, ``update``, ``actAs``, ...) counts as write.
_READ_VERBS = frozenset({"get", "list", "getIamPolicy"})


def is_container_scope(scope_id: str) -> bool:
    """``organizations/N``, ``folders/N`` or ``projects/P``: a grant there reaches everything beneath."""
    parts = scope_id.split("/")
    return len(parts) == 2 and parts[0] in ("organizations", "folders", "projects")


def role_level(role_id: str, permissions: Sequence[str] = ()) -> PrivilegeLevel:
    if role_id in ADMIN_ROLES:
        return PrivilegeLevel.ADMIN
    if role_id in PRIVILEGE_MANAGEMENT_ROLES or any(p.endswith(PRIVILEGE_MANAGEMENT_PERMISSIONS) for p in permissions):
        return PrivilegeLevel.PRIVILEGE_MANAGEMENT
    if permissions and not role_id.startswith("roles/"):
        # A custom role read with its permissions is judged by them, not by its name.
        reads = all(p.rsplit(".", 1)[-1] in _READ_VERBS for p in permissions)
        return PrivilegeLevel.READ if reads else PrivilegeLevel.WRITE
    if any(marker in role_id.rsplit("/", 1)[-1].lower() for marker in _READ_MARKERS):
        return PrivilegeLevel.READ
    return PrivilegeLevel.WRITE


def assess(held: Sequence[tuple[Any, Any]]) -> PrivilegeAssessment:
    """Strongest level over every (grant, role) pair, with evidence naming role and scope."""
    judged = []
    for grant, role in held:
        level = role_level(role.id, role.permissions)
        if level > PrivilegeLevel.WRITE and not is_container_scope(grant.scope_id):
            level = PrivilegeLevel.WRITE
        judged.append(PrivilegeAssessment(level, (f"{role.id} on {grant.scope_id}",)))
    return PrivilegeAssessment.strongest(judged)
