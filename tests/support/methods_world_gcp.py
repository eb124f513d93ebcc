"""A replayed GCP estate holding, for every GCP escalation method, a case and its near miss.

It starts from the fixture organization (``fixtures/gcp/api``: its projects, folders, compute
and service accounts) and adds, per method, two service accounts of ``acme-prod``:
``m-<n>`` holding what the method needs where it matters, and ``x-<n>`` holding its near miss
(the same right behind an ended condition, one permission short, or a look-alike role). The
rights are organization custom roles with exactly the method's permissions, or the predefined
role the method table names. Everything is answered in Google's own wire formats by
``tests.support.gcp_wire``, so the real clients read it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from tests.support.gcp_wire import FIXTURES, http_routes

ORG = "organizations/123456789012"
PROD, DEV = "acme-prod", "acme-dev"
# An expiry condition that ended before the tests' as-of (2026-06-01)
ENDED = {"expression": 'request.time < timestamp("2026-01-01T00:00:00Z")', "title": "ended"}
TARGET = "target"  # the account the on-account methods are held on
# Methods this world cannot show, and why (their in-code tests show them)
IN_CODE_ONLY: dict[str, str] = {}
# acme-prod's legacy Cloud Build account (project number 1001): ListServiceAccounts never
# returns it; the project's policy names it, holding the Cloud Build Service Account role
# Google grants it, and that makes it known
BUILD_ACCOUNT = "1001@cloudbuild.gserviceaccount.com"


def email(name: str, project: str = PROD) -> str:
    return f"{name}@{project}.iam.gserviceaccount.com"


@dataclass(frozen=True)
class Binding:
    """A role bound for one member on one resource: a project, folder, the org or an account."""

    resource: str  # "projects/acme-prod", "folders/456", ORG or "sa:<account email>"
    role: str  # a predefined role, or a tuple of permissions made into a custom role
    permissions: tuple[str, ...] = ()
    condition: dict[str, str] | None = None


# method id -> (case bindings, near-miss bindings); a role "" is a custom role of ``permissions``
def _plan() -> dict[str, tuple[list[Binding], list[Binding]]]:
    on_target = f"sa:{email(TARGET)}"
    prod, dev = f"projects/{PROD}", f"projects/{DEV}"
    act = "iam.serviceAccounts.actAs"

    def exact(resource: str, *perms: str) -> Binding:
        return Binding(resource, "", perms)

    def ended(resource: str, *perms: str) -> Binding:
        return Binding(resource, "", perms, ENDED)

    plan: dict[str, tuple[list[Binding], list[Binding]]] = {}
    for mid, perm in (
        ("gcp-iam-001", "iam.serviceAccounts.getAccessToken"),
        ("gcp-iam-002", "iam.serviceAccounts.signJwt"),
        ("gcp-iam-003", "iam.serviceAccounts.signBlob"),
        ("gcp-iam-004", "iam.serviceAccounts.implicitDelegation"),
        ("gcp-iam-005", "iam.serviceAccountKeys.create"),
        ("gcp-iam-006", "iam.serviceAccounts.setIamPolicy"),
    ):
        plan[mid] = ([exact(on_target, perm)], [ended(on_target, perm)])
    for mid, role in (
        ("gcp-iam-008", "roles/iam.workloadIdentityUser"),
        ("gcp-iam-009", "roles/iam.serviceAccountTokenCreator"),
        ("gcp-iam-010", "roles/iam.serviceAccountKeyAdmin"),
    ):
        # near miss: a look-alike role on the same account that reads it only
        plan[mid] = ([Binding(on_target, role)], [Binding(on_target, "roles/iam.serviceAccountViewer")])
    # create-a-workload methods: actAs and the create right in the account's project; near miss:
    # the create right on another project (cross-project service-account use is off by default)
    for mid, perm, project in (
        ("gcp-compute-001", "compute.instances.create", prod),
        ("gcp-cloudfunctions-001", "cloudfunctions.functions.create", prod),
        ("gcp-run-001", "run.services.create", prod),
        ("gcp-cloudbuild-001", "cloudbuild.builds.create", prod),
    ):
        plan[mid] = ([exact(on_target, act), exact(project, perm)], [exact(on_target, act), exact(dev, perm)])
    # builds run as the project's legacy build account without actAs; near miss: the right on
    # acme-dev, whose build account no policy names (and is not the one in acme-prod)
    plan["gcp-cloudbuild-002"] = (
        [exact(prod, "cloudbuild.builds.create")],
        [exact(dev, "cloudbuild.builds.create")],
    )
    # change-a-workload methods: the project holding compute running as an account; near miss:
    # one permission short (no actAs)
    for mid, perm, project in (
        ("gcp-compute-002", "compute.instances.setServiceAccount", prod),
        ("gcp-compute-003", "compute.instances.setMetadata", prod),
        ("gcp-run-002", "run.services.update", prod),
        ("gcp-cloudfunctions-002", "cloudfunctions.functions.update", dev),
    ):
        plan[mid] = ([exact(project, act, perm)], [exact(project, perm)])
    # container policies: held on that kind of container; near miss one level too low
    plan["gcp-resourcemanager-001"] = (
        [exact(prod, "resourcemanager.projects.setIamPolicy")],
        [ended(prod, "resourcemanager.projects.setIamPolicy")],
    )
    plan["gcp-resourcemanager-002"] = (
        [exact("folders/456", "resourcemanager.folders.setIamPolicy")],
        [exact(prod, "resourcemanager.folders.setIamPolicy")],
    )
    plan["gcp-resourcemanager-003"] = (
        [exact(ORG, "resourcemanager.organizations.setIamPolicy")],
        [exact("folders/456", "resourcemanager.organizations.setIamPolicy")],
    )
    return plan


PLAN = _plan()
# Accounts beside the methods: Service Account User on the target alone (no hop: actAs with
# nothing to launch, the retired gcp-iam-007), and with an instance launcher on its project
# (gcp-compute-001 through the predefined roles).
ACT_AS_ALONE, ACT_AS_LAUNCHER = "act-as-alone", "act-as-launcher"
EXTRA: dict[str, list[Binding]] = {
    ACT_AS_ALONE: [Binding(f"sa:{email(TARGET)}", "roles/iam.serviceAccountUser")],
    ACT_AS_LAUNCHER: [
        Binding(f"sa:{email(TARGET)}", "roles/iam.serviceAccountUser"),
        Binding(f"projects/{PROD}", "roles/compute.instanceAdmin.v1"),
    ],
}


def case(mid: str) -> str:
    """The account holding what ``mid`` needs."""
    return email(f"m-{mid}")


def near_miss(mid: str) -> str:
    """The account holding its near miss."""
    return email(f"x-{mid}")


def world() -> tuple[dict[str, Any], dict[str, Any]]:
    """(REST routes, gRPC responses) of the fixture organization with every case and near miss."""
    routes = http_routes()
    grpc: dict[str, Any] = copy.deepcopy(json.loads((FIXTURES / "api" / "grpc.json").read_text()))
    accounts = grpc["ListServiceAccounts"][f"projects/{PROD}"][""]["accounts"]
    roles = grpc["ListRoles"][ORG][""]["roles"]
    policies: dict[str, list[dict[str, Any]]] = {}  # resource -> bindings

    def add_account(address: str) -> None:
        name, uid = f"projects/{PROD}/serviceAccounts/{address}", str(200000000000000000000 + len(accounts))
        accounts.append(
            {"displayName": address.split("@")[0], "email": address, "etag": "MDEwMjE5MjA=", "name": name,
             "oauth2ClientId": uid, "projectId": PROD, "uniqueId": uid}
        )  # fmt: skip
        grpc["ListServiceAccountKeys"][name] = {"": {"keys": []}}
        grpc["GetIamPolicy"][name] = {"": {"etag": "ACAB"}}

    add_account(email(TARGET))
    members = [
        (mid, member, bindings, suffix)
        for mid, (held, missed) in PLAN.items()
        for member, bindings, suffix in ((case(mid), held, "m"), (near_miss(mid), missed, "x"))
    ]
    members += [(name, email(name), bindings, "e") for name, bindings in EXTRA.items()]
    for mid, member, bindings, suffix in members:
        add_account(member)
        for n, binding in enumerate(bindings):
            role = binding.role
            if not role:
                role = f"{ORG}/roles/{mid.replace('-', '_')}_{suffix}{n}"
                roles.append(
                    {"name": role, "title": role.rsplit("/", 1)[-1], "stage": "GA", "etag": "BwYZ1b2c3d4=",
                     "includedPermissions": list(binding.permissions)}
                )  # fmt: skip
            entry: dict[str, Any] = {"members": [f"serviceAccount:{member}"], "role": role}
            if binding.condition:
                entry["condition"] = binding.condition
            policies.setdefault(binding.resource, []).append(entry)
    policies.setdefault(f"projects/{PROD}", []).append(
        {"members": [f"serviceAccount:{BUILD_ACCOUNT}"], "role": "roles/cloudbuild.builds.builder"}
    )
    for resource, bindings in policies.items():
        if resource.startswith("sa:"):
            name = f"projects/{PROD}/serviceAccounts/{resource[3:]}"
            grpc["GetIamPolicy"][name][""].setdefault("bindings", []).extend(bindings)
            grpc["GetIamPolicy"][name][""]["version"] = 3
        else:
            page = routes[f"POST /v3/{resource}:getIamPolicy"]["pages"][""]
            page.setdefault("bindings", []).extend(bindings)
            page["version"] = 3
    return routes, grpc
