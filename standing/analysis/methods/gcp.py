"""GCP escalation methods (see standing.analysis.methods).

pathfinding.cloud has no GCP paths, so every id here is ``gcp-<service>-NNN``. Where the
collector already records a role binding as a ``Trust`` (token creator, service account user,
workload identity user, key admin), the hop ``escalation`` follows for it carries the method
of ``TRUST_ROLE_METHODS``; ``escalation_gcp`` derives the rest from the permissions of the
roles held, where they are held.
"""

from __future__ import annotations

from standing.analysis.methods import EscalationMethod
from standing.core.model import Provider

_TESTS = "tests/test_escalation_gcp.py"


def _method(mid: str, hop: str, actions: tuple[str, ...], summary: str, test: str) -> EscalationMethod:
    return EscalationMethod(
        id=mid, provider=Provider.GCP, hop=hop, actions=actions, summary=summary, test=f"{_TESTS}::{test}"
    )


METHODS: tuple[EscalationMethod, ...] = (
    _method(
        "gcp-iam-001",
        "impersonate",
        ("iam.serviceAccounts.getAccessToken",),
        "mints an OAuth access token for the service account",
        "test_get_access_token_on_the_account_or_its_project_and_not_on_another",
    ),
    _method(
        "gcp-iam-002",
        "impersonate",
        ("iam.serviceAccounts.signJwt",),
        "signs a JWT as the service account and trades it for a token",
        "test_sign_jwt_and_sign_blob_are_impersonation",
    ),
    _method(
        "gcp-iam-003",
        "impersonate",
        ("iam.serviceAccounts.signBlob",),
        "signs a self-made token assertion as the service account",
        "test_sign_jwt_and_sign_blob_are_impersonation",
    ),
    _method(
        "gcp-iam-004",
        "impersonate",
        ("iam.serviceAccounts.implicitDelegation",),
        "has tokens minted for the service account through a delegation chain",
        "test_implicit_delegation",
    ),
    _method(
        "gcp-iam-005",
        "create-credentials",
        ("iam.serviceAccountKeys.create",),
        "creates a key for the service account",
        "test_key_creation_and_key_admin_trust",
    ),
    _method(
        "gcp-iam-006",
        "set-iam-policy",
        ("iam.serviceAccounts.setIamPolicy",),
        "rewrites the service account's IAM policy to let itself impersonate it",
        "test_set_iam_policy_on_a_service_account",
    ),
    _method(
        "gcp-iam-007",
        "impersonate",
        ("iam.serviceAccounts.actAs",),
        "holds Service Account User on it: can run compute as it",
        "test_trust_hops_carry_the_method_of_their_role",
    ),
    _method(
        "gcp-iam-008",
        "impersonate",
        ("iam.serviceAccounts.getAccessToken",),
        "holds Workload Identity User on it: exchanges its own identity for the account's token",
        "test_trust_hops_carry_the_method_of_their_role",
    ),
    _method(
        "gcp-iam-009",
        "impersonate",
        ("iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.signJwt", "iam.serviceAccounts.signBlob"),
        "holds Service Account Token Creator on it: mints tokens as it",
        "test_trust_hops_carry_the_method_of_their_role",
    ),
    _method(
        "gcp-iam-010",
        "owner",
        ("iam.serviceAccountKeys.create",),
        "holds Service Account Key Admin on it: creates keys for it",
        "test_key_creation_and_key_admin_trust",
    ),
    _method(
        "gcp-compute-001",
        "pass-role",
        ("iam.serviceAccounts.actAs", "compute.instances.create"),
        "creates a Compute Engine instance running as the service account",
        "test_instance_creation_needs_act_as_and_create_in_the_accounts_project",
    ),
    _method(
        "gcp-compute-002",
        "existing-compute",
        ("iam.serviceAccounts.actAs", "compute.instances.setServiceAccount"),
        "switches an existing instance of the project to run as the service account",
        "test_set_service_account_needs_an_existing_instance",
    ),
    _method(
        "gcp-compute-003",
        "existing-compute",
        ("iam.serviceAccounts.actAs", "compute.instances.setMetadata"),
        "sets a startup script or SSH key on an instance already running as the service account",
        "test_set_metadata_on_an_instance_running_as_the_account",
    ),
    _method(
        "gcp-cloudfunctions-001",
        "pass-role",
        ("iam.serviceAccounts.actAs", "cloudfunctions.functions.create"),
        "deploys a Cloud Function running as the service account",
        "test_functions_and_run_create_or_update",
    ),
    _method(
        "gcp-cloudfunctions-002",
        "existing-compute",
        ("iam.serviceAccounts.actAs", "cloudfunctions.functions.update"),
        "replaces the code of a function already running as the service account",
        "test_functions_and_run_create_or_update",
    ),
    _method(
        "gcp-run-001",
        "pass-role",
        ("iam.serviceAccounts.actAs", "run.services.create"),
        "deploys a Cloud Run service running as the service account",
        "test_functions_and_run_create_or_update",
    ),
    _method(
        "gcp-run-002",
        "existing-compute",
        ("iam.serviceAccounts.actAs", "run.services.update"),
        "deploys a new revision of a service already running as the service account",
        "test_functions_and_run_create_or_update",
    ),
    _method(
        "gcp-cloudbuild-001",
        "pass-role",
        ("iam.serviceAccounts.actAs", "cloudbuild.builds.create"),
        "runs a Cloud Build build as the service account",
        "test_cloud_build_runs_as_the_build_account",
    ),
    _method(
        "gcp-cloudbuild-002",
        "pass-role",
        ("cloudbuild.builds.create",),
        "runs a Cloud Build build as the project's legacy Cloud Build service account (no actAs asked)",
        "test_cloud_build_runs_as_the_build_account",
    ),
    _method(
        "gcp-resourcemanager-001",
        "set-iam-policy",
        ("resourcemanager.projects.setIamPolicy",),
        "rewrites a project's IAM policy: grants itself Owner",
        "test_set_iam_policy_on_a_project_folder_or_organization",
    ),
    _method(
        "gcp-resourcemanager-002",
        "set-iam-policy",
        ("resourcemanager.folders.setIamPolicy",),
        "rewrites a folder's IAM policy: grants itself Owner of everything beneath",
        "test_set_iam_policy_on_a_project_folder_or_organization",
    ),
    _method(
        "gcp-resourcemanager-003",
        "set-iam-policy",
        ("resourcemanager.organizations.setIamPolicy",),
        "rewrites the organization's IAM policy: grants itself Owner of everything",
        "test_set_iam_policy_on_a_project_folder_or_organization",
    ),
)

# The predefined roles the GCP collector records as trusts, and the method of the hop each makes.
TRUST_ROLE_METHODS = {
    "roles/iam.serviceAccountTokenCreator": "gcp-iam-009",
    "roles/iam.serviceAccountUser": "gcp-iam-007",
    "roles/iam.workloadIdentityUser": "gcp-iam-008",
    "roles/iam.serviceAccountKeyAdmin": "gcp-iam-010",
}
