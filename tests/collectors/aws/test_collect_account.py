"""A whole single-account scan against moto: what a user sees in the inventory."""

from __future__ import annotations

import json
from typing import Any

import boto3
from aws_support import ACCT, NOW, REGION, fixed_now, no_sleep, utc
from moto.iam.models import AccessKeyLastUsed, iam_backends

from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.collectors.aws.operations import declared_actions
from standing.core.model import (
    CredentialKind,
    FederationKind,
    IdentityKind,
    TrustKind,
    UsageStatus,
    WorkloadKind,
)

ARN = f"arn:aws:iam::{ACCT}"
SCOPE = f"aws:account:{ACCT}"
GITHUB = "token.actions.githubusercontent.com"

ONE_REGION = ("us-east-1",)  # workloads are read where the tests put them, not in every moto region


def policy(*actions: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
    )


def trust(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


LAMBDA = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
WILDCARD = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "s3cr3t-ish"}}
CROSS = {
    "Effect": "Allow",
    "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:role/deployer"]},
    "Action": ["sts:AssumeRole", "sts:TagSession"],
    "Condition": EXTERNAL_ID,
}
GHA_CONDITION = {"StringLike": {f"{GITHUB}:sub": "repo:acme/app:*"}}
GHA = {
    "Effect": "Allow",
    "Principal": {"Federated": f"{ARN}:oidc-provider/{GITHUB}"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": GHA_CONDITION,
}
SAML = {
    "Effect": "Allow",
    "Principal": {"Federated": f"{ARN}:saml-provider/okta"},
    "Action": "sts:AssumeRoleWithSAML",
}


def seed_account() -> dict[str, str]:
    """Users with keys and a password, a group, five kinds of role trust, policies of each kind."""
    iam = boto3.client("iam", region_name=REGION)
    read_s3 = iam.create_policy(PolicyName="ReadS3", PolicyDocument=policy("s3:Get*"))["Policy"]["Arn"]

    iam.create_user(UserName="ci-bot", Path="/svc/", Tags=[{"Key": "team", "Value": "platform"}])
    old_key = iam.create_access_key(UserName="ci-bot")["AccessKey"]["AccessKeyId"]
    new_key = iam.create_access_key(UserName="ci-bot")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="ci-bot", AccessKeyId=new_key, Status="Inactive")

    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    iam.put_user_policy(UserName="alice", PolicyName="alice-inline", PolicyDocument=policy("sqs:*"))

    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.add_user_to_group(GroupName="devs", UserName="ci-bot")
    iam.attach_group_policy(GroupName="devs", PolicyArn=read_s3)
    iam.put_group_policy(GroupName="devs", PolicyName="devs-inline", PolicyDocument=policy("ec2:Describe*"))

    iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    iam.create_saml_provider(Name="okta", SAMLMetadataDocument="<md:EntityDescriptor/>" * 100)

    iam.create_role(RoleName="app-fn", AssumeRolePolicyDocument=trust(LAMBDA))
    iam.attach_role_policy(RoleName="app-fn", PolicyArn=read_s3)
    iam.put_role_policy(RoleName="app-fn", PolicyName="fn-inline", PolicyDocument=policy("dynamodb:*"))
    iam.create_role(RoleName="open", AssumeRolePolicyDocument=trust(WILDCARD))
    iam.create_role(
        RoleName="vendor",
        AssumeRolePolicyDocument=trust(CROSS),
        Tags=[{"Key": "workload", "Value": "agent"}],
    )
    iam.create_role(
        RoleName="gha-deploy",
        Path="/ci/",
        AssumeRolePolicyDocument=trust(GHA),
        PermissionsBoundary=read_s3,
    )
    iam.create_role(
        RoleName="AWSReservedSSO_Admin_0123456789abcdef",
        Path="/aws-reserved/sso.amazonaws.com/",
        AssumeRolePolicyDocument=trust(SAML),
    )

    # Dates moto cannot produce (cloud-apis.md 1.10, recipe 2).
    backend = iam_backends[ACCT]["aws"]
    backend.access_keys[old_key].create_date = utc(2024, 1, 1)
    backend.access_keys[old_key].last_used = AccessKeyLastUsed(
        timestamp=utc(2025, 5, 1, 9), service="s3", region="eu-west-1"
    )
    backend.access_keys[new_key].create_date = utc(2025, 2, 1)
    backend.get_user("alice").password_last_used = utc(2025, 5, 20, 7)
    names = ("app-fn", "open", "vendor", "gha-deploy", "AWSReservedSSO_Admin_0123456789abcdef")
    roles = {name: backend.get_role(name) for name in names}
    roles["app-fn"].last_used = utc(2025, 5, 31, 23)
    roles["open"].create_date = utc(2025, 5, 1)  # recent, never used: NEVER
    roles["vendor"].create_date = utc(2022, 1, 1)  # older than the 400-day window: NOT_IN_WINDOW
    roles["gha-deploy"].create_date = utc(2025, 1, 1)
    roles["AWSReservedSSO_Admin_0123456789abcdef"].create_date = utc(2025, 3, 1)
    return {"old_key": old_key, "new_key": new_key, "read_s3": read_s3}


def test_single_account_inventory(session: boto3.Session) -> None:
    seeded = seed_account()
    calls: list[str] = []
    session.events.register(
        "before-call", lambda model, **_: calls.append(f"{model.service_model.service_name}:{model.name}")
    )

    inv = collect_aws(AwsScanOptions(regions=ONE_REGION), session=session, now=fixed_now, sleep=no_sleep)

    sso = f"{ARN}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
    assert {
        (i.id, i.kind, i.name, i.human, i.workload, i.provider_managed, i.last_used, i.last_used_status)
        for i in inv.identities
    } == {
        (
            f"{ARN}:user/svc/ci-bot",
            IdentityKind.USER,
            "ci-bot",
            False,
            WorkloadKind.UNKNOWN,
            False,
            utc(2025, 5, 1, 9),
            UsageStatus.USED,
        ),
        (
            f"{ARN}:user/alice",
            IdentityKind.USER,
            "alice",
            True,
            WorkloadKind.UNKNOWN,
            False,
            utc(2025, 5, 20, 7),
            UsageStatus.USED,
        ),
        (f"{ARN}:group/devs", IdentityKind.GROUP, "devs", None, WorkloadKind.UNKNOWN, False, None, UsageStatus.UNKNOWN),
        (
            f"{ARN}:role/app-fn",
            IdentityKind.ROLE,
            "app-fn",
            False,
            WorkloadKind.APP,
            False,
            utc(2025, 5, 31, 23),
            UsageStatus.USED,
        ),
        (f"{ARN}:role/open", IdentityKind.ROLE, "open", False, WorkloadKind.UNKNOWN, False, None, UsageStatus.NEVER),
        (
            f"{ARN}:role/vendor",
            IdentityKind.ROLE,
            "vendor",
            False,
            WorkloadKind.AGENT,
            False,
            None,
            UsageStatus.NOT_IN_WINDOW,  # older than RoleLastUsed's 400 days, none recorded
        ),
        (
            f"{ARN}:role/ci/gha-deploy",
            IdentityKind.ROLE,
            "gha-deploy",
            False,
            WorkloadKind.CI,
            False,
            None,
            UsageStatus.NEVER,
        ),
        (
            sso,
            IdentityKind.ROLE,
            "AWSReservedSSO_Admin_0123456789abcdef",
            True,
            WorkloadKind.UNKNOWN,
            True,
            None,
            UsageStatus.NEVER,
        ),
    }
    by_id = {i.id: i for i in inv.identities}
    ci_bot, alice = by_id[f"{ARN}:user/svc/ci-bot"], by_id[f"{ARN}:user/alice"]
    assert (ci_bot.path, ci_bot.tags, ci_bot.console_access) == ("/svc/", {"team": "platform"}, False)
    assert (alice.console_access, alice.mfa_active) == (True, False)
    assert by_id[f"{ARN}:role/ci/gha-deploy"].permissions_boundary == seeded["read_s3"]
    assert by_id[f"{ARN}:role/open"].trust_policy == json.loads(trust(WILDCARD))

    assert {
        (c.id, c.identity_id, c.kind, c.active, c.created, c.last_used, c.last_used_status)
        for c in inv.credentials
        if c.kind is CredentialKind.ACCESS_KEY
    } == {
        (
            seeded["old_key"],
            f"{ARN}:user/svc/ci-bot",
            CredentialKind.ACCESS_KEY,
            True,
            utc(2024, 1, 1),
            utc(2025, 5, 1, 9),
            UsageStatus.USED,
        ),
        (
            seeded["new_key"],
            f"{ARN}:user/svc/ci-bot",
            CredentialKind.ACCESS_KEY,
            False,
            utc(2025, 2, 1),
            None,
            UsageStatus.NEVER,
        ),
    }
    assert {
        (c.id, c.identity_id, c.active, c.last_used, c.last_used_status)
        for c in inv.credentials
        if c.kind is CredentialKind.PASSWORD
    } == {
        (f"{ARN}:user/alice/console-password", f"{ARN}:user/alice", True, utc(2025, 5, 20, 7), UsageStatus.USED),
    }

    assert {(g.principal_id, g.role_id, g.scope_id) for g in inv.grants} == {
        (f"{ARN}:user/alice", f"{ARN}:user/alice#inline/alice-inline", SCOPE),
        (f"{ARN}:group/devs", seeded["read_s3"], SCOPE),
        (f"{ARN}:group/devs", f"{ARN}:group/devs#inline/devs-inline", SCOPE),
        (f"{ARN}:role/app-fn", seeded["read_s3"], SCOPE),
        (f"{ARN}:role/app-fn", f"{ARN}:role/app-fn#inline/fn-inline", SCOPE),
    }
    assert {(r.id, r.name, r.account, r.provider_managed) for r in inv.roles} == {
        (seeded["read_s3"], "ReadS3", ACCT, False),
        (f"{ARN}:user/alice#inline/alice-inline", "alice-inline", ACCT, False),
        (f"{ARN}:group/devs#inline/devs-inline", "devs-inline", ACCT, False),
        (f"{ARN}:role/app-fn#inline/fn-inline", "fn-inline", ACCT, False),
    }
    read_s3 = next(r for r in inv.roles if r.id == seeded["read_s3"])
    assert read_s3.documents == [json.loads(policy("s3:Get*"))]

    assert {(m.member_id, m.group_id) for m in inv.memberships} == {
        (f"{ARN}:user/alice", f"{ARN}:group/devs"),
        (f"{ARN}:user/svc/ci-bot", f"{ARN}:group/devs"),
    }
    cross_actions = ["sts:AssumeRole", "sts:TagSession"]
    assert {
        (t.target_id, t.principal, t.kind, tuple(t.actions), json.dumps(t.conditions), t.issuer) for t in inv.trusts
    } == {
        (f"{ARN}:role/app-fn", "lambda.amazonaws.com", TrustKind.SERVICE, ("sts:AssumeRole",), "{}", None),
        (f"{ARN}:role/open", "*", TrustKind.ANY, ("sts:AssumeRole",), "{}", None),
        (
            f"{ARN}:role/vendor",
            "arn:aws:iam::111122223333:root",
            TrustKind.ACCOUNT,
            tuple(cross_actions),
            json.dumps(EXTERNAL_ID),
            None,
        ),
        (
            f"{ARN}:role/vendor",
            "arn:aws:iam::444455556666:root",
            TrustKind.ACCOUNT,
            tuple(cross_actions),
            json.dumps(EXTERNAL_ID),
            None,
        ),
        (
            f"{ARN}:role/vendor",
            "arn:aws:iam::111122223333:role/deployer",
            TrustKind.PRINCIPAL,
            tuple(cross_actions),
            json.dumps(EXTERNAL_ID),
            None,
        ),
        (
            f"{ARN}:role/ci/gha-deploy",
            f"{ARN}:oidc-provider/{GITHUB}",
            TrustKind.OIDC,
            ("sts:AssumeRoleWithWebIdentity",),
            json.dumps(GHA_CONDITION),
            GITHUB,
        ),
        (sso, f"{ARN}:saml-provider/okta", TrustKind.SAML, ("sts:AssumeRoleWithSAML",), "{}", None),
    }
    assert {(f.id, f.kind, f.url, tuple(f.audiences)) for f in inv.federation} == {
        (f"{ARN}:oidc-provider/{GITHUB}", FederationKind.OIDC, GITHUB, ("sts.amazonaws.com",)),
        (f"{ARN}:saml-provider/okta", FederationKind.SAML, None, ()),
    }
    assert [(s.id, s.name) for s in inv.scopes] == [(SCOPE, ACCT)]
    assert inv.complete, inv.gaps
    assert {c.operation for c in inv.coverage if c.operation.startswith(("iam:", "sts:"))} == {
        "sts:GetCallerIdentity",
        "iam:GetAccountAuthorizationDetails",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:ListAccessKeys",
        "iam:ListOpenIDConnectProviders",
        "iam:GetOpenIDConnectProvider",
        "iam:ListSAMLProviders",
    }
    assert set(calls) <= declared_actions()
    # Key ids are listed for key holders only (ci-bot), not for every user.
    assert calls.count("iam:ListAccessKeys") == 1
    assert (inv.meta.started_at, inv.meta.finished_at) == (NOW, NOW)
    assert set(inv.meta.source_times) == {f"aws:{ACCT}:credential-report"}


def test_without_key_ids_credentials_are_named_by_report_slot(session: boto3.Session) -> None:
    seed_account()
    calls: list[str] = []
    session.events.register("before-call.iam.ListAccessKeys", lambda **_: calls.append("x"))

    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, resolve_key_ids=False), session=session, now=fixed_now, sleep=no_sleep
    )

    ci_bot = f"{ARN}:user/svc/ci-bot"
    assert calls == []
    assert {
        (c.id, c.active, c.created, c.last_used_status) for c in inv.credentials if c.kind is CredentialKind.ACCESS_KEY
    } == {
        (f"{ci_bot}/access-key-1", True, utc(2024, 1, 1), UsageStatus.USED),
        (f"{ci_bot}/access-key-2", False, utc(2025, 2, 1), UsageStatus.NEVER),
    }


def test_report_polling_sleeps_between_attempts(session: boto3.Session) -> None:
    sleeps: list[float] = []
    inv = collect_aws(AwsScanOptions(regions=ONE_REGION), session=session, now=fixed_now, sleep=sleeps.append)
    # moto answers STARTED, then COMPLETE.
    assert sleeps == [0.25]  # moto completes on the second poll; the first wait is the shortest
    assert not inv.gaps  # the regions --region left out are listed, and are no gap
