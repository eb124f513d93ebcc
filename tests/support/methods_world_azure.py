"""A replayed Azure tenant holding, for every Azure escalation method, a case and its near miss.

It starts from the fixture tenant (``fixtures/azure/wire``) and adds, per method, two service
principals: ``m-<id>`` holding what the method needs where it matters, ``x-<id>`` its near miss.
ARM methods are custom role definitions with exactly the method's actions, assigned on the
resource group whose compute runs as a managed identity (the near miss: the same role on
another resource group; for role assignment writing, on a resource group instead of the
subscription). Workloads come from the Resource Graph page, Graph permissions from the
app-role assignments of Microsoft Graph's service principal, ownership from an application's
owners (the near miss: the owned one, not the owner): each in the shape the collector reads it, answered by ``tests.support.azure_wire``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.support.azure_wire import FIXTURES, TENANT, AzureWire

SUB = TENANT["subscriptions"]["prod"]
MI_DEPLOY = TENANT["service_principals"]["mi-deploy"]
GRAPH_SP = "933c8047-39ca-585b-8230-8e153dde654c"
_RG = f"/subscriptions/{SUB}/resourceGroups"
_MI = f"{_RG}/rg-identity/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-deploy"
# Microsoft Graph's application permissions (their published app role ids)
GRAPH_ROLES = {
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "RoleManagement.Read.Directory": "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
}

# method id -> (the case's grant, the near miss's): ("arm", actions, scope) or ("graph", permission)
# or ("owner", True: it owns an application / False: it is an application's, owned by a person)
PLAN: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {
    "azure-authorization-001": (
        ("arm", ("Microsoft.Authorization/roleAssignments/write",), f"/subscriptions/{SUB}"),
        ("arm", ("Microsoft.Authorization/roleAssignments/write",), f"{_RG}/rg-other"),
    ),
    "azure-graph-001": (("graph", "Application.ReadWrite.All"), ("graph", "Application.Read.All")),
    "azure-graph-002": (("graph", "AppRoleAssignment.ReadWrite.All"), ("graph", "RoleManagement.Read.Directory")),
    "azure-entra-001": (("owner", True), ("owner", False)),
}
# Key Vault: the case may write access policies where a vault uses them; the near miss holds the
# same right on a resource group whose vault uses Azure RBAC (access policies grant nothing there)
PLAN["azure-keyvault-001"] = (
    ("arm", ("Microsoft.KeyVault/vaults/accessPolicies/write",), f"{_RG}/rg-apps"),
    ("arm", ("Microsoft.KeyVault/vaults/accessPolicies/write",), f"{_RG}/rg-vault-rbac"),
)
for _mid, _actions in (
    ("azure-compute-001", ("Microsoft.Compute/virtualMachines/runCommand/action",)),
    ("azure-compute-002", ("Microsoft.Compute/virtualMachines/write",)),
    ("azure-compute-003", ("Microsoft.Compute/virtualMachines/extensions/write",)),
    (
        "azure-automation-001",
        (
            "Microsoft.Automation/automationAccounts/runbooks/write",
            "Microsoft.Automation/automationAccounts/jobs/write",
        ),
    ),
    ("azure-web-001", ("Microsoft.Web/sites/write",)),
    ("azure-web-002", ("Microsoft.Web/sites/publishxml/action",)),
):
    PLAN[_mid] = (("arm", _actions, f"{_RG}/rg-apps"), ("arm", _actions, f"{_RG}/rg-other"))


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"standing-methods-wire/{name}"))


def case(mid: str) -> str:
    """The service principal holding what ``mid`` needs."""
    return _id(f"m-{mid}")


def near_miss(mid: str) -> str:
    """The service principal holding its near miss."""
    return _id(f"x-{mid}")


def _sp(object_id: str, name: str, app_id: str | None = None) -> dict[str, Any]:
    return {
        "id": object_id, "appId": app_id or _id(f"appid-{name}"), "displayName": name,
        "servicePrincipalType": "Application", "accountEnabled": True,
        "appOwnerOrganizationId": TENANT["tenant_id"], "passwordCredentials": [], "keyCredentials": [],
        "appRoles": [], "alternativeNames": [], "tags": [],
    }  # fmt: skip


def _workload(kind_type: str, name: str, kind: str = "") -> dict[str, Any]:
    provider = {"microsoft.web/sites": "Microsoft.Web/sites"}.get(kind_type, "Microsoft.Automation/automationAccounts")
    return {
        "id": f"{_RG}/rg-apps/providers/{provider}/{name}", "name": name, "type": kind_type, "kind": kind,
        "location": "westeurope", "subscriptionId": SUB, "resourceGroup": "rg-apps", "tags": {},
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {
            _MI: {"principalId": MI_DEPLOY, "clientId": "ad5d74c8-8f91-5062-a845-b79fe9dee7ec"}}},
        "properties": {"state": "Running", "httpsOnly": True},
    }  # fmt: skip


def _vault(group: str, name: str, rbac: bool) -> dict[str, Any]:
    """A vault record as Resource Graph returns it (properties as in Microsoft's getVault example)."""
    return {
        "id": f"{_RG}/{group}/providers/Microsoft.KeyVault/vaults/{name}", "name": name,
        "type": "microsoft.keyvault/vaults", "kind": "", "location": "westeurope", "subscriptionId": SUB,
        "resourceGroup": group, "tags": {}, "identity": None,
        "properties": {"tenantId": TENANT["tenant_id"], "sku": {"family": "A", "name": "standard"},
                       "accessPolicies": [] if rbac else [{"tenantId": TENANT["tenant_id"], "objectId": MI_DEPLOY,
                                                           "permissions": {"secrets": ["get", "list"]}}],
                       "enableRbacAuthorization": rbac, "provisioningState": "Succeeded"},
    }  # fmt: skip


def documents() -> dict[str, Any]:
    """Wire path (as ``AzureWire`` indexes it) -> the document that replaces or adds it."""
    wire = FIXTURES / "wire"

    def load(path: str) -> Any:
        return json.loads((wire / f"{path}.json").read_text())

    auth = f"subscriptions/{SUB}/providers/Microsoft.Authorization"
    sps, definitions, assignments = (
        load("v1.0/servicePrincipals@page2"),
        load(f"{auth}/roleDefinitions"),
        load(f"{auth}/roleAssignments@page2"),
    )
    graph_sps, granted = load("v1.0/servicePrincipals"), load(f"v1.0/servicePrincipals/{GRAPH_SP}/appRoleAssignedTo")
    apps, resources = load("v1.0/applications"), load("providers/Microsoft.ResourceGraph/resources@page2")
    out: dict[str, Any] = {}
    graph = next(sp for sp in graph_sps["value"] if sp["id"] == GRAPH_SP)
    known = {role["id"] for role in graph["appRoles"]}
    for value, role_id in GRAPH_ROLES.items():
        if role_id not in known:
            graph["appRoles"].append(
                {"allowedMemberTypes": ["Application"], "description": value, "displayName": value, "id": role_id,
                 "isEnabled": True, "origin": "Application", "value": value}
            )  # fmt: skip
    # compute the fixture lacks: a web app and an Automation account running as mi-deploy
    resources["data"] += [
        _workload("microsoft.web/sites", "web-deploy", "app,linux"),
        _workload("microsoft.automation/automationaccounts", "aa-deploy"),
        _vault("rg-apps", "kv-deploy", rbac=False),
        _vault("rg-vault-rbac", "kv-rbac", rbac=True),
    ]
    for mid, grants in PLAN.items():
        for who, grant, tag in ((case(mid), grants[0], "m"), (near_miss(mid), grants[1], "x")):
            name = f"{tag}-{mid}"
            sps["value"].append(_sp(who, name))
            if grant[0] == "arm":
                role = _id(f"role-{name}")
                definition = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"
                definitions["value"].append(
                    {"id": definition, "type": "Microsoft.Authorization/roleDefinitions", "name": role,
                     "properties": {"roleName": name, "type": "CustomRole", "description": name,
                                    "assignableScopes": [f"/subscriptions/{SUB}"],
                                    "permissions": [{"actions": list(grant[1]), "notActions": [],
                                                     "dataActions": [], "notDataActions": []}]}}
                )  # fmt: skip
                assignment = _id(f"assignment-{name}")
                assignments["value"].append(
                    {"id": f"{grant[2]}/providers/Microsoft.Authorization/roleAssignments/{assignment}",
                     "type": "Microsoft.Authorization/roleAssignments", "name": assignment,
                     "properties": {"roleDefinitionId": definition, "principalId": who,
                                    "principalType": "ServicePrincipal", "scope": grant[2],
                                    "createdOn": "2026-02-21T12:00:00Z", "updatedOn": "2026-02-21T12:00:00Z"}}
                )  # fmt: skip
            elif grant[0] == "graph":
                granted["value"].append(
                    {"id": _id(f"grant-{name}"), "appRoleId": GRAPH_ROLES[grant[1]],
                     "createdDateTime": "2026-04-02T12:00:00Z", "principalDisplayName": name, "principalId": who,
                     "principalType": "ServicePrincipal", "resourceDisplayName": "Microsoft Graph",
                     "resourceId": GRAPH_SP}
                )  # fmt: skip
            else:
                # the case owns another application (its service principal is the target); the
                # near miss is the owned one: its own application, owned by a person
                app, app_id = _id(f"app-{name}"), _id(f"appid-owned-{name}")
                owner: dict[str, Any] = {"@odata.type": "#microsoft.graph.servicePrincipal", "id": who}
                if grant[1]:
                    sps["value"].append(_sp(_id(f"sp-owned-{name}"), f"owned-by-{name}", app_id))
                else:
                    app_id = sps["value"][-1]["appId"]
                    owner = {"@odata.type": "#microsoft.graph.user", "id": _id(f"user-{name}"),
                             "userPrincipalName": f"{name}@example.com"}  # fmt: skip
                apps["value"].append(
                    {"id": app, "appId": app_id, "displayName": f"app-{name}",
                     "createdDateTime": "2025-01-17T12:00:00Z", "signInAudience": "AzureADMyOrg",
                     "passwordCredentials": [], "keyCredentials": []}
                )  # fmt: skip
                out[f"v1.0/applications/{app}/owners"] = {"value": [owner]}
                out[f"v1.0/applications/{app}/federatedIdentityCredentials"] = {"value": []}
    out.update(
        {
            "v1.0/servicePrincipals@page2": sps,
            f"{auth}/roleDefinitions": definitions,
            f"{auth}/roleAssignments@page2": assignments,
            "v1.0/servicePrincipals": graph_sps,
            f"v1.0/servicePrincipals/{GRAPH_SP}/appRoleAssignedTo": granted,
            "v1.0/applications": apps,
            "providers/Microsoft.ResourceGraph/resources@page2": resources,
        }
    )
    return out


def install(wire: AzureWire, folder: Path) -> AzureWire:
    """Write the world's documents under ``folder`` and have ``wire`` answer with them."""
    for path, document in documents().items():
        target = folder / f"{path}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document))
        wire._index[f"/{path}".lower()] = target
    return wire
