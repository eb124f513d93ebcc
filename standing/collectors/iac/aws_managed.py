"""Documents of the AWS managed policies that matter to privilege, for plans that only name them.

A Terraform plan or a template attaches ``arn:aws:iam::aws:policy/...`` by ARN; the document
lives in AWS. These are the managed policies that grant admin or IAM write on ``*`` (their
documents as AWS publishes them, reduced to the statements that decide the judgement). Any
other AWS managed policy is judged as granting neither, and the gate says so in its notes.
"""

from __future__ import annotations

from typing import Any

_PREFIX = "arn:aws:iam::aws:policy/"

PRIVILEGED_MANAGED_POLICIES: dict[str, dict[str, Any]] = {
    "AdministratorAccess": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    "IAMFullAccess": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
    },
    "PowerUserAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": [
                    "iam:CreateServiceLinkedRole",
                    "iam:DeleteServiceLinkedRole",
                    "iam:ListRoles",
                    "organizations:DescribeOrganization",
                    "account:ListRegions",
                    "account:GetAccountInformation",
                ],
                "Resource": "*",
            },
        ],
    },
    "AWSOrganizationsFullAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "organizations:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"},
        ],
    },
}


def is_aws_managed(arn: str) -> bool:
    return arn.startswith("arn:aws") and ":iam::aws:policy/" in arn


def managed_policy_document(arn: str) -> dict[str, Any] | None:
    """The bundled document of a privileged AWS managed policy, or None for any other."""
    return PRIVILEGED_MANAGED_POLICIES.get(arn.rsplit("/", 1)[-1]) if is_aws_managed(arn) else None
