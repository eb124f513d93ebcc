"""One realistic identity per target pattern, as typed inventories, and plan helpers for tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hcl2

from standing.core.model import (
    ActionUse,
    Credential,
    CredentialKind,
    FederationKind,
    FederationProvider,
    Grant,
    Identity,
    IdentityKind,
    Inventory,
    PermissionUsage,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    ScopePolicy,
    TrustKind,
    UsageSource,
    UsageStatus,
    WorkloadKind,
)
from standing.planner.builder import build_plans
from standing.planner.model import Plan
from standing.planner.model import TargetPattern as P
from standing.rules.analyse import analyse_estate
from standing.rules.config import ScanConfig
from tests.builders import ACCOUNT, NOW, allow, days_ago, grant, key, policy, role, trust, user

PROJECT = "acme-prod"
TENANT = "6d1f2b3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
SUB = "/subscriptions/11111111-aaaa-4aaa-8aaa-111111111111"
OWNER_GUID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
GITHUB = FederationProvider(
    id=f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
    provider=Provider.AWS,
    kind=FederationKind.OIDC,
    account=ACCOUNT,
    url="https://token.actions.githubusercontent.com",
    audiences=["sts.amazonaws.com"],
)


def plans_of(inventory: Inventory) -> dict[str, Plan]:
    analysis = analyse_estate(inventory, ScanConfig(), as_of=NOW)
    return {p.identity_name: p for p in build_plans(analysis.model, analysis.findings)}


def _inventory(provider: Provider, records: list[Any], scopes: list[Scope], **extra: Any) -> Inventory:
    buckets: dict[str, list[Any]] = {"identities": [], "credentials": [], "roles": [], "grants": [], "trusts": []}
    kinds = {Identity: "identities", Credential: "credentials", Role: "roles", Grant: "grants"}
    for record in records:
        buckets[kinds.get(type(record), "trusts")].append(record)
    meta = ScanMeta(tool_version="test", started_at=NOW, finished_at=NOW, providers=[provider])
    return Inventory(meta=meta, scopes=scopes, **buckets, **extra)


def aws(*records: Any, **extra: Any) -> Inventory:
    scope = Scope(id=f"aws:account:{ACCOUNT}", provider=Provider.AWS, kind=ScopeKind.ACCOUNT, name=ACCOUNT)
    return _inventory(Provider.AWS, list(records), [scope], **extra)


def gcp(*records: Any, **extra: Any) -> Inventory:
    scope = Scope(id=f"projects/{PROJECT}", provider=Provider.GCP, kind=ScopeKind.PROJECT, name=PROJECT)
    return _inventory(Provider.GCP, list(records), [scope], **extra)


def azure(*records: Any) -> Inventory:
    scope = Scope(id=SUB, provider=Provider.AZURE, kind=ScopeKind.SUBSCRIPTION, name="prod")
    return _inventory(Provider.AZURE, list(records), [scope])


def sa(name: str, **fields: Any) -> Identity:
    email = f"{name}@{PROJECT}.iam.gserviceaccount.com"
    return Identity(
        id=email,
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account=PROJECT,
        name=email,
        human=False,
        **fields,
    )


def sa_key(owner: Identity, key_id: str, age: int = 200) -> Credential:
    return Credential(
        id=f"projects/{PROJECT}/serviceAccounts/{owner.id}/keys/{key_id}",
        identity_id=owner.id,
        kind=CredentialKind.SA_KEY,
        active=True,
        created=days_ago(age),
        last_used=days_ago(1),
        last_used_status=UsageStatus.USED,
    )


def gcp_role(name: str) -> Role:
    return Role(id=name, provider=Provider.GCP, name=name, provider_managed=True)


def sp(name: str, **fields: Any) -> Identity:
    object_id = f"00000000-0000-4000-8000-{abs(hash(name)) % 10**12:012d}"
    return Identity(
        id=object_id,
        provider=Provider.AZURE,
        kind=IdentityKind.SERVICE_PRINCIPAL,
        account=TENANT,
        name=name,
        human=False,
        tags={"entra.appId": "11111111-2222-4333-8444-555555555555"},
        **fields,
    )


def client_secret(owner: Identity, key_id: str) -> Credential:
    return Credential(
        id=key_id,
        identity_id=owner.id,
        kind=CredentialKind.CLIENT_SECRET,
        active=True,
        created=days_ago(400),
        expires=None,
    )


def arm_owner() -> Role:
    return Role(
        id=f"/providers/microsoft.authorization/roledefinitions/{OWNER_GUID}",
        provider=Provider.AZURE,
        name="Owner",
        documents=[{"kind": "arm-role-definition"}],
        provider_managed=True,
    )


ARTIFACTS = policy("ArtifactsReadWrite", allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-artifacts/*"))
ADMIN = policy("AdminEverything", allow("*"))
OBSERVE = policy("Observe", allow(["cloudwatch:GetMetricData", "logs:GetLogEvents"]))
BEDROCK = policy("InvokeAnyModel", allow("bedrock:InvokeModel"))


def _aws_ci() -> Inventory:
    u = user("ci-github-deployer", path="/ci/", workload=WorkloadKind.CI, tags={"repository": "acme/api"})
    return aws(u, key(u, "AKIAGITHUBDEPLOYER01", age=200, used=1), ARTIFACTS, grant(u, ARTIFACTS), federation=[GITHUB])


def _aws_eks() -> Inventory:
    u = user(
        "eks-orders-worker",
        workload=WorkloadKind.APP,
        tags={"namespace": "orders", "service-account": "worker", "eks-cluster": "prod"},
    )
    return aws(u, key(u, "AKIAEKSORDERSWORKER1", age=200, used=0), OBSERVE, grant(u, OBSERVE))


def _aws_service() -> Inventory:
    u = user("lambda-invoice-mailer", path="/service/")
    return aws(u, key(u, "AKIALAMBDAMAILER0001", age=200, used=0), OBSERVE, grant(u, OBSERVE))


def _aws_roles_anywhere() -> Inventory:
    u = user("onprem-backup-agent")
    return aws(u, key(u, "AKIAONPREMBACKUP0001", age=200, used=0), OBSERVE, grant(u, OBSERVE))


def _aws_identity_center() -> Inventory:
    u = user("jane.ops", path="/people/", console_access=True, human=None)
    return aws(u, key(u, "AKIAJANEOPS000000001", age=150, used=2), OBSERVE, grant(u, OBSERVE))


def _aws_admin() -> Inventory:
    r = role("platform-admin", last_used=days_ago(2), last_used_status=UsageStatus.USED)
    return aws(r, trust(r, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT), ADMIN, grant(r, ADMIN))


def _aws_cross_account() -> Inventory:
    # Open to anyone: a whole partner account outside the estate is third-party access (its own path).
    r = role("partner-audit")
    return aws(r, trust(r, "*", TrustKind.ANY), OBSERVE, grant(r, OBSERVE))


def _aws_agent() -> Inventory:
    r = role("support-agent", workload=WorkloadKind.AGENT)
    return aws(r, trust(r, "bedrock.amazonaws.com", TrustKind.SERVICE), BEDROCK, grant(r, BEDROCK))


def _aws_training() -> Inventory:
    u = user("svc-ml-train", workload=WorkloadKind.TRAINING)
    return aws(u, key(u, "AKIAMLTRAIN000000001", age=200, used=0), BEDROCK, grant(u, BEDROCK))


def _retire() -> Inventory:
    u = user("etl-forgotten")
    return aws(u, key(u, "AKIAETLFORGOTTEN0001", age=120, used=None), OBSERVE, grant(u, OBSERVE))


def _compensate() -> Inventory:
    u = user("svc-crm-sync", tags={"third-party": "salesforce", "owner": "revenue-ops"})
    drop = policy(
        "CrmDrop",
        {
            **allow("s3:PutObject", "arn:aws:s3:::acme-crm/*"),
            "Condition": {"IpAddress": {"aws:SourceIp": ["13.108.0.0/14"]}},
        },
    )
    return aws(u, key(u, "AKIACRMSYNC000000001", age=200, used=0), drop, grant(u, drop))


def _gcp_wif() -> Inventory:
    s = sa("github-deployer")
    return gcp(s, sa_key(s, "k1"))


def _gcp_attached() -> Inventory:
    s = sa("gke-orders")
    return gcp(s, sa_key(s, "k2"))


def _gcp_impersonation() -> Inventory:
    s = sa("ops-runner")
    creator = gcp_role("roles/iam.serviceAccountTokenCreator")
    return gcp(s, creator, Grant(principal_id=s.id, role_id=creator.id, scope_id=f"projects/{PROJECT}"))


def _gcp_pam() -> Inventory:
    s = sa("infra-admin")
    owner = gcp_role("roles/owner")
    return gcp(s, owner, Grant(principal_id=s.id, role_id=owner.id, scope_id=f"projects/{PROJECT}"))


def _gcp_agent() -> Inventory:
    s = sa("support-agent", workload=WorkloadKind.AGENT)
    return gcp(
        s,
        sa_key(s, "k3"),
        scope_policies=[
            ScopePolicy(
                provider=Provider.GCP,
                scope_id=f"projects/{PROJECT}",
                constraint="iam.disableServiceAccountKeyCreation",
                enforced=True,
            )
        ],
    )


def _azure_fic() -> Inventory:
    p = sp("github-deploy")
    return azure(p, client_secret(p, "sec-fic"))


def _azure_mi() -> Inventory:
    p = sp("orders-api")
    return azure(p, client_secret(p, "sec-mi"))


def _azure_pim() -> Inventory:
    p = sp("platform-automation")
    owner = arm_owner()
    return azure(p, owner, Grant(principal_id=p.id, role_id=owner.id, scope_id=SUB))


def _azure_agent() -> Inventory:
    p = sp("triage-agent", workload=WorkloadKind.AGENT)
    return azure(p, client_secret(p, "sec-agent"))


# pattern -> (inventory, the identity name that must get it)
CASES: dict[P, tuple[Callable[[], Inventory], str]] = {
    P.RETIRE: (_retire, "etl-forgotten"),
    P.COMPENSATE: (_compensate, "svc-crm-sync"),
    P.AWS_CI_OIDC_ROLE: (_aws_ci, "ci-github-deployer"),
    P.AWS_EKS_POD_ROLE: (_aws_eks, "eks-orders-worker"),
    P.AWS_SERVICE_ROLE: (_aws_service, "lambda-invoice-mailer"),
    P.AWS_ROLES_ANYWHERE: (_aws_roles_anywhere, "onprem-backup-agent"),
    P.AWS_IDENTITY_CENTER: (_aws_identity_center, "jane.ops"),
    P.AWS_ADMIN_ON_REQUEST: (_aws_admin, "platform-admin"),
    P.AWS_PINNED_CROSS_ACCOUNT: (_aws_cross_account, "partner-audit"),
    P.AWS_AGENT_PER_CALL: (_aws_agent, "support-agent"),
    P.AWS_RUN_SCOPED_ROLE: (_aws_training, "svc-ml-train"),
    P.GCP_WORKLOAD_IDENTITY_FEDERATION: (_gcp_wif, f"github-deployer@{PROJECT}.iam.gserviceaccount.com"),
    P.GCP_ATTACHED_SERVICE_ACCOUNT: (_gcp_attached, f"gke-orders@{PROJECT}.iam.gserviceaccount.com"),
    P.GCP_IMPERSONATION: (_gcp_impersonation, f"ops-runner@{PROJECT}.iam.gserviceaccount.com"),
    P.GCP_PAM_ENTITLEMENT: (_gcp_pam, f"infra-admin@{PROJECT}.iam.gserviceaccount.com"),
    P.GCP_AGENT_DOWNSCOPED: (_gcp_agent, f"support-agent@{PROJECT}.iam.gserviceaccount.com"),
    P.AZURE_FEDERATED_CREDENTIAL: (_azure_fic, "github-deploy"),
    P.AZURE_MANAGED_IDENTITY: (_azure_mi, "orders-api"),
    P.AZURE_PIM_ELIGIBLE: (_azure_pim, "platform-automation"),
    P.AZURE_AGENT_PER_RESOURCE: (_azure_agent, "triage-agent"),
}


def case_plan(pattern: P) -> Plan:
    build, name = CASES[pattern]
    return plans_of(build())[name]


def parsed_terraform(plan: Plan) -> list[dict[str, Any]]:
    """Every snippet through python-hcl2; raises on invalid HCL."""
    return [hcl2.loads(snippet.terraform) for snippet in plan.iac]


def resources(parsed: list[dict[str, Any]]) -> set[str]:
    return {kind.strip('"') for doc in parsed for block in doc.get("resource", []) for kind in block}


def narrowed_case(*, with_usage_record: bool = True) -> Plan:
    """A key whose Access Advisor report says S3 was used and DynamoDB and SQS were not; without
    the record (its near miss) only the credential report's last-used service is known."""
    u = user("svc-reports-uploader")
    mixed = policy(
        "ReportsMixed",
        allow(["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::acme-reports/*"),
        allow(["dynamodb:PutItem"], f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/reports"),
        allow("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:reports"),
    )
    used = key(u, "AKIAREPORTSUPLOADER1", age=200, used=0).model_copy(update={"last_used_service": "s3"})
    report = PermissionUsage(
        identity_id=u.id,
        source=UsageSource.AWS_ACCESS_ADVISOR,
        observed_at=NOW,
        window_days=400,
        services=[
            ActionUse(name="s3", last_used=NOW),
            ActionUse(name="dynamodb", last_used=None),
            ActionUse(name="sqs", last_used=None),
        ],
    )
    usage = [report] if with_usage_record else []
    return plans_of(aws(u, used, mixed, grant(u, mixed), usage=usage))["svc-reports-uploader"]
