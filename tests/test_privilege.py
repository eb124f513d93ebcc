"""Privilege levels judged from AWS's action catalogue, not a hand-kept list."""

from __future__ import annotations

import pytest

from standing.analysis import catalogue
from standing.analysis.privilege import PrivilegeLevel, assess_aws_policies


def level(*statements):
    return assess_aws_policies([("p", {"Version": "2012-10-17", "Statement": list(statements)})]).level


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    "statements, expected",
    [
        ([allow("*")], PrivilegeLevel.ADMIN),
        ([allow("*:*")], PrivilegeLevel.ADMIN),
        ([allow(["iam:*"])], PrivilegeLevel.PRIVILEGE_MANAGEMENT),
        ([allow(["IAM:attachrolepolicy"])], PrivilegeLevel.PRIVILEGE_MANAGEMENT),  # case-insensitive
        ([allow("iam:CreateAccessKey")], PrivilegeLevel.PRIVILEGE_MANAGEMENT),
        ([allow("iam:Pass*")], PrivilegeLevel.WRITE),  # passing a role is a hop, not a grant
        ([allow("iam:PutRolePolicy", "arn:aws:iam::1:role/app-*")], PrivilegeLevel.WRITE),
        ([allow("iam:PutRolePolicy", "arn:aws:iam::1:role/*")], PrivilegeLevel.PRIVILEGE_MANAGEMENT),
        ([allow("iam:Get*"), allow("iam:List*")], PrivilegeLevel.READ),
        ([allow("s3:*")], PrivilegeLevel.WRITE),
        ([allow("s3:Get*")], PrivilegeLevel.READ),
        ([allow("*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}], PrivilegeLevel.WRITE),
        (
            [
                allow("*"),
                {
                    "Effect": "Deny",
                    "Action": "iam:*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
                },
            ],
            PrivilegeLevel.ADMIN,
        ),
        ([{"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"}], PrivilegeLevel.ADMIN),
        ([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}], PrivilegeLevel.WRITE),
        ([allow("nosuchservice:DoThings")], PrivilegeLevel.NONE),
        ([], PrivilegeLevel.NONE),
    ],
)
def test_levels(statements, expected):
    assert level(*statements) is expected


def test_catalogue_classifies_from_aws_access_levels():
    assert catalogue.lookup("iam:GetAccountAuthorizationDetails").mutating is False
    assert catalogue.lookup("iam:DeleteUser").mutating is True
    assert {a.qualified for a in catalogue.expand("sts:AssumeRole*")} >= {
        "sts:AssumeRole",
        "sts:AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithSAML",
    }
