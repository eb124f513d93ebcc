"""Each target pattern: a realistic identity gets it, with Terraform that parses and steps in the safe order."""

from __future__ import annotations

import pytest

from standing.planner.model import SAFE_ORDER, AgenticMode, ControlKind, Phase
from standing.planner.model import TargetPattern as P
from tests.planner.cases import CASES, case_plan, parsed_terraform, plans_of, resources

# The Terraform resources each pattern must create (beyond parsing at all).
EXPECTED_RESOURCES = {
    P.RETIRE: {"aws_iam_user_policy"},
    P.COMPENSATE: {"aws_cloudwatch_event_rule"},
    P.AWS_CI_OIDC_ROLE: {"aws_iam_role", "aws_iam_role_policy_attachment"},
    P.AWS_EKS_POD_ROLE: {"aws_iam_role", "aws_iam_role_policy_attachment", "aws_eks_pod_identity_association"},
    P.AWS_SERVICE_ROLE: {"aws_iam_role", "aws_iam_role_policy_attachment"},
    P.AWS_ROLES_ANYWHERE: {
        "aws_iam_role",
        "aws_iam_role_policy_attachment",
        "aws_rolesanywhere_trust_anchor",
        "aws_rolesanywhere_profile",
    },
    P.AWS_IDENTITY_CENTER: {"aws_ssoadmin_permission_set", "aws_ssoadmin_customer_managed_policy_attachment"},
    P.AWS_ADMIN_ON_REQUEST: {"aws_iam_role", "aws_iam_role_policy_attachment"},
    P.AWS_PINNED_CROSS_ACCOUNT: {"aws_iam_role", "aws_iam_role_policy_attachment"},
    P.AWS_AGENT_PER_CALL: {"aws_iam_role", "aws_iam_role_policy_attachment"},
    P.AWS_RUN_SCOPED_ROLE: {"aws_iam_role", "aws_iam_role_policy_attachment"},
    P.GCP_WORKLOAD_IDENTITY_FEDERATION: {
        "google_iam_workload_identity_pool",
        "google_iam_workload_identity_pool_provider",
        "google_service_account_iam_member",
        "google_org_policy_policy",
    },
    P.GCP_ATTACHED_SERVICE_ACCOUNT: {"google_service_account_iam_member", "google_org_policy_policy"},
    P.GCP_IMPERSONATION: {"google_service_account_iam_member", "google_org_policy_policy"},
    P.GCP_PAM_ENTITLEMENT: {"google_privileged_access_manager_entitlement"},
    # the project already enforces iam.disableServiceAccountKeyCreation: no org policy repeated
    P.GCP_AGENT_DOWNSCOPED: {"google_service_account_iam_member"},
    P.AZURE_FEDERATED_CREDENTIAL: {"azuread_application_federated_identity_credential"},
    P.AZURE_MANAGED_IDENTITY: {"azurerm_user_assigned_identity"},
    P.AZURE_PIM_ELIGIBLE: {"azurerm_pim_eligible_role_assignment", "azurerm_role_management_policy"},
    P.AZURE_AGENT_PER_RESOURCE: {"azurerm_user_assigned_identity"},
}
TTL = {
    P.RETIRE: None,
    P.COMPENSATE: 90 * 86400,
    P.AWS_AGENT_PER_CALL: 900,
    P.GCP_AGENT_DOWNSCOPED: 900,
    P.AZURE_AGENT_PER_RESOURCE: 900,
    P.AWS_RUN_SCOPED_ROLE: 43200,
    P.AZURE_MANAGED_IDENTITY: 86400,
}


def test_every_pattern_has_a_case() -> None:
    assert set(CASES) == set(P) == set(EXPECTED_RESOURCES)


@pytest.mark.parametrize("pattern", list(P), ids=lambda p: p.value)
def test_pattern_iac_and_safe_steps(pattern: P) -> None:
    plan = case_plan(pattern)
    assert plan.pattern is pattern
    assert resources(parsed_terraform(plan)) == EXPECTED_RESOURCES[pattern]
    kinds = [s.kind for s in plan.steps]
    expected = list(SAFE_ORDER) if pattern is not P.RETIRE else list(SAFE_ORDER[2:])
    assert kinds == expected
    assert [s.order for s in plan.steps] == list(range(1, len(kinds) + 1))
    assert all(s.rollback.strip() for s in plan.steps)
    assert [s.watch_days is not None for s in plan.steps] == [k.value == "watch-unused" for k in kinds]
    assert plan.ttl_seconds == TTL.get(pattern, 3600)
    assert plan.verify and plan.verify[0].purpose == "the old credential is no longer used"
    assert plan.phase is {P.RETIRE: Phase.QUICK_WIN, P.COMPENSATE: Phase.COMPENSATION}.get(pattern, Phase.MIGRATION)
    assert 0 <= plan.residual_risk <= plan.risk


def test_ci_role_trusts_the_exact_repository_and_audience_and_reuses_the_provider() -> None:
    plan = case_plan(P.AWS_CI_OIDC_ROLE)
    [trust] = [p.document for p in plan.aws_policies if p.kind.value == "trust"]
    host = "token.actions.githubusercontent.com"
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {f"{host}:aud": "sts.amazonaws.com", f"{host}:sub": "repo:acme/api:environment:production"}
    }
    assert plan.approval.required and "storage" in plan.approval.reason  # s3:GetObject is sensitive
    assert plan.placeholders == []
    assert "aws_iam_openid_connect_provider" not in plan.iac[0].terraform  # the account already has it


def test_admin_plan_requires_approval_and_a_session_policy_that_forbids_new_keys() -> None:
    plan = case_plan(P.AWS_ADMIN_ON_REQUEST)
    assert plan.approval.required and plan.approval.reason.startswith("admin-equivalent")
    [session] = [p.document for p in plan.aws_policies if p.kind.value == "session"]
    assert session["Statement"][1] == {
        "Sid": "NoNewStandingAccess",
        "Effect": "Deny",
        "Action": ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:CreateUser", "iam:UpdateAssumeRolePolicy"],
        "Resource": "*",
    }
    assert plan.permissions.basis.value == "no-usage-data" and "no usage data" in plan.permissions.note


def test_agents_get_per_call_fail_closed_credentials_and_runs_get_per_run_ones() -> None:
    agents = [case_plan(p) for p in (P.AWS_AGENT_PER_CALL, P.GCP_AGENT_DOWNSCOPED, P.AZURE_AGENT_PER_RESOURCE)]
    assert [(a.agentic.mode, a.agentic.fail_closed) for a in agents] == [(AgenticMode.PER_CALL, True)] * 3
    [session] = [p.document for p in agents[0].aws_policies if p.kind.value == "session"]
    assert session["Statement"][0]["Action"] == ["bedrock:InvokeModel"]
    run = case_plan(P.AWS_RUN_SCOPED_ROLE)
    assert run.agentic.mode is AgenticMode.PER_RUN
    [trust] = [p.document for p in run.aws_policies if p.kind.value == "trust"]
    assert trust["Statement"][0]["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:sagemaker:*:111122223333:training-job/*"
    }


def test_third_party_key_gets_controls_and_the_sourceip_already_there_lowers_its_risk() -> None:
    plan = case_plan(P.COMPENSATE)
    controls = {c.kind: c for c in plan.controls}
    third_party_only = {
        ControlKind.EXTERNAL_ID,
        ControlKind.SESSION_LIMIT,
        ControlKind.SESSION_TAGS,
        ControlKind.ACCESS_REVIEW,
    }
    # CUT_PATH only for an identity with a path to admin (tests/planner/test_compute_and_cuts.py)
    assert set(controls) == set(ControlKind) - third_party_only - {ControlKind.CUT_PATH}
    assert {k for k, c in controls.items() if c.in_place} == {
        ControlKind.SOURCE_RESTRICTION,
        ControlKind.ONE_IDENTITY_PER_CONSUMER,
        ControlKind.OWNER_AND_JUSTIFICATION,
    }
    assert controls[ControlKind.SOURCE_RESTRICTION].evidence == "IpAddress aws:SourceIp 13.108.0.0/14"
    assert "AKIACRMSYNC000000001" in (controls[ControlKind.ALERT_ON_NEW_SOURCE].query or "")
    finding_risk = max(f.risk for f in plan.findings)
    assert plan.risk == finding_risk - (15 + 5 + 3)
    assert plan.residual_risk == max(10, finding_risk - 60)
    assert not [p for p in plan.aws_policies if p.kind.value == "guardrail"]  # sources already restricted


def test_gcp_migrations_disable_key_creation_unless_already_enforced() -> None:
    wif = parsed_terraform(case_plan(P.GCP_WORKLOAD_IDENTITY_FEDERATION))
    [provider] = [
        b['"google_iam_workload_identity_pool_provider"']
        for d in wif
        for b in d["resource"]
        if '"google_iam_workload_identity_pool_provider"' in b
    ]
    body = next(iter(provider.values()))
    assert body["attribute_condition"] == '"assertion.repository == \\"REPLACE-WITH-ORG/REPOSITORY\\""'
    assert "iam.disableServiceAccountKeyCreation" in case_plan(P.GCP_IMPERSONATION).iac[0].terraform
    assert "google_org_policy_policy" not in case_plan(P.GCP_AGENT_DOWNSCOPED).iac[0].terraform


def test_pim_plan_makes_the_owner_assignment_eligible_with_approval() -> None:
    plan = case_plan(P.AZURE_PIM_ELIGIBLE)
    text = plan.iac[0].terraform
    assert 'maximum_duration      = "PT1H"' in text and "require_approval      = true" in text
    assert plan.approval.required


def test_a_hostile_name_cannot_break_out_of_the_terraform() -> None:
    from tests.builders import key, user
    from tests.planner.cases import aws

    name = 'evil"\n} resource "x" "y" { ${file("/etc/passwd")}'
    u = user("svc-x", tags={"repository": name}, workload="ci", path="/ci/github/")
    plan = plans_of(aws(u, key(u, "AKIAEVIL000000000001", age=200, used=0)))["svc-x"]
    [parsed] = parsed_terraform(plan)
    assert resources([parsed]) == {"aws_iam_role", "aws_iam_openid_connect_provider"}
    assert "$${file" in plan.iac[0].terraform and "${file" not in plan.iac[0].terraform.replace("$${", "")


def test_circleci_gets_its_organisations_issuer_and_one_projects_subject() -> None:
    from tests.builders import key, user
    from tests.planner.cases import aws

    u = user(
        "ci-circleci-mobile",
        path="/ci/",
        workload="ci",
        tags={"circleci-org-id": "8f1e0c2a", "circleci-project-id": "5d4c3b2a"},
    )
    plan = plans_of(aws(u, key(u, "AKIACIRCLECI00000001", age=200, used=0)))["ci-circleci-mobile"]
    [trust] = [p.document for p in plan.aws_policies if p.kind.value == "trust"]
    host = "oidc.circleci.com/org/8f1e0c2a"
    assert trust["Statement"][0]["Principal"] == {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{host}"}
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {f"{host}:aud": "8f1e0c2a"},
        "StringLike": {f"{host}:sub": "org/8f1e0c2a/project/5d4c3b2a/user/*"},
    }
    assert plan.placeholders == []
    assert 'url            = "https://oidc.circleci.com/org/8f1e0c2a"' in plan.iac[0].terraform


@pytest.mark.parametrize(
    "name,issuer,subject",
    [
        ("gitlab-deployer", "https://gitlab.com", "project_path:acme/api:ref_type:branch:ref:main"),
        ("github-deployer", "https://token.actions.githubusercontent.com", "repo:acme/api:environment:production"),
    ],
)
def test_azure_federated_credentials_follow_the_ci_system(name: str, issuer: str, subject: str) -> None:
    from tests.planner.cases import azure, client_secret, sp

    app = sp(name).model_copy(update={"tags": {"repository": "acme/api"}})
    plan = plans_of(azure(app, client_secret(app, "s1")))[name]
    [parsed] = parsed_terraform(plan)
    [body] = parsed["resource"][0]['"azuread_application_federated_identity_credential"'].values()
    assert (body["issuer"], body["subject"]) == (f'"{issuer}"', f'"{subject}"')


def test_markdown_escapes_names_and_fences_code_from_the_cloud() -> None:
    from standing.planner.document import plan_estate
    from standing.planner.markdown import render_markdown
    from tests.builders import NOW, key, user
    from tests.planner.cases import aws

    u = user("svc-x", tags={"repository": "acme/<img src=x onerror=alert(1)>```\n# pwned"})
    inventory = aws(u, key(u, "AKIAHOSTILE000000001", age=200, used=0))
    from standing.rules.analyse import analyse_estate
    from standing.rules.config import ScanConfig

    analysis = analyse_estate(inventory, ScanConfig(), as_of=NOW)
    text = render_markdown(plan_estate(analysis.model, analysis.findings, generated_at=NOW))
    assert "<img" not in text.replace("&lt;img", "")
    assert not any(line.startswith("# pwned") for line in text.splitlines())
    fences = [line for line in text.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0


def test_a_shared_identity_gets_one_new_path_per_consumer() -> None:
    from tests.builders import key, user
    from tests.planner.cases import aws

    u = user("deploy-shared", tags={"team": "payments", "team-secondary": "ledger"})
    plan = plans_of(
        aws(u, key(u, "AKIASHARED0000000001", age=30, used=1), key(u, "AKIASHARED0000000002", age=20, used=1))
    )["deploy-shared"]
    assert {f.rule_id for f in plan.findings} == {"shared-identity", "two-active-keys", "long-lived-secret"}
    assert plan.target.endswith("one per consumer, since several consumers share this identity today")
