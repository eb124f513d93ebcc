"""Offline import: the files a team hands over instead of API access -> the fetch bundle.

Accepted (all JSON as gcloud writes it with ``--format=json``):

- ``gcloud asset search-all-iam-policies --scope=organizations/N`` (a list of results);
- a Cloud Asset export with ``--content-type=iam-policy`` (one JSON asset per line; a JSON list
  also works; snake_case or camelCase field names);
- ``gcloud iam service-accounts list``; ``gcloud iam service-accounts keys list`` (one file per
  account, or several concatenated into one list);
- ``gcloud policy-intelligence query-activity`` for ``serviceAccountKeyLastAuthentication`` /
  ``serviceAccountLastAuthentication``: when any is given, a key or account with no activity
  in them counts as never used;
- ``gcloud iam workload-identity-pools providers list``;
- ``gcloud org-policies describe CONSTRAINT --effective``;
- ``gcloud compute instances list``, ``gcloud run services list`` (Knative v1 records, or v2
  ones), ``gcloud functions list`` and ``gcloud container clusters list``: the compute that runs
  as service accounts (``Inventory.workloads``);
- ``gcloud recommender recommendations list --recommender=google.iam.policy.Recommender
  --project=P --location=global`` (or ``--folder`` / ``--organization``): the IAM Recommender's
  role recommendations, read as the live scan reads them (``recommender``), one list per file
  or several files;
- ``gcloud iam roles describe ROLE --project=P`` (or ``--organization=N``) for each custom role,
  one object per file or several gathered into a JSON list: ``gcloud iam roles list`` prints
  no ``includedPermissions`` (it has no ``--view`` flag), so a listing entry without them is
  a gap naming the describe command for that role, never a role granting nothing.

Project numbers (used by Cloud Asset) are turned into project ids from what the files show
together: service-account resource names, ``projectId`` of accounts, and the number in the
default compute account's email. A malformed or truncated file is a ``UserError`` naming it.

Every kind of file not given is a ``skipped`` coverage entry per project (keys: per service
account) whose detail is the exact ``gcloud`` command that writes it, so the scan is partial
(exit 3) until the export is complete. A kind given at all counts as given for every project,
because an empty listing and a missing one look the same. Without the service-account listing,
the service accounts of the estate's projects named in IAM bindings are still identities
(known by name only), and their keys are declared not read. Custom roles are the exception to
"given at all": with ``--from-custom-roles``, every custom role a binding names (or a listing
entry shows) without its describe output is a gap of its own, because a missing role cannot be
told from a deleted one (a deleted role's describe output says ``deleted: true``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standing.collectors.gcp import shapes
from standing.collectors.gcp.fetch import ACTIVITY_TYPES, KEY_CONSTRAINTS
from standing.collectors.gcp.operations import RECOMMENDER
from standing.core.errors import UserError
from standing.core.model import CoverageEntry, CoverageStatus, Provider
from standing.core.textfiles import parse_json, read_text

_COMPUTE_SA = re.compile(r"^(\d+)-compute@developer\.gserviceaccount\.com$")
_FULL_NAME = re.compile(r"^//[^/]+/(.+)$")
_PROJECT_SA = re.compile(r"^[^@]+@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$")
_APPSPOT_SA = re.compile(r"^([a-z][a-z0-9-]{4,28}[a-z0-9])@appspot\.gserviceaccount\.com$")


@dataclass(frozen=True, kw_only=True)
class ImportFiles:
    asset_search: tuple[Path, ...] = ()
    asset_export: tuple[Path, ...] = ()
    service_accounts: tuple[Path, ...] = ()
    keys: tuple[Path, ...] = ()
    activity: tuple[Path, ...] = ()
    wif_providers: tuple[Path, ...] = ()
    org_policy: tuple[Path, ...] = ()
    custom_roles: tuple[Path, ...] = ()
    compute_instances: tuple[Path, ...] = ()
    run_services: tuple[Path, ...] = ()
    functions: tuple[Path, ...] = ()
    container_clusters: tuple[Path, ...] = ()
    recommendations: tuple[Path, ...] = ()


def _read(path: Path, shape: type[shapes.Shape], *, lines: bool = False) -> list[dict[str, Any]]:
    """The file's entries, each checked against ``shape`` before anything reads a field."""
    source = str(path)
    text = read_text(path)  # bounded: size, devices and FIFOs are refused before reading
    if lines and not text.lstrip().startswith("["):
        data: Any = [
            parse_json(line, f"{source} line {number}")
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    else:
        data = parse_json(text, source)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UserError(source, "expected a JSON list of objects, as gcloud --format=json writes")
    shapes.check_entries(source, data, shape)
    return data


def _require(path: Path, index: int, item: dict[str, Any], *fields: str) -> None:
    for name in fields:
        if not isinstance(item.get(name), str) or not item[name]:
            raise UserError(str(path), f"entry {index + 1} has no {name!r}; is this the right file?")


def _field(item: dict[str, Any], camel: str) -> Any:
    snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)
    return item.get(camel, item.get(snake))


class _Estate:
    def __init__(self) -> None:
        self.number_to_id: dict[str, str] = {}
        self.project_parent: dict[str, str] = {}  # project ref (number or id) -> parent
        self.folder_parent: dict[str, str | None] = {}
        self.organization: str | None = None
        self.unique_to_email: dict[str, str] = {}
        self.seen_projects: set[str] = set()  # project refs (number or id) of every asset, parent known or not

    def project_id(self, ref: str) -> str:
        return self.number_to_id.get(ref, ref)


def load_files(files: ImportFiles) -> dict[str, Any]:
    estate = _Estate()
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
        "coverage": [],
        "instances": [i for path in files.compute_instances for i in _read(path, shapes.Instance)],
        "runServices": [_run_v2(s) for path in files.run_services for s in _read(path, shapes.RunService)],
        "functions": [f for path in files.functions for f in _read(path, shapes.Function)],
        "clusters": [c for path in files.container_clusters for c in _read(path, shapes.Cluster)],
        "recommendations": [r for path in files.recommendations for r in _read(path, shapes.Recommendation)],
    }
    for path in files.service_accounts:
        for i, account in enumerate(_read(path, shapes.ServiceAccount)):
            _require(path, i, account, "email", "name")
            raw["serviceAccounts"].append(account)
            project = account.get("projectId") or account["name"].split("/")[1]
            if account.get("uniqueId"):
                estate.unique_to_email[account["uniqueId"]] = account["email"]
            compute = _COMPUTE_SA.match(account["email"])
            if compute:
                estate.number_to_id[compute.group(1)] = project
    for path in files.keys:
        for i, key in enumerate(_read(path, shapes.Key)):
            _require(path, i, key, "name")
            if "/keys/" not in key["name"]:
                raise UserError(str(path), f"entry {i + 1} is not a service account key")
            raw["keys"].append(key)
    for path in files.asset_search:
        for i, result in enumerate(_read(path, shapes.AssetSearchResult)):
            _require(path, i, result, "resource")
            _hierarchy(
                estate,
                result["resource"],
                result.get("project"),
                [*(result.get("folders") or []), *([result["organization"]] if result.get("organization") else [])],
            )
            raw["policies"].append({"resource": result["resource"], "policy": result.get("policy") or {}})
    for path in files.asset_export:
        for i, asset in enumerate(_read(path, shapes.AssetExport, lines=True)):
            _require(path, i, asset, "name")
            ancestors = list(_field(asset, "ancestors") or [])
            project = next((a for a in ancestors if a.startswith("projects/")), None)
            _hierarchy(estate, asset["name"], project, [a for a in ancestors if not a.startswith("projects/")])
            raw["policies"].append({"resource": asset["name"], "policy": _field(asset, "iamPolicy") or {}})
    for path in files.activity:
        for i, item in enumerate(_read(path, shapes.Activity)):
            _require(path, i, item, "activityType", "fullResourceName")
            raw["activities"].append(item)
    pools: dict[str, dict[str, Any]] = {}
    for path in files.wif_providers:
        for i, provider in enumerate(_read(path, shapes.WifProvider)):
            _require(path, i, provider, "name")
            pool = provider["name"].split("/providers/", 1)[0]
            entry = pools.setdefault(pool, {"name": pool, "state": "ACTIVE", "providers": []})
            if "/providers/" in provider["name"]:  # else a `workload-identity-pools list` entry: the pool
                entry["providers"].append(provider)
    raw["workloadIdentityPools"] = list(pools.values())
    for path in files.org_policy:
        for i, policy in enumerate(_read(path, shapes.OrgPolicy)):
            _require(path, i, policy, "name")
            scope, _, constraint = policy["name"].partition("/policies/")
            raw["orgPolicies"].append({"scope": scope, "constraint": constraint, "policy": policy})
    unread_roles: list[str] = []
    for path in files.custom_roles:
        for i, role in enumerate(_read(path, shapes.CustomRole)):
            _require(path, i, role, "name")
            if "/roles/" not in role["name"]:
                raise UserError(str(path), f"entry {i + 1} is not an IAM role")
            if "includedPermissions" in role or role.get("deleted") or role.get("stage") == "DISABLED":
                raw["customRoles"].append(role)
            else:
                unread_roles.append(role["name"])  # a `gcloud iam roles list` entry: no permissions
    _finish(estate, raw, bool(files.activity))
    if not files.service_accounts:
        raw["serviceAccounts"] = _accounts_from_bindings(estate, raw)
    raw["coverage"] = [entry.model_dump(mode="json") for entry in _gaps(files, raw, unread_roles)]
    return raw


# The v1 ingress annotation's values, as the v2 API spells them.
_INGRESS = {
    "all": "INGRESS_TRAFFIC_ALL",
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
}


def _run_v2(service: dict[str, Any]) -> dict[str, Any]:
    """A Knative record (what ``gcloud run services list`` prints) in the v2 API's spelling."""
    if service.get("name"):
        return service
    meta = service.get("metadata") or {}
    if not meta:
        raise UserError("--from-run-services", "an entry has neither name nor metadata; is this the right file?")
    labels = dict(meta.get("labels") or {})
    location = labels.pop("cloud.googleapis.com/location", "-")
    account = (((service.get("spec") or {}).get("template") or {}).get("spec") or {}).get("serviceAccountName")
    status = service.get("status")
    ingress = (meta.get("annotations") or {}).get("run.googleapis.com/ingress", "")
    return {
        "name": f"projects/{meta['namespace']}/locations/{location}/services/{meta['name']}",
        "template": {"serviceAccount": account} if account else {},
        "labels": labels,
        "ingress": _INGRESS.get(ingress, ingress),
        "uri": (status.get("url") or "") if isinstance(status, dict) else "",
    }


# Compute listings: (files field, fetch operation, gcloud command, flag).
_WORKLOAD_FILES = (
    (
        "compute_instances",
        "compute:instances.aggregatedList",
        "gcloud compute instances list",
        "--from-compute-instances",
    ),
    ("run_services", "run:projects.locations.services.list", "gcloud run services list", "--from-run-services"),
    ("functions", "cloudfunctions:projects.locations.functions.list", "gcloud functions list", "--from-functions"),
    (
        "container_clusters",
        "container:projects.locations.clusters.list",
        "gcloud container clusters list",
        "--from-container-clusters",
    ),
)


def _accounts_from_bindings(estate: _Estate, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Service accounts of the estate's own projects that IAM bindings name, known by name only."""
    projects = {p["projectId"] for p in raw["projects"]}
    found: dict[str, dict[str, Any]] = {}

    def known(email: str) -> None:
        project = _account_project(estate, email.lower())
        if project in projects:
            name = f"projects/{project}/serviceAccounts/{email.lower()}"
            found.setdefault(email.lower(), {"email": email.lower(), "name": name, "projectId": project})

    for entry in raw["policies"]:
        parts = entry["resource"].split("/")
        if len(parts) == 4 and parts[2] == "serviceAccounts":  # a policy on the account itself
            known(parts[3])
        for binding in entry["policy"].get("bindings") or []:
            for member in binding.get("members") or []:
                if member.startswith("serviceAccount:"):
                    known(member.split(":", 1)[1])
    return sorted(found.values(), key=lambda a: a["email"])


def _account_project(estate: _Estate, email: str) -> str | None:
    """The project a service account lives in, read from its email (service agents have none here)."""
    for pattern in (_PROJECT_SA, _APPSPOT_SA):
        match = pattern.match(email)
        if match:
            return match.group(1)
    compute = _COMPUTE_SA.match(email)
    return estate.number_to_id.get(compute.group(1)) if compute else None


def _gap(scope: str, operation: str, detail: str) -> CoverageEntry:
    return CoverageEntry(
        provider=Provider.GCP, scope=scope, operation=operation, status=CoverageStatus.SKIPPED, detail=detail
    )


def _describe(role: str) -> str:
    """The gcloud command that prints one custom role with its permissions."""
    parent, _, role_id = role.partition("/roles/")
    kind, _, value = parent.partition("/")
    flag = "--organization" if kind == "organizations" else "--project"
    return f"`gcloud iam roles describe {role_id} {flag}={value} --format=json`"


def _role_gaps(files: ImportFiles, raw: dict[str, Any], unread: list[str]) -> list[CoverageEntry]:
    """Custom roles whose permissions no file gave: each parent's when none was given, else each
    bound or listed role missing from the files (a deleted one is given by its describe output)."""
    if not files.custom_roles:
        org = (raw["organization"] or {}).get("name")
        parents = [f"projects/{p['projectId']}" for p in raw["projects"]] + ([org] if org else [])
        return [
            _gap(
                parent,
                "iam:ListRoles",
                f"not imported: `gcloud iam roles list --{parent.split('/')[0][:-1]}={parent.split('/')[1]} "
                "--show-deleted --format=json`, then for each role "
                f"{_describe(parent + '/roles/ROLE')} (--from-custom-roles); custom roles are judged by name only",
            )
            for parent in parents
        ]
    given = {role["name"] for role in raw["customRoles"]}
    bound = {
        binding.get("role", "")
        for entry in raw["policies"]
        for binding in entry["policy"].get("bindings") or []
        if binding.get("role", "").startswith(("projects/", "organizations/"))
    }
    return [
        _gap(
            role.split("/roles/")[0],
            "iam:ListRoles",
            f"not imported: {_describe(role)} (--from-custom-roles); its permissions are unknown",
        )
        for role in sorted((bound | set(unread)) - given)
    ]


def _gaps(files: ImportFiles, raw: dict[str, Any], unread_roles: list[str]) -> list[CoverageEntry]:
    """One ``skipped`` entry for each source not given, naming the command that writes it."""
    projects = [p["projectId"] for p in raw["projects"]]
    gaps: list[CoverageEntry] = _role_gaps(files, raw, unread_roles)
    if not (files.asset_search or files.asset_export):
        org = (raw["organization"] or {}).get("name")
        for scope in [org] if org else [f"projects/{p}" for p in projects] or ["organizations/<organization id>"]:
            gaps.append(
                _gap(
                    scope,
                    "cloudasset:searchAllIamPolicies",
                    f"not imported: `gcloud asset search-all-iam-policies --scope={scope} --format=json` "
                    "(--from-asset-search); no IAM binding was read",
                )
            )
    for project in projects:
        if not files.service_accounts:
            gaps.append(
                _gap(
                    f"projects/{project}",
                    "iam:ListServiceAccounts",
                    f"not imported: `gcloud iam service-accounts list --project={project} --format=json` "
                    "(--from-service-accounts); only service accounts named in IAM bindings are known",
                )
            )
        if not files.activity:
            commands = " and ".join(
                f"`gcloud policy-intelligence query-activity --activity-type={kind} --project={project} --format=json`"
                for kind in ACTIVITY_TYPES
            )
            gaps.append(
                _gap(
                    f"projects/{project}",
                    "policyanalyzer:projects.locations.activityTypes.activities.query",
                    f"not imported: {commands} (--from-activity); last use is unknown",
                )
            )
        if not files.recommendations:
            gaps.append(
                _gap(
                    f"projects/{project}",
                    "recommender:projects.locations.recommenders.recommendations.list",
                    f"not imported: `gcloud recommender recommendations list --recommender={RECOMMENDER} "
                    f"--project={project} --location=global --format=json` (--from-recommendations); "
                    "what its service accounts used of their roles is unknown",
                )
            )
        if not files.wif_providers:
            gaps.append(
                _gap(
                    f"projects/{project}",
                    "iam:projects.locations.workloadIdentityPools.list",
                    f"not imported: `gcloud iam workload-identity-pools list --location=global --project={project} "
                    "--format=json` and, per pool, `gcloud iam workload-identity-pools providers list "
                    f"--workload-identity-pool=POOL --location=global --project={project} --format=json` "
                    "(--from-wif-providers)",
                )
            )
        if not files.org_policy:
            commands = ", ".join(
                f"`gcloud org-policies describe {c} --effective --project={project} --format=json`"
                for c in KEY_CONSTRAINTS
            )
            gaps.append(
                _gap(
                    f"projects/{project}",
                    "orgpolicy:policies.getEffectivePolicy",
                    f"not imported: {commands} (--from-org-policy)",
                )
            )
        for field, operation, command, flag in _WORKLOAD_FILES:
            if not getattr(files, field):
                gaps.append(
                    _gap(
                        f"projects/{project}",
                        operation,
                        f"not imported: `{command} --project={project} --format=json` ({flag}); "
                        "the compute that runs as its service accounts is unknown",
                    )
                )
    if not files.keys:
        for account in raw["serviceAccounts"]:
            email = account["email"]
            gaps.append(
                _gap(
                    account["name"],
                    "iam:ListServiceAccountKeys",
                    f"not imported: `gcloud iam service-accounts keys list --iam-account={email} --format=json` "
                    "(--from-keys); its keys were not judged",
                )
            )
    return gaps


def _hierarchy(estate: _Estate, full_name: str, project: str | None, containers: list[str]) -> None:
    """Learn parents from one asset: its own project and the folder/organization chain above it."""
    name = _short_name(full_name)
    parts = name.split("/")
    if project:
        estate.seen_projects.add(project.split("/", 1)[1])
    elif parts[0] == "projects" and len(parts) > 1:
        estate.seen_projects.add(parts[1])
    if project and parts[0] == "projects" and len(parts) > 1 and not parts[1].isdigit():
        estate.number_to_id[project.split("/", 1)[1]] = parts[1]
    chain = [c for c in containers if c != name]
    for child, parent in zip(chain, chain[1:]):
        if child.startswith("folders/"):
            estate.folder_parent[child] = parent
    if chain and chain[-1].startswith("organizations/"):
        estate.organization = chain[-1]
    if chain and chain[-1].startswith("folders/"):
        estate.folder_parent.setdefault(chain[-1], None)
    if name.startswith("folders/") and len(parts) == 2:
        estate.folder_parent[name] = chain[0] if chain else estate.folder_parent.get(name)
    if name.startswith("organizations/") and len(parts) == 2:
        estate.organization = name
    if project and chain:
        estate.project_parent[project.split("/", 1)[1]] = chain[0]
    if parts[0] == "projects" and len(parts) == 2 and chain:
        estate.project_parent[parts[1]] = chain[0]


def _short_name(full_name: str) -> str:
    match = _FULL_NAME.match(full_name)
    return match.group(1) if match else full_name


def _finish(estate: _Estate, raw: dict[str, Any], activity_given: bool) -> None:
    for entry in raw["policies"]:
        name = _short_name(entry["resource"])
        parts = name.split("/")
        if len(parts) == 4 and parts[0] == "projects" and parts[2] == "serviceAccounts":
            parts[3] = estate.unique_to_email.get(parts[3], parts[3])
        entry["resource"] = "/".join(parts)
    projects: dict[str, dict[str, Any]] = {}
    refs = (
        set(estate.project_parent)
        | estate.seen_projects
        | {a.get("projectId") or a["name"].split("/")[1] for a in raw["serviceAccounts"]}
    )
    id_to_number = {pid: number for number, pid in estate.number_to_id.items()}
    for ref in refs:
        pid = estate.project_id(ref)
        parent = estate.project_parent.get(ref) or estate.project_parent.get(id_to_number.get(pid, ""), None)
        entry = projects.setdefault(pid, {"name": f"projects/{id_to_number.get(pid, pid)}", "projectId": pid})
        if parent:
            entry["parent"] = parent
    raw["projects"] = sorted(projects.values(), key=lambda p: p["projectId"])
    raw["folders"] = [{"name": f, **({"parent": p} if p else {})} for f, p in sorted(estate.folder_parent.items())]
    raw["organization"] = {"name": estate.organization} if estate.organization else None
    if activity_given:
        raw["activityScopes"] = [f"projects/{p}" for p in projects]
