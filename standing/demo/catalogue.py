"""The estates `standing` ships: the demo company, the end-to-end test estate, and a
deterministic generator of large estates for benchmarks.

Every user and role states the rule ids a correct scan reports for it (``expect``); a
test re-derives them from the documents and key dates so the two cannot drift apart.
Key ages and last-used days stay well away from the 7/45/90-day thresholds.
"""

from __future__ import annotations

import random
from typing import Any

from standing.demo.seeder import REGION
from standing.demo.spec import (
    DEFAULT_ACCOUNT_ID,
    EstateSpec,
    FunctionSpec,
    GroupSpec,
    InstanceSpec,
    KeySpec,
    OidcProviderSpec,
    PolicyDocument,
    PolicySpec,
    RoleSpec,
    RuleId,
    UserSpec,
    expected_key_rules,
)

ACCOUNT = DEFAULT_ACCOUNT_ID
PARTNER_ACCOUNT = "999988887777"  # a partner trusted without any condition
VENDOR_ACCOUNT = "111122223333"  # a SaaS vendor trusted with an sts:ExternalId
GITHUB = OidcProviderSpec(url="https://token.actions.githubusercontent.com")
# Compute of the demo, in the seeder's region: a function running as the over-privileged
# provisioning role (its code deployed by a CI key), and the bastion host.
USER_PROVISIONER = FunctionSpec(name="user-provisioner", role="lambda-user-provisioner")
BASTION = InstanceSpec(name="bastion", role="ec2-bastion")
EKS = OidcProviderSpec(url="https://oidc.eks.us-east-1.amazonaws.com/id/5C2E1B0F9A7D4E3B8C6A1F2D0E9B7A64")

KEY_TOO_OLD = RuleId.KEY_TOO_OLD.value
KEY_UNUSED = RuleId.KEY_UNUSED.value
TWO_KEYS = RuleId.TWO_ACTIVE_KEYS.value
ADMIN = RuleId.ADMIN_EQUIVALENT.value
OPEN_TRUST = RuleId.OPEN_TRUST.value
THIRD_PARTY = RuleId.THIRD_PARTY_AWS_TRUST.value
OIDC_UNPINNED = RuleId.OIDC_SUBJECT_UNPINNED.value
CONSOLE_KEYS = RuleId.CONSOLE_AND_KEYS.value
PATH = RuleId.PATH_TO_ADMIN.value
AI = RuleId.AI_WORKLOAD_STANDING_ACCESS.value
UNUSED_PERMISSIONS = RuleId.PERMISSIONS_UNUSED.value
SHARED = RuleId.SHARED_IDENTITY.value
UNUSED = RuleId.IDENTITY_UNUSED.value
DORMANT = RuleId.DORMANT_PRIVILEGED_IDENTITY.value


# --- documents -----------------------------------------------------------------------


def _doc(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(actions: str | list[str], resources: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _trust(principal: Any, *, condition: dict[str, Any] | None = None) -> PolicyDocument:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return _doc(statement)


def _service(service: str) -> PolicyDocument:
    return _trust({"Service": service})


def _account_root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def _web_identity(provider: OidcProviderSpec, account: str, condition: dict[str, Any]) -> PolicyDocument:
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider.arn(account)},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )


def _github(account: str, *, sub: str | None, like: bool = False) -> PolicyDocument:
    """GitHub Actions trust: always checks the audience; the subject only when given."""
    host = GITHUB.host
    condition: dict[str, Any] = {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"}}
    if sub is not None:
        condition["StringLike" if like else "StringEquals"] = condition.get(
            "StringLike" if like else "StringEquals", {}
        ) | {f"{host}:sub": sub}
    return _web_identity(GITHUB, account, condition)


# Customer-managed policies, shared by the estates. "Admin" ones meet admin-equivalent:
# Action "*" on Resource "*", or IAM permissions management on Resource "*".
ADMIN_EVERYTHING = PolicySpec(
    name="AdminEverything", document=_doc(_allow("*")), expect=frozenset({RuleId.PRIVILEGED_CUSTOM_POLICY})
)
IAM_USER_MANAGEMENT = PolicySpec(
    name="IamUserManagement",
    document=_doc(
        _allow(
            [
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:PutUserPolicy",
                "iam:AttachUserPolicy",
                "iam:AddUserToGroup",
            ]
        ),
        _allow(["iam:GetUser", "iam:ListUsers", "iam:ListAccessKeys"]),
    ),
    expect=frozenset({RuleId.PRIVILEGED_CUSTOM_POLICY}),
)
READ_ONLY_OBSERVABILITY = PolicySpec(
    name="ReadOnlyObservability",
    document=_doc(
        _allow(
            [
                "cloudwatch:GetMetricData",
                "cloudwatch:ListMetrics",
                "logs:FilterLogEvents",
                "logs:GetLogEvents",
                "logs:DescribeLogGroups",
            ]
        )
    ),
)
ARTIFACTS_READ_WRITE = PolicySpec(
    name="ArtifactsReadWrite",
    document=_doc(
        _allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-build-artifacts/*"),
        _allow("s3:ListBucket", "arn:aws:s3:::acme-build-artifacts"),
    ),
)
DEPLOY_PAYMENTS = PolicySpec(
    name="DeployPayments",
    document=_doc(
        _allow(["ecs:UpdateService", "ecs:DescribeServices", "ecs:RegisterTaskDefinition"]),
        _allow(["ecr:GetAuthorizationToken"]),
        # Scoped PassRole: permissions management, but not on Resource "*".
        _allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/service/ecs-task-payments"),
    ),
)
DATA_LAKE_READ = PolicySpec(
    name="DataLakeRead",
    document=_doc(
        _allow("s3:GetObject", "arn:aws:s3:::acme-data-lake/*"),
        _allow("s3:ListBucket", "arn:aws:s3:::acme-data-lake"),
        _allow(["athena:StartQueryExecution", "athena:GetQueryResults"]),
    ),
)
COST_REPORTS_READ = PolicySpec(
    name="CostReportsRead",
    document=_doc(_allow(["ce:GetCostAndUsage", "ce:GetCostForecast", "cur:DescribeReportDefinitions"])),
)
TERRAFORM_STATE = PolicySpec(
    name="TerraformState",
    document=_doc(
        _allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-terraform-state/*"),
        _allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/terraform-locks",
        ),
    ),
)
LAMBDA_LOGS = PolicySpec(
    name="LambdaBasicLogging",
    document=_doc(
        _allow(
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            f"arn:aws:logs:us-east-1:{ACCOUNT}:*",
        )
    ),
)
ORDERS_TABLE = PolicySpec(
    name="OrdersTableAccess",
    document=_doc(
        _allow(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
        )
    ),
)
PAYMENTS_SECRETS = PolicySpec(
    name="PaymentsSecretsRead",
    document=_doc(
        _allow(
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:payments/*",
        )
    ),
)
TRAINING_JOBS = PolicySpec(
    name="SageMakerTrainingJobs",
    document=_doc(
        _allow(["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"]),
        _allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-ml-datasets/*"),
        _allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]),
        # Meant for the training role; the wildcard also passes the admin notebook role.
        _allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/service-role/sagemaker-*"),
    ),
)
NOTEBOOK_BROAD = PolicySpec(
    name="NotebookBroadAccess",
    # Broad, but neither "*" on "*" nor IAM: not admin-equivalent.
    document=_doc(_allow(["s3:*", "sagemaker:*", "athena:*", "glue:Get*"])),
)
BEDROCK_AGENT_BROAD = PolicySpec(
    name="BedrockAgentBroad",
    # PassRole on "*" next to lambda:* lets the agent run code as any role a Lambda may take:
    # not privilege management in itself, but a hop to lambda-user-provisioner (path-to-admin).
    document=_doc(_allow(["bedrock:*", "lambda:*", "s3:*", "dynamodb:*", "iam:PassRole"])),
)
BACKUP_OPERATOR = PolicySpec(
    name="BackupOperator",
    document=_doc(
        _allow(["backup:StartBackupJob", "backup:DescribeBackupJob", "backup:ListBackupJobs"]),
        _allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/service-role/backup-service"),
    ),
)
ECR_PULL = _doc(_allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]))

_ALL_POLICIES = (
    ADMIN_EVERYTHING,
    IAM_USER_MANAGEMENT,
    READ_ONLY_OBSERVABILITY,
    ARTIFACTS_READ_WRITE,
    DEPLOY_PAYMENTS,
    DATA_LAKE_READ,
    COST_REPORTS_READ,
    TERRAFORM_STATE,
    LAMBDA_LOGS,
    ORDERS_TABLE,
    PAYMENTS_SECRETS,
    TRAINING_JOBS,
    NOTEBOOK_BROAD,
    BEDROCK_AGENT_BROAD,
    BACKUP_OPERATOR,
)


def _key(age: int, used: int | None = None, *, active: bool = True) -> KeySpec:
    return KeySpec(age_days=age, last_used_days_ago=used, active=active)


def _expect(*rules: str) -> frozenset[str]:
    return frozenset(rules)


# --- the demo company: Acme Ledger ----------------------------------------------------


def demo_estate(*, aws_managed_admin_role: bool = False) -> EstateSpec:
    """Acme Ledger: a payments company with a decade of IAM habits, 50 users and roles.

    ``aws_managed_admin_role`` adds one role with the AWS managed ``AdministratorAccess``
    policy; seed it only into a server started with ``aws_managed_policies=True``.
    """
    users = (
        # CI users whose keys are years old and still used every day.
        UserSpec(
            name="ci-jenkins",
            path="/ci/",
            keys=(_key(412, 0),),
            groups=("ci-runners",),
            # Deploys by hopping through the orchestrator role, which may assume acme-admin.
            inline_policies=(
                (
                    "assume-deploy-orchestrator",
                    _doc(_allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/deploy-orchestrator")),
                ),
            ),
            tags=(("owner", "platform"), ("workload", "ci")),
            expect=_expect(KEY_TOO_OLD, PATH),
        ),
        UserSpec(
            name="ci-github-legacy",
            path="/ci/",
            keys=(_key(265, 1),),
            managed_policies=("ArtifactsReadWrite",),
            # Deploys the user-provisioner function's code: whoever holds this key runs code
            # as lambda-user-provisioner, which can create users and attach any policy.
            inline_policies=(
                (
                    "deploy-user-provisioner",
                    _doc(_allow("lambda:UpdateFunctionCode", USER_PROVISIONER.arn(ACCOUNT, REGION))),
                ),
            ),
            tags=(("owner", "platform"), ("workload", "ci")),
            expect=_expect(KEY_TOO_OLD, PATH),
        ),
        UserSpec(
            name="ci-circleci-mobile",
            path="/ci/",
            keys=(_key(231, 1),),
            groups=("ci-runners",),
            tags=(("owner", "mobile"), ("workload", "ci")),
            expect=_expect(KEY_TOO_OLD),
        ),
        # Shared by two teams; its second key was made for the other team, not a rotation.
        UserSpec(
            name="deploy-shared",
            path="/deploy/",
            keys=(_key(301, 1), _key(38, 2)),
            managed_policies=("DeployPayments",),
            tags=(("team", "payments"), ("team-secondary", "ledger"), ("workload", "ci")),
            expect=_expect(KEY_TOO_OLD, TWO_KEYS, SHARED),
        ),
        UserSpec(
            name="etl-nightly",
            path="/data/",
            keys=(_key(120),),
            groups=("data-readers",),
            tags=(("owner", "data"),),
            expect=_expect(KEY_TOO_OLD, KEY_UNUSED),
        ),
        UserSpec(
            name="reporting-export",
            path="/data/",
            keys=(_key(418, 200),),
            groups=("data-readers",),
            tags=(("owner", "finance"),),
            expect=_expect(KEY_TOO_OLD, KEY_UNUSED),
        ),
        UserSpec(
            name="svc-partner-sftp",
            path="/integrations/",
            keys=(_key(205, 62),),
            inline_policies=(
                (
                    "sftp-drop",
                    _doc(_allow("s3:PutObject", "arn:aws:s3:::acme-partner-drop/*")),
                ),
            ),
            expect=_expect(KEY_TOO_OLD, KEY_UNUSED),
        ),
        # A SaaS CRM that only accepts a static key: it cannot be made ephemeral. Its key is
        # limited to the vendor's egress range (a control already in place) and the plan
        # adds the rest (rotation, alerting, an exception expiry).
        UserSpec(
            name="svc-salesforce-sync",
            path="/integrations/",
            keys=(_key(190, 0),),
            inline_policies=(
                (
                    "crm-export-drop",
                    _doc(
                        {
                            **_allow("s3:PutObject", "arn:aws:s3:::acme-crm-exports/*"),
                            "Condition": {"IpAddress": {"aws:SourceIp": ["13.108.0.0/14"]}},
                        }
                    ),
                ),
            ),
            tags=(("owner", "revenue-ops"), ("third-party", "salesforce")),
            expect=_expect(KEY_TOO_OLD),
        ),
        UserSpec(
            name="svc-cost-reporter",
            path="/automation/",
            keys=(_key(150, 1),),
            groups=("billing",),
            expect=_expect(KEY_TOO_OLD),
        ),
        UserSpec(
            name="svc-ml-pipeline",
            path="/ml/",
            keys=(_key(104, 0),),
            managed_policies=("SageMakerTrainingJobs",),
            tags=(("workload", "training"),),
            expect=_expect(KEY_TOO_OLD, PATH, AI),
        ),
        # Mid-rotation: both keys active and in use.
        UserSpec(
            name="svc-ledger-batch",
            path="/automation/",
            keys=(_key(31, 1), _key(19, 0)),
            managed_policies=("OrdersTableAccess",),
            tags=(("team", "ledger"),),
            expect=_expect(TWO_KEYS),
        ),
        # Automation that can write IAM on any resource.
        UserSpec(
            name="svc-iam-provisioner",
            path="/automation/",
            keys=(_key(61, 1),),
            managed_policies=("IamUserManagement",),
            tags=(("owner", "identity"),),
            expect=_expect(ADMIN),
        ),
        UserSpec(
            name="svc-terraform",
            path="/automation/",
            keys=(_key(74, 0),),
            groups=("platform-admins",),
            managed_policies=("TerraformState",),
            tags=(("owner", "platform"), ("workload", "ci")),
            expect=_expect(ADMIN),
        ),
        # An admin user whose only key was deactivated: no standing key, yet still an admin
        # identity anyone allowed iam:CreateAccessKey on it could arm.
        UserSpec(
            name="svc-old-admin",
            path="/automation/",
            keys=(_key(700, 480, active=False),),
            managed_policies=("AdminEverything",),
            expect=_expect(UNUSED, DORMANT),  # dead, but still an admin identity
        ),
        # An old inactive key next to a fresh active one: one active key only.
        UserSpec(
            name="svc-legacy-ftp",
            path="/integrations/",
            keys=(_key(700, 500, active=False), _key(15, 1)),
            inline_policies=(("ftp-bucket", _doc(_allow("s3:GetObject", "arn:aws:s3:::acme-ftp/*"))),),
        ),
        UserSpec(
            name="svc-backup",
            path="/automation/",
            keys=(_key(52, 2),),
            managed_policies=("BackupOperator",),
        ),
        UserSpec(
            name="svc-monitoring-agent",
            path="/automation/",
            keys=(_key(20, 0),),
            managed_policies=("ReadOnlyObservability",),
        ),
        UserSpec(
            name="svc-payments-webhook",
            path="/integrations/",
            keys=(_key(80, 0),),
            managed_policies=("PaymentsSecretsRead",),
            tags=(("team", "payments"),),
        ),
        # Provisioned two days ago and not used yet: inside the grace period.
        UserSpec(
            name="svc-data-sync",
            path="/data/",
            keys=(_key(2),),
            groups=("data-readers",),
        ),
        UserSpec(
            name="svc-clean-control",
            keys=(_key(10, 1),),
            managed_policies=("ReadOnlyObservability",),
            tags=(("purpose", "control"),),
        ),
        # People with console passwords.
        UserSpec(
            name="jane.doe",
            path="/people/",
            keys=(_key(30, 3),),
            console_password=True,
            groups=("developers",),
            expect=_expect(CONSOLE_KEYS),
        ),
        UserSpec(
            name="carol.contractor",
            path="/people/",
            keys=(_key(150),),
            console_password=True,
            groups=("developers",),
            expect=_expect(CONSOLE_KEYS, KEY_TOO_OLD, KEY_UNUSED),
        ),
        # A human admin without keys: not a non-human identity, nothing standing to report.
        UserSpec(
            name="alice.admin",
            path="/people/",
            console_password=True,
            groups=("platform-admins",),
        ),
        UserSpec(
            name="bob.analyst",
            path="/people/",
            console_password=True,
            groups=("data-readers", "billing"),
        ),
    )
    groups = (
        GroupSpec(name="platform-admins", managed_policies=("AdminEverything",)),
        GroupSpec(
            name="developers",
            managed_policies=("ReadOnlyObservability", "ArtifactsReadWrite"),
        ),
        GroupSpec(name="ci-runners", managed_policies=("ArtifactsReadWrite",)),
        GroupSpec(name="data-readers", managed_policies=("DataLakeRead",)),
        GroupSpec(
            name="billing",
            managed_policies=("CostReportsRead",),
            inline_policies=(("budgets-read", _doc(_allow(["budgets:ViewBudget", "budgets:DescribeBudgets"]))),),
        ),
    )
    own_account = _account_root(ACCOUNT)
    roles = [
        RoleSpec(
            name="acme-admin",
            trust_policy=_trust({"AWS": own_account}),
            managed_policies=("AdminEverything",),
            last_used_days_ago=3,
            tags=(("owner", "platform"),),
            expect=_expect(ADMIN),
        ),
        RoleSpec(
            name="deploy-orchestrator",
            trust_policy=_trust({"AWS": own_account}),
            inline_policies=(
                ("assume-admin-for-deploys", _doc(_allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/acme-admin"))),
            ),
            last_used_days_ago=1,
            tags=(("owner", "platform"),),
            expect=_expect(PATH),  # a jump role: anyone in the account it admits becomes acme-admin
        ),
        RoleSpec(
            name="legacy-cross-account-open",
            trust_policy=_trust({"AWS": "*"}),
            managed_policies=("ReadOnlyObservability",),
            last_used_days_ago=40,
            expect=_expect(OPEN_TRUST),
        ),
        RoleSpec(
            name="partner-audit-access",
            trust_policy=_trust({"AWS": _account_root(PARTNER_ACCOUNT)}),
            managed_policies=("ReadOnlyObservability",),
            last_used_days_ago=9,
            tags=(("partner", "auditco"),),
            # open: no condition; third party: the partner reads, low
            expect=_expect(OPEN_TRUST, RuleId.THIRD_PARTY_AWS_TRUST.value),
        ),
        RoleSpec(
            name="legacy-vendor-bare-account",
            trust_policy=_trust({"AWS": PARTNER_ACCOUNT}),
            managed_policies=("CostReportsRead",),
            expect=_expect(OPEN_TRUST, RuleId.THIRD_PARTY_AWS_TRUST.value),
        ),
        # One named role in the partner account, not the whole account: not open.
        RoleSpec(
            name="partner-etl-writer",
            trust_policy=_trust({"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:role/etl-exporter"}),
            inline_policies=(("drop", _doc(_allow("s3:PutObject", "arn:aws:s3:::acme-partner-drop/*"))),),
            last_used_days_ago=1,
            expect=frozenset({RuleId.THIRD_PARTY_AWS_TRUST}),  # a partner account, not scanned: write, medium
        ),
        RoleSpec(
            name="vendor-monitoring-integration",
            trust_policy=_trust(
                {"AWS": _account_root(VENDOR_ACCOUNT)},
                condition={"StringEquals": {"sts:ExternalId": "acme-7f3c9b21"}},
            ),
            managed_policies=("ReadOnlyObservability",),
            last_used_days_ago=0,
            tags=(("vendor", "monitoring"),),
            expect=frozenset({RuleId.THIRD_PARTY_AWS_TRUST}),  # the vendor reads only: low
        ),
        RoleSpec(
            name="github-actions-deploy",
            path="/ci/",
            trust_policy=_github(ACCOUNT, sub=None),
            managed_policies=("DeployPayments",),
            last_used_days_ago=0,
            tags=(("workload", "ci"),),
            expect=_expect(OIDC_UNPINNED),
        ),
        RoleSpec(
            name="github-actions-any-repo",
            path="/ci/",
            trust_policy=_github(ACCOUNT, sub="repo:*", like=True),
            managed_policies=("ArtifactsReadWrite",),
            last_used_days_ago=2,
            tags=(("workload", "ci"),),
            expect=_expect(OIDC_UNPINNED),
        ),
        RoleSpec(
            name="github-actions-org-wide",
            path="/ci/",
            trust_policy=_github(ACCOUNT, sub="repo:acme/*:ref:refs/heads/main", like=True),
            managed_policies=("ArtifactsReadWrite",),
            last_used_days_ago=1,
            tags=(("workload", "ci"),),
            expect=_expect(OIDC_UNPINNED),
        ),
        RoleSpec(
            name="github-actions-api-main",
            path="/ci/",
            trust_policy=_github(ACCOUNT, sub="repo:acme/api:ref:refs/heads/main"),
            managed_policies=("DeployPayments",),
            last_used_days_ago=0,
            tags=(("workload", "ci"),),
        ),
        # Pinned to one repository; the wildcard is only in the ref part.
        RoleSpec(
            name="github-actions-web-any-branch",
            path="/ci/",
            trust_policy=_github(ACCOUNT, sub="repo:acme/web:*", like=True),
            managed_policies=("ArtifactsReadWrite",),
            last_used_days_ago=1,
            tags=(("workload", "ci"),),
        ),
        # Well pinned, but administrator of the account.
        RoleSpec(
            name="github-actions-terraform",
            path="/ci/",
            trust_policy=_github(ACCOUNT, sub="repo:acme/infra:environment:production"),
            managed_policies=("AdminEverything",),
            last_used_days_ago=1,
            tags=(("workload", "ci"),),
            expect=_expect(ADMIN),
        ),
        RoleSpec(
            name="eks-payments-api",
            path="/eks/",
            trust_policy=_web_identity(
                EKS,
                ACCOUNT,
                {
                    "StringEquals": {
                        f"{EKS.host}:sub": "system:serviceaccount:payments:api",
                        f"{EKS.host}:aud": "sts.amazonaws.com",
                    }
                },
            ),
            managed_policies=("PaymentsSecretsRead",),
            last_used_days_ago=0,
            tags=(("team", "payments"), ("workload", "app")),
        ),
        RoleSpec(
            name="sagemaker-training-exec",
            path="/service-role/",
            trust_policy=_service("sagemaker.amazonaws.com"),
            managed_policies=("SageMakerTrainingJobs",),
            last_used_days_ago=4,
            tags=(("workload", "training"), ("team", "ml")),
            expect=_expect(PATH),  # its policy passes the admin notebook role to a training job
        ),
        RoleSpec(
            name="sagemaker-notebook-exec",
            path="/service-role/",
            trust_policy=_service("sagemaker.amazonaws.com"),
            managed_policies=("NotebookBroadAccess",),
            last_used_days_ago=1,
            tags=(("workload", "notebook"), ("team", "ml")),
            expect=_expect(AI, UNUSED_PERMISSIONS),
            used_services=("s3", "sagemaker"),  # its Access Advisor report: never Athena or Glue
        ),
        RoleSpec(
            name="sagemaker-notebook-datascience",
            path="/service-role/",
            trust_policy=_service("sagemaker.amazonaws.com"),
            managed_policies=("AdminEverything",),
            last_used_days_ago=12,
            tags=(("workload", "notebook"), ("team", "data-science")),
            expect=_expect(ADMIN, AI),
        ),
        RoleSpec(
            name="bedrock-agent-support",
            path="/service-role/",
            trust_policy=_trust(
                {"Service": "bedrock.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            ),
            managed_policies=("BedrockAgentBroad",),
            last_used_days_ago=0,
            tags=(("workload", "agent"), ("team", "support")),
            expect=_expect(PATH, AI, UNUSED_PERMISSIONS),
            used_services=("bedrock", "s3"),  # its Access Advisor report: never Lambda, DynamoDB or IAM
        ),
        RoleSpec(
            name="lambda-orders-api",
            path="/service/",
            trust_policy=_service("lambda.amazonaws.com"),
            managed_policies=("LambdaBasicLogging", "OrdersTableAccess"),
            last_used_days_ago=0,
            tags=(("workload", "app"),),
        ),
        RoleSpec(
            name="lambda-payments-webhook",
            path="/service/",
            trust_policy=_service("lambda.amazonaws.com"),
            managed_policies=("LambdaBasicLogging", "PaymentsSecretsRead"),
            last_used_days_ago=0,
            tags=(("workload", "app"), ("team", "payments")),
        ),
        RoleSpec(
            name="lambda-thumbnailer",
            path="/service/",
            trust_policy=_service("lambda.amazonaws.com"),
            managed_policies=("LambdaBasicLogging",),
            inline_policies=(
                (
                    "images",
                    _doc(_allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-images/*")),
                ),
            ),
            last_used_days_ago=5,
        ),
        RoleSpec(
            name="lambda-user-provisioner",
            path="/service/",
            trust_policy=_service("lambda.amazonaws.com"),
            managed_policies=("LambdaBasicLogging",),
            inline_policies=(
                (
                    "provision-users",
                    _doc(_allow(["iam:CreateUser", "iam:AttachUserPolicy", "iam:TagUser"])),
                ),
            ),
            last_used_days_ago=7,
            expect=_expect(ADMIN),
        ),
        RoleSpec(
            name="ecs-task-payments",
            path="/service/",
            trust_policy=_service("ecs-tasks.amazonaws.com"),
            managed_policies=("PaymentsSecretsRead",),
            last_used_days_ago=0,
            tags=(("team", "payments"),),
        ),
        RoleSpec(
            name="ci-runner-ec2",
            path="/ci/",
            trust_policy=_service("ec2.amazonaws.com"),
            # Near miss of bedrock-agent-support: it can pass any role to EC2, but no role EC2 may
            # take is privileged, so passing one is no path to admin and PassRole alone grants nothing.
            inline_policies=(("launch-anything", _doc(_allow(["ec2:RunInstances", "iam:PassRole"]))),),
            last_used_days_ago=0,
            tags=(("workload", "ci"),),
        ),
        RoleSpec(
            name="ec2-bastion",
            trust_policy=_service("ec2.amazonaws.com"),
            managed_policies=("ReadOnlyObservability",),
            last_used_days_ago=30,
        ),
        RoleSpec(
            name="eks-node-group",
            path="/eks/",
            trust_policy=_service("ec2.amazonaws.com"),
            inline_policies=(("ecr-pull", ECR_PULL),),
            last_used_days_ago=0,
        ),
        RoleSpec(
            name="backup-service",
            path="/service-role/",
            trust_policy=_service("backup.amazonaws.com"),
            inline_policies=(("snapshots", _doc(_allow(["ec2:CreateSnapshot", "rds:CreateDBSnapshot"]))),),
            last_used_days_ago=1,
        ),
        RoleSpec(
            name="readonly-auditor",
            trust_policy=_trust({"AWS": own_account}),
            managed_policies=("ReadOnlyObservability",),
            last_used_days_ago=14,
        ),
        RoleSpec(
            name="readonly-finops",
            trust_policy=_trust({"AWS": own_account}),
            managed_policies=("CostReportsRead",),
            last_used_days_ago=6,
        ),
        RoleSpec(
            name="data-lake-reader",
            trust_policy=_trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/service/lambda-orders-api"}),
            managed_policies=("DataLakeRead",),
        ),
    ]
    if aws_managed_admin_role:
        roles.append(
            RoleSpec(
                name="break-glass-automation",
                trust_policy=_trust({"AWS": own_account}),
                managed_policies=("arn:aws:iam::aws:policy/AdministratorAccess",),
                expect=_expect(ADMIN),
            )
        )
    return EstateSpec(
        account_id=ACCOUNT,
        users=users,
        groups=groups,
        roles=tuple(roles),
        policies=_ALL_POLICIES,
        oidc_providers=(GITHUB, EKS),
        functions=(USER_PROVISIONER,),
        instances=(BASTION,),
    )


DEMO_ESTATE: EstateSpec = demo_estate()


# --- the end-to-end test estate -------------------------------------------------------


def _test_estate() -> EstateSpec:
    own_account = _account_root(ACCOUNT)
    return EstateSpec(
        account_id=ACCOUNT,
        policies=(ADMIN_EVERYTHING, READ_ONLY_OBSERVABILITY),
        groups=(GroupSpec(name="admins", managed_policies=("AdminEverything",)),),
        oidc_providers=(GITHUB,),
        users=(
            UserSpec(
                name="ci-build",
                path="/ci/",
                keys=(_key(210, 1),),
                expect=_expect(KEY_TOO_OLD),
            ),
            UserSpec(name="svc-never-used", keys=(_key(30),), expect=_expect(KEY_UNUSED)),
            # Modest on paper; but it may assume the account's admin role.
            UserSpec(
                name="svc-hopper",
                keys=(_key(10, 1),),
                inline_policies=(
                    ("assume-admin", _doc(_allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/admin"))),
                ),
                expect=_expect(PATH),
            ),
            UserSpec(name="svc-stale", keys=(_key(70, 60),), expect=_expect(KEY_UNUSED)),
            UserSpec(
                name="svc-two-keys",
                keys=(_key(20, 1), _key(10, 0)),
                tags=(("team", "checkout"), ("team-secondary", "billing")),
                expect=_expect(TWO_KEYS, SHARED),
            ),
            UserSpec(
                name="dev.person",
                path="/people/",
                keys=(_key(10, 1),),
                console_password=True,
                expect=_expect(CONSOLE_KEYS),
            ),
            UserSpec(
                name="svc-iam-writer",
                keys=(_key(10, 1),),
                inline_policies=(
                    (
                        "manage-users",
                        _doc(_allow(["iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:CreateAccessKey"])),
                    ),
                ),
                expect=_expect(ADMIN),
            ),
            UserSpec(
                name="svc-group-admin",
                keys=(_key(10, 1),),
                groups=("admins",),
                expect=_expect(ADMIN),
            ),
            UserSpec(
                name="svc-clean-control",
                keys=(_key(10, 1),),
                managed_policies=("ReadOnlyObservability",),
            ),
            # Admin, but its only key was deactivated long ago: armed by whoever mints a new one.
            UserSpec(
                name="svc-retired-admin",
                keys=(_key(700, 480, active=False),),
                managed_policies=("AdminEverything",),
                expect=_expect(UNUSED, DORMANT),
            ),
        ),
        roles=(
            RoleSpec(
                name="admin",
                trust_policy=_trust({"AWS": own_account}),
                managed_policies=("AdminEverything",),
                last_used_days_ago=2,
                expect=_expect(ADMIN),
            ),
            RoleSpec(
                name="support-agent",
                trust_policy=_service("bedrock.amazonaws.com"),
                inline_policies=(("invoke-any-model", _doc(_allow("bedrock:InvokeModel"))),),
                tags=(("workload", "agent"),),
                expect=_expect(AI),
            ),
            RoleSpec(
                name="retired-batch",
                trust_policy=_trust({"AWS": own_account}),
                managed_policies=("ReadOnlyObservability",),
                last_used_days_ago=200,
                expect=_expect(UNUSED),
            ),
            RoleSpec(
                name="open-to-anyone",
                trust_policy=_trust({"AWS": "*"}),
                managed_policies=("ReadOnlyObservability",),
                expect=_expect(OPEN_TRUST),
            ),
            RoleSpec(
                name="partner-whole-account",
                trust_policy=_trust({"AWS": _account_root(PARTNER_ACCOUNT)}),
                managed_policies=("ReadOnlyObservability",),
                expect=_expect(OPEN_TRUST, THIRD_PARTY),
            ),
            RoleSpec(
                name="vendor-with-external-id",
                trust_policy=_trust(
                    {"AWS": _account_root(VENDOR_ACCOUNT)},
                    condition={"StringEquals": {"sts:ExternalId": "acme-7f3c9b21"}},
                ),
                managed_policies=("ReadOnlyObservability",),
                last_used_days_ago=0,
                expect=_expect(THIRD_PARTY),  # not open (an external id), but the vendor reads: low
            ),
            RoleSpec(
                name="gha-audience-only",
                trust_policy=_github(ACCOUNT, sub=None),
                managed_policies=("ReadOnlyObservability",),
                expect=_expect(OIDC_UNPINNED),
            ),
            RoleSpec(
                name="gha-any-repo",
                trust_policy=_github(ACCOUNT, sub="repo:*", like=True),
                managed_policies=("ReadOnlyObservability",),
                expect=_expect(OIDC_UNPINNED),
            ),
            RoleSpec(
                name="gha-pinned",
                trust_policy=_github(ACCOUNT, sub="repo:acme/api:ref:refs/heads/main"),
                managed_policies=("ReadOnlyObservability",),
                last_used_days_ago=1,
            ),
        ),
    )


TEST_ESTATE: EstateSpec = _test_estate()


# --- synthetic estates for benchmarks -------------------------------------------------

# (policy, admin-equivalent?) — the generator attaches these by name.
_SYNTHETIC_POLICIES: tuple[tuple[PolicySpec, bool], ...] = (
    (READ_ONLY_OBSERVABILITY, False),
    (ARTIFACTS_READ_WRITE, False),
    (DATA_LAKE_READ, False),
    (ORDERS_TABLE, False),
    (PAYMENTS_SECRETS, False),
    (LAMBDA_LOGS, False),
    (NOTEBOOK_BROAD, False),
    (DEPLOY_PAYMENTS, False),
    (ADMIN_EVERYTHING, True),
    (IAM_USER_MANAGEMENT, True),
    (BEDROCK_AGENT_BROAD, False),  # PassRole next to lambda:* is a hop where a role fits, not admin
)
_ADMIN_POLICY_NAMES = frozenset(p.name for p, admin in _SYNTHETIC_POLICIES if admin)
# Policies that let their holder invoke any model or endpoint ("*", sagemaker:*, bedrock:*).
_INVOKE_ANY_POLICY_NAMES = frozenset({ADMIN_EVERYTHING.name, NOTEBOOK_BROAD.name, BEDROCK_AGENT_BROAD.name})
# Key ages and last-used days, all clear of the 7/45/90-day thresholds.
_KEY_AGES = (3, 20, 60, 150, 400)
_LAST_USED = (0, 1, 10, 30, 70, 200, None)
_SERVICES = (
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "sagemaker.amazonaws.com",
    "bedrock.amazonaws.com",
    "glue.amazonaws.com",
)


def _synthetic_trust(rng: random.Random, account: str) -> tuple[PolicyDocument, frozenset[str]]:
    """A trust policy and the trust rules it triggers, weighted toward the common shapes."""
    shape = rng.choices(
        ("service", "own", "external-id", "open-account", "open-any", "gha-pinned", "gha-aud-only", "gha-wildcard"),
        weights=(50, 15, 8, 5, 2, 12, 5, 3),
    )[0]
    if shape == "service":
        return _service(rng.choice(_SERVICES)), frozenset()
    if shape == "own":
        return _trust({"AWS": _account_root(account)}), frozenset()
    if shape == "external-id":
        return (
            _trust(
                {"AWS": _account_root(VENDOR_ACCOUNT)},
                condition={"StringEquals": {"sts:ExternalId": f"ext-{rng.randrange(10**8):08d}"}},
            ),
            _expect(THIRD_PARTY),
        )
    if shape == "open-account":
        return _trust({"AWS": _account_root(PARTNER_ACCOUNT)}), _expect(OPEN_TRUST, THIRD_PARTY)
    if shape == "open-any":
        return _trust({"AWS": "*"}), _expect(OPEN_TRUST)
    repo = f"acme/svc-{rng.randrange(1000):03d}"
    if shape == "gha-pinned":
        return _github(account, sub=f"repo:{repo}:ref:refs/heads/main"), frozenset()
    if shape == "gha-aud-only":
        return _github(account, sub=None), _expect(OIDC_UNPINNED)
    return _github(account, sub="repo:acme/*", like=True), _expect(OIDC_UNPINNED)


def _dead(keys: tuple[KeySpec, ...]) -> bool:
    """A user whose keys are all inactive is unused after 90 days idle, or 30 never used."""
    used = [k.last_used_days_ago for k in keys if k.last_used_days_ago is not None]
    if used:
        return min(used) > 90
    return max(k.age_days for k in keys) + 1 > 30  # the seeder creates users a day before their oldest key


def _synthetic_keys(rng: random.Random) -> tuple[KeySpec, ...]:
    keys = []
    for _ in range(rng.choice((1, 1, 1, 2))):
        age = rng.choice(_KEY_AGES)
        used = rng.choice(_LAST_USED)
        if used is not None and used > age:  # a key cannot be used before it exists
            used = rng.choice((0, 1))
        keys.append(KeySpec(age_days=age, last_used_days_ago=used, active=rng.random() > 0.1))
    return tuple(keys)


def _pick_policies(rng: random.Random, low: int, high: int) -> tuple[str, ...]:
    # Admin policies are rare: draw from the non-admin pool most of the time.
    names = []
    for _ in range(rng.randint(low, high)):
        policy, admin = rng.choice(_SYNTHETIC_POLICIES)
        if admin and rng.random() > 0.3:
            policy = READ_ONLY_OBSERVABILITY
        names.append(policy.name)
    return tuple(dict.fromkeys(names))


def synthetic_estate(n_identities: int, *, seed: int = 0) -> EstateSpec:
    """A deterministic estate of ``n_identities`` users, roles and groups for benchmarks.

    About 40% users (half of them hold one or two keys), 50% roles with varied trusts and
    10% groups. ``expect`` is filled from the generator's own choices, so a benchmark can
    check the scanner's findings as well as its speed.
    """
    if n_identities < 0:
        raise ValueError("n_identities must be >= 0")
    rng = random.Random(seed)
    account = ACCOUNT
    n_groups = n_identities // 10
    n_users = (n_identities * 4) // 10
    n_roles = n_identities - n_groups - n_users

    groups: list[GroupSpec] = []
    group_is_admin: dict[str, bool] = {}
    for i in range(n_groups):
        policies = _pick_policies(rng, 1, 2)
        name = f"syn-group-{i:05d}"
        groups.append(GroupSpec(name=name, managed_policies=policies))
        group_is_admin[name] = bool(_ADMIN_POLICY_NAMES.intersection(policies))

    users: list[UserSpec] = []
    for i in range(n_users):
        keys = _synthetic_keys(rng) if rng.random() < 0.5 else ()
        console = rng.random() < 0.15
        n_memberships = min(len(groups), rng.choice((0, 0, 1, 2)))
        member_of = tuple(sorted(rng.sample(sorted(group_is_admin), k=n_memberships)))
        policies = _pick_policies(rng, 0, 2)
        # A user with a live key acts as a workload whether or not it also has a password.
        non_human = any(k.active for k in keys)
        admin = bool(_ADMIN_POLICY_NAMES.intersection(policies)) or any(group_is_admin[g] for g in member_of)
        expect = set(expected_key_rules(keys, console_password=console))
        if admin and non_human:
            expect.add(ADMIN)
        if keys and not non_human and not console and _dead(keys):
            expect.add(UNUSED)
        if admin and not non_human and not console:
            expect.add(DORMANT)  # no live credential: armed by whoever mints one
        users.append(
            UserSpec(
                name=f"syn-user-{i:05d}",
                path=rng.choice(("/", "/ci/", "/automation/", "/people/")),
                keys=keys,
                console_password=console,
                managed_policies=policies,
                groups=member_of,
                tags=(("team", f"team-{rng.randrange(20):02d}"),),
                expect=frozenset(expect),
            )
        )

    roles: list[RoleSpec] = []
    for i in range(n_roles):
        trust, trust_rules = _synthetic_trust(rng, account)
        policies = _pick_policies(rng, 1, 2)
        expect = set(trust_rules)
        if _ADMIN_POLICY_NAMES.intersection(policies):
            expect.add(ADMIN)
        # Drawn in the order the generator always drew them, so estates stay the same.
        path = rng.choice(("/", "/service/", "/ci/"))
        last_used = rng.choice((0, 1, 5, 30, 120, None))
        workload = rng.choice(("app", "ci", "training", "agent"))
        if workload in ("training", "agent") and _INVOKE_ANY_POLICY_NAMES.intersection(policies):
            expect.add(AI)
        if last_used is not None and last_used > 90:
            expect.add(UNUSED)
        roles.append(
            RoleSpec(
                name=f"syn-role-{i:05d}",
                path=path,
                trust_policy=trust,
                managed_policies=policies,
                last_used_days_ago=last_used,
                tags=(("workload", workload),),
                expect=frozenset(expect),
            )
        )

    return EstateSpec(
        account_id=account,
        users=tuple(users),
        groups=tuple(groups),
        roles=tuple(roles),
        policies=tuple(policy for policy, _ in _SYNTHETIC_POLICIES),
        oidc_providers=(GITHUB,),
    )
