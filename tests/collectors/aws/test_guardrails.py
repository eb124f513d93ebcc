"""SCPs and RCPs read from moto's Organizations, placed on the OU tree, and cutting a real path."""

from __future__ import annotations

import json
from typing import Any

import boto3
from aws_support import ACCT, REGION, fixed_now, no_sleep
from test_fetch_errors import error_response
from test_organization import assumed_iam

from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.collectors.aws.operations import declared_actions
from standing.core.model import CoverageStatus, GuardrailKind
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig

ONE_REGION = ("us-east-1",)  # workloads are read where the tests put them, not in every moto region


def _deny(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}]})


def seed(deny_action: str = "sts:AssumeRole") -> dict[str, Any]:
    """Root > prod OU > prod account, root > sandbox OU > dev account; an SCP on prod OU.

    Each member holds a CI role allowed to assume its admin role (whose trust names it).
    """
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ous = {
        name: org.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
        for name in ("prod", "sandbox")
    }
    members = {}
    for name, ou in (("prod", "prod"), ("dev", "sandbox")):
        account = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ous[ou])
        members[name] = account
        iam = assumed_iam(account)
        iam.create_role(
            RoleName="standing-readonly",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
                            "Action": "sts:AssumeRole",
                        }
                    ]
                }
            ),
        )
        ci = iam.create_role(
            RoleName="ci",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ]
                }
            ),
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName="ci",
            PolicyName="assume-admin",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Resource": f"arn:aws:iam::{account}:role/admin",
                        }
                    ],
                }
            ),
        )
        iam.create_role(
            RoleName="admin",
            AssumeRolePolicyDocument=json.dumps(
                {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ci}, "Action": "sts:AssumeRole"}]}
            ),
        )
        iam.put_role_policy(
            RoleName="admin",
            PolicyName="everything",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
    scp = org.create_policy(
        Content=_deny(deny_action), Description="no role hopping", Name="NoAssumeRole", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=ous["prod"])
    rcp = org.create_policy(
        Content=_deny("s3:DeleteBucket"), Description="keep buckets", Name="KeepBuckets", Type="RESOURCE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=rcp, TargetId=root)
    return {"root": root, "ous": ous, "members": members, "scp": scp, "rcp": rcp}


def _ci_paths(inv: Any) -> set[str]:
    return {
        f.identity.split(":")[4]
        for f in analyse(inv, ScanConfig(), as_of=fixed_now())
        if f.rule_id == "path-to-admin" and f.identity.endswith(":role/ci")
    }


def test_scps_and_rcps_are_read_with_their_targets_and_the_scp_cuts_the_prod_path(session: boto3.Session) -> None:
    org = seed()
    calls: list[str] = []
    session.events.register(
        "before-call", lambda model, **_: calls.append(f"{model.service_model.service_name}:{model.name}")
    )
    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, organization=True), session=session, now=fixed_now, sleep=no_sleep
    )
    assert set(calls) <= declared_actions()
    by_id = {g.id: g for g in inv.guardrails}
    assert (by_id[org["scp"]].kind, by_id[org["scp"]].targets) == (GuardrailKind.SCP, [f"aws:ou:{org['ous']['prod']}"])
    assert by_id[org["rcp"]].kind is GuardrailKind.RCP
    assert f"aws:root:{org['root']}" in by_id["p-FullAWSAccess"].targets
    assert all(g.exempt_accounts == [ACCT] for g in inv.guardrails)  # the management account
    prod, dev = org["members"]["prod"], org["members"]["dev"]
    parents = {s.id: s.parent_id for s in inv.scopes}
    assert parents[f"aws:account:{prod}"] == f"aws:ou:{org['ous']['prod']}"
    assert parents[f"aws:ou:{org['ous']['prod']}"] == f"aws:root:{org['root']}"
    # The SCP on the prod OU cuts prod's CI -> admin hop; dev (sandbox OU) keeps its path.
    assert _ci_paths(inv) == {dev}
    # One walk of the tree: ListAccountsForParent once per root or OU, never per account.
    assert calls.count("organizations:ListAccountsForParent") == 3


def test_near_miss_an_scp_denying_another_action_cuts_nothing(session: boto3.Session) -> None:
    org = seed(deny_action="ec2:RunInstances")
    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, organization=True), session=session, now=fixed_now, sleep=no_sleep
    )
    assert _ci_paths(inv) == set(org["members"].values())


def test_denied_policy_listing_is_a_gap_and_the_scan_goes_on(session: boto3.Session) -> None:
    org = seed()
    session.events.register(
        "before-call.organizations.ListPolicies",
        lambda **_: error_response(400, "AccessDeniedException", "not the management account or a delegated admin"),
    )
    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, organization=True), session=session, now=fixed_now, sleep=no_sleep
    )
    assert inv.guardrails == []
    assert {(g.operation, g.status) for g in inv.gaps} == {("organizations:ListPolicies", CoverageStatus.DENIED)}
    assert _ci_paths(inv) == set(org["members"].values())  # nothing read, nothing cut
