"""Every GCP API method the collector may call, with the permission that authorizes it.

The list is the single source of truth for the permission table in docs/gcp.md and for the
read-only test, which records every method a full scan calls on the wire and fails on any
that is undeclared or whose verb is not get, list (``aggregatedList`` included: Compute Engine's
listing of every zone at once), search or query.
"""

from __future__ import annotations

from dataclasses import dataclass

READ_VERBS = ("get", "list", "aggregatedlist", "search", "query")
RECOMMENDER = "google.iam.policy.Recommender"


@dataclass(frozen=True, kw_only=True)
class GcpOperation:
    """One API method, named as it appears on the wire (the gRPC method or REST verb)."""

    api: str
    """Service host prefix, e.g. ``"iam"`` or ``"cloudresourcemanager"``."""
    method: str
    """Method as the API names it, e.g. ``"ListServiceAccountKeys"`` or ``"projects.getIamPolicy"``."""
    permission: str
    """IAM permission checked by Google for this call."""
    why: str

    @property
    def name(self) -> str:
        return f"{self.api}:{self.method}"


OPERATIONS: tuple[GcpOperation, ...] = (
    GcpOperation(
        api="iam",
        method="policies.listPolicies",
        permission="iam.denypolicies.list",
        why="IAM deny policies on each scanned organization, folder and project (guardrails)",
    ),
    GcpOperation(
        api="iam",
        method="policies.get",
        permission="iam.denypolicies.get",
        why="each deny policy's rules (the listing carries none)",
    ),
    GcpOperation(
        api="cloudresourcemanager",
        method="organizations.get",
        permission="resourcemanager.organizations.get",
        why="the organization scanned with --organization",
    ),
    GcpOperation(
        api="cloudresourcemanager",
        method="folders.get",
        permission="resourcemanager.folders.get",
        why="the folder scanned with --folder",
    ),
    GcpOperation(
        api="cloudresourcemanager",
        method="folders.list",
        permission="resourcemanager.folders.list",
        why="folders beneath the scanned scope",
    ),
    GcpOperation(
        api="cloudresourcemanager",
        method="projects.list",
        permission="resourcemanager.projects.list",
        why="projects beneath the scanned scope",
    ),
    GcpOperation(
        api="cloudresourcemanager",
        method="projects.get",
        permission="resourcemanager.projects.get",
        why="projects named with --project",
    ),
    GcpOperation(
        api="cloudresourcemanager",
        method="organizations.getIamPolicy",
        permission="resourcemanager.organizations.getIamPolicy",
        why="organization-level bindings, at policy version 3 (conditions kept)",
    ),
    GcpOperation(
        api="cloudresourcemanager",
        method="folders.getIamPolicy",
        permission="resourcemanager.folders.getIamPolicy",
        why="folder-level bindings (version 3)",
    ),
    GcpOperation(
        api="cloudresourcemanager",
        method="projects.getIamPolicy",
        permission="resourcemanager.projects.getIamPolicy",
        why="project-level bindings (version 3)",
    ),
    GcpOperation(
        api="iam",
        method="ListServiceAccounts",
        permission="iam.serviceAccounts.list",
        why="service accounts of each project, disabled flag included",
    ),
    GcpOperation(
        api="iam",
        method="ListServiceAccountKeys",
        permission="iam.serviceAccountKeys.list",
        why="keys: type, origin, algorithm, validity window, disabled state (gRPC)",
    ),
    GcpOperation(
        api="iam",
        method="GetIamPolicy",
        permission="iam.serviceAccounts.getIamPolicy",
        why="who can impersonate each service account",
    ),
    GcpOperation(
        api="iam",
        method="ListRoles",
        permission="iam.roles.list",
        why="custom roles of each project and of the organization, in the FULL view (their permissions), "
        "deleted ones left out",
    ),
    GcpOperation(
        api="iam",
        method="projects.serviceAccounts.keys.list",
        permission="iam.serviceAccountKeys.list",
        why="REST key listing for disableReason / extendedStatus (exposed or compromised keys)",
    ),
    GcpOperation(
        api="iam",
        method="projects.locations.workloadIdentityPools.list",
        permission="iam.workloadIdentityPools.list",
        why="workload identity pools",
    ),
    GcpOperation(
        api="iam",
        method="projects.locations.workloadIdentityPools.providers.list",
        permission="iam.workloadIdentityPoolProviders.list",
        why="pool providers: issuer and attribute condition",
    ),
    GcpOperation(
        api="policyanalyzer",
        method="projects.locations.activityTypes.activities.query",
        permission="policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query",
        why="last authentication of each service account and key "
        "(also policyanalyzer.serviceAccountLastAuthenticationActivities.query)",
    ),
    *(
        GcpOperation(
            api="recommender",
            method=f"{kind}.locations.recommenders.recommendations.list",
            permission="recommender.iamPolicyRecommendations.list",
            why=f"IAM Recommender role recommendations ({RECOMMENDER}) of each scanned {noun}: "
            "which bindings Google would remove or replace after 90 days of use",
        )
        for kind, noun in (("projects", "project"), ("folders", "folder"), ("organizations", "organization"))
    ),
    GcpOperation(
        api="orgpolicy",
        method="policies.getEffectivePolicy",
        permission="orgpolicy.policy.get",
        why="effective key creation / upload / expiry constraints on each project",
    ),
    GcpOperation(
        api="compute",
        method="instances.aggregatedList",
        permission="compute.instances.list",
        why="Compute Engine instances of every zone and the service accounts they run as",
    ),
    GcpOperation(
        api="run",
        method="projects.locations.services.list",
        permission="run.services.list",
        why="Cloud Run services of every region (location -) and the service account of each revision template",
    ),
    GcpOperation(
        api="cloudfunctions",
        method="projects.locations.functions.list",
        permission="cloudfunctions.functions.list",
        why="Cloud Functions (v2) of every region and their runtime and build service accounts",
    ),
    GcpOperation(
        api="container",
        method="projects.locations.clusters.list",
        permission="container.clusters.list",
        why="GKE clusters of every location: node pools' service accounts and the workload identity pool",
    ),
)

# Read-only role grants that cover every permission above (docs/gcp.md).
READ_ONLY_ROLES = (
    "roles/iam.securityReviewer",
    "roles/browser",
    "roles/policyanalyzer.activityAnalysisViewer",
    "roles/recommender.iamViewer",
    "roles/orgpolicy.policyViewer",
    "roles/compute.viewer",
    "roles/run.viewer",
    "roles/cloudfunctions.viewer",
    "roles/container.clusterViewer",
)


def declared_methods() -> frozenset[str]:
    return frozenset(op.name for op in OPERATIONS)
