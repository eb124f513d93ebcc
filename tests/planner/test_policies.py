"""Every AWS policy document a plan emits is accepted by IAM (moto) and lint-clean (parliament)."""

from __future__ import annotations

import os

from standing.planner.model import AwsPolicyDocument, PolicyKind
from standing.planner.model import TargetPattern as P
from tests.planner.cases import CASES, case_plan, narrowed_case
from tests.planner.policy_lint import iam_accepts, is_error, parliament_findings


def _all_case_policies() -> list[AwsPolicyDocument]:
    return [p for pattern in CASES for p in case_plan(pattern).aws_policies] + narrowed_case().aws_policies


def test_every_kind_of_document_is_emitted_by_some_pattern() -> None:
    kinds = {p.kind for p in _all_case_policies()}
    assert kinds == {PolicyKind.TRUST, PolicyKind.SESSION, PolicyKind.GUARDRAIL, PolicyKind.NARROWED}
    aws_patterns = {p for p in P if p.value.startswith("aws-")}
    assert all(
        any(d.kind is PolicyKind.TRUST for d in case_plan(p).aws_policies)
        for p in aws_patterns - {P.AWS_IDENTITY_CENTER}
    )


def test_iam_accepts_every_document() -> None:
    policies = _all_case_policies()
    assert iam_accepts(policies) == len(policies) >= 12


def test_parliament_finds_no_error_in_any_document() -> None:
    found = {p.name: parliament_findings(p) for p in _all_case_policies()}
    assert {name: {f for f in fs if is_error(f)} for name, fs in found.items()} == {name: set() for name in found}
    # The only warning: the agent's example tool session keeps the Resource "*" its policy has today.
    assert {name: fs for name, fs in found.items() if fs} == {
        "tool-call-session": {("RESOURCE_STAR", '["bedrock:InvokeModel"]')}
    }


def test_the_linter_is_not_vacuous() -> None:
    bad = AwsPolicyDocument(
        kind=PolicyKind.SESSION,
        name="typo",
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
        },
    )
    assert {f[0] for f in parliament_findings(bad) if is_error(f)} == {"UNKNOWN_ACTION"}
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"


def test_usage_data_narrows_the_policy_to_the_services_in_use() -> None:
    plan = narrowed_case()
    assert plan.permissions.basis.value == "usage-data" and plan.permissions.services_in_use == ["s3"]
    [narrowed] = [p.document for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert narrowed["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::acme-reports/*"}
    ]
    assert "aws_iam_role_policy_attachment" not in plan.iac[0].terraform  # the broad policy is not attached


def test_a_keys_last_used_service_alone_never_narrows():
    """The credential report's last-used service is the key's most recent call, not what it uses:
    narrowing to it would break a worker that also writes DynamoDB and SQS."""
    plan = narrowed_case(with_usage_record=False)
    assert plan.permissions.basis.value == "no-usage-data"
    assert not [p for p in plan.aws_policies if p.kind is PolicyKind.NARROWED]
    assert "last used with s3, which says what came last, not what is used" in plan.permissions.note
