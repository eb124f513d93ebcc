"""Offline import: ``az`` CLI exports -> the same raw bundle the API path builds -> same normalize.

Accepted files (each the JSON array the command prints):

- ``az ad sp list --all``: service principals (Graph JSON, as the API returns it);
- ``az ad app list --all``: applications with their secrets and certificates;
- ``az role assignment list --all --include-inherited`` (one file per subscription):
  role assignments, flattened as the API path keeps them;
- optionally ``az role definition list``: role definitions (custom roles' actions); without
  it, built-in roles are judged from their well-known ids and custom roles cannot be.

The exports carry no federated credentials, owners, Graph app-role or directory-role
grants, PIM schedules, managed identities or sign-in activity; each missing source is a
``skipped`` coverage entry, and every role assignment counts as standing because the
exports cannot tell time-bound PIM assignments apart.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import standing
from standing.collectors.azure.normalize import normalize_tenant, parse_time
from standing.collectors.azure.raw import RawTenant
from standing.scanner.errors import UserError
from standing.scanner.model import CoverageEntry, CoverageStatus, Inventory, Provider, ScanMeta

_NOT_IN_EXPORTS = {
    "graph:applications.federatedIdentityCredentials": "federated credentials are not in `az ad app list`",
    "graph:applications.owners": "application owners are not in `az ad app list`",
    "graph:servicePrincipals.appRoleAssignedTo": "Graph application permissions are not in `az ad sp list`",
    "graph:directory.roleAssignments": "Entra directory roles are not in these exports",
    "arm:roleAssignmentSchedules": "PIM schedules are not in `az role assignment list`; every assignment "
                                   "is treated as standing and eligible roles are not seen",
    "arm:userAssignedIdentities": "managed identities' federated credentials are not in these exports",
    "graph:beta.servicePrincipalSignInActivities": "sign-in activity is not in these exports",
    "graph:groups.transitiveMembers": "group members are not in these exports: roles held through groups "
                                      "are not seen",
}
_REQUIRED = {
    "az ad sp list --all": ("id", "appId"),
    "az ad app list --all": ("id", "appId"),
    "az role assignment list --all --include-inherited": ("principalId", "roleDefinitionId", "scope"),
    "az role definition list": ("name", "roleName"),
}


def _read(path: Path, command: str) -> list[dict[str, Any]]:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(source, f"cannot read ({err.strerror or err})") from err
    except UnicodeDecodeError as err:
        raise UserError(source, "is not UTF-8 text") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(source, f"is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from err
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UserError(source, f"expected the JSON array that `{command}` prints")
    for index, item in enumerate(data):
        missing = [k for k in _REQUIRED[command] if not item.get(k)]
        if missing:
            raise UserError(source, f"item {index} lacks {', '.join(missing)} (expected `{command}` output)")
    return data


def _check_dates(path: Path, objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        for field in ("passwordCredentials", "keyCredentials"):
            creds = obj.get(field) or []
            if not isinstance(creds, list):
                raise UserError(str(path), f"{field} of {obj['id']} is not a list")
            for cred in creds:
                if not isinstance(cred, dict) or not cred.get("keyId"):
                    raise UserError(str(path), f"a {field} entry of {obj['id']} has no keyId")
                for key in ("startDateTime", "endDateTime"):
                    try:
                        parse_time(cred.get(key))
                    except (TypeError, ValueError):
                        raise UserError(str(path), f"{key} {cred.get(key)!r} of key {cred['keyId']} "
                                        "is not a date") from None


def _tenant(service_principals: list[dict[str, Any]], applications: list[dict[str, Any]]) -> str | None:
    """The tenant that owns the exported apps: their service principals name it."""
    own = {a.get("appId") for a in applications}
    counts = Counter(sp.get("appOwnerOrganizationId") for sp in service_principals
                     if sp.get("appId") in own and sp.get("appOwnerOrganizationId"))
    return counts.most_common(1)[0][0] if counts else None


def import_exports(
    *,
    sp_list: Path,
    app_list: Path,
    role_assignments: list[Path],
    role_definitions: Path | None = None,
    tenant_id: str | None = None,
) -> RawTenant:
    sps = _read(sp_list, "az ad sp list --all")
    apps = _read(app_list, "az ad app list --all")
    _check_dates(sp_list, sps)
    _check_dates(app_list, apps)
    assignments: dict[str, dict[str, Any]] = {}
    for path in role_assignments:
        for item in _read(path, "az role assignment list --all --include-inherited"):
            assignments.setdefault(str(item.get("id") or len(assignments)).lower(), item)
    definitions = _read(role_definitions, "az role definition list") if role_definitions else None
    tenant = tenant_id or _tenant(sps, apps)
    if not tenant:
        raise UserError(str(sp_list), "cannot tell the tenant id from the exports; pass --tenant-id")
    coverage = [
        CoverageEntry(provider=Provider.AZURE, scope=str(path), operation=f"import:{command}",
                      status=CoverageStatus.OK)
        for path, command in [(sp_list, "az ad sp list"), (app_list, "az ad app list")]
        + [(p, "az role assignment list") for p in role_assignments]
        + ([(role_definitions, "az role definition list")] if role_definitions else [])
    ]
    missing = dict(_NOT_IN_EXPORTS)
    if definitions is None:
        missing["arm:roleDefinitions"] = "no `az role definition list` export: custom roles cannot be judged"
    coverage += [
        CoverageEntry(provider=Provider.AZURE, scope="import", operation=op, status=CoverageStatus.SKIPPED,
                      detail=detail)
        for op, detail in sorted(missing.items())
    ]
    return RawTenant(
        tenant_id=tenant,
        applications=apps,
        service_principals=sps,
        role_assignments=list(assignments.values()),
        role_definitions=definitions,
        coverage=coverage,
    )


def import_azure(
    *,
    sp_list: Path,
    app_list: Path,
    role_assignments: list[Path],
    role_definitions: Path | None = None,
    tenant_id: str | None = None,
    now: Callable[[], datetime],
    as_of: datetime | None = None,
) -> Inventory:
    """The inventory of ``az`` CLI exports (see ``importer.py`` for what they cannot show)."""
    started = now()
    raw = import_exports(sp_list=sp_list, app_list=app_list, role_assignments=role_assignments,
                         role_definitions=role_definitions, tenant_id=tenant_id)
    meta = ScanMeta(tool_version=standing.__version__, started_at=started, finished_at=now(),
                    providers=[Provider.AZURE])
    return normalize_tenant(raw, now=as_of or started, meta=meta)
