"""CI identities keep a non-interactive path (issue 15 item 9).

A pipeline runs unattended: a CI identity that reaches admin must never be planned onto a
per-run human approval broker. It federates through its platform's OIDC tokens; what made it
admin moves to a separate deploy role that only the deploy job's token may use, approved in the
platform (a protected environment), while the everyday role keeps what the pipeline needs.
Each case sits beside its near miss: the same privilege on an identity that is not CI still
gets the approval broker.
"""

from __future__ import annotations

import json

import pytest

from standing.core.model import Grant, TrustKind
from standing.planner.aws_documents import BROKER_ROLE
from standing.planner.model import Plan
from standing.planner.model import TargetPattern as P
from tests.builders import ACCOUNT, allow, arn, grant, key, policy, role, trust, user
from tests.planner.cases import (
    ADMIN,
    ARTIFACTS,
    PROJECT,
    SUB,
    arm_owner,
    aws,
    azure,
    client_secret,
    gcp,
    gcp_role,
    parsed_terraform,
    plans_of,
    sa,
    sa_key,
    sp,
)

JENKINS = {"workload": "ci", "jenkins-url": "https://jenkins.acme.example", "jenkins-job": "payments"}


def _trusts(plan: Plan) -> dict[str, dict]:
    """Trust documents by name: the everyday role's ``<ci>-oidc-trust``, the deploy role's ``<ci>-deploy-oidc-trust``."""
    return {p.name: p.document["Statement"][0] for p in plan.aws_policies if p.kind.value == "trust"}


def _unquoted(value: object) -> object:
    """python-hcl2 keeps a string literal's quotes; the tests compare the strings themselves."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [_unquoted(v) for v in value]
    if isinstance(value, dict):
        return {k: _unquoted(v) for k, v in value.items()}
    return value


def _role_blocks(plan: Plan) -> dict[str, dict]:
    """Every resource the plan's Terraform declares, as ``kind.label``, string values unquoted."""
    found: dict[str, dict] = {}
    for doc in parsed_terraform(plan):
        for block in doc.get("resource", []):
            for kind, body in block.items():
                for name, value in body.items():
                    found[f"{kind.strip(chr(34))}.{name.strip(chr(34))}"] = _unquoted(value)  # type: ignore[assignment]
    return found


def _no_broker(plan: Plan) -> None:
    text = json.dumps(plan.model_dump(mode="json"))
    assert BROKER_ROLE not in text  # no approval broker role, trust or placeholder
    assert plan.pattern is not P.AWS_ADMIN_ON_REQUEST
    assert not any(
        step.kind.value == "create-new-path" and "request access" in step.instruction.lower() for step in plan.steps
    )


def test_a_jenkins_ci_user_with_admin_federates_through_jenkins_and_waits_on_no_broker() -> None:
    u = user("jenkins-payments", path="/ci/", tags=JENKINS)
    plan = plans_of(
        aws(u, key(u, "AKIAJENKINS000000001", age=200, used=0), ARTIFACTS, grant(u, ARTIFACTS), ADMIN, grant(u, ADMIN))
    )["jenkins-payments"]
    assert plan.pattern is P.AWS_CI_OIDC_ROLE
    _no_broker(plan)
    host = "jenkins.acme.example/oidc"
    trusts = _trusts(plan)
    everyday, deploy = trusts["jenkins-oidc-trust"], trusts["jenkins-deploy-oidc-trust"]
    for statement in (everyday, deploy):
        assert statement["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"]["StringEquals"][f"{host}:aud"] == "sts.amazonaws.com"
    # the plugin's subject is the job's URL: the deploy job is a job of its own
    assert everyday["Condition"]["StringEquals"][f"{host}:sub"] == "https://jenkins.acme.example/job/payments/"
    assert deploy["Condition"]["StringEquals"][f"{host}:sub"] == "https://jenkins.acme.example/job/payments-deploy/"
    blocks = _role_blocks(plan)
    assert blocks[next(k for k in blocks if k.startswith("aws_iam_openid_connect_provider."))]["url"] == (
        "https://jenkins.acme.example/oidc"
    )
    attached = {k: v["policy_arn"] for k, v in blocks.items() if k.startswith("aws_iam_role_policy_attachment.")}
    everyday_label = next(k for k in blocks if k.startswith("aws_iam_role.") and not k.endswith("_deploy"))
    # the everyday role keeps what the pipeline needs; the admin policy moved to the deploy role
    assert sorted(attached.values()) == [ADMIN.id, ARTIFACTS.id]
    assert [v for k, v in attached.items() if "_deploy_" in k] == [ADMIN.id]
    assert everyday_label.endswith(plan.iac[0].filename.removesuffix(".tf"))
    assert (
        plan.approval.required
        and "`input` step" in plan.approval.reason
        and "no per-run approval broker" in plan.approval.reason
    )
    assert plan.placeholders == []  # the tags named the Jenkins URL and the job
    in_use = [c.query for c in plan.verify if c.purpose == "the new path is in use"]
    assert len(in_use) == 2 and "%jenkins-payments-jit'" in in_use[0] and "%jenkins-payments-deploy'" in in_use[1]


def test_near_miss_the_same_admin_user_without_ci_keeps_the_on_request_broker() -> None:
    u = user("ops-automation", tags={"owner": "platform"})
    plan = plans_of(
        aws(u, key(u, "AKIAOPSAUTO000000001", age=200, used=0), ARTIFACTS, grant(u, ARTIFACTS), ADMIN, grant(u, ADMIN))
    )["ops-automation"]
    assert plan.pattern is P.AWS_ADMIN_ON_REQUEST
    assert any(BROKER_ROLE in h for h in plan.placeholders)


def test_the_hop_that_made_a_ci_user_admin_is_what_moves_to_the_deploy_role() -> None:
    """A jump: the CI user may assume a role that is admin; that permission moves, the rest stays."""
    u = user("jenkins-deployer", path="/ci/", tags=JENKINS)
    target = role("release-admin")
    jump = policy("AssumeReleaseAdmin", allow("sts:AssumeRole", arn("role", "release-admin")))
    plan = plans_of(
        aws(
            u,
            key(u, "AKIAJENKINSJUMP00001", age=200, used=0),
            ARTIFACTS,
            grant(u, ARTIFACTS),
            jump,
            grant(u, jump),
            target,
            ADMIN,
            grant(target, ADMIN),
            trust(target, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        )
    )["jenkins-deployer"]
    assert plan.pattern is P.AWS_CI_OIDC_ROLE
    _no_broker(plan)
    attached = {
        k: v["policy_arn"] for k, v in _role_blocks(plan).items() if k.startswith("aws_iam_role_policy_attachment.")
    }
    assert [v for k, v in attached.items() if "_deploy_" in k] == [jump.id]
    assert [v for k, v in attached.items() if "_deploy_" not in k] == [ARTIFACTS.id]
    assert "AssumeReleaseAdmin" in plan.target


@pytest.mark.parametrize(
    "name,tags,host,audience,everyday_sub,deploy_sub",
    [
        (
            "github-deployer",
            {"repository": "acme/api"},
            "token.actions.githubusercontent.com",
            "sts.amazonaws.com",
            "repo:acme/api:ref:refs/heads/main",
            "repo:acme/api:environment:production",
        ),
        (
            "gitlab-deployer",
            {"repository": "acme/api"},
            "gitlab.com",
            "https://gitlab.com",
            "project_path:acme/api:ref_type:branch:ref:main",
            "project_path:acme/api:ref_type:branch:ref:main",  # GitLab's subject never names the environment
        ),
        (
            "circleci-deployer",
            {"circleci-org-id": "8f1e0c2a", "circleci-project-id": "5d4c3b2a"},
            "oidc.circleci.com/org/8f1e0c2a",
            "8f1e0c2a",
            "org/8f1e0c2a/project/5d4c3b2a/user/*",
            "org/8f1e0c2a/project/5d4c3b2a/user/*",
        ),
        (
            "bitbucket-deployer",
            {
                "bitbucket-workspace": "acme",
                "bitbucket-workspace-uuid": "{ws-1}",
                "bitbucket-repository-uuid": "{repo-1}",
                "bitbucket-environment-uuid": "{env-1}",
            },
            "api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc",
            "ari:cloud:bitbucket::workspace/{ws-1}",
            "{repo-1}:*",
            "{repo-1}{env-1}:*",
        ),
        (
            "azure-devops-deployer",
            {
                "azure-devops-org-id": "0a1b2c3d",
                "azure-devops-org": "acme",
                "azure-devops-project": "payments",
                "azure-devops-pipeline": "release",
            },
            "vstoken.dev.azure.com/0a1b2c3d",
            "api://AzureADTokenExchange",
            "p://acme/payments/release",
            "p://acme/payments/release-deploy",
        ),
    ],
)
def test_each_ci_platform_gets_its_own_issuer_audience_and_subject_in_aws(
    name: str, tags: dict, host: str, audience: str, everyday_sub: str, deploy_sub: str
) -> None:
    u = user(name, path="/ci/", tags={"workload": "ci", **tags})
    plan = plans_of(
        aws(u, key(u, "AKIAPLATFORM00000001", age=200, used=0), ARTIFACTS, grant(u, ARTIFACTS), ADMIN, grant(u, ADMIN))
    )[name]
    assert plan.pattern is P.AWS_CI_OIDC_ROLE
    _no_broker(plan)
    statements = list(_trusts(plan).values())
    assert len(statements) == 2
    subjects = []
    for statement in statements:
        assert statement["Principal"]["Federated"] == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
        assert statement["Condition"]["StringEquals"][f"{host}:aud"] == audience
        conditions = {**statement["Condition"].get("StringLike", {}), **statement["Condition"]["StringEquals"]}
        subjects.append(conditions[f"{host}:sub"])
    assert subjects == [everyday_sub, deploy_sub]
    assert plan.placeholders == []


def test_a_ci_identity_of_an_unknown_platform_says_so_rather_than_guess_silently() -> None:
    u = user("svc-terraform", path="/automation/", tags={"workload": "ci"})
    plan = plans_of(aws(u, key(u, "AKIATERRAFORM0000001", age=200, used=0), ADMIN, grant(u, ADMIN)))["svc-terraform"]
    assert plan.pattern is P.AWS_CI_OIDC_ROLE
    _no_broker(plan)
    assert any(h.startswith("REPLACE-WITH-CI-PLATFORM:") for h in plan.placeholders)
    # everything it holds made it admin: only the deploy role is created
    assert [k for k in _role_blocks(plan) if k.startswith("aws_iam_role.")] == [
        next(k for k in _role_blocks(plan) if k.startswith("aws_iam_role.") and k.endswith("_deploy"))
    ]


def test_a_gcp_ci_account_with_owner_federates_and_only_a_deploy_account_holds_owner() -> None:
    s = sa("gitlab-deployer", tags={"workload": "ci", "repository": "acme/infra"})
    owner, viewer = gcp_role("roles/owner"), gcp_role("roles/storage.objectViewer")
    project = f"projects/{PROJECT}"
    plan = plans_of(
        gcp(
            s,
            sa_key(s, "k-ci"),
            owner,
            viewer,
            Grant(principal_id=s.id, role_id=owner.id, scope_id=project),
            Grant(principal_id=s.id, role_id=viewer.id, scope_id=project),
        )
    )[s.id]
    assert plan.pattern is P.GCP_WORKLOAD_IDENTITY_FEDERATION  # not a PAM entitlement requested per run
    blocks = _role_blocks(plan)
    provider = next(v for k, v in blocks.items() if k.startswith("google_iam_workload_identity_pool_provider."))
    assert provider["oidc"][0]["issuer_uri"] == "https://gitlab.com"
    members = {k: v for k, v in blocks.items() if k.startswith("google_project_iam_member.")}
    assert [m["role"] for m in members.values()] == ["roles/owner"]  # the viewer role stays on the everyday account
    deploy = next(v for k, v in blocks.items() if k.endswith("_deploy_federated"))
    assert deploy["member"].endswith("/subject/project_path:acme/infra:ref_type:branch:ref:main")
    assert "GitLab protected environment" in plan.approval.reason


def test_near_miss_a_gcp_owner_account_that_is_not_ci_gets_a_pam_entitlement() -> None:
    s = sa("infra-admin")
    owner = gcp_role("roles/owner")
    plan = plans_of(gcp(s, owner, Grant(principal_id=s.id, role_id=owner.id, scope_id=f"projects/{PROJECT}")))[s.id]
    assert plan.pattern is P.GCP_PAM_ENTITLEMENT


def test_an_azure_ci_app_with_owner_gets_a_deploy_app_behind_the_environment_not_pim() -> None:
    p = sp("azure-devops-release").model_copy(
        update={
            "tags": {
                "workload": "ci",
                "azure-devops-org-id": "0a1b2c3d",
                "azure-devops-org": "acme",
                "azure-devops-project": "payments",
                "azure-devops-pipeline": "release",
                "azure-devops-service-connection": "payments-prod",
            }
        }
    )
    owner = arm_owner()
    plan = plans_of(
        azure(p, client_secret(p, "sec-ado"), owner, Grant(principal_id=p.id, role_id=owner.id, scope_id=SUB))
    )["azure-devops-release"]
    assert plan.pattern is P.AZURE_FEDERATED_CREDENTIAL
    blocks = _role_blocks(plan)
    deploy = blocks[
        next(
            k
            for k in blocks
            if k.startswith("azuread_application_federated_identity_credential.") and k.endswith("_deploy")
        )
    ]
    assert (deploy["issuer"], deploy["subject"]) == (
        "https://vstoken.dev.azure.com/0a1b2c3d",
        "sc://acme/payments/payments-prod-deploy",
    )
    assert [v["scope"] for k, v in blocks.items() if k.startswith("azurerm_role_assignment.")] == [SUB]
    assert "Approvals check" in plan.approval.reason
    assert not any(k.startswith("azurerm_pim_eligible_role_assignment.") for k in blocks)


def test_near_miss_an_azure_owner_app_that_is_not_ci_is_made_pim_eligible() -> None:
    p = sp("platform-automation")
    owner = arm_owner()
    plan = plans_of(azure(p, owner, Grant(principal_id=p.id, role_id=owner.id, scope_id=SUB)))["platform-automation"]
    assert plan.pattern is P.AZURE_PIM_ELIGIBLE


def test_an_azure_app_in_kubernetes_federates_its_service_account_not_a_ci_platform() -> None:
    """The near miss of CI on Azure: Kubernetes words mean the cluster's issuer, never a CI platform's."""
    p = sp("aks-orders").model_copy(update={"tags": {"namespace": "orders", "service-account": "api"}})
    plan = plans_of(azure(p, client_secret(p, "sec-aks")))["aks-orders"]
    assert plan.pattern is P.AZURE_FEDERATED_CREDENTIAL
    [credential] = [v for k, v in _role_blocks(plan).items() if k.startswith("azuread_application_federated")]
    assert credential["subject"] == "system:serviceaccount:orders:api"
    assert credential["issuer"] == "https://REPLACE-WITH-AKS-OIDC-ISSUER/"
