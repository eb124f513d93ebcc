"""Escalation edges on small known graphs: each kind found, each near miss not found."""

from __future__ import annotations

import pytest

from standing.analysis.escalation import ADMIN_SINK, HopKind
from standing.analysis.graph import PrivilegeGraph
from standing.core.model import Credential, CredentialKind, Identity, IdentityKind, Provider, TrustKind
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.builders import ACCOUNT, NOW, allow, arn, grant, inventory, key, policy, role, trust, user

ADMIN_ROLE = role("admin")
ADMIN_POLICY = policy("Admin", allow("*"))


def hops(*records):
    graph = PrivilegeGraph(inventory(ADMIN_ROLE, ADMIN_POLICY, grant(ADMIN_ROLE, ADMIN_POLICY), *records))
    return {
        (h.source.rsplit("/", 1)[-1], h.target.rsplit("/", 1)[-1], h.kind)
        for h in graph.escalation_hops
        if h.source != ADMIN_ROLE.id
    }, graph


def with_policy(identity, name, *statements):
    pol = policy(name, *statements)
    return [identity, pol, grant(identity, pol)]


def account_trust(target):
    return trust(target, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT)


@pytest.mark.parametrize(
    "statements, expected",
    [
        ([allow("sts:AssumeRole", arn("role", "admin"))], True),
        ([allow("sts:AssumeRole", arn("role", "adm*"))], True),
        ([allow("sts:AssumeRole", arn("role", "other"))], False),  # resource restriction
        (
            [allow("sts:AssumeRole"), {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": arn("role", "admin")}],
            False,
        ),  # explicit deny
        ([allow("s3:*")], False),
    ],
)
def test_assume_role_needs_trust_and_permission(statements, expected):
    ci = user("ci")
    found, _ = hops(account_trust(ADMIN_ROLE), *with_policy(ci, "CiPolicy", *statements))
    assert (("ci", "admin", HopKind.ASSUME_ROLE) in found) is expected


def test_trust_naming_a_same_account_principal_needs_no_identity_permission():
    ci = user("ci")
    found, _ = hops(ci, trust(ADMIN_ROLE, ci.id, TrustKind.PRINCIPAL))
    assert found == {("ci", "admin", HopKind.ASSUME_ROLE)}


def test_boundary_blocks_and_condition_is_marked():
    boundary = policy("Boundary", allow("s3:*"))
    capped = user("capped", permissions_boundary=boundary.id)
    conditional = user("conditional")
    found, graph = hops(
        account_trust(ADMIN_ROLE),
        boundary,
        *with_policy(capped, "P1", allow("sts:AssumeRole")),
        *with_policy(
            conditional,
            "P2",
            {**allow("sts:AssumeRole"), "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
        ),
    )
    assert ("capped", "admin", HopKind.ASSUME_ROLE) not in found
    [hop] = [h for h in graph.escalation_hops if h.source == conditional.id]
    assert hop.conditional and "under a condition" in hop.reason


def test_pass_role_needs_a_launcher_the_role_trusts():
    lambda_admin = role("lambda-admin")
    ec2_only = user("ec2-only")
    lambda_dev = user("lambda-dev")
    found, _ = hops(
        lambda_admin,
        *with_policy(lambda_admin, "LambdaAdmin", allow("*"))[1:],
        trust(lambda_admin, "lambda.amazonaws.com", TrustKind.SERVICE),
        *with_policy(ec2_only, "E", allow(["iam:PassRole", "ec2:RunInstances"])),
        *with_policy(lambda_dev, "L", allow("iam:PassRole", arn("role", "lambda-*")), allow("lambda:CreateFunction")),
    )
    assert ("lambda-dev", "lambda-admin", HopKind.PASS_ROLE) in found
    assert not any(src == "ec2-only" and kind is HopKind.PASS_ROLE for src, _, kind in found)


def test_credential_minting_trust_rewrite_and_self_policy():
    minter = user("minter")
    rewriter = user("rewriter")
    self_editor = user("self-editor")
    victim = user("victim")
    found, _ = hops(
        victim,
        *with_policy(minter, "M", allow("iam:CreateAccessKey", arn("user", "victim"))),
        *with_policy(rewriter, "R", allow("iam:UpdateAssumeRolePolicy", arn("role", "admin"))),
        *with_policy(self_editor, "S", allow("iam:PutUserPolicy", arn("user", "self-editor"))),
    )
    assert found == {
        ("minter", "victim", HopKind.CREATE_CREDENTIALS),
        ("rewriter", "admin", HopKind.REWRITE_TRUST),
        ("self-editor", ADMIN_SINK, HopKind.SELF_POLICY),
    }


def test_path_to_admin_rule_reports_multi_hop_paths_from_standing_keys_only():
    ci = user("ci")
    middle = role("middle")
    keyless = user("keyless")
    records = [
        key(ci, "AKIACI", age=5, used=1),
        *with_policy(ci, "CiAssume", allow("sts:AssumeRole", arn("role", "middle"))),
        account_trust(middle),
        *with_policy(middle, "MiddleAssume", allow("sts:AssumeRole", arn("role", "admin"))),
        account_trust(ADMIN_ROLE),
        *with_policy(keyless, "KeylessAssume", allow("sts:AssumeRole", arn("role", "admin"))),
    ]
    inv = inventory(ADMIN_ROLE, ADMIN_POLICY, grant(ADMIN_ROLE, ADMIN_POLICY), *records)
    findings = [f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"]
    assert [(f.identity, [h["to"] for h in f.evidence["hops"]]) for f in findings] == [
        (ci.id, [middle.id, ADMIN_ROLE.id])
    ]
    assert "ci -> middle -> admin" in findings[0].message


def test_joining_an_admin_group_is_a_hop_to_admin_but_joining_another_group_is_not():
    from tests.builders import group

    admins, readers = group("admins"), group("readers")
    joiner, near_miss = user("joiner"), user("near-miss")
    found, _ = hops(
        admins,
        grant(admins, ADMIN_POLICY),
        readers,
        *with_policy(joiner, "J", allow("iam:AddUserToGroup", arn("group", "admins"))),
        *with_policy(near_miss, "N", allow("iam:AddUserToGroup", arn("group", "readers"))),
    )
    assert found == {("joiner", ADMIN_SINK, HopKind.JOIN_GROUP)}


def _gcp_sa(name: str, unique_id: str) -> Identity:
    email = f"{name}@ml-prod.iam.gserviceaccount.com"
    return Identity(
        id=email,
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account="ml-prod",
        name=email,
        human=False,
        aliases=[unique_id],
    )


def _google_trust(target, condition):
    return trust(
        target,
        "accounts.google.com",
        TrustKind.OIDC,
        condition,
        issuer="accounts.google.com",
        action="sts:AssumeRoleWithWebIdentity",
    )


@pytest.mark.parametrize(
    "condition, crosses",
    [
        ({"StringEquals": {"accounts.google.com:sub": "1044001"}}, True),
        ({"StringEquals": {"accounts.google.com:sub": "1044999"}}, False),  # another account's subject
        ({"StringLike": {"accounts.google.com:sub": "1044*"}}, False),  # a pattern names no one
        ({"StringEquals": {"accounts.google.com:aud": "1044001"}}, False),  # audience is not who signs in
    ],
)
def test_a_gcp_key_reaches_aws_admin_through_a_role_trusting_its_google_subject(condition, crosses):
    """The cross-cloud path: GCP key -> service account -> AWS role (Google token) -> admin."""
    trainer = _gcp_sa("trainer", "1044001")
    sa_key = Credential(
        id="projects/ml-prod/serviceAccounts/trainer/keys/k1",
        identity_id=trainer.id,
        kind=CredentialKind.SA_KEY,
        active=True,
        created=NOW,
        user_managed=True,
    )
    inv = inventory(
        ADMIN_ROLE, ADMIN_POLICY, grant(ADMIN_ROLE, ADMIN_POLICY), trainer, sa_key, _google_trust(ADMIN_ROLE, condition)
    )
    graph = PrivilegeGraph(inv)
    path = graph.paths_to_admin.get(trainer.id)
    if not crosses:
        assert path is None
        return
    assert [(h.source, h.target, h.kind) for h in path] == [(trainer.id, ADMIN_ROLE.id, HopKind.FEDERATE)]
    assert "subject 1044001" in path[0].reason
    findings = {(f.rule_id, f.identity) for f in analyse(inv, ScanConfig(), as_of=NOW)}
    assert ("path-to-admin", trainer.id) in findings


def test_an_entra_principal_federating_into_an_aws_role_is_a_hop_and_only_from_that_principal():
    tenant = "72f988bf-0000-0000-0000-2d7cd011db47"
    sp = Identity(
        id="5b1f0000-aaaa-bbbb-cccc-000000000001",
        provider=Provider.AZURE,
        kind=IdentityKind.MANAGED_IDENTITY,
        account=tenant,
        name="mi-batch",
        human=False,
    )
    other = Identity(
        id="5b1f0000-aaaa-bbbb-cccc-000000000002",
        provider=Provider.AZURE,
        kind=IdentityKind.SERVICE_PRINCIPAL,
        account=tenant,
        name="sp-other",
        human=False,
    )
    issuer = f"sts.windows.net/{tenant}/"
    found, _ = hops(
        sp,
        other,
        trust(
            ADMIN_ROLE,
            f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}",
            TrustKind.OIDC,
            {"StringEquals": {f"{issuer}:sub": sp.id}},
            issuer=issuer,
        ),
    )
    assert found == {(sp.id, "admin", HopKind.FEDERATE)}


def test_rewriting_a_policy_it_holds_or_its_group_is_a_hop_to_admin_but_not_someone_elses():
    from standing.core.model import Membership
    from tests.builders import group

    versioner, near_versioner = user("versioner"), user("near-versioner")
    held = policy("Held", allow("s3:GetObject"))
    other = policy("Other", allow("s3:GetObject"))
    crew, outsiders = group("crew"), group("outsiders")
    grouper, near_grouper = user("grouper"), user("near-grouper")
    found, _ = hops(
        held,
        other,
        crew,
        outsiders,
        *with_policy(versioner, "V", allow("iam:CreatePolicyVersion", held.id)),
        grant(versioner, held),
        *with_policy(near_versioner, "NV", allow("iam:CreatePolicyVersion", other.id)),
        grant(near_versioner, held),
        *with_policy(grouper, "G", allow("iam:PutGroupPolicy", arn("group", "crew"))),
        Membership(member_id=grouper.id, group_id=crew.id),
        *with_policy(near_grouper, "NG", allow("iam:AttachGroupPolicy", arn("group", "outsiders"))),
        Membership(member_id=near_grouper.id, group_id=crew.id),
    )
    assert found == {("versioner", ADMIN_SINK, HopKind.SELF_POLICY), ("grouper", ADMIN_SINK, HopKind.SELF_POLICY)}
