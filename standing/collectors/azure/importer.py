"""Offline import: ``az`` CLI exports -> the same raw bundle the API path builds -> same normalize.

Accepted files (each the JSON array the command prints):

- ``az ad sp list --all``: service principals (Graph JSON, as the API returns it);
- ``az ad app list --all``: applications with their secrets and certificates;
- ``az role assignment list --all --include-inherited`` (one file per subscription):
  role assignments, flattened as the API path keeps them;
- optionally ``az role definition list``: role definitions (custom roles' actions); without
  it, built-in roles are judged from their well-known ids and custom roles cannot be.

Optional files for what those three cannot show, each in the wire shape the API path reads
(``--help`` and docs/azure.md give the command that writes each):

- app owners and federated credentials: one JSON object keyed by application object id,
  each value what ``az ad app owner list --id <id>`` / ``az ad app federated-credential
  list --id <id>`` prints;
- Graph application permissions: ``az rest`` of the Microsoft Graph service principal's
  ``appRoleAssignedTo`` (``{"value": [...]}``);
- members of role-holding groups: one object keyed by group object id, each value ``az
  rest`` of ``/v1.0/groups/<id>/transitiveMembers``;
- ARM PIM schedules: ``az rest`` of ``roleAssignmentSchedules`` / ``roleEligibilitySchedules``
  at a scope (repeatable), flattened as the API path flattens them.

- Entra directory roles: ``az rest`` of ``roleManagement/directory/roleAssignments``
  (``$expand=principal`` names the users among the holders), of ``roleDefinitions``, and of
  the PIM ``roleAssignmentScheduleInstances`` / ``roleEligibilitySchedules``;
- user-assigned managed identities: ``az identity list``, and their federated credentials as
  one object keyed by identity resource id, each value what ``az identity federated-credential
  list`` prints;
- sign-in activity: ``az rest`` of the beta reports ``servicePrincipalSignInActivities`` and
  ``appCredentialSignInActivities``.

Each source not given is a ``skipped`` coverage entry naming the command that writes it, so an
import is complete (exit 0) only when every file the API path reads was given; without
assignment schedules every role assignment counts as standing, because ``az role assignment
list`` cannot tell a time-bound PIM assignment apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import standing
from standing.collectors.azure import shapes
from standing.collectors.azure.normalize import normalize_tenant
from standing.collectors.azure.raw import RawTenant, flatten
from standing.collectors.azure.recommendations import is_open, is_unused_credentials
from standing.collectors.azure.workloads import WORKLOAD_QUERY
from standing.core.errors import UserError
from standing.core.model import CoverageEntry, CoverageStatus, Inventory, Provider, ScanMeta
from standing.core.textfiles import read_json

_NOT_IN_EXPORTS = {
    "graph:applications.federatedIdentityCredentials": "federated credentials are not in `az ad app list`",
    "graph:applications.owners": "application owners are not in `az ad app list`",
    "graph:servicePrincipals.appRoleAssignedTo": "Graph application permissions are not in `az ad sp list`",
    "graph:directory.roleAssignments": "Entra directory roles were not imported",
    "graph:directory.roleDefinitions": "Entra directory role definitions were not imported: roles are named by id",
    "graph:directory.roleAssignmentScheduleInstances": "Entra PIM assignments were not imported: every active "
    "directory role counts as standing",
    "graph:directory.roleEligibilitySchedules": "Entra PIM eligibility was not imported: eligible roles are not seen",
    "arm:roleAssignmentSchedules": "PIM schedules are not in `az role assignment list`; every assignment "
    "is treated as standing",
    "arm:roleEligibilitySchedules": "PIM eligibility schedules are not in these exports: eligible roles are not seen",
    "arm:userAssignedIdentities": "user-assigned managed identities were not imported",
    "arm:userAssignedIdentities.federatedIdentityCredentials": "managed identities' federated credentials were "
    "not imported",
    "graph:beta.servicePrincipalSignInActivities": "sign-in activity was not imported: last use is unknown",
    "graph:beta.appCredentialSignInActivities": "credential sign-in activity was not imported: last use of "
    "secrets is unknown",
    "graph:beta.directoryRecommendations": "Entra recommendations were not imported: credentials Entra "
    "itself reports unused are not marked",
    "arm:resourceGraph.resources": "compute was not imported: no workload runs as any identity, "
    "so no hop through existing compute is seen",
    "graph:groups.transitiveMembers": "group members are not in these exports: roles held through groups are not seen",
}
_REQUIRED = {
    "az ad sp list --all": ("id", "appId"),
    "az ad app list --all": ("id", "appId"),
    "az role assignment list --all --include-inherited": ("principalId", "roleDefinitionId", "scope"),
    "az role definition list": ("name", "roleName"),
}

# The optional exports, each named by the command that writes it (shown in errors); then the
# coverage operation each stands in for, and the fields each item needs.
APP_OWNERS = "az ad app owner list --id <app object id>"
FEDERATED = "az ad app federated-credential list --id <app object id>"
APP_ROLES = "az rest --url https://graph.microsoft.com/v1.0/servicePrincipals/<Graph SP id>/appRoleAssignedTo"
GROUP_MEMBERS = "az rest --url https://graph.microsoft.com/v1.0/groups/<group id>/transitiveMembers"
ASSIGNMENT_SCHEDULES = (
    "az rest --url https://management.azure.com/<scope>/providers/"
    "Microsoft.Authorization/roleAssignmentSchedules?api-version=2020-10-01"
)
ELIGIBILITY_SCHEDULES = (
    "az rest --url https://management.azure.com/<scope>/providers/"
    "Microsoft.Authorization/roleEligibilitySchedules?api-version=2020-10-01"
)
_GRAPH = "https://graph.microsoft.com"
DIRECTORY_ROLES = f'az rest --url "{_GRAPH}/v1.0/roleManagement/directory/roleAssignments?$expand=principal"'
DIRECTORY_DEFINITIONS = f"az rest --url {_GRAPH}/v1.0/roleManagement/directory/roleDefinitions"
DIRECTORY_INSTANCES = f"az rest --url {_GRAPH}/v1.0/roleManagement/directory/roleAssignmentScheduleInstances"
DIRECTORY_ELIGIBILITY = f"az rest --url {_GRAPH}/v1.0/roleManagement/directory/roleEligibilitySchedules"
MANAGED_IDENTITIES = "az identity list"
IDENTITY_FEDERATED = "az identity federated-credential list --identity-name <name> --resource-group <group>"
SP_SIGN_INS = f"az rest --url {_GRAPH}/beta/reports/servicePrincipalSignInActivities"
CREDENTIAL_SIGN_INS = f"az rest --url {_GRAPH}/beta/reports/appCredentialSignInActivities"
RECOMMENDATIONS = f'az rest --url "{_GRAPH}/beta/directory/recommendations?$expand=impactedResources"'
WORKLOADS = f'az graph query --first 1000 -q "{WORKLOAD_QUERY}"'
_SOURCE = {
    WORKLOADS: "arm:resourceGraph.resources",
    DIRECTORY_ROLES: "graph:directory.roleAssignments",
    DIRECTORY_DEFINITIONS: "graph:directory.roleDefinitions",
    DIRECTORY_INSTANCES: "graph:directory.roleAssignmentScheduleInstances",
    DIRECTORY_ELIGIBILITY: "graph:directory.roleEligibilitySchedules",
    MANAGED_IDENTITIES: "arm:userAssignedIdentities",
    IDENTITY_FEDERATED: "arm:userAssignedIdentities.federatedIdentityCredentials",
    SP_SIGN_INS: "graph:beta.servicePrincipalSignInActivities",
    CREDENTIAL_SIGN_INS: "graph:beta.appCredentialSignInActivities",
    RECOMMENDATIONS: "graph:beta.directoryRecommendations",
    APP_OWNERS: "graph:applications.owners",
    FEDERATED: "graph:applications.federatedIdentityCredentials",
    APP_ROLES: "graph:servicePrincipals.appRoleAssignedTo",
    GROUP_MEMBERS: "graph:groups.transitiveMembers",
    ASSIGNMENT_SCHEDULES: "arm:roleAssignmentSchedules",
    ELIGIBILITY_SCHEDULES: "arm:roleEligibilitySchedules",
}
# The exports read whole into the bundle field of the same read on the API path.
_LISTS = frozenset(
    {
        DIRECTORY_ROLES,
        DIRECTORY_DEFINITIONS,
        DIRECTORY_INSTANCES,
        DIRECTORY_ELIGIBILITY,
        MANAGED_IDENTITIES,
        SP_SIGN_INS,
        CREDENTIAL_SIGN_INS,
        RECOMMENDATIONS,
    }
)
# The command that writes each source, named in the gap when it was not given.
_COMMAND = {op: command for command, op in _SOURCE.items()}
_SHAPES: dict[str, type[shapes.Shape]] = {
    "az ad sp list --all": shapes.ServicePrincipal,
    "az ad app list --all": shapes.Application,
    "az role assignment list --all --include-inherited": shapes.RoleAssignment,
    "az role definition list": shapes.RoleDefinition,
    DIRECTORY_ROLES: shapes.DirectoryRoleRecord,
    DIRECTORY_DEFINITIONS: shapes.DirectoryRoleDefinition,
    DIRECTORY_INSTANCES: shapes.DirectoryRoleRecord,
    DIRECTORY_ELIGIBILITY: shapes.DirectoryRoleRecord,
    MANAGED_IDENTITIES: shapes.ManagedIdentity,
    IDENTITY_FEDERATED: shapes.FederatedCredential,
    SP_SIGN_INS: shapes.ServicePrincipalSignIns,
    CREDENTIAL_SIGN_INS: shapes.CredentialSignIns,
    RECOMMENDATIONS: shapes.Recommendation,
    WORKLOADS: shapes.ComputeResource,
    APP_OWNERS: shapes.DirectoryObject,
    FEDERATED: shapes.FederatedCredential,
    APP_ROLES: shapes.AppRoleAssignment,
    GROUP_MEMBERS: shapes.DirectoryObject,
    ASSIGNMENT_SCHEDULES: shapes.RoleAssignment,
    ELIGIBILITY_SCHEDULES: shapes.RoleAssignment,
}
_FIELDS = {
    DIRECTORY_ROLES: ("principalId", "roleDefinitionId"),
    DIRECTORY_DEFINITIONS: ("id",),
    DIRECTORY_INSTANCES: ("principalId", "roleDefinitionId"),
    DIRECTORY_ELIGIBILITY: ("principalId", "roleDefinitionId"),
    MANAGED_IDENTITIES: ("id", "principalId"),
    IDENTITY_FEDERATED: ("id", "issuer"),
    SP_SIGN_INS: ("appId",),
    CREDENTIAL_SIGN_INS: ("keyId",),
    RECOMMENDATIONS: ("id",),
    WORKLOADS: ("id", "type"),
    APP_OWNERS: ("id",),
    FEDERATED: ("id", "issuer"),
    APP_ROLES: ("principalId", "resourceId", "appRoleId"),
    GROUP_MEMBERS: ("id",),
    ASSIGNMENT_SCHEDULES: ("id", "principalId", "roleDefinitionId", "scope"),
    ELIGIBILITY_SCHEDULES: ("id", "principalId", "roleDefinitionId", "scope"),
}


def _load(path: Path) -> Any:
    """The file's JSON, bounded in size and nesting (``core.textfiles``)."""
    return read_json(path, hint="is it what the `az` command printed?")


def _read(path: Path, command: str) -> list[dict[str, Any]]:
    source = str(path)
    data = _load(path)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UserError(source, f"expected the JSON array that `{command}` prints")
    for index, item in enumerate(data):
        missing = [k for k in _REQUIRED[command] if not item.get(k)]
        if missing:
            raise UserError(source, f"item {index} lacks {', '.join(missing)} (expected `{command}` output)")
    shapes.check_items(source, data, _SHAPES[command])
    return data


def _items(source: str, data: Any, command: str, where: str = "") -> list[dict[str, Any]]:
    """A list as ``az`` prints it, or one page as ``az rest`` prints it (``{"value": [...]}``)."""
    if isinstance(data, dict) and "value" in data:
        if data.get("@odata.nextLink") or data.get("nextLink"):
            raise UserError(
                source,
                f"{where}holds one page of several (a nextLink is present): "
                "export every page (Graph: add $top=999) and merge them",
            )
        data = data["value"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UserError(source, f"{where}expected the JSON that `{command}` prints")
    fields = _FIELDS[command]
    schedules = command in (ASSIGNMENT_SCHEDULES, ELIGIBILITY_SCHEDULES)
    for index, item in enumerate(data if schedules else []):
        if not isinstance(item.get("properties") or {}, dict):
            raise UserError(source, f"{where}item {index} at properties: expected an object")
    items = [flatten(item) for item in data] if schedules else data
    for index, item in enumerate(items):
        missing = [k for k in fields if not item.get(k)]
        if missing:
            raise UserError(source, f"{where}item {index} lacks {', '.join(missing)} (expected `{command}` output)")
    shapes.check_items(source, items, _SHAPES[command], where)
    return items


def _read_list(path: Path, command: str) -> list[dict[str, Any]]:
    return _items(str(path), _load(path), command)


def _read_keyed(path: Path, command: str) -> dict[str, list[dict[str, Any]]]:
    """``{"<object id>": <what the command prints for that object>, ...}``."""
    data = _load(path)
    if not isinstance(data, dict) or "value" in data:
        raise UserError(str(path), f"expected a JSON object keyed by object id, each value what `{command}` prints")
    return {str(key): _items(str(path), value, command, where=f"{key}: ") for key, value in data.items()}


def _read_workloads(path: Path) -> list[dict[str, Any]]:
    """What ``az graph query`` prints (``{"data": [...], "skip_token": ...}``), or its records merged
    into one array when there were several pages."""
    data = _load(path)
    if isinstance(data, dict) and "data" in data:
        if data.get("skip_token"):
            raise UserError(
                str(path),
                "holds one page of several (skip_token is set): export every page "
                "(az graph query --skip-token <token>) and merge their data arrays into one JSON array",
            )
        data = data["data"]
    return _items(str(path), data, WORKLOADS)


def _tenant(service_principals: list[dict[str, Any]], applications: list[dict[str, Any]]) -> str | None:
    """The tenant that owns the exported apps: their service principals name it."""
    own = {a.get("appId") for a in applications}
    counts = Counter(
        sp.get("appOwnerOrganizationId")
        for sp in service_principals
        if sp.get("appId") in own and sp.get("appOwnerOrganizationId")
    )
    return counts.most_common(1)[0][0] if counts else None


@dataclass(frozen=True)
class Extras:
    """The optional exports (see the module docstring); ``None`` / empty: not given."""

    app_owners: Path | None = None
    federated_credentials: Path | None = None
    app_role_assignments: Path | None = None
    group_members: Path | None = None
    assignment_schedules: tuple[Path, ...] = ()
    eligibility_schedules: tuple[Path, ...] = ()
    directory_role_assignments: Path | None = None
    directory_role_definitions: Path | None = None
    directory_role_instances: Path | None = None
    directory_role_eligibility: Path | None = None
    managed_identities: Path | None = None
    identity_federated_credentials: Path | None = None
    sign_in_activity: Path | None = None
    credential_sign_in_activity: Path | None = None
    workloads: Path | None = None
    recommendations: Path | None = None

    def files(self) -> list[tuple[Path, str]]:
        single = [
            (self.app_owners, APP_OWNERS),
            (self.federated_credentials, FEDERATED),
            (self.app_role_assignments, APP_ROLES),
            (self.group_members, GROUP_MEMBERS),
            (self.directory_role_assignments, DIRECTORY_ROLES),
            (self.directory_role_definitions, DIRECTORY_DEFINITIONS),
            (self.directory_role_instances, DIRECTORY_INSTANCES),
            (self.directory_role_eligibility, DIRECTORY_ELIGIBILITY),
            (self.managed_identities, MANAGED_IDENTITIES),
            (self.identity_federated_credentials, IDENTITY_FEDERATED),
            (self.sign_in_activity, SP_SIGN_INS),
            (self.credential_sign_in_activity, CREDENTIAL_SIGN_INS),
            (self.workloads, WORKLOADS),
            (self.recommendations, RECOMMENDATIONS),
        ]
        return (
            [(p, c) for p, c in single if p is not None]
            + [(p, ASSIGNMENT_SCHEDULES) for p in self.assignment_schedules]
            + [(p, ELIGIBILITY_SCHEDULES) for p in self.eligibility_schedules]
        )


def _by_app(keyed: dict[str, list[dict[str, Any]]], apps: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Keys matched to the exported applications' object ids (ids compare case-insensitively)."""
    ids = {str(a["id"]).lower(): a["id"] for a in apps}
    return {ids.get(key.lower(), key): value for key, value in keyed.items()}


def _by_id(keyed: dict[str, list[dict[str, Any]]], objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Keys matched to the exported objects' ARM ids (ARM compares ids case-insensitively)."""
    ids = {str(o["id"]).lower(): o["id"] for o in objects}
    return {ids.get(key.lower(), key): value for key, value in keyed.items()}


def _schedules(paths: tuple[Path, ...], command: str) -> list[dict[str, Any]] | None:
    if not paths:
        return None
    seen: dict[str, dict[str, Any]] = {}
    for path in paths:  # inherited schedules appear under every scope below theirs
        for item in _read_list(path, command):
            seen.setdefault(str(item["id"]).lower(), item)
    return list(seen.values())


def import_exports(
    *,
    sp_list: Path,
    app_list: Path,
    role_assignments: list[Path],
    role_definitions: Path | None = None,
    tenant_id: str | None = None,
    extras: Extras = Extras(),
) -> RawTenant:
    sps = _read(sp_list, "az ad sp list --all")
    apps = _read(app_list, "az ad app list --all")
    assignments: dict[str, dict[str, Any]] = {}
    for path in role_assignments:
        for item in _read(path, "az role assignment list --all --include-inherited"):
            assignments.setdefault(str(item.get("id") or len(assignments)).lower(), item)
    definitions = _read(role_definitions, "az role definition list") if role_definitions else None
    owners = _by_app(_read_keyed(extras.app_owners, APP_OWNERS), apps) if extras.app_owners else None
    federated = (
        _by_app(_read_keyed(extras.federated_credentials, FEDERATED), apps) if extras.federated_credentials else None
    )
    app_roles = _read_list(extras.app_role_assignments, APP_ROLES) if extras.app_role_assignments else None
    members = _read_keyed(extras.group_members, GROUP_MEMBERS) if extras.group_members else None
    lists = {command: _read_list(path, command) for path, command in extras.files() if command in _LISTS}
    identities = lists.get(MANAGED_IDENTITIES)
    workloads = _read_workloads(extras.workloads) if extras.workloads else None
    identity_federated = (
        _by_id(_read_keyed(extras.identity_federated_credentials, IDENTITY_FEDERATED), identities or [])
        if extras.identity_federated_credentials
        else None
    )
    tenant = tenant_id or _tenant(sps, apps)
    if not tenant:
        raise UserError(str(sp_list), "cannot tell the tenant id from the exports; pass --tenant-id")
    given = (
        [(sp_list, "az ad sp list"), (app_list, "az ad app list")]
        + [(p, "az role assignment list") for p in role_assignments]
        + ([(role_definitions, "az role definition list")] if role_definitions else [])
        + extras.files()
    )
    coverage = [
        CoverageEntry(provider=Provider.AZURE, scope=str(path), operation=f"import:{command}", status=CoverageStatus.OK)
        for path, command in given
    ]
    missing = dict(_NOT_IN_EXPORTS)
    for _, command in extras.files():
        missing.pop(_SOURCE[command], None)
    if identities is not None and not identities:  # no managed identity: no credentials of theirs to read
        missing.pop(_SOURCE[IDENTITY_FEDERATED], None)
    if definitions is None:
        missing["arm:roleDefinitions"] = "no `az role definition list` export: custom roles cannot be judged"
    coverage += [
        CoverageEntry(
            provider=Provider.AZURE,
            scope="import",
            operation=op,
            status=CoverageStatus.SKIPPED,
            detail=f"{detail}; export it with `{_COMMAND[op]}`" if op in _COMMAND else detail,
        )
        for op, detail in sorted(missing.items())
    ]
    return RawTenant(
        tenant_id=tenant,
        applications=apps,
        service_principals=sps,
        app_owners=owners,
        app_federated_credentials=federated,
        graph_app_role_assignments=app_roles,
        group_members=members,
        role_assignments=list(assignments.values()),
        role_definitions=definitions,
        assignment_schedules=_schedules(extras.assignment_schedules, ASSIGNMENT_SCHEDULES),
        eligibility_schedules=_schedules(extras.eligibility_schedules, ELIGIBILITY_SCHEDULES),
        directory_role_assignments=lists.get(DIRECTORY_ROLES),
        directory_role_definitions=lists.get(DIRECTORY_DEFINITIONS),
        directory_assignment_instances=lists.get(DIRECTORY_INSTANCES),
        directory_eligibility_schedules=lists.get(DIRECTORY_ELIGIBILITY),
        user_assigned_identities=identities,
        identity_federated_credentials=identity_federated,
        sp_sign_ins=lists.get(SP_SIGN_INS),
        credential_sign_ins=lists.get(CREDENTIAL_SIGN_INS),
        **_recommendations(lists.get(RECOMMENDATIONS)),
        workloads=workloads,
        coverage=coverage,
    )


def _recommendations(expanded: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Recommendations listed with ``$expand=impactedResources``, split as the API path reads them:
    the list, and the impacted resources of each open ``staleAppCreds`` one."""
    if expanded is None:
        return {}
    return {
        "directory_recommendations": [{k: v for k, v in r.items() if k != "impactedResources"} for r in expanded],
        "recommendation_resources": {
            str(r["id"]): list(r.get("impactedResources") or [])
            for r in expanded
            if is_unused_credentials(r) and is_open(r)
        },
    }


def import_azure(
    *,
    sp_list: Path,
    app_list: Path,
    role_assignments: list[Path],
    role_definitions: Path | None = None,
    tenant_id: str | None = None,
    extras: Extras = Extras(),
    now: Callable[[], datetime],
    as_of: datetime | None = None,
) -> Inventory:
    """The inventory of ``az`` CLI exports (see ``importer.py`` for what each file adds)."""
    started = now()
    raw = import_exports(
        sp_list=sp_list,
        app_list=app_list,
        role_assignments=role_assignments,
        role_definitions=role_definitions,
        tenant_id=tenant_id,
        extras=extras,
    )
    meta = ScanMeta(
        tool_version=standing.__version__, started_at=started, finished_at=now(), providers=[Provider.AZURE]
    )
    inventory = normalize_tenant(raw, now=as_of or started, meta=meta)
    if any(i.human is not True for i in inventory.identities):
        return inventory
    return inventory.model_copy(update={"coverage": [*inventory.coverage, NO_IDENTITY]})


NO_IDENTITY = CoverageEntry(
    provider=Provider.AZURE,
    scope="import",
    operation="import:identities",
    status=CoverageStatus.SKIPPED,
    detail="the exports name no application, service principal or managed identity: nothing was judged",
)
