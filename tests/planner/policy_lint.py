"""Hand a plan's AWS policy documents to IAM (moto) and to the parliament linter."""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto import mock_aws
from parliament import analyze_policy_string
from parliament import config as parliament_config

from standing.planner.model import AwsPolicyDocument, PolicyKind

# parliament lints identity policies; on a trust policy two findings are its own blind spots:
# trust policies have no Resource by IAM's grammar, and it only knows SAML and four web
# identity providers as federation sources, not IAM OIDC provider ARNs.
TRUST_POLICY_FALSE_POSITIVES = {("MALFORMED", "Statement contains neither Resource nor NotResource")}


def parliament_findings(policy: AwsPolicyDocument) -> set[tuple[str, Any]]:
    found = {
        (f.issue, f.detail if isinstance(f.detail, str) else json.dumps(f.detail, default=str))
        for f in analyze_policy_string(json.dumps(policy.document)).findings
    }
    if policy.kind is PolicyKind.TRUST:
        found -= TRUST_POLICY_FALSE_POSITIVES
        found = {
            (issue, detail)
            for issue, detail in found
            if not (issue == "UNKNOWN_FEDERATION_SOURCE" and ":oidc-provider/" in str(detail))
        }
    return found


def iam_accepts(policies: list[AwsPolicyDocument]) -> int:
    """CreateRole for trust policies, CreatePolicy for the rest; returns how many IAM accepted."""
    accepted = 0
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        for i, policy in enumerate(policies):
            text = json.dumps(policy.document)
            if policy.kind is PolicyKind.TRUST:
                iam.create_role(RoleName=f"planned-{i}", AssumeRolePolicyDocument=text)
            else:
                iam.create_policy(PolicyName=f"planned-{i}", PolicyDocument=text)
            accepted += 1
    return accepted


def is_error(finding: tuple[str, Any]) -> bool:
    """parliament groups its issues; only NOT_IDEAL ones (e.g. RESOURCE_STAR) are advice, not errors."""
    return parliament_config.get(finding[0], {}).get("group") != "NOT_IDEAL"
