"""GCP escalation methods (see standing.analysis.methods).

pathfinding.cloud has no GCP paths, so every id here is ``gcp-<service>-NNN``. Where the
collector already records a role binding as a ``Trust`` (token creator, workload identity
user, key admin), the hop ``escalation`` follows for it carries the method of
``TRUST_ROLE_METHODS``; ``escalation_gcp`` derives the rest from the permissions of the roles
held, where they are held.

Service Account User is recorded as a trust too, but it is no hop by itself (``actAs`` only
lets compute run as the account): ``escalation`` does not follow it (``ONLY_WITH_A_LAUNCHER``),
and ``escalation_gcp`` makes the hop where the holder can also launch or change compute in the
account's project (``gcp-compute-001`` and the rest naming ``actAs``). ``gcp-iam-007``, once
that trust followed alone, is retired and not reused.
"""

from __future__ import annotations

from standing.analysis.methods import EscalationMethod, method_maker
from standing.core.model import Provider

# Shown through the real clients against the replay servers, beside its near miss
WIRE = "tests/test_escalation_methods_wire.py::test_gcp_method_through_the_wire_and_its_near_miss"
_method = method_maker(Provider.GCP, WIRE)


METHODS: tuple[EscalationMethod, ...] = (
    _method(
        "gcp-iam-001",
        "impersonate",
        ("iam.serviceAccounts.getAccessToken",),
        "mints an OAuth access token for the service account",
    ),
    _method(
        "gcp-iam-002",
        "impersonate",
        ("iam.serviceAccounts.signJwt",),
        "signs a JWT as the service account and trades it for a token",
    ),
    _method(
        "gcp-iam-003",
        "impersonate",
        ("iam.serviceAccounts.signBlob",),
        "signs a self-made token assertion as the service account",
    ),
    _method(
        "gcp-iam-004",
        "impersonate",
        ("iam.serviceAccounts.implicitDelegation",),
        "has tokens minted for the service account through a delegation chain",
    ),
    _method(
        "gcp-iam-005",
        "create-credentials",
        ("iam.serviceAccountKeys.create",),
        "creates a key for the service account",
    ),
    _method(
        "gcp-iam-006",
        "set-iam-policy",
        ("iam.serviceAccounts.setIamPolicy",),
        "rewrites the service account's IAM policy to let itself impersonate it",
    ),
    _method(
        "gcp-iam-008",
        "impersonate",
        ("iam.serviceAccounts.getAccessToken",),
        "holds Workload Identity User on it: exchanges its own identity for the account's token",
    ),
    _method(
        "gcp-iam-009",
        "impersonate",
        ("iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signJwt", "iam.serviceAccounts.signBlob"),
        "holds Service Account Token Creator on it: mints tokens as it",
    ),
    _method(
        "gcp-iam-010",
        "owner",
        ("iam.serviceAccountKeys.create",),
        "holds Service Account Key Admin on it: creates keys for it",
    ),
    _method(
        "gcp-compute-001",
        "pass-role",
        ("iam.serviceAccounts.actAs", "compute.instances.create"),
        "creates a Compute Engine instance running as the service account",
    ),
    _method(
        "gcp-compute-002",
        "existing-compute",
        ("iam.serviceAccounts.actAs", "compute.instances.setServiceAccount"),
        "switches an existing instance of the project to run as the service account",
    ),
    _method(
        "gcp-compute-003",
        "existing-compute",
        ("iam.serviceAccounts.actAs", "compute.instances.setMetadata"),
        "sets a startup script or SSH key on an instance already running as the service account",
    ),
    _method(
        "gcp-cloudfunctions-001",
        "pass-role",
        ("iam.serviceAccounts.actAs", "cloudfunctions.functions.create"),
        "deploys a Cloud Function running as the service account",
    ),
    _method(
        "gcp-cloudfunctions-002",
        "existing-compute",
        ("iam.serviceAccounts.actAs", "cloudfunctions.functions.update"),
        "replaces the code of a function already running as the service account",
    ),
    _method(
        "gcp-run-001",
        "pass-role",
        ("iam.serviceAccounts.actAs", "run.services.create"),
        "deploys a Cloud Run service running as the service account",
    ),
    _method(
        "gcp-run-002",
        "existing-compute",
        ("iam.serviceAccounts.actAs", "run.services.update"),
        "deploys a new revision of a service already running as the service account",
    ),
    _method(
        "gcp-cloudbuild-001",
        "pass-role",
        ("iam.serviceAccounts.actAs", "cloudbuild.builds.create"),
        "runs a Cloud Build build as the service account",
    ),
    _method(
        "gcp-cloudbuild-002",
        "pass-role",
        ("cloudbuild.builds.create",),
        "runs a Cloud Build build as the project's legacy Cloud Build service account (no actAs asked)",
    ),
    _method(
        "gcp-resourcemanager-001",
        "set-iam-policy",
        ("resourcemanager.projects.setIamPolicy",),
        "rewrites a project's IAM policy: grants itself Owner",
    ),
    _method(
        "gcp-resourcemanager-002",
        "set-iam-policy",
        ("resourcemanager.folders.setIamPolicy",),
        "rewrites a folder's IAM policy: grants itself Owner of everything beneath",
    ),
    _method(
        "gcp-resourcemanager-003",
        "set-iam-policy",
        ("resourcemanager.organizations.setIamPolicy",),
        "rewrites the organization's IAM policy: grants itself Owner of everything",
    ),
)

# The predefined roles the GCP collector records as trusts, and the method of the hop each makes.
TRUST_ROLE_METHODS = {
    "roles/iam.serviceAccountTokenCreator": "gcp-iam-009",
    "roles/iam.workloadIdentityUser": "gcp-iam-008",
    "roles/iam.serviceAccountKeyAdmin": "gcp-iam-010",
}

# Roles the collector records as trusts that are no hop alone: ``actAs`` needs a launcher too.
ONLY_WITH_A_LAUNCHER = frozenset({"roles/iam.serviceAccountUser"})
