"""Trust-policy principals and workload classification, one statement shape at a time."""

from __future__ import annotations

from typing import Any

import pytest

from standing.collectors.aws.normalize import role_workload, trusts_from_policy
from standing.core.model import TrustKind, WorkloadKind

ROLE = "arn:aws:iam::123456789012:role/target"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, action: Any = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", [("*", TrustKind.ANY, None)]),
        ({"AWS": "*"}, [("*", TrustKind.ANY, None)]),
        ({"AWS": "210987654321"}, [("arn:aws:iam::210987654321:root", TrustKind.ACCOUNT, None)]),
        (
            {"AWS": "arn:aws-cn:iam::210987654321:root"},
            [("arn:aws-cn:iam::210987654321:root", TrustKind.ACCOUNT, None)],
        ),
        (
            {"AWS": "arn:aws:iam::210987654321:user/ops/bob"},
            [("arn:aws:iam::210987654321:user/ops/bob", TrustKind.PRINCIPAL, None)],
        ),
        (
            {"Service": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]},
            [("ecs-tasks.amazonaws.com", TrustKind.SERVICE, None), ("ec2.amazonaws.com", TrustKind.SERVICE, None)],
        ),
        (
            {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
            [("arn:aws:iam::123456789012:oidc-provider/gitlab.com", TrustKind.OIDC, "gitlab.com")],
        ),
        (
            {"Federated": "arn:aws:iam::123456789012:saml-provider/okta"},
            [("arn:aws:iam::123456789012:saml-provider/okta", TrustKind.SAML, None)],
        ),
        ({"Federated": "accounts.google.com"}, [("accounts.google.com", TrustKind.OIDC, "accounts.google.com")]),
        (
            {"Federated": "cognito-identity.amazonaws.com"},
            [("cognito-identity.amazonaws.com", TrustKind.OIDC, "cognito-identity.amazonaws.com")],
        ),
    ],
)
def test_principals(principal: Any, expected: list[tuple[str, TrustKind, str | None]]) -> None:
    trusts = trusts_from_policy(ROLE, doc(allow(principal)))
    assert [(t.principal, t.kind, t.issuer) for t in trusts] == expected
    assert all(t.target_id == ROLE and t.actions == ["sts:AssumeRole"] for t in trusts)


def test_deny_is_ignored_and_not_principal_is_anyone() -> None:
    trusts = trusts_from_policy(
        ROLE,
        doc(
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::1:user/x"},
                "Action": ["sts:AssumeRole"],
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
        ),
    )
    assert [(t.principal, t.kind, t.actions, t.conditions) for t in trusts] == [
        ("*", TrustKind.ANY, ["sts:AssumeRole"], {"Bool": {"aws:SecureTransport": "true"}})
    ]


def test_single_statement_object_is_read_like_a_list() -> None:
    policy = {"Version": "2012-10-17", "Statement": allow({"Service": "lambda.amazonaws.com"})}
    assert [t.kind for t in trusts_from_policy(ROLE, policy)] == [TrustKind.SERVICE]


@pytest.mark.parametrize(
    ("tags", "principal", "expected"),
    [
        ({}, {"Service": "bedrock.amazonaws.com"}, WorkloadKind.AGENT),
        ({}, {"Service": "sagemaker.amazonaws.com"}, WorkloadKind.TRAINING),
        ({}, {"Service": "codebuild.amazonaws.com"}, WorkloadKind.CI),
        ({}, {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"}, WorkloadKind.CI),
        ({}, {"Service": ["lambda.amazonaws.com", "sagemaker.amazonaws.com"]}, WorkloadKind.TRAINING),
        ({}, {"Service": "ec2.amazonaws.com"}, WorkloadKind.APP),
        ({}, {"AWS": "210987654321"}, WorkloadKind.UNKNOWN),
        ({"workload": "Notebook"}, {"Service": "ec2.amazonaws.com"}, WorkloadKind.NOTEBOOK),
        ({"standing:workload": "inference"}, {"AWS": "*"}, WorkloadKind.INFERENCE),
        ({"workload": "batch"}, {"Service": "lambda.amazonaws.com"}, WorkloadKind.APP),  # not a kind
    ],
)
def test_workload(tags: dict[str, str], principal: Any, expected: WorkloadKind) -> None:
    assert role_workload(tags, trusts_from_policy(ROLE, doc(allow(principal)))) is expected
