"""Every AWS operation the collector may call, and the read-only policy derived from them.

The list is the single source of truth for three things that must agree: the calls the
collector makes (a runtime guard refuses anything else, see ``session.py``), the
least-privilege policy docs/aws.md prints, and the permissions a user grants the scanner role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class AwsOperation:
    """One API operation the collector calls, with the IAM action that authorizes it."""

    service: str
    """boto3 client name and IAM action prefix, e.g. ``"iam"``."""
    api: str
    """Operation name as botocore spells it, e.g. ``"GetAccountAuthorizationDetails"``."""
    why: str
    """One line for the docs' call table: what the scan learns from this call."""
    authorized_by: str = ""
    """IAM action when it is not ``service:api``: the ``accessanalyzer`` client is authorized
    by ``access-analyzer:*``, and ``GetFindingV2``/``ListFindingsV2`` by ``GetFinding``/
    ``ListFindings`` (IAM Access Analyzer API reference). Empty: ``service:api``."""
    action: str = field(init=False)
    """IAM action that authorizes the call, e.g. ``"iam:GetAccountAuthorizationDetails"``."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", self.authorized_by or f"{self.service}:{self.api}")


OPERATIONS: tuple[AwsOperation, ...] = (
    AwsOperation(
        service="iam",
        api="GetAccountAuthorizationDetails",
        why="users, groups, roles, trust policies and policy documents in one paginated call",
    ),
    AwsOperation(
        service="iam",
        api="GenerateCredentialReport",
        why="asks IAM to (re)build the credential report; creates no principal or credential",
    ),
    AwsOperation(
        service="iam",
        api="GetCredentialReport",
        why="console passwords, MFA, access key status and last use for every user",
    ),
    AwsOperation(
        service="iam",
        api="ListAccessKeys",
        why="access key ids (never secrets) for users the credential report shows with a key",
    ),
    AwsOperation(
        service="iam",
        api="ListOpenIDConnectProviders",
        why="OIDC federation already in place (keyless CI and workloads)",
    ),
    AwsOperation(
        service="iam",
        api="GetOpenIDConnectProvider",
        why="issuer URL and audiences of each OIDC provider",
    ),
    AwsOperation(
        service="iam",
        api="ListSAMLProviders",
        why="SAML federation already in place (human sign-in)",
    ),
    AwsOperation(
        service="sts",
        api="GetCallerIdentity",
        why="which account the credentials belong to",
    ),
    AwsOperation(
        service="sts",
        api="AssumeRole",
        why="organization scans: enter the read-only role in each member account",
    ),
    AwsOperation(
        service="organizations",
        api="ListAccounts",
        why="organization scans: the member accounts to scan",
    ),
    AwsOperation(
        service="organizations",
        api="DescribeOrganization",
        why="organization scans: the organization id that parents every account scope, and its management account",
    ),
    AwsOperation(
        service="organizations",
        api="ListRoots",
        why="organization scans: the roots guardrails attach to",
    ),
    AwsOperation(
        service="organizations",
        api="ListOrganizationalUnitsForParent",
        why="organization scans: the OU tree, walked once, that guardrails attach to",
    ),
    AwsOperation(
        service="organizations",
        api="ListAccountsForParent",
        why="organization scans: which root or OU each account sits under",
    ),
    AwsOperation(
        service="organizations",
        api="ListPolicies",
        why="organization scans: service and resource control policies (guardrails above the account)",
    ),
    AwsOperation(
        service="organizations",
        api="DescribePolicy",
        why="organization scans: each control policy's document",
    ),
    AwsOperation(
        service="organizations",
        api="ListTargetsForPolicy",
        why="organization scans: where each control policy is attached",
    ),
    # Workloads: which compute runs as which role, read per enabled region.
    AwsOperation(service="ec2", api="DescribeRegions", why="workloads: the regions enabled in the account"),
    AwsOperation(service="lambda", api="ListFunctions", why="workloads: functions and their execution roles"),
    AwsOperation(
        service="ec2", api="DescribeInstances", why="workloads: instances and their instance profiles (the role)"
    ),
    AwsOperation(
        service="ssm",
        api="DescribeInstanceInformation",
        why="workloads: which instances Systems Manager can run commands on",
    ),
    AwsOperation(service="ecs", api="ListClusters", why="workloads: ECS clusters"),
    AwsOperation(service="ecs", api="ListServices", why="workloads: the services of each ECS cluster"),
    AwsOperation(service="ecs", api="DescribeServices", why="workloads: the task definition each service runs"),
    AwsOperation(
        service="ecs",
        api="DescribeTaskDefinition",
        why="workloads: task and execution roles, for the task definitions services run only",
    ),
    AwsOperation(
        service="cloudformation", api="DescribeStacks", why="workloads: stacks and the service role they deploy as"
    ),
    AwsOperation(service="glue", api="GetDevEndpoints", why="workloads: Glue development endpoints and their role"),
    AwsOperation(service="sagemaker", api="ListNotebookInstances", why="workloads: SageMaker notebook instances"),
    AwsOperation(
        service="sagemaker", api="DescribeNotebookInstance", why="workloads: a notebook instance's role (not listed)"
    ),
    AwsOperation(service="codebuild", api="ListProjects", why="workloads: CodeBuild project names"),
    AwsOperation(service="codebuild", api="BatchGetProjects", why="workloads: CodeBuild service roles, 100 at a time"),
    AwsOperation(service="eks", api="ListClusters", why="workloads: EKS clusters"),
    AwsOperation(
        service="eks", api="ListPodIdentityAssociations", why="workloads: EKS pod identity associations per cluster"
    ),
    AwsOperation(
        service="eks",
        api="DescribePodIdentityAssociation",
        why="workloads: the role of a pod identity association (not listed)",
    ),
    # Usage (issue 18): what each identity used of its grants. Bulk first (Access Analyzer's
    # unused-access findings, one paged read per account), Access Advisor only per flagged identity.
    AwsOperation(
        service="accessanalyzer",
        api="ListAnalyzers",
        authorized_by="access-analyzer:ListAnalyzers",
        why="usage: whether an unused-access analyzer exists, and its unusedAccessAge window",
    ),
    AwsOperation(
        service="accessanalyzer",
        api="ListFindingsV2",
        authorized_by="access-analyzer:ListFindings",
        why="usage: the account's active unused-access findings, one paged read",
    ),
    AwsOperation(
        service="accessanalyzer",
        api="GetFindingV2",
        authorized_by="access-analyzer:GetFinding",
        why="usage: the unused services and actions of one UnusedPermission finding",
    ),
    AwsOperation(
        service="iam",
        api="GenerateServiceLastAccessedDetails",
        why="usage: starts an Access Advisor report job for one flagged identity; changes no principal or policy",
    ),
    AwsOperation(
        service="iam",
        api="GetServiceLastAccessedDetails",
        why="usage: services and tracked actions the identity used in AWS's 400-day window (polled, paged)",
    ),
)


def operation(service: str, api: str) -> AwsOperation:
    """The declared operation, or ``KeyError``: collector code names only declared calls."""
    for op in OPERATIONS:
        if op.service == service and op.api == api:
            return op
    raise KeyError(f"{service}:{api} is not a declared AWS operation")


def declared_actions() -> frozenset[str]:
    return frozenset(op.action for op in OPERATIONS)


def read_only_policy() -> dict[str, Any]:
    """IAM policy document allowing exactly the declared actions, for the scanner's role.

    Every action is read-only except ``iam:GenerateCredentialReport`` (builds a cached report),
    ``iam:GenerateServiceLastAccessedDetails`` (starts a report job; IAM lists it as a Read
    action, it changes no principal or policy) and ``sts:AssumeRole`` (only needed in the account that runs an organization scan).
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StandingReadOnlyScan",
                "Effect": "Allow",
                "Action": sorted(declared_actions()),
                "Resource": "*",
            }
        ],
    }
