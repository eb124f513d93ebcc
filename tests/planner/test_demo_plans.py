"""On the demo estate every flagged identity gets a plan; the third-party CRM user gets controls."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import hcl2
import pytest

from standing.core.traits import Trait
from standing.demo.estate import DEMO_ESTATE
from standing.demo.runner import run_demo
from standing.planner.model import ControlKind, Phase, PlansDocument
from standing.planner.model import TargetPattern as P
from standing.rules.registry import traits_of
from tests.planner.policy_lint import iam_accepts, is_error, parliament_findings

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

# The pattern every flagged demo identity gets, and why it is right for it.
EXPECTED = {
    "reporting-export": P.RETIRE,  # its only key unused for 200 days
    "carol.contractor": P.RETIRE,  # a person's key, never used
    "etl-nightly": P.RETIRE,
    "svc-partner-sftp": P.RETIRE,
    "svc-old-admin": P.RETIRE,  # dead admin user
    "svc-salesforce-sync": P.COMPENSATE,  # tagged third-party
    "partner-etl-writer": P.COMPENSATE,  # trusted by a partner account outside the estate
    "vendor-monitoring-integration": P.COMPENSATE,  # trusted by the vendor's account, with an external id
    "ci-github-legacy": P.AWS_CI_OIDC_ROLE,
    "github-actions-deploy": P.AWS_CI_OIDC_ROLE,
    "github-actions-any-repo": P.AWS_CI_OIDC_ROLE,
    "github-actions-org-wide": P.AWS_CI_OIDC_ROLE,
    "github-actions-terraform": P.AWS_CI_OIDC_ROLE,
    # CI reaching admin: the platform's OIDC federation, admin split off to a deploy role approved in the
    # platform; never the per-run approval broker, which would stop the pipeline
    "ci-jenkins": P.AWS_CI_OIDC_ROLE,  # reaches acme-admin through the orchestrator: Jenkins' issuer
    "svc-terraform": P.AWS_CI_OIDC_ROLE,  # Terraform in CI, platform unknown: a listed placeholder
    "svc-iam-provisioner": P.AWS_ADMIN_ON_REQUEST,
    "acme-admin": P.AWS_ADMIN_ON_REQUEST,
    "lambda-user-provisioner": P.AWS_ADMIN_ON_REQUEST,
    "deploy-orchestrator": P.AWS_ADMIN_ON_REQUEST,  # the jump role ci-jenkins reaches acme-admin through
    "legacy-cross-account-open": P.AWS_PINNED_CROSS_ACCOUNT,
    # A whole partner account trusted with no condition: still the partner's standing access, so the
    # third-party path (which pins one partner role and requires the external id among its controls).
    "legacy-vendor-bare-account": P.COMPENSATE,
    "partner-audit-access": P.COMPENSATE,
    "svc-ml-pipeline": P.AWS_RUN_SCOPED_ROLE,
    "sagemaker-notebook-exec": P.AWS_RUN_SCOPED_ROLE,
    "sagemaker-notebook-datascience": P.AWS_RUN_SCOPED_ROLE,
    "sagemaker-training-exec": P.AWS_RUN_SCOPED_ROLE,  # passes the admin notebook role to a training job
    "bedrock-agent-support": P.AWS_AGENT_PER_CALL,
    "jane.doe": P.AWS_IDENTITY_CENTER,
    "svc-ledger-batch": P.AWS_SERVICE_ROLE,
    "deploy-shared": P.AWS_ROLES_ANYWHERE,  # a CI key, but no sign of which CI system
    "ci-circleci-mobile": P.AWS_CI_OIDC_ROLE,  # CircleCI's per-organisation issuer
    "svc-cost-reporter": P.AWS_ROLES_ANYWHERE,
    # Flagged only by the census of standing secrets (a live key, nothing else judged): the
    # plan still replaces the key, with no sign of a CI system or a cloud workload to use instead.
    "svc-backup": P.AWS_ROLES_ANYWHERE,
    "svc-clean-control": P.AWS_ROLES_ANYWHERE,
    "svc-data-sync": P.AWS_ROLES_ANYWHERE,
    "svc-legacy-ftp": P.AWS_ROLES_ANYWHERE,
    "svc-monitoring-agent": P.AWS_ROLES_ANYWHERE,
    "svc-payments-webhook": P.AWS_ROLES_ANYWHERE,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PlansDocument, dict]:
    out = tmp_path_factory.mktemp("demo-plans")
    result = run_demo(output_dir=out, now=NOW)
    assert (out / "plans.json") in result.written and (out / "plans.md") in result.written
    document = PlansDocument.model_validate_json((out / "plans.json").read_text())
    assert document == result.plans
    return out, document, json.loads((out / "findings.json").read_text())


def test_every_flagged_identity_gets_exactly_one_plan_with_the_expected_pattern(demo) -> None:
    _, document, findings = demo
    assert {f["identity"] for f in findings["findings"]} == {arn for _, arn in DEMO_ESTATE.expected_findings()}
    # A finding about a customer policy itself names the policy: the policy is the fix, no identity plan.
    flagged = {f["identity"] for f in findings["findings"] if Trait.ABOUT_POLICY not in traits_of(f["rule_id"])}
    assert [p.identity for p in document.plans if p.identity in flagged] == [p.identity for p in document.plans]
    assert {p.identity for p in document.plans} == flagged and len(document.plans) == len(flagged)
    assert {p.identity_name: p.pattern for p in document.plans} == EXPECTED
    for plan in document.plans:
        assert {(f.rule_id, f.subject) for f in plan.findings} == {
            (f["rule_id"], f["subject"]) for f in findings["findings"] if f["identity"] == plan.identity
        }


def test_the_third_party_user_gets_compensating_controls_and_credit_for_its_sourceip(demo) -> None:
    _, document, _ = demo
    [crm] = [p for p in document.plans if p.identity_name == "svc-salesforce-sync"]
    assert crm.controls and crm.phase is Phase.COMPENSATION
    in_place = {c.kind: c.evidence for c in crm.controls if c.in_place}
    assert in_place == {
        ControlKind.SOURCE_RESTRICTION: "IpAddress aws:SourceIp 13.108.0.0/14",
        ControlKind.ONE_IDENTITY_PER_CONSUMER: "no sign of sharing in this scan",
        ControlKind.OWNER_AND_JUSTIFICATION: "owner revenue-ops",
    }
    assert crm.risk == crm.findings[0].risk - 23 and crm.residual_risk < crm.risk


def test_roadmap_phases_and_exposure_fall_to_what_stays(demo) -> None:
    _, document, findings = demo
    phases = document.roadmap.phases
    assert [p.phase for p in phases] == [Phase.QUICK_WIN, Phase.MIGRATION, Phase.COMPENSATION]
    assert (
        phases[0].exposure_before == findings["exposure"] | {}
        or phases[0].exposure_before.model_dump() == findings["exposure"]
    )
    for earlier, later in zip(phases, phases[1:]):
        assert earlier.exposure_after == later.exposure_before
    planned = {p.identity for p in document.plans if p.pattern is not P.COMPENSATE}
    remaining = sum(
        1 for u in DEMO_ESTATE.users if u.arn(DEMO_ESTATE.account_id) not in planned for k in u.keys if k.active
    )
    assert phases[-1].exposure_after.standing_secrets == remaining
    assert phases[1].exposure_after.admin_secrets == 0
    by_id = {p.identity: p for p in document.plans}
    for phase in phases:
        priorities = [by_id[i].priority for i in phase.plans]
        assert priorities == sorted(priorities, reverse=True)


def test_every_plan_has_parsable_terraform_and_clean_aws_policies(demo) -> None:
    out, document, _ = demo
    policies = [policy for plan in document.plans for policy in plan.aws_policies]
    assert all(hcl2.loads(s.terraform) for plan in document.plans for s in plan.iac)
    assert iam_accepts(policies) == len(policies)
    assert {(p.name, f) for p in policies for f in parliament_findings(p) if is_error(f)} == set()
    markdown = (out / "plans.md").read_text()
    assert [line[3:] for line in markdown.splitlines() if line.startswith("## ") and line != "## Roadmap"] == [
        p.identity_name.replace("_", "\\_") for p in document.plans
    ]


def test_every_plan_in_the_estate_writes_its_own_terraform_file_and_labels(demo) -> None:
    _, document, _ = demo
    files = [s.filename for plan in document.plans for s in plan.iac]
    assert len(files) == len(set(files))
    declared = [
        (kind, name)
        for plan in document.plans
        for s in plan.iac
        for block in hcl2.loads(s.terraform).get("resource", [])
        for kind, body in block.items()
        for name in body
    ]
    assert len(declared) == len(set(declared))  # applied together, no two resources clash


def test_the_demo_ci_identities_get_a_workflow_naming_the_new_role_and_the_pinned_subject(demo) -> None:
    """Issue 18, item 4: each CI plan carries the consumer's side, YAML that names what the Terraform creates."""
    import yaml

    out, document, _ = demo
    ci_plans = [p for p in document.plans if p.pattern is P.AWS_CI_OIDC_ROLE and p.identity_name != "ci-jenkins"]
    assert {p.identity_name for p in ci_plans} >= {"ci-github-legacy", "github-actions-terraform", "ci-circleci-mobile"}
    markdown = (out / "plans.md").read_text()
    for plan in ci_plans:
        [change] = plan.consumer
        config = yaml.safe_load(change.snippet)
        trusts = [p.document["Statement"][0]["Condition"] for p in plan.aws_policies if p.kind.value == "trust"]
        pinned = {v for c in trusts for block in c.values() for k, v in block.items() if k.endswith(":sub")}
        assert change.subject in pinned
        for role in change.uses:
            assert role.startswith("arn:aws:iam::") and role in change.snippet
            assert f'"{role.rsplit("/", 1)[1]}"' in plan.iac[0].terraform  # the role the Terraform creates
        if change.kind.value == "github-actions":
            assert config["permissions"]["id-token"] == "write"
        assert change.snippet in markdown
    terraform = next(p for p in ci_plans if p.identity_name == "github-actions-terraform")
    assert terraform.consumer[0].subject == "repo:acme/infra:environment:production"
    # the near miss: plans that are not CI (retire, compensate, a service role) carry no workflow
    assert all(not p.consumer for p in document.plans if p.pattern not in (P.AWS_CI_OIDC_ROLE, P.AWS_EKS_POD_ROLE))


def test_the_demo_roles_with_usage_data_get_plans_strictly_smaller_than_their_grants(demo) -> None:
    """Issue 18: the roles whose Access Advisor report the demo ships are planned onto what they
    used; every other plan carries its permissions over unchanged (no usage data, no guess)."""
    from standing.core.snapshot import read_snapshot
    from standing.demo.estate import DEMO_ESTATE
    from tests.support.narrowing import compare_narrowed

    out, document, findings = demo
    inventory = read_snapshot(out / "snapshot.json")
    with_usage = {r.arn(DEMO_ESTATE.account_id) for r in DEMO_ESTATE.roles if r.used_services}
    assert {u.identity_id for u in inventory.usage} == with_usage and len(with_usage) == 2
    compared = {c.identity: c for c in compare_narrowed(document.plans, inventory)}
    assert set(compared) == with_usage
    for comparison in compared.values():
        assert comparison.strictly_smaller, comparison.identity
        assert comparison.narrowed and all(
            a.split(":")[0] in ("s3", "sagemaker", "bedrock") for a in comparison.narrowed
        )
    unused = {f["identity"] for f in findings["findings"] if f["rule_id"] == "permissions-unused"}
    assert unused == with_usage
