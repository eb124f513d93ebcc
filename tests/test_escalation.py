"""Escalation edges on small known graphs: each kind found, each near miss not found."""

from __future__ import annotations

import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import ADMIN_SINK, HopKind
from standing.core.findings import Severity
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
    create_only = user("create-only")  # near miss: can create the function but never run it
    found, _ = hops(
        lambda_admin,
        *with_policy(lambda_admin, "LambdaAdmin", allow("*"))[1:],
        trust(lambda_admin, "lambda.amazonaws.com", TrustKind.SERVICE),
        *with_policy(ec2_only, "E", allow(["iam:PassRole", "ec2:RunInstances"])),
        *with_policy(
            lambda_dev,
            "L",
            allow("iam:PassRole", arn("role", "lambda-*")),
            allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
        ),
        *with_policy(create_only, "C", allow("iam:PassRole"), allow("lambda:CreateFunction")),
    )
    assert ("lambda-dev", "lambda-admin", HopKind.PASS_ROLE) in found
    assert not any(src == "create-only" for src, _, _ in found)
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


def test_path_to_admin_fires_for_every_nhi_on_the_path_but_not_for_a_keyless_user():
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
    findings = {f.identity: f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"}
    # The keyless user has no way in today: dormant-privileged-identity names who could mint one.
    assert {i: [h["to"] for h in f.evidence["hops"]] for i, f in findings.items()} == {
        ci.id: [middle.id, ADMIN_ROLE.id],
        middle.id: [ADMIN_ROLE.id],
    }
    assert "ci -> middle -> admin" in findings[ci.id].message
    assert "access key AKIACI" in findings[ci.id].message
    assert findings[ci.id].severity is Severity.CRITICAL
    # The role in the middle is entered by principals of its own account: high, and no key named.
    middle_finding = findings[middle.id]
    assert middle_finding.severity is Severity.HIGH
    assert "key" not in middle_finding.message
    assert f"principals of account {ACCOUNT}" in middle_finding.message
    assert middle_finding.evidence["entered_by"] == [{"how": "account", "who": ACCOUNT, "critical": False}]


def _jump_estate(*extra):
    """A jump role EC2 runs as, allowed to assume the admin role that names it in its trust."""
    jump = role("jump")
    return jump, inventory(
        ADMIN_ROLE,
        ADMIN_POLICY,
        grant(ADMIN_ROLE, ADMIN_POLICY),
        *with_policy(jump, "JumpAssume", allow("sts:AssumeRole", arn("role", "admin"))),
        trust(jump, "ec2.amazonaws.com", TrustKind.SERVICE),
        trust(ADMIN_ROLE, jump.id, TrustKind.PRINCIPAL),
        *extra,
    )


def test_a_jump_role_into_an_admin_role_is_a_path_to_admin_and_its_near_miss_is_silent():
    reader = role("reader")
    near = role("near-jump")
    read_only = policy("ReadOnly", allow("s3:GetObject"))
    jump, inv = _jump_estate(
        reader,
        read_only,
        grant(reader, read_only),
        trust(reader, near.id, TrustKind.PRINCIPAL),
        *with_policy(near, "NearAssume", allow("sts:AssumeRole", arn("role", "reader"))),
        trust(near, "ec2.amazonaws.com", TrustKind.SERVICE),
    )
    findings = [(f.rule_id, f.identity, f.severity) for f in analyse(inv, ScanConfig(), as_of=NOW)]
    assert ("path-to-admin", jump.id, Severity.HIGH) in findings
    # Near misses: a jump role whose target is not admin; the admin role itself is admin-equivalent.
    assert not any(rule == "path-to-admin" and who in (near.id, reader.id) for rule, who, _ in findings)
    assert ("admin-equivalent", ADMIN_ROLE.id, Severity.HIGH) in findings
    assert not any(rule == "path-to-admin" and who == ADMIN_ROLE.id for rule, who, _ in findings)
    [hit] = [f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"]
    assert hit.message == (
        "jump reaches admin in 1 hop(s): jump -> admin; it is entered through the service ec2.amazonaws.com"
    )
    assert hit.evidence["hops"][0]["why"] == "trust policy of admin names jump"


def test_a_chain_of_roles_each_trusting_the_one_before_gives_each_its_own_path():
    first, second, third = role("first"), role("second"), role("third")
    inv = inventory(
        ADMIN_ROLE,
        ADMIN_POLICY,
        grant(ADMIN_ROLE, ADMIN_POLICY),
        trust(first, "lambda.amazonaws.com", TrustKind.SERVICE),
        *with_policy(first, "A1", allow("sts:AssumeRole", arn("role", "second"))),
        trust(second, first.id, TrustKind.PRINCIPAL),
        *with_policy(second, "A2", allow("sts:AssumeRole", arn("role", "third"))),
        trust(third, second.id, TrustKind.PRINCIPAL),
        *with_policy(third, "A3", allow("sts:AssumeRole", arn("role", "admin"))),
        trust(ADMIN_ROLE, third.id, TrustKind.PRINCIPAL),
    )
    paths = {
        f.identity.rsplit("/", 1)[-1]: " -> ".join(h["to"].rsplit("/", 1)[-1] for h in f.evidence["hops"])
        for f in analyse(inv, ScanConfig(), as_of=NOW)
        if f.rule_id == "path-to-admin"
    }
    assert paths == {"first": "second -> third -> admin", "second": "third -> admin", "third": "admin"}


def test_a_role_in_another_account_of_the_estate_trusted_by_arn_needs_its_own_permission():
    other = "444455556666"
    allowed = Identity(
        id=arn("role", "deployer", other),
        provider=Provider.AWS,
        kind=IdentityKind.ROLE,
        account=other,
        name="deployer",
        human=False,
    )
    unallowed = allowed.model_copy(update={"id": arn("role", "bystander", other), "name": "bystander"})
    found, _ = hops(
        trust(allowed, "codebuild.amazonaws.com", TrustKind.SERVICE),
        *with_policy(allowed, "CrossAssume", allow("sts:AssumeRole", arn("role", "admin"))),
        unallowed,
        trust(ADMIN_ROLE, allowed.id, TrustKind.PRINCIPAL),
        trust(ADMIN_ROLE, unallowed.id, TrustKind.PRINCIPAL),  # named, but its own policy allows nothing
    )
    assert found == {("deployer", "admin", HopKind.ASSUME_ROLE)}


GITHUB_ISSUER = "token.actions.githubusercontent.com"


@pytest.mark.parametrize(
    "entry, severity",
    [
        (lambda j: trust(j, "*", TrustKind.ANY), Severity.CRITICAL),
        (lambda j: trust(j, "arn:aws:iam::999988887777:root", TrustKind.ACCOUNT), Severity.CRITICAL),
        (lambda j: trust(j, "arn:aws:iam::999988887777:role/vendor", TrustKind.PRINCIPAL), Severity.CRITICAL),
        (
            lambda j: trust(
                j,
                f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_ISSUER}",
                TrustKind.OIDC,
                {"StringEquals": {f"{GITHUB_ISSUER}:sub": "repo:acme/infra:ref:refs/heads/main"}},
                issuer=GITHUB_ISSUER,
                action="sts:AssumeRoleWithWebIdentity",
            ),
            Severity.CRITICAL,
        ),
        (lambda j: trust(j, "lambda.amazonaws.com", TrustKind.SERVICE), Severity.HIGH),
        (lambda j: account_trust(j), Severity.HIGH),
        # Principal '*' narrowed to the organization, or to the estate's own account: high.
        (lambda j: trust(j, "*", TrustKind.ANY, {"StringEquals": {"aws:PrincipalOrgID": "o-acme"}}), Severity.HIGH),
        (lambda j: trust(j, "*", TrustKind.ANY, {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}), Severity.HIGH),
        # Near misses: an external id or another account still lets an outside party in.
        (lambda j: trust(j, "*", TrustKind.ANY, {"StringEquals": {"sts:ExternalId": "x"}}), Severity.CRITICAL),
        (
            lambda j: trust(j, "*", TrustKind.ANY, {"StringEquals": {"aws:PrincipalAccount": "999988887777"}}),
            Severity.CRITICAL,
        ),
    ],
    ids=[
        "anyone",
        "outside-account",
        "outside-principal",
        "github-oidc",
        "service",
        "own-account",
        "anyone-in-org",
        "anyone-in-own-account",
        "anyone-with-external-id",
        "anyone-in-outside-account",
    ],
)
def test_path_to_admin_severity_follows_how_the_start_is_entered(entry, severity):
    start = role("start")
    inv = inventory(
        ADMIN_ROLE,
        ADMIN_POLICY,
        grant(ADMIN_ROLE, ADMIN_POLICY),
        entry(start),
        *with_policy(start, "StartAssume", allow("sts:AssumeRole", arn("role", "admin"))),
        trust(ADMIN_ROLE, start.id, TrustKind.PRINCIPAL),
    )
    [hit] = [f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"]
    assert hit.identity == start.id and hit.severity is severity
    assert [e["critical"] for e in hit.evidence["entered_by"]] == [severity is Severity.CRITICAL]


def test_a_conditional_hop_keeps_a_critical_start_at_high_and_a_role_nobody_may_enter_is_silent():
    start, closed = role("start"), role("closed")
    mfa = {
        **allow("sts:AssumeRole", arn("role", "admin")),
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }
    inv = inventory(
        ADMIN_ROLE,
        ADMIN_POLICY,
        grant(ADMIN_ROLE, ADMIN_POLICY),
        account_trust(ADMIN_ROLE),
        trust(start, "*", TrustKind.ANY),
        *with_policy(start, "StartAssume", mfa),
        *with_policy(closed, "ClosedAssume", allow("sts:AssumeRole", arn("role", "admin"))),  # no trust at all
    )
    hits = {f.identity: f.severity for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"}
    assert hits == {start.id: Severity.HIGH}


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
