"""GCP raw fetch: SDK calls only, into a JSON-able bundle with per-operation coverage.

The bundle is the providers' own REST/JSON shapes (camelCase, enum names, RFC 3339 times),
so the offline importer can build the same bundle from gcloud / Cloud Asset files and both
paths share one ``normalize``. Each call is wrapped by ``CoverageLog.attempt``: a 403 becomes
a ``denied`` coverage entry for that scope and operation, and the scan goes on.

Bundle keys: ``organization`` (dict or None), ``folders``, ``projects`` (Resource Manager v3
records), ``policies`` (``{"resource": <scope or service-account name>, "policy": Policy}``),
``serviceAccounts``, ``keys`` (REST key records, with ``disableReason`` / ``extendedStatus``
where known), ``activities`` (Policy Analyzer), ``activityScopes`` (projects whose activity
query succeeded: no entry there means "never used"), ``workloadIdentityPools`` (each with
``providers``), ``orgPolicies`` (``{"scope", "constraint", "policy"}``), ``customRoles`` (IAM
``Role`` records of the projects' and the organization's custom roles, with
``includedPermissions``), ``customRoleScopes`` (projects and organizations whose custom roles
were listed: a bound custom role of one of them that the listing lacks was deleted),
``recommendations`` (the IAM Recommender's role recommendations on each scanned project, folder
and organization, REST JSON; see ``recommender``), ``instances``, ``runServices``, ``functions``,
``clusters`` (the compute that runs as service
accounts, each as its API returns it; see ``workload_fetch``), ``coverage``.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from rich.console import Console

from standing.collectors.gcp.guardrails import fetch_deny_policies
from standing.collectors.gcp.operations import declared_methods
from standing.collectors.gcp.paging import pages
from standing.collectors.gcp.recommender import fetch_recommendations
from standing.collectors.gcp.workload_fetch import WORKLOAD_KEYS, fetch_workloads
from standing.core.model import CoverageEntry, CoverageStatus, Provider

T = TypeVar("T")

KEY_CONSTRAINTS = (
    "iam.disableServiceAccountKeyCreation",
    "iam.disableServiceAccountKeyUpload",
    "iam.serviceAccountKeyExpiryHours",
)
ACTIVITY_TYPES = ("serviceAccountKeyLastAuthentication", "serviceAccountLastAuthentication")
POLICY_VERSION = 3  # conditional bindings (time-bound grants) come back only at version 3


@dataclass(frozen=True, kw_only=True)
class GcpScanOptions:
    organization: str | None = None
    folders: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    impersonate: str | None = None
    max_workers: int = 8
    api_endpoint: str | None = None
    """Send every REST and discovery call here (emulators and tests only)."""
    grpc_endpoint: str | None = None
    """host:port of an insecure gRPC server for the IAM admin API (emulators and tests only)."""
    usage: bool = True
    """Read the IAM Recommender's role recommendations (``--usage all``, the default); ``False``
    (``--usage none``) records each scope's listing as left out by choice instead."""


def scope_name(kind: str, value: str) -> str:
    """``123`` or ``organizations/123`` -> ``organizations/123``."""
    return value if value.startswith(f"{kind}/") else f"{kind}/{value}"


class CoverageLog:
    """Per-operation outcome, safe to share between the per-project threads."""

    def __init__(self) -> None:
        self.entries: list[CoverageEntry] = []
        self._lock = threading.Lock()

    def record(self, scope: str, method: str, status: CoverageStatus, detail: str | None = None) -> None:
        if method not in declared_methods():
            raise KeyError(f"{method} is not a declared GCP operation")
        with self._lock:
            self.entries.append(
                CoverageEntry(provider=Provider.GCP, scope=scope, operation=method, status=status, detail=detail)
            )

    def attempt(self, scope: str, method: str, call: Callable[[], T], *, record_ok: bool = True) -> T | None:
        from google.api_core import exceptions as gexc
        from googleapiclient.errors import HttpError

        if method not in declared_methods():
            raise KeyError(f"{method} is not a declared GCP operation")
        try:
            result = call()
        except gexc.Forbidden as err:  # gRPC PermissionDenied subclasses Forbidden
            self.record(scope, method, CoverageStatus.DENIED, _short(err.message))
            return None
        except (gexc.TooManyRequests, gexc.ResourceExhausted) as err:
            self.record(scope, method, CoverageStatus.THROTTLED, _short(err.message))
            return None
        except gexc.GoogleAPICallError as err:
            self.record(scope, method, CoverageStatus.FAILED, f"{type(err).__name__}: {_short(err.message)}")
            return None
        except HttpError as err:
            status = {403: CoverageStatus.DENIED, 429: CoverageStatus.THROTTLED}.get(
                err.resp.status, CoverageStatus.FAILED
            )
            self.record(scope, method, status, f"HTTP {err.resp.status}: {_short(err._get_reason())}")
            return None
        if record_ok:
            self.record(scope, method, CoverageStatus.OK)
        return result


def _short(message: Any) -> str:
    """First line, without the request URL the REST transport prefixes to it."""
    text = str(message).strip().splitlines()[0] if message else ""
    if text.split(" ", 1)[0] in ("GET", "POST") and ": " in text:
        text = text.split(": ", 1)[1]
    return text[:200]


def message_json(message: Any) -> dict[str, Any]:
    """A proto-plus or raw protobuf message as its REST JSON (camelCase, enum names)."""
    from google.protobuf.json_format import MessageToDict

    if hasattr(type(message), "to_json") and hasattr(type(message), "pb"):
        return cast(dict[str, Any], json.loads(type(message).to_json(message, use_integers_for_enums=False)))
    return cast(dict[str, Any], MessageToDict(message))


class GcpClients:
    """Builds the real client libraries; one set per thread (discovery clients are not thread-safe)."""

    def __init__(self, credentials: Any, options: GcpScanOptions) -> None:
        self.credentials = credentials
        self.options = options
        self._local = threading.local()

    def _cached(self, name: str, build: Callable[[], Any]) -> Any:
        client = getattr(self._local, name, None)
        if client is None:
            client = build()
            setattr(self._local, name, client)
        return client

    def _rest_options(self) -> dict[str, str] | None:
        return {"api_endpoint": self.options.api_endpoint} if self.options.api_endpoint else None

    def _gapic(self, name: str, module: str, cls: str) -> Any:
        def build() -> Any:
            return getattr(importlib.import_module(module), cls)(
                credentials=self.credentials, transport="rest", client_options=self._rest_options()
            )

        return self._cached(name, build)

    def organizations(self) -> Any:
        return self._gapic("organizations", "google.cloud.resourcemanager_v3", "OrganizationsClient")

    def folders(self) -> Any:
        return self._gapic("folders", "google.cloud.resourcemanager_v3", "FoldersClient")

    def projects(self) -> Any:
        return self._gapic("projects", "google.cloud.resourcemanager_v3", "ProjectsClient")

    def org_policy(self) -> Any:
        return self._gapic("org_policy", "google.cloud.orgpolicy_v2", "OrgPolicyClient")

    def recommender(self) -> Any:
        return self._gapic("recommender", "google.cloud.recommender_v1", "RecommenderClient")

    def iam_admin(self) -> Any:
        def build() -> Any:
            from google.cloud import iam_admin_v1

            if self.options.grpc_endpoint:
                import grpc
                from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

                channel = grpc.insecure_channel(self.options.grpc_endpoint)
                return iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
            return iam_admin_v1.IAMClient(credentials=self.credentials)

        return self._cached("iam_admin", build)

    def discovery(self, api: str, version: str = "v1") -> Any:
        def build() -> Any:
            from googleapiclient.discovery import build as discovery_build

            return discovery_build(
                api,
                version,
                credentials=self.credentials,
                static_discovery=True,
                cache_discovery=False,
                client_options=self._rest_options(),
            )

        return self._cached(f"discovery_{api}_{version}", build)


def fetch_estate(clients: GcpClients, options: GcpScanOptions, progress: Console | None = None) -> dict[str, Any]:
    log = CoverageLog()
    raw: dict[str, Any] = {
        "organization": None,
        "folders": [],
        "projects": [],
        "policies": [],
        "serviceAccounts": [],
        "keys": [],
        "activities": [],
        "activityScopes": [],
        "workloadIdentityPools": [],
        "orgPolicies": [],
        "customRoles": [],
        "customRoleScopes": [],
        "recommendations": [],
        **{key: [] for key in WORKLOAD_KEYS},
    }
    containers: list[str] = []
    if options.organization:
        org = scope_name("organizations", options.organization)
        found = log.attempt(
            org, "cloudresourcemanager:organizations.get", lambda: clients.organizations().get_organization(name=org)
        )
        raw["organization"] = message_json(found) if found is not None else {"name": org}
        containers.append(org)
    for folder_id in options.folders:
        folder = scope_name("folders", folder_id)
        found = log.attempt(
            folder, "cloudresourcemanager:folders.get", lambda: clients.folders().get_folder(name=folder)
        )
        raw["folders"].append(message_json(found) if found is not None else {"name": folder})
        containers.append(folder)
    _walk(clients, containers, raw, log)
    for project_id in options.projects:
        name = scope_name("projects", project_id)
        if any(p.get("projectId") == name.split("/", 1)[1] for p in raw["projects"]):
            continue  # already beneath a scanned organization or folder
        found = log.attempt(
            name, "cloudresourcemanager:projects.get", lambda: clients.projects().get_project(name=name)
        )
        raw["projects"].append(
            message_json(found) if found is not None else {"name": name, "projectId": name.split("/", 1)[1]}
        )
    for container in ([raw["organization"]["name"]] if raw["organization"] else []) + [
        f["name"] for f in raw["folders"]
    ]:
        _container_policy(clients, container, raw, log)
        raw["recommendations"].extend(fetch_recommendations(clients, container, log, enabled=options.usage))
    _scan_projects(clients, options, raw, log, progress)
    raw["denyPolicies"] = fetch_deny_policies(
        clients,
        ([raw["organization"]["name"]] if raw["organization"] else [])
        + [f["name"] for f in raw["folders"]]
        + [f"projects/{p['projectId']}" for p in raw["projects"] if p.get("projectId")],
        log,
    )
    for org in _custom_role_organizations(raw):
        roles = custom_roles(clients, org, log)
        if roles is not None:
            raw["customRoles"].extend(roles)
            raw["customRoleScopes"].append(org)
    raw["coverage"] = [entry.model_dump(mode="json") for entry in log.entries]
    return raw


def _walk(clients: GcpClients, roots: list[str], raw: dict[str, Any], log: CoverageLog) -> None:
    """Folders and active projects beneath each root, breadth first."""
    queue = list(roots)
    seen_projects = {p.get("projectId") for p in raw["projects"]}
    while queue:
        parent = queue.pop(0)
        folders = log.attempt(
            parent,
            "cloudresourcemanager:folders.list",
            lambda: list(clients.folders().list_folders(parent=parent)),
        )
        for folder in folders or []:
            data = message_json(folder)
            if data.get("state", "ACTIVE") == "ACTIVE":
                raw["folders"].append(data)
                queue.append(data["name"])
        projects = log.attempt(
            parent,
            "cloudresourcemanager:projects.list",
            lambda: list(clients.projects().list_projects(parent=parent)),
        )
        for project in projects or []:
            data = message_json(project)
            if data.get("state", "ACTIVE") == "ACTIVE" and data.get("projectId") not in seen_projects:
                raw["projects"].append(data)
                seen_projects.add(data.get("projectId"))


def _policy_request(resource: str) -> dict[str, Any]:
    return {"resource": resource, "options": {"requested_policy_version": POLICY_VERSION}}


def _container_policy(clients: GcpClients, name: str, raw: dict[str, Any], log: CoverageLog) -> None:
    kind = name.split("/", 1)[0]
    client = clients.organizations() if kind == "organizations" else clients.folders()
    policy = log.attempt(
        name, f"cloudresourcemanager:{kind}.getIamPolicy", lambda: client.get_iam_policy(request=_policy_request(name))
    )
    if policy is not None:
        raw["policies"].append({"resource": name, "policy": message_json(policy)})


def _scan_projects(
    clients: GcpClients, options: GcpScanOptions, raw: dict[str, Any], log: CoverageLog, progress: Console | None
) -> None:
    projects = [p for p in raw["projects"] if p.get("projectId")]
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=options.max_workers) as pool:
        futures = {pool.submit(fetch_project, clients, p, log, usage=options.usage): p["projectId"] for p in projects}
        for done, future in enumerate(as_completed(futures), start=1):
            part = future.result()
            with lock:
                for key, values in part.items():
                    raw[key].extend(values)
            if progress is not None:
                progress.print(
                    f"[{done}/{len(projects)}] GCP project {futures[future]} read", markup=False, highlight=False
                )


def fetch_project(
    clients: GcpClients, project: dict[str, Any], log: CoverageLog, *, usage: bool = True
) -> dict[str, list[Any]]:
    """Everything read from one project, in bundle form."""
    project_id = project["projectId"]
    scope = f"projects/{project_id}"
    part: dict[str, list[Any]] = {
        k: []
        for k in (
            "policies",
            "serviceAccounts",
            "keys",
            "activities",
            "activityScopes",
            "workloadIdentityPools",
            "orgPolicies",
            "customRoles",
            "customRoleScopes",
            "recommendations",
            *WORKLOAD_KEYS,
        )
    }
    policy = log.attempt(
        scope,
        "cloudresourcemanager:projects.getIamPolicy",
        lambda: clients.projects().get_iam_policy(request=_policy_request(scope)),
    )
    if policy is not None:
        part["policies"].append({"resource": scope, "policy": message_json(policy)})
    accounts = log.attempt(
        scope, "iam:ListServiceAccounts", lambda: list(clients.iam_admin().list_service_accounts(name=scope))
    )
    for account in accounts or []:
        part["serviceAccounts"].append(message_json(account))
        _account_details(clients, scope, account.name, part, log)
    part["workloadIdentityPools"] = _pools(clients, scope, log)
    part["activities"], covered = _activities(clients, scope, log)
    if covered:
        part["activityScopes"].append(scope)
    part["orgPolicies"] = _org_policies(clients, scope, log)
    roles = custom_roles(clients, scope, log)
    if roles is not None:
        part["customRoles"] = roles
        part["customRoleScopes"].append(scope)
    part["recommendations"] = fetch_recommendations(clients, scope, log, enabled=usage)
    part.update(fetch_workloads(clients, project_id, log))
    return part


def _custom_role_organizations(raw: dict[str, Any]) -> list[str]:
    """The scanned organization, and any other one whose custom roles a binding names.

    A project's custom roles are bound only within that project, but an organization's can be
    bound in any project beneath it, so a project-scoped scan still reads the organization's
    roles its bindings use (a denied read is a gap, as everywhere).
    """
    found = [raw["organization"]["name"]] if raw["organization"] else []
    for entry in raw["policies"]:
        for binding in entry["policy"].get("bindings", []):
            parts = binding.get("role", "").split("/")
            if len(parts) == 4 and parts[0] == "organizations" and parts[2] == "roles":
                org = f"organizations/{parts[1]}"
                if org not in found:
                    found.append(org)
    return found


def custom_roles(clients: GcpClients, parent: str, log: CoverageLog) -> list[dict[str, Any]] | None:
    """Custom roles defined on a project or organization, with their permissions; None if not read.

    ``view=FULL`` is what brings ``includedPermissions`` back (the default view omits them);
    deleted roles are left out (``show_deleted`` false), so a bound role the listing lacks was
    deleted and grants nothing.
    """
    from google.cloud import iam_admin_v1

    request = iam_admin_v1.ListRolesRequest(parent=parent, view=iam_admin_v1.RoleView.FULL, show_deleted=False)
    found = log.attempt(parent, "iam:ListRoles", lambda: list(clients.iam_admin().list_roles(request=request)))
    return None if found is None else [message_json(role) for role in found]


def _account_details(clients: GcpClients, scope: str, name: str, part: dict[str, list[Any]], log: CoverageLog) -> None:
    iam = clients.iam_admin()
    response = log.attempt(
        scope, "iam:ListServiceAccountKeys", lambda: iam.list_service_account_keys(name=name), record_ok=False
    )
    keys = [message_json(k) for k in (response.keys if response is not None else [])]
    if any(k.get("keyType") == "USER_MANAGED" for k in keys):
        # Only the REST representation says whether Google found the key exposed.
        coll = clients.discovery("iam").projects().serviceAccounts().keys()
        rest = log.attempt(
            scope,
            "iam:projects.serviceAccounts.keys.list",
            lambda: coll.list(name=name, keyTypes="USER_MANAGED").execute(),
            record_ok=False,
        )
        flags = {k["name"]: k for k in (rest or {}).get("keys", [])}
        keys = [
            {
                **k,
                **{
                    f: flags[k["name"]][f] for f in ("disableReason", "extendedStatus") if f in flags.get(k["name"], {})
                },
            }
            for k in keys
        ]
    part["keys"].extend(keys)
    policy = log.attempt(
        scope, "iam:GetIamPolicy", lambda: iam.get_iam_policy(request=_policy_request(name)), record_ok=False
    )
    if policy is not None:
        part["policies"].append({"resource": name, "policy": message_json(policy)})


def _pools(clients: GcpClients, scope: str, log: CoverageLog) -> list[dict[str, Any]]:
    coll = clients.discovery("iam").projects().locations().workloadIdentityPools()
    pools = log.attempt(
        scope,
        "iam:projects.locations.workloadIdentityPools.list",
        lambda: pages(
            coll.list(parent=f"{scope}/locations/global"),
            lambda r, p: coll.list_next(previous_request=r, previous_response=p),
            "workloadIdentityPools",
        ),
    )
    result = []
    for pool in pools or []:
        providers = coll.providers()
        found = log.attempt(
            scope,
            "iam:projects.locations.workloadIdentityPools.providers.list",
            lambda: pages(
                providers.list(parent=pool["name"]),
                lambda r, p: providers.list_next(previous_request=r, previous_response=p),
                "workloadIdentityPoolProviders",
            ),
            record_ok=False,
        )
        result.append({**pool, "providers": found or []})
    return result


def _activities(clients: GcpClients, scope: str, log: CoverageLog) -> tuple[list[dict[str, Any]], bool]:
    coll = clients.discovery("policyanalyzer").projects().locations().activityTypes().activities()
    found: list[dict[str, Any]] = []
    covered = True
    for activity_type in ACTIVITY_TYPES:
        parent = f"{scope}/locations/global/activityTypes/{activity_type}"
        items = log.attempt(
            scope,
            "policyanalyzer:projects.locations.activityTypes.activities.query",
            lambda: pages(
                coll.query(parent=parent, pageSize=1000),
                lambda r, p: coll.query_next(previous_request=r, previous_response=p),
                "activities",
            ),
        )
        covered = covered and items is not None
        found.extend(items or [])
    return found, covered


def _org_policies(clients: GcpClients, scope: str, log: CoverageLog) -> list[dict[str, Any]]:
    result = []
    for constraint in KEY_CONSTRAINTS:
        name = f"{scope}/policies/{constraint}"
        policy = log.attempt(
            scope,
            "orgpolicy:policies.getEffectivePolicy",
            lambda: clients.org_policy().get_effective_policy(name=name),
            record_ok=False,
        )
        if policy is not None:
            result.append({"scope": scope, "constraint": constraint, "policy": message_json(policy)})
    return result
