"""Every Azure API path the collector may call, and the read-only permissions behind them.

One list is the source of truth for three things that must agree: the requests the
collector sends (a pipeline guard refuses any other method or path, see ``clients.py``),
the permissions docs/azure.md lists, and the read-only test, which holds every request seen on
the wire against it. Every operation is an HTTP ``GET`` but one: Resource Graph's query is a
``POST`` that only reads (its body is a KQL query), declared with its method so no other
``POST`` passes the guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

# ARM scopes the collector reads at: a management group or a subscription.
_SCOPE = r"(?:/providers/microsoft\.management/managementgroups/[^/]+|/subscriptions/[^/]+)"


class Api(StrEnum):
    GRAPH = "graph"
    ARM = "arm"


@dataclass(frozen=True, kw_only=True)
class AzureOperation:
    """One read: its API, its path template, and the permission that authorizes it."""

    api: Api
    name: str
    """Short stable name used in coverage entries, e.g. ``graph:servicePrincipals``."""
    path: str
    """Path template; ``{x}`` is one segment, ``{scope}`` a management group or subscription."""
    permission: str
    """Graph application permission or ARM action that allows the read."""
    why: str
    method: str = "GET"
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.escape(self.path.lower())
        regex = regex.replace(re.escape("{scope}"), _SCOPE)
        regex = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", regex)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    def matches(self, path: str) -> bool:
        return bool(self.pattern.match(path.lower().rstrip("/") or "/"))


def _graph(name: str, path: str, permission: str, why: str) -> AzureOperation:
    return AzureOperation(api=Api.GRAPH, name=f"graph:{name}", path=path, permission=permission, why=why)


def _arm(name: str, path: str, permission: str, why: str, method: str = "GET") -> AzureOperation:
    return AzureOperation(api=Api.ARM, name=f"arm:{name}", path=path, permission=permission, why=why, method=method)


OPERATIONS: tuple[AzureOperation, ...] = (
    _graph("organization", "/v1.0/organization", "Directory.Read.All", "the tenant id that names every identity"),
    _graph(
        "applications",
        "/v1.0/applications",
        "Application.Read.All",
        "app registrations with their client secrets and certificates (ids and dates only)",
    ),
    _graph(
        "applications.federatedIdentityCredentials",
        "/v1.0/applications/{id}/federatedIdentityCredentials",
        "Application.Read.All",
        "keyless federation already set up on each app",
    ),
    _graph(
        "applications.owners",
        "/v1.0/applications/{id}/owners",
        "Application.Read.All",
        "who can add credentials to each app",
    ),
    _graph(
        "servicePrincipals",
        "/v1.0/servicePrincipals",
        "Application.Read.All",
        "service principals and managed identities, their own credentials and app roles",
    ),
    _graph(
        "servicePrincipals.appRoleAssignedTo",
        "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
        "Application.Read.All",
        "application permissions granted on Microsoft Graph, in one paged list",
    ),
    _graph(
        "groups.transitiveMembers",
        "/v1.0/groups/{id}/transitiveMembers",
        "GroupMember.Read.All",
        "members of each group that holds an Azure role (they hold it too)",
    ),
    _graph(
        "directory.roleDefinitions",
        "/v1.0/roleManagement/directory/roleDefinitions",
        "RoleManagement.Read.Directory",
        "Entra directory roles (names and template ids)",
    ),
    _graph(
        "directory.roleAssignments",
        "/v1.0/roleManagement/directory/roleAssignments",
        "RoleManagement.Read.Directory",
        "who holds which Entra directory role",
    ),
    _graph(
        "directory.roleAssignmentScheduleInstances",
        "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances",
        "RoleManagement.Read.Directory",
        "Entra PIM: which active directory roles are time-bound or activated (needs Entra ID P2)",
    ),
    _graph(
        "directory.roleEligibilitySchedules",
        "/v1.0/roleManagement/directory/roleEligibilitySchedules",
        "RoleManagement.Read.Directory",
        "Entra PIM: eligible directory roles (needs Entra ID P2)",
    ),
    _graph(
        "beta.servicePrincipalSignInActivities",
        "/beta/reports/servicePrincipalSignInActivities",
        "AuditLog.Read.All",
        "last sign-in of each service principal (needs Entra ID P1/P2)",
    ),
    _graph(
        "beta.appCredentialSignInActivities",
        "/beta/reports/appCredentialSignInActivities",
        "AuditLog.Read.All",
        "last use of each secret and certificate (needs Entra ID P1/P2)",
    ),
    _graph(
        "beta.directoryRecommendations",
        "/beta/directory/recommendations",
        "DirectoryRecommendations.Read.All",
        "Entra's own recommendations: whether it reports unused app credentials (staleAppCreds)",
    ),
    _graph(
        "beta.directoryRecommendations.impactedResources",
        "/beta/directory/recommendations/{id}/impactedResources",
        "DirectoryRecommendations.Read.All",
        "which app credentials Entra reports unused for 30 days (active staleAppCreds only)",
    ),
    _arm("subscriptions", "/subscriptions", "Microsoft.Resources/subscriptions/read", "the subscriptions to scan"),
    _arm(
        "managementGroups",
        "/providers/Microsoft.Management/managementGroups",
        "Microsoft.Management/managementGroups/read",
        "management groups",
    ),
    _arm(
        "managementGroups.get",
        "/providers/Microsoft.Management/managementGroups/{group}",
        "Microsoft.Management/managementGroups/read",
        "each group's parent and children",
    ),
    _arm(
        "roleAssignments",
        "{scope}/providers/Microsoft.Authorization/roleAssignments",
        "Microsoft.Authorization/roleAssignments/read",
        "role assignments at and below each scope",
    ),
    _arm(
        "denyAssignments",
        "/subscriptions/{id}/providers/Microsoft.Authorization/denyAssignments",
        "Microsoft.Authorization/denyAssignments/read",
        "deny assignments that stop actions whatever a role grants (guardrails)",
    ),
    _arm(
        "roleDefinitions",
        "{scope}/providers/Microsoft.Authorization/roleDefinitions",
        "Microsoft.Authorization/roleDefinitions/read",
        "built-in and custom role definitions",
    ),
    _arm(
        "roleEligibilitySchedules",
        "{scope}/providers/Microsoft.Authorization/roleEligibilitySchedules",
        "Microsoft.Authorization/roleEligibilitySchedules/read",
        "PIM eligible (just-in-time) roles",
    ),
    _arm(
        "roleAssignmentSchedules",
        "{scope}/providers/Microsoft.Authorization/roleAssignmentSchedules",
        "Microsoft.Authorization/roleAssignmentSchedules/read",
        "PIM active assignments: permanent, time-bound or activated",
    ),
    _arm(
        "userAssignedIdentities",
        "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.ManagedIdentity/userAssignedIdentities/read",
        "user-assigned managed identities",
    ),
    _arm(
        "userAssignedIdentities.federatedIdentityCredentials",
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/"
        "userAssignedIdentities/{name}/federatedIdentityCredentials",
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
        "federated credentials of each user-assigned identity",
    ),
    _arm(
        "resourceGraph.resources",
        "/providers/Microsoft.ResourceGraph/resources",
        "Microsoft.Compute/virtualMachines/read, Microsoft.Web/sites/read, "
        "Microsoft.ContainerService/managedClusters/read, Microsoft.Automation/automationAccounts/read, "
        "Microsoft.Logic/workflows/read",
        "compute that runs as a managed identity (VMs, web and function apps, AKS, Automation, Logic Apps): "
        "one Resource Graph query, which returns only what these reads allow",
        method="POST",
    ),
)

READ_METHODS = frozenset({"GET", "POST"})


def operation(name: str) -> AzureOperation:
    """The declared operation, or ``KeyError``: collector code names only declared reads."""
    for op in OPERATIONS:
        if op.name == name:
            return op
    raise KeyError(f"{name} is not a declared Azure operation")


def declared(method: str, path: str) -> AzureOperation | None:
    """The operation a request is, if it is a declared read."""
    if method.upper() not in READ_METHODS:
        return None
    return next((op for op in OPERATIONS if op.method == method.upper() and op.matches(path)), None)


def graph_permissions() -> list[str]:
    return sorted({op.permission for op in OPERATIONS if op.api is Api.GRAPH})


def arm_actions() -> list[str]:
    return sorted({p.strip() for op in OPERATIONS if op.api is Api.ARM for p in op.permission.split(",")})
