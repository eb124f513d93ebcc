"""Pure: the compute listings of the bundle -> ``Workload`` records (docs/workloads.md, GCP).

A workload's identity is the service account its code runs as, spelled as ``Identity.id``
(the lower-case email). Where Google runs code as the project's default compute account
without saying so (a Cloud Run service or function with no account set, a node pool with
``serviceAccount: default``), that account is named: it is the one an attacker acts as.
A Workload Identity binding (``roles/iam.workloadIdentityUser`` granted on a service account
to ``serviceAccount:P.svc.id.goog[ns/ksa]``) is a workload per Kubernetes service account:
every pod running as that account acts as each Google account it is bound to.
"""

from __future__ import annotations

import re
from typing import Any

from standing.core.model import ComputeKind, Provider, Workload

_SELF_LINK = re.compile(r"/(projects/[^/]+/(?:zones|locations|regions)/[^/]+/[^/]+/[^/]+)$")
_SA_RESOURCE = re.compile(r"(?:^|/)projects/[^/]+/serviceAccounts/([^/]+)$")
_KSA_MEMBER = re.compile(r"^serviceAccount:([a-z0-9-]+)\.svc\.id\.goog\[([^/\]]+)/([^\]]+)\]$")
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"


class _Projects:
    """Project number <-> id, to name default compute accounts and canonical project ids."""

    def __init__(self, projects: list[dict[str, Any]]) -> None:
        self.to_number = {
            p["projectId"]: p["name"].split("/", 1)[1]
            for p in projects
            if p.get("projectId") and str(p.get("name", "")).startswith("projects/")
        }
        self.to_id = {number: pid for pid, number in self.to_number.items()}

    def canonical(self, ref: str) -> str:
        return str(self.to_id.get(ref, ref))

    def default_compute(self, project: str) -> list[str]:
        number = self.to_number.get(project, project if project.isdigit() else None)
        return [f"{number}-compute@developer.gserviceaccount.com"] if number else []


def _email(value: str | None) -> str | None:
    """``a@p.iam...`` or ``projects/p/serviceAccounts/a@p.iam...`` -> the lower-case email."""
    if not value:
        return None
    match = _SA_RESOURCE.search(value)
    return (match.group(1) if match else value).lower()


def normalize_workloads(raw: dict[str, Any]) -> list[Workload]:
    projects = _Projects(raw.get("projects", []))
    found = [
        *(_instance(i, projects) for i in raw.get("instances", [])),
        *(_run_service(s, projects) for s in raw.get("runServices", [])),
        *(_function(f, projects) for f in raw.get("functions", [])),
        *(pool for c in raw.get("clusters", []) for pool in _node_pools(c, projects)),
        *_workload_identity(raw.get("policies", []), projects),
    ]
    return sorted({w.id: w for w in found}.values(), key=lambda w: w.id)


def _instance(instance: dict[str, Any], projects: _Projects) -> Workload:
    match = _SELF_LINK.search(instance.get("selfLink", ""))
    path = match.group(1) if match else f"projects/-/zones/-/instances/{instance['name']}"
    parts = path.split("/")
    metadata = {m.get("key"): m.get("value") for m in (instance.get("metadata") or {}).get("items", [])}
    accounts = instance.get("serviceAccounts") or []
    scopes = sorted({s for a in accounts for s in a.get("scopes", [])})
    return Workload(
        id=f"//compute.googleapis.com/{path}",
        provider=Provider.GCP,
        kind=ComputeKind.GCE_INSTANCE,
        name=instance["name"],
        account=projects.canonical(parts[1]),
        region=parts[3],
        identity_ids=[e for a in accounts if (e := _email(a.get("email")))],
        state=instance.get("status"),
        tags=dict(instance.get("labels") or {}),
        attributes={
            "scopes": " ".join(scopes),
            "cloud_platform_scope": str(CLOUD_PLATFORM in scopes).lower(),
            "os_login": str(metadata.get("enable-oslogin", "")).lower() or "unset",
            "block_project_ssh_keys": str(metadata.get("block-project-ssh-keys", "")).lower() or "unset",
        },
    )


def _regional(
    record: dict[str, Any],
    kind: ComputeKind,
    host: str,
    own: str | None,
    state: str | None,
    attributes: dict[str, str],
    projects: _Projects,
) -> Workload:
    """A Cloud Run service or function named ``projects/P/locations/L/...``. gcloud's Cloud Run
    records name the project by number, the v2 API by id: the id is always used."""
    parts = record["name"].split("/")
    parts[1] = projects.canonical(parts[1])
    return Workload(
        id=f"//{host}/{'/'.join(parts)}",
        provider=Provider.GCP,
        kind=kind,
        name=parts[-1],
        account=parts[1],
        region=parts[3],
        identity_ids=[own] if own else projects.default_compute(parts[1]),
        state=state,
        tags=dict(record.get("labels") or {}),
        attributes={"default_service_account": str(own is None).lower(), **attributes},
    )


def _run_service(service: dict[str, Any], projects: _Projects) -> Workload:
    own = _email((service.get("template") or {}).get("serviceAccount"))
    state = (service.get("terminalCondition") or {}).get("state")
    facts = {"ingress": service.get("ingress", ""), "uri": service.get("uri", "")}
    return _regional(service, ComputeKind.CLOUD_RUN_SERVICE, "run.googleapis.com", own, state, facts, projects)


def _function(function: dict[str, Any], projects: _Projects) -> Workload:
    config = function.get("serviceConfig") or {}
    build = function.get("buildConfig") or {}
    facts = {
        "environment": function.get("environment", ""),
        "runtime": build.get("runtime", ""),
        "build_service_account": _email(build.get("serviceAccount")) or "",
        "ingress": config.get("ingressSettings", ""),
    }
    return _regional(
        function,
        ComputeKind.CLOUD_FUNCTION,
        "cloudfunctions.googleapis.com",
        _email(config.get("serviceAccountEmail")),
        function.get("state"),
        facts,
        projects,
    )


def _node_pools(cluster: dict[str, Any], projects: _Projects) -> list[Workload]:
    match = _SELF_LINK.search(cluster.get("selfLink", ""))
    project = projects.canonical(match.group(1).split("/")[1]) if match else ""
    location = cluster.get("location", "")
    workload_pool = (cluster.get("workloadIdentityConfig") or {}).get("workloadPool", "")
    found = []
    for pool in cluster.get("nodePools") or []:
        config = pool.get("config") or {}
        account = config.get("serviceAccount") or "default"
        found.append(
            Workload(
                id=f"//container.googleapis.com/projects/{project}/locations/{location}/clusters/"
                f"{cluster['name']}/nodePools/{pool['name']}",
                provider=Provider.GCP,
                kind=ComputeKind.GKE_NODE_POOL,
                name=f"{cluster['name']}/{pool['name']}",
                account=project,
                region=location,
                identity_ids=projects.default_compute(project) if account == "default" else [account.lower()],
                state=pool.get("status"),
                tags=dict(cluster.get("resourceLabels") or {}),
                attributes={
                    "cluster": cluster["name"],
                    "default_service_account": str(account == "default").lower(),
                    "workload_pool": workload_pool,
                    "workload_metadata": (config.get("workloadMetadataConfig") or {}).get("mode", ""),
                    "scopes": " ".join(sorted(config.get("oauthScopes") or [])),
                },
            )
        )
    return found


def _workload_identity(policies: list[dict[str, Any]], projects: _Projects) -> list[Workload]:
    """One workload per Kubernetes service account bound to Google service accounts."""
    bound: dict[tuple[str, str, str], dict[str, str | None]] = {}
    for entry in policies:
        target = _SA_RESOURCE.search(entry.get("resource", ""))
        if target is None:
            continue
        for binding in (entry.get("policy") or {}).get("bindings") or []:
            if binding.get("role") != WORKLOAD_IDENTITY_USER:
                continue
            condition = (binding.get("condition") or {}).get("expression")
            for member in binding.get("members") or []:
                match = _KSA_MEMBER.match(member)
                if match:
                    project, namespace, ksa = match.groups()
                    bound.setdefault((project, namespace, ksa), {})[target.group(1).lower()] = condition
    found = []
    for (project, namespace, ksa), targets in bound.items():
        conditions = sorted({c for c in targets.values() if c})
        found.append(
            Workload(
                id=f"{project}.svc.id.goog[{namespace}/{ksa}]",
                provider=Provider.GCP,
                kind=ComputeKind.GKE_WORKLOAD_IDENTITY,
                name=f"{namespace}/{ksa}",
                account=projects.canonical(project),
                identity_ids=sorted(targets),
                attributes={
                    "namespace": namespace,
                    "kubernetes_service_account": ksa,
                    "workload_pool": f"{project}.svc.id.goog",
                    "conditions": " || ".join(conditions),
                },
            )
        )
    return found
