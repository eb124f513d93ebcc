"""Tenant-wide raw fetch: SDK calls only, into a JSON-able bundle with per-operation coverage.

Microsoft Graph is read through azure-core's ``PipelineClient`` (plain REST: the collector
is synchronous and needs two beta reports, which msgraph-sdk, async and v1.0-only, does not
cover); ARM through the management clients. ARM records are kept in the flattened
camelCase shape ``az`` prints (``properties`` lifted to the top level), so ``importer.py``
produces the same bundle from ``az`` exports. Each read that fails (403, 429 after
retries, a network error) becomes a ``CoverageEntry`` and the scan goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from rich.console import Console
from rich.text import Text

from standing.collectors.azure.clients import ClientFactory, GraphReader, UndeclaredRequestError
from standing.collectors.azure.guardrails import fetch_deny_assignments
from standing.collectors.azure.operations import AzureOperation, operation
from standing.collectors.azure.raw import GRAPH_APP_ID, TENANT_SCOPE, RawTenant, flatten
from standing.collectors.azure.recommendations import fetch_credential_recommendations
from standing.collectors.azure.workloads import WORKLOAD_QUERY
from standing.core.model import CoverageEntry, CoverageStatus, Provider
from standing.core.safe_text import printable

T = TypeVar("T")


_APP_SELECT = "id,appId,displayName,createdDateTime,signInAudience,passwordCredentials,keyCredentials"
_SP_SELECT = (
    "id,appId,displayName,servicePrincipalType,accountEnabled,appOwnerOrganizationId,"
    "passwordCredentials,keyCredentials,appRoles,alternativeNames,tags"
)


def _wire(model: Any) -> dict[str, Any]:
    """An SDK model back in the JSON shape ARM sent."""
    if hasattr(model, "serialize"):  # msrest-style models
        return cast(dict[str, Any], model.serialize(keep_readonly=True))
    return cast(dict[str, Any], model.as_dict())  # typespec-style models keep REST names


class CoverageLog:
    """Runs reads and records how each went; safe to share between worker threads."""

    def __init__(self) -> None:
        self.entries: list[CoverageEntry] = []
        self._lock = threading.Lock()

    def record(self, op: AzureOperation, scope: str, status: CoverageStatus, detail: str | None = None) -> None:
        with self._lock:
            self.entries.append(
                CoverageEntry(provider=Provider.AZURE, scope=scope, operation=op.name, status=status, detail=detail)
            )

    def attempt(
        self,
        op: AzureOperation,
        scope: str,
        call: Callable[[], T],
        *,
        record_ok: bool = True,
        unavailable: str | None = None,
    ) -> T | None:
        """``call()``'s result, or ``None`` after recording why it failed.

        ``unavailable``: a 403 here is an expected limitation (e.g. no Entra ID P1 licence
        for sign-in reports), recorded as skipped with this note instead of as denied.
        """
        try:
            result = call()
        except HttpResponseError as err:
            status_code = getattr(err, "status_code", None)
            detail = _error_detail(err)
            if status_code in (401, 403):
                if unavailable:
                    self.record(op, scope, CoverageStatus.SKIPPED, f"{unavailable} ({detail})")
                else:
                    self.record(op, scope, CoverageStatus.DENIED, detail)
            elif status_code == 429:
                self.record(op, scope, CoverageStatus.THROTTLED, detail)
            else:
                self.record(op, scope, CoverageStatus.FAILED, detail)
            return None
        except (ServiceRequestError, ServiceResponseError) as err:
            self.record(op, scope, CoverageStatus.FAILED, f"{type(err).__name__}: {err}")
            return None
        except UndeclaredRequestError as err:
            # e.g. a paging link that leads outside the declared reads: refused, never sent
            self.record(op, scope, CoverageStatus.FAILED, f"refused: {err}")
            return None
        if record_ok:
            self.record(op, scope, CoverageStatus.OK)
        return result


def _error_detail(err: HttpResponseError) -> str:
    code = getattr(getattr(err, "error", None), "code", None)
    status = getattr(err, "status_code", None)
    message = (getattr(getattr(err, "error", None), "message", None) or str(err.message or "")).strip()
    head = " ".join(str(p) for p in (status, code) if p)
    return f"{head}: {message.splitlines()[0]}" if message else head or "error"


def fetch_tenant(
    factory: ClientFactory,
    *,
    tenant_id: str,
    progress: Console | None = None,
) -> RawTenant:
    """Read Graph and ARM for one tenant; ``tenant_id`` comes from the caller's first call."""
    log = CoverageLog()
    say = (lambda msg: progress.print(Text(printable(f"azure: {msg}")))) if progress else (lambda msg: None)
    workers = factory.options.max_workers
    graph = factory.graph()
    try:
        graph_part = _fetch_graph(graph, log, workers, factory.options.sign_in_activity, say)
        arm_part = _fetch_arm(factory, log, workers, say)
        groups = _granted_groups(arm_part)
        members = _per_object(
            log,
            workers,
            operation("graph:groups.transitiveMembers"),
            [{"id": g} for g in groups],
            lambda group: graph.list(f"/v1.0/groups/{group['id']}/transitiveMembers", {"$select": "id,displayName"}),
        )
    finally:
        graph.close()
    return RawTenant(
        tenant_id=tenant_id,
        coverage=sorted(log.entries, key=_coverage_order),
        group_members=members,
        **graph_part,
        **arm_part,
    )


def _granted_groups(arm_part: dict[str, Any]) -> list[str]:
    """Groups that hold an ARM role: their members hold it too."""
    records = [
        r
        for key in ("role_assignments", "eligibility_schedules", "assignment_schedules")
        for r in arm_part.get(key) or []
    ]
    return sorted(
        {str(r["principalId"]).lower() for r in records if r.get("principalType") == "Group" and r.get("principalId")}
    )


def _coverage_order(entry: CoverageEntry) -> tuple[str, str, str]:
    return (entry.operation, entry.scope, entry.status.value)


def first_call(graph: GraphReader) -> list[dict[str, Any]]:
    """``/organization``: the tenant id. Errors propagate: without it nothing can be named."""
    return graph.list("/v1.0/organization", {"$select": "id,displayName"})


def _fetch_graph(
    graph: GraphReader, log: CoverageLog, workers: int, sign_ins: bool, say: Callable[[str], None]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    apps = log.attempt(
        operation("graph:applications"),
        TENANT_SCOPE,
        lambda: graph.list("/v1.0/applications", {"$select": _APP_SELECT, "$top": "999"}),
    )
    sps = log.attempt(
        operation("graph:servicePrincipals"),
        TENANT_SCOPE,
        lambda: graph.list("/v1.0/servicePrincipals", {"$select": _SP_SELECT, "$top": "999"}),
    )
    say(f"{len(apps or [])} applications, {len(sps or [])} service principals")
    out["applications"], out["service_principals"] = apps, sps
    if apps is not None:
        # Only an object id addresses an application's sub-resources; Microsoft's own
        # shortened examples show records without one.
        apps = [app for app in apps if app.get("id")]
        out["app_federated_credentials"] = _per_object(
            log,
            workers,
            operation("graph:applications.federatedIdentityCredentials"),
            apps,
            lambda app: graph.list(f"/v1.0/applications/{app['id']}/federatedIdentityCredentials"),
        )
        out["app_owners"] = _per_object(
            log,
            workers,
            operation("graph:applications.owners"),
            apps,
            lambda app: graph.list(
                f"/v1.0/applications/{app['id']}/owners", {"$select": "id,displayName,userPrincipalName"}
            ),
        )
    else:
        for name in ("graph:applications.federatedIdentityCredentials", "graph:applications.owners"):
            log.record(operation(name), TENANT_SCOPE, CoverageStatus.SKIPPED, "applications were not read")
    graph_sp = next((sp for sp in sps or [] if sp.get("appId") == GRAPH_APP_ID), None)
    if graph_sp is None:
        log.record(
            operation("graph:servicePrincipals.appRoleAssignedTo"),
            TENANT_SCOPE,
            CoverageStatus.SKIPPED,
            "the Microsoft Graph service principal was not found, so its app-role grants were not read",
        )
    else:
        out["graph_app_role_assignments"] = log.attempt(
            operation("graph:servicePrincipals.appRoleAssignedTo"),
            TENANT_SCOPE,
            lambda: graph.list(f"/v1.0/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", {"$top": "999"}),
        )
    out["directory_role_definitions"] = log.attempt(
        operation("graph:directory.roleDefinitions"),
        TENANT_SCOPE,
        lambda: graph.list(
            "/v1.0/roleManagement/directory/roleDefinitions", {"$select": "id,displayName,templateId,isBuiltIn"}
        ),
    )
    out["directory_role_assignments"] = log.attempt(
        operation("graph:directory.roleAssignments"),
        TENANT_SCOPE,
        lambda: graph.list("/v1.0/roleManagement/directory/roleAssignments"),
    )
    pim = "Entra PIM unavailable (needs Entra ID P2); every active directory role counts as standing"
    out["directory_assignment_instances"] = log.attempt(
        operation("graph:directory.roleAssignmentScheduleInstances"),
        TENANT_SCOPE,
        lambda: graph.list("/v1.0/roleManagement/directory/roleAssignmentScheduleInstances"),
        unavailable=pim,
    )
    out["directory_eligibility_schedules"] = log.attempt(
        operation("graph:directory.roleEligibilitySchedules"),
        TENANT_SCOPE,
        lambda: graph.list("/v1.0/roleManagement/directory/roleEligibilitySchedules"),
        unavailable=pim,
    )
    if sign_ins:
        note = "sign-in activity unavailable (beta reports need Entra ID P1/P2 and AuditLog.Read.All); last use unknown"
        out["sp_sign_ins"] = log.attempt(
            operation("graph:beta.servicePrincipalSignInActivities"),
            TENANT_SCOPE,
            lambda: graph.list("/beta/reports/servicePrincipalSignInActivities"),
            unavailable=note,
        )
        out["credential_sign_ins"] = log.attempt(
            operation("graph:beta.appCredentialSignInActivities"),
            TENANT_SCOPE,
            lambda: graph.list("/beta/reports/appCredentialSignInActivities"),
            unavailable=note,
        )
    out["directory_recommendations"], out["recommendation_resources"] = fetch_credential_recommendations(graph, log)
    return out


def _per_object(
    log: CoverageLog,
    workers: int,
    op: AzureOperation,
    objects: list[dict[str, Any]],
    call: Callable[[dict[str, Any]], list[dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """One read per object, concurrently; an object whose read failed is absent from the result."""
    found: dict[str, list[dict[str, Any]]] = {}
    failed = CoverageLog()

    def one(obj: dict[str, Any]) -> None:
        result = failed.attempt(op, f"{TENANT_SCOPE}/{obj['id']}", lambda: call(obj), record_ok=False)
        if result is not None:
            found[obj["id"]] = result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, objects))
    # One entry per operation when all went well; each failure keeps its own entry.
    for entry in failed.entries:
        log.record(op, entry.scope, entry.status, entry.detail)
    if not failed.entries and objects:
        log.record(op, TENANT_SCOPE, CoverageStatus.OK, f"{len(objects)} objects")
    return found


def _fetch_arm(factory: ClientFactory, log: CoverageLog, workers: int, say: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    subs_client = factory.subscriptions()
    with subs_client:
        subs = log.attempt(
            operation("arm:subscriptions"), "/", lambda: [_wire(s) for s in subs_client.subscriptions.list()]
        )
    wanted = {s.lower() for s in factory.options.subscriptions}
    if subs is not None and wanted:
        subs = [s for s in subs if s["subscriptionId"].lower() in wanted]
    out["subscriptions"] = subs
    mg_client = factory.management_groups()
    with mg_client:
        listed = log.attempt(
            operation("arm:managementGroups"), "/", lambda: [_wire(g) for g in mg_client.management_groups.list()]
        )
        groups: list[dict[str, Any]] | None = None
        if listed is not None:
            groups = []
            for group in listed:
                got = log.attempt(
                    operation("arm:managementGroups.get"),
                    group["id"],
                    lambda: _wire(mg_client.management_groups.get(group["name"], expand="children")),
                )
                groups.append(flatten(got) if got is not None else flatten(group))
    out["management_groups"] = groups
    say(f"{len(subs or [])} subscriptions, {len(groups or [])} management groups")

    scopes = [g["id"] for g in groups or []] + [s["id"] for s in subs or []]
    any_sub = (subs or [{"subscriptionId": "00000000-0000-0000-0000-000000000000"}])[0]["subscriptionId"]
    results: list[dict[str, Any]] = []

    def scan_scope(scope: str) -> dict[str, Any]:
        part = _fetch_scope(factory, log, scope, any_sub)
        say(f"{scope}: {len(part['role_assignments'] or [])} role assignments")
        return part

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(scan_scope, scopes))
    for key in (
        "role_assignments",
        "role_definitions",
        "eligibility_schedules",
        "assignment_schedules",
        "user_assigned_identities",
        "deny_assignments",
    ):
        out[key] = _dedupe(r[key] for r in results)
    out["identity_federated_credentials"] = {
        k: v for r in results for k, v in (r["identity_federated_credentials"] or {}).items()
    }
    if subs:
        out["workloads"] = log.attempt(
            operation("arm:resourceGraph.resources"),
            "/",
            lambda: _workloads(factory, [s["subscriptionId"] for s in subs]),
        )
        say(f"{len(out['workloads'] or [])} workloads")
    return out


def _workloads(factory: ClientFactory, subscriptions: list[str]) -> list[dict[str, Any]]:
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    found: list[dict[str, Any]] = []
    token: str | None = None
    with factory.resource_graph() as client:
        while True:
            options = QueryRequestOptions(skip_token=token, result_format="objectArray")
            page = client.resources(QueryRequest(subscriptions=subscriptions, query=WORKLOAD_QUERY, options=options))
            found.extend(page.data or [])
            token = page.skip_token
            if not token:
                return found


def _dedupe(parts: Iterable[list[dict[str, Any]] | None]) -> list[dict[str, Any]]:
    """Inherited records appear under every scope below theirs; keep one per id."""
    seen: dict[str, dict[str, Any]] = {}
    for part in parts:
        for item in part or []:
            seen.setdefault(str(item.get("id", "")).lower(), item)
    return list(seen.values())


def _fetch_scope(factory: ClientFactory, log: CoverageLog, scope: str, any_sub: str) -> dict[str, Any]:
    subscription = scope.split("/")[2] if scope.lower().startswith("/subscriptions/") else None
    auth = factory.authorization(subscription or any_sub)
    part: dict[str, Any] = {
        "user_assigned_identities": None,
        "identity_federated_credentials": None,
        "deny_assignments": None,
    }
    with auth:
        part["role_assignments"] = log.attempt(
            operation("arm:roleAssignments"),
            scope,
            lambda: [flatten(_wire(a)) for a in auth.role_assignments.list_for_scope(scope)],
        )
        part["role_definitions"] = log.attempt(
            operation("arm:roleDefinitions"),
            scope,
            lambda: [flatten(_wire(d), rename={"type": "roleType"}) for d in auth.role_definitions.list(scope)],
        )
        part["eligibility_schedules"] = log.attempt(
            operation("arm:roleEligibilitySchedules"),
            scope,
            lambda: [flatten(_wire(s)) for s in auth.role_eligibility_schedules.list_for_scope(scope)],
        )
        part["assignment_schedules"] = log.attempt(
            operation("arm:roleAssignmentSchedules"),
            scope,
            lambda: [flatten(_wire(s)) for s in auth.role_assignment_schedules.list_for_scope(scope)],
        )
        if subscription is not None:
            part["deny_assignments"] = fetch_deny_assignments(auth, log, scope, _wire)
    if subscription is None:
        return part
    msi = factory.msi(subscription)
    with msi:
        identities = log.attempt(
            operation("arm:userAssignedIdentities"),
            scope,
            lambda: [flatten(_wire(i)) for i in msi.user_assigned_identities.list_by_subscription()],
        )
        part["user_assigned_identities"] = identities
        creds: dict[str, list[dict[str, Any]]] = {}
        for ident in identities or []:
            rg = ident["id"].split("/")[4]
            got = log.attempt(
                operation("arm:userAssignedIdentities.federatedIdentityCredentials"),
                ident["id"],
                lambda: [flatten(_wire(c)) for c in msi.federated_identity_credentials.list(rg, ident["name"])],
                record_ok=False,
            )
            if got is not None:
                creds[ident["id"]] = got
        part["identity_federated_credentials"] = creds
    return part
