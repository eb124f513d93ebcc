"""Azure compute that runs code as a managed identity, from Resource Graph records -> ``Workload``.

Key Vaults are read by the same query and kept as ``KEY_VAULT`` workloads that run as nobody:
whoever may rewrite the access policy of a vault in the access-policy permission model can
grant itself its secrets (``analysis.escalation_azure``, method ``azure-keyvault-001``).

A record is what Resource Graph returns for one resource (``id``, ``type``, ``kind``,
``location``, ``subscriptionId``, ``tags``, ``identity``, ``properties``), the shape
``az graph query`` prints too, so a live scan and an import are read by the same code.
``identity_ids`` are the object ids of the managed identities' service principals, lower-case,
as ``normalize`` keys them (``Identity.id``): the system-assigned ``identity.principalId``,
each user-assigned identity's ``principalId`` and, for AKS, the kubelet identity's
``objectId`` (what the nodes, and every pod that reaches the metadata endpoint, run as).
"""

from __future__ import annotations

from typing import Any

from standing.core.model import ComputeKind, Provider, Workload

# The compute that runs code as an identity, in one query: Resource Graph pages it with $skipToken.
WORKLOAD_QUERY = (
    "resources | where type in~ ('microsoft.compute/virtualmachines', 'microsoft.web/sites', "
    "'microsoft.containerservice/managedclusters', 'microsoft.automation/automationaccounts', "
    "'microsoft.logic/workflows', 'microsoft.keyvault/vaults') "
    "| project id, name, type, kind, location, subscriptionId, resourceGroup, tags, identity, properties"
)

_KINDS = {
    "microsoft.compute/virtualmachines": ComputeKind.AZURE_VM,
    "microsoft.web/sites": ComputeKind.APP_SERVICE,
    "microsoft.containerservice/managedclusters": ComputeKind.AKS_CLUSTER,
    "microsoft.automation/automationaccounts": ComputeKind.AUTOMATION_ACCOUNT,
    "microsoft.logic/workflows": ComputeKind.LOGIC_APP,
    "microsoft.keyvault/vaults": ComputeKind.KEY_VAULT,
}


def kind_of(record: dict[str, Any]) -> ComputeKind | None:
    kind = _KINDS.get(str(record.get("type") or "").lower())
    if kind is ComputeKind.APP_SERVICE and "functionapp" in str(record.get("kind") or "").lower():
        return ComputeKind.FUNCTION_APP
    return kind


def _get(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def identity_ids(record: dict[str, Any]) -> list[str]:
    identity = record.get("identity") or {}
    found = {str(identity.get("principalId") or "").lower()}
    for assigned in (identity.get("userAssignedIdentities") or {}).values():
        found.add(str((assigned or {}).get("principalId") or "").lower())
    found.add(str(_get(record, "properties", "identityProfile", "kubeletidentity", "objectId") or "").lower())
    return sorted(found - {""})


def _attributes(kind: ComputeKind, record: dict[str, Any]) -> dict[str, str]:
    props = record.get("properties") or {}
    found = {"identity_type": _text(_get(record, "identity", "type"))}
    if kind is ComputeKind.AZURE_VM:
        found["os_type"] = _text(_get(props, "storageProfile", "osDisk", "osType"))
        found["power_state"] = _text(_get(props, "extended", "instanceView", "powerState", "code"))
    elif kind in (ComputeKind.APP_SERVICE, ComputeKind.FUNCTION_APP):
        found["default_host_name"] = _text(props.get("defaultHostName"))
        found["https_only"] = _text(props.get("httpsOnly"))
    elif kind is ComputeKind.AKS_CLUSTER:
        found["kubelet_identity"] = _text(_get(props, "identityProfile", "kubeletidentity", "resourceId")).lower()
        found["workload_identity"] = _text(bool(_get(props, "securityProfile", "workloadIdentity", "enabled")))
        found["oidc_issuer"] = _text(_get(props, "oidcIssuerProfile", "issuerURL"))
        found["local_accounts"] = _text(not props.get("disableLocalAccounts"))
    elif kind is ComputeKind.KEY_VAULT:
        # Access policies decide data access unless the vault uses Azure RBAC (enableRbacAuthorization).
        found["permission_model"] = "rbac" if props.get("enableRbacAuthorization") is True else "access-policy"
        policies = props.get("accessPolicies")
        found["access_policies"] = str(len(policies)) if isinstance(policies, list) else ""
    return found


def _state(kind: ComputeKind, props: dict[str, Any]) -> str | None:
    if kind in (ComputeKind.APP_SERVICE, ComputeKind.FUNCTION_APP, ComputeKind.LOGIC_APP):
        value = props.get("state")
    elif kind is ComputeKind.AKS_CLUSTER:
        value = _get(props, "powerState", "code")
    else:
        value = props.get("provisioningState")
    return str(value) if value else None


def workloads(records: list[dict[str, Any]]) -> list[Workload]:
    """One ``Workload`` per record of a compute kind that runs as some identity; others are left out."""
    found: dict[str, Workload] = {}
    for record in records:
        kind = kind_of(record)
        ids = identity_ids(record)
        if kind is None or not record.get("id") or (not ids and kind is not ComputeKind.KEY_VAULT):
            continue  # compute that runs as no identity escalates to nothing; a vault is kept for its secrets
        rid = str(record["id"]).lower()
        parts = rid.split("/")
        found[rid] = Workload(
            id=rid,
            provider=Provider.AZURE,
            kind=kind,
            name=str(record.get("name") or parts[-1]),
            account=str(record.get("subscriptionId") or (parts[2] if len(parts) > 2 else "")).lower(),
            region=record.get("location"),
            identity_ids=ids,
            state=_state(kind, record.get("properties") or {}),
            tags={str(k): str(v) for k, v in (record.get("tags") or {}).items()},
            attributes=_attributes(kind, record),
        )
    return sorted(found.values(), key=lambda w: w.id)
