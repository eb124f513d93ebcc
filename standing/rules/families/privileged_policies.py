"""Permission sets that grant admin or privilege management: one finding per policy, one fix for every holder.

Each holder of such a policy is judged on its own (``admin-equivalent``, ``path-to-admin``);
this family reports the policy itself, attached or not, because narrowing it is the one change
that fixes every holder at once, and an unattached one is a ready-made admin grant for anyone
allowed to attach policies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from fnmatch import fnmatchcase

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeAssessment, PrivilegeLevel, combine, contribution
from standing.analysis.privilege_azure import ROLE_ASSIGNMENT_WRITE, arm_actions
from standing.analysis.privilege_gcp import role_level
from standing.core.findings import Severity
from standing.core.model import Provider, Role
from standing.core.traits import Trait
from standing.rules.engine import Hit, Rule

_GCP_CUSTOM = re.compile(r"^(?:projects|organizations)/([^/]+)/roles/[^/]+$")
_AZURE_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)


def _aws(role: Role) -> PrivilegeAssessment | None:
    """A customer-managed policy (not an inline one, not AWS's own), judged alone."""
    if role.provider_managed or ":policy/" not in role.id or "#inline/" in role.id:
        return None
    return combine([contribution(role.name, role.documents)])


def _gcp(role: Role) -> PrivilegeAssessment | None:
    """A custom role, judged by its permissions as if bound on a project."""
    if role.provider_managed or not _GCP_CUSTOM.match(role.id):
        return None
    level = role_level(role.id, role.permissions)
    granting = sorted(p for p in role.permissions if role_level("custom", [p]) >= PrivilegeLevel.PRIVILEGE_MANAGEMENT)
    return PrivilegeAssessment(level, (f"{role.id} includes {', '.join(granting[:4]) or 'no IAM permission'}",))


def _azure(role: Role) -> PrivilegeAssessment | None:
    """A custom role definition, judged by its actions as if assigned at a subscription."""
    document = role.documents[0] if role.documents else {}
    if role.provider_managed or document.get("kind") != "arm-role-definition" or not document.get("permissions"):
        return None
    actions, not_actions = arm_actions(role)
    lowered = [a.lower() for a in not_actions]

    def allowed(action: str) -> bool:
        return any(fnmatchcase(action, a.lower()) for a in actions) and not any(fnmatchcase(action, a) for a in lowered)

    if not allowed(ROLE_ASSIGNMENT_WRITE):
        return PrivilegeAssessment(PrivilegeLevel.WRITE)
    if "*" in actions:
        return PrivilegeAssessment(
            PrivilegeLevel.ADMIN, (f"{role.name} allows every action, role assignments included",)
        )
    return PrivilegeAssessment(PrivilegeLevel.PRIVILEGE_MANAGEMENT, (f"{role.name} can write role assignments",))


_JUDGES = {Provider.AWS: _aws, Provider.GCP: _gcp, Provider.AZURE: _azure}


def _account(graph: PrivilegeGraph, role: Role, holder_accounts: list[str]) -> str:
    """The account a policy finding belongs to: the policy's own (AWS, a GCP project), else its
    holders' (an organization's custom role, an Azure tenant), else any scanned one of its cloud,
    so that a later scan of that account can resolve it in the history."""
    if role.account:
        return role.account
    match = _GCP_CUSTOM.match(role.id)
    if match and role.id.startswith("projects/"):
        return match.group(1)
    if holder_accounts:
        return holder_accounts[0]
    same_cloud = sorted({i.account for i in graph.identities() if i.provider is role.provider})
    if same_cloud:
        return same_cloud[0]
    scopes = (role.documents[0] if role.documents else {}).get("assignableScopes") or []
    found = next((m for s in scopes if (m := _AZURE_SUBSCRIPTION.match(str(s)))), None)
    return found.group(1) if found else (match.group(1) if match else "")


class PrivilegedCustomPolicy(Rule):
    """A customer-managed AWS policy, a GCP custom role or an Azure custom role definition that grants
    admin or privilege management, attached or not.

    The policy is judged alone, with the same analysis that judges its holders: ``*`` on ``*``
    or IAM write on every resource (AWS), ``setIamPolicy``, key minting or impersonation
    permissions (GCP), every action or ``roleAssignments/write`` (Azure, as if assigned at a
    subscription). Provider-managed policies (AWS's ``AdministratorAccess``, Google's and
    Microsoft's built-in roles) are not reported: the provider owns them, and their holders are
    judged instead. An AWS policy used only as a permissions boundary grants nothing and is
    skipped. The finding names the policy, not an identity, and its evidence lists the holders:
    narrowing the policy fixes every one of them. Attached, it is high; not attached, medium
    (anyone allowed to attach policies holds it in reserve). GCP custom roles are judged from
    their permissions, read live (IAM ``ListRoles`` in the FULL view) or imported from
    ``gcloud iam roles describe``; a disabled or deleted custom role grants nothing.
    """

    id = "privileged-custom-policy"
    title = "Customer policy or custom role grants admin or privilege management"
    severity = Severity.HIGH
    traits = frozenset({Trait.ABOUT_POLICY})

    def evaluate(self, graph: PrivilegeGraph, params: object, now: datetime) -> Iterable[Hit]:
        holders: dict[str, set[str]] = {}
        for grant in graph.inventory.grants:
            holders.setdefault(grant.role_id, set()).add(grant.principal_id)
        boundaries = {i.permissions_boundary for i in graph.identities() if i.permissions_boundary}
        for role in graph.inventory.roles:
            judge = _JUDGES.get(role.provider)
            assessment = judge(role) if judge else None
            if assessment is None or assessment.level < PrivilegeLevel.PRIVILEGE_MANAGEMENT:
                continue
            held_by = sorted(holders.get(role.id, ()), key=lambda h: (_name(graph, h), h))
            if not held_by and role.id in boundaries:
                continue  # a boundary caps; it grants nothing
            known = [i for h in held_by if (i := graph.identity(h)) is not None]
            names = _names(graph, held_by)
            attached = f"attached to {len(held_by)} identit{'y' if len(held_by) == 1 else 'ies'}"
            where = (
                f"{attached}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}" if held_by else "not attached"
            )
            subject = role.model_copy(update={"account": _account(graph, role, [i.account for i in known])})
            yield Hit(
                identity=subject,
                severity=Severity.HIGH if held_by else Severity.MEDIUM,
                message=f"{role.name} grants {assessment.level.label}, {where}",
                evidence={
                    "policy": role.id,
                    "privilege": assessment.level.label,
                    "because": list(assessment.evidence),
                    "holders": [{"id": h, "name": n} for h, n in zip(held_by, names, strict=True)],
                    "attached": len(held_by),
                },
            )


def _name(graph: PrivilegeGraph, identity_id: str) -> str:
    identity = graph.identity(identity_id)
    return identity.name if identity is not None else identity_id


def _names(graph: PrivilegeGraph, ids: list[str]) -> list[str]:
    return [_name(graph, h) for h in ids]
