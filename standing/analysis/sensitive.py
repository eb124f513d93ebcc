"""Which kinds of sensitive data an identity's standing grants reach, in each cloud.

Blast radius asks "could this identity read secrets, decrypt with keys, read storage or
databases, or invoke AI models?". Each kind is judged by a representative permission per
provider (any one allowed counts), so the answer reads the same across clouds: a GCP
``roles/secretmanager.secretAccessor`` and an AWS ``secretsmanager:GetSecretValue`` are
both "secrets".

Each provider's table and judge is named by its analysis profile (``standing.analysis.providers``);
ask ``providers.sensitive_kinds`` for an identity of any provider.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from standing.analysis.aws_policy import PolicySet, statements
from standing.analysis.privilege_azure import arm_actions
from standing.core.model import Identity, Role

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph

KINDS = ("ai-models", "databases", "keys", "secrets", "storage")

AWS_ACTIONS: dict[str, tuple[str, ...]] = {
    "secrets": ("secretsmanager:GetSecretValue", "ssm:GetParameter"),
    "keys": ("kms:Decrypt",),
    "storage": ("s3:GetObject",),
    "databases": ("dynamodb:GetItem", "rds-data:ExecuteStatement", "rds:CreateDBSnapshot"),
    "ai-models": ("bedrock:InvokeModel", "sagemaker:InvokeEndpoint"),
}

# Predefined roles that grant each kind, and the permission a custom role would need.
GCP_ROLES: dict[str, tuple[str, ...]] = {
    "secrets": ("roles/secretmanager.secretAccessor", "roles/secretmanager.admin"),
    "keys": ("roles/cloudkms.cryptoKeyDecrypter", "roles/cloudkms.cryptoKeyEncrypterDecrypter"),
    "storage": (
        "roles/storage.objectViewer",
        "roles/storage.objectUser",
        "roles/storage.objectAdmin",
        "roles/storage.admin",
        "roles/editor",
    ),
    "databases": (
        "roles/bigquery.dataViewer",
        "roles/bigquery.dataEditor",
        "roles/bigquery.dataOwner",
        "roles/bigquery.admin",
        "roles/cloudsql.client",
        "roles/cloudsql.admin",
        "roles/spanner.databaseReader",
        "roles/spanner.databaseUser",
        "roles/datastore.user",
        "roles/editor",
    ),
    "ai-models": ("roles/aiplatform.user", "roles/aiplatform.admin", "roles/editor"),
}
GCP_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "secrets": ("secretmanager.versions.access",),
    "keys": ("cloudkms.cryptoKeyVersions.useToDecrypt",),
    "storage": ("storage.objects.get",),
    "databases": (
        "bigquery.tables.getData",
        "cloudsql.instances.connect",
        "spanner.databases.read",
        "datastore.entities.get",
    ),
    "ai-models": ("aiplatform.endpoints.predict",),
}

# Data actions (granted as ``dataActions``) and control-plane actions that hand the data out
# (list keys, rewrite a vault's access policy), which count as much as the data itself.
AZURE_DATA_ACTIONS: dict[str, tuple[str, ...]] = {
    "secrets": ("Microsoft.KeyVault/vaults/secrets/getSecret/action",),
    "keys": ("Microsoft.KeyVault/vaults/keys/decrypt/action",),
    "storage": ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",),
    "databases": ("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read",),
    "ai-models": (
        "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action",
    ),
}
AZURE_ACTIONS: dict[str, tuple[str, ...]] = {
    "secrets": ("Microsoft.KeyVault/vaults/write",),
    "keys": ("Microsoft.KeyVault/vaults/write",),
    "storage": ("Microsoft.Storage/storageAccounts/listKeys/action",),
    "databases": ("Microsoft.DocumentDB/databaseAccounts/listKeys/action",),
    "ai-models": ("Microsoft.CognitiveServices/accounts/listKeys/action",),
}


def aws_sensitive(graph: PrivilegeGraph, identity: Identity) -> frozenset[str]:
    policy = graph.aws_policy_set(identity.id)
    return frozenset(k for k, actions in AWS_ACTIONS.items() if any(policy.may(a) for a in actions))


def aws_document_sensitive(documents: list[dict[str, Any]]) -> frozenset[str]:
    """The kinds of sensitive data ``documents`` may grant, read as ``aws_sensitive`` reads an
    identity's policies (a plan's narrowed policy, judged as it will be granted)."""
    policy = PolicySet((statements(("document", d) for d in documents),))
    return frozenset(k for k, actions in AWS_ACTIONS.items() if any(policy.may(a) for a in actions))


def gcp_sensitive(graph: PrivilegeGraph, identity: Identity) -> frozenset[str]:
    return frozenset(k for role in _standing_roles(graph, identity) for k in _gcp_kinds(role))


def azure_sensitive(graph: PrivilegeGraph, identity: Identity) -> frozenset[str]:
    return frozenset(k for role in _standing_roles(graph, identity) for k in _azure_kinds(role))


def _standing_roles(graph: PrivilegeGraph, identity: Identity) -> list[Role]:
    return [r for g in graph.standing_grants_of(identity.id) if (r := graph.role(g.role_id)) is not None]


def _gcp_kinds(role: Role) -> set[str]:
    if role.id == "roles/owner":
        return set(KINDS)
    return {k for k in KINDS if role.id in GCP_ROLES[k] or any(p in GCP_PERMISSIONS[k] for p in role.permissions)}


def _azure_kinds(role: Role) -> set[str]:
    actions, not_actions = arm_actions(role)
    permissions = (role.documents[0] if role.documents else {}).get("permissions") or []
    data = [a for p in permissions for a in p.get("dataActions") or []]
    not_data = [a for p in permissions for a in p.get("notDataActions") or []]
    return {
        k
        for k in KINDS
        if any(_any(actions, a) and not _any(not_actions, a) for a in AZURE_ACTIONS[k])
        or any(_any(data, a) and not _any(not_data, a) for a in AZURE_DATA_ACTIONS[k])
    }


def _any(patterns: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)
