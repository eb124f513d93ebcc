"""Trust conditions read once, typed, from every cloud's dialect; old snapshots read the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from standing.collectors.aws.normalize import trusts_from_policy
from standing.collectors.gcp.normalize import grant_duration
from standing.core.model import GrantDuration, Trust, TrustKind
from standing.core.snapshot import dump_snapshot, read_snapshot
from standing.core.trust_conditions import (
    ClaimPattern,
    ConditionDialect,
    Match,
    SourceCondition,
    aws_needs_session,
    aws_settled,
    federated_credential_block,
    parse_aws_condition,
    parse_azure_federated_credential,
    parse_gcp_iam_condition,
    parse_gcp_wif_condition,
    parse_trust_conditions,
)
from standing.rules.families.trust import OidcSubjectUnpinned
from tests.builders import role, trust

GH = "token.actions.githubusercontent.com"
ROLE = "arn:aws:iam::123456789012:role/deploy"
POOL = "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci"


def _policy(principal: dict, condition: dict) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "sts:AssumeRoleWithWebIdentity" if "Federated" in principal else "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def _github_trust(condition: dict) -> Trust:
    federated = {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{GH}"}
    (only,) = trusts_from_policy(ROLE, _policy(federated, condition))
    return only


# --- AWS --------------------------------------------------------------------------------


def test_github_oidc_trust_reads_its_subject_pattern_and_audience():
    found = _github_trust(
        {
            "StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{GH}:sub": "repo:acme/api:ref:refs/heads/*"},
        }
    ).condition
    assert found.dialect is ConditionDialect.AWS
    assert found.issuer == GH
    assert found.subjects == [
        ClaimPattern(key=f"{GH}:sub", operator="StringLike", match=Match.GLOB, value="repo:acme/api:ref:refs/heads/*")
    ]
    assert found.audiences == [
        ClaimPattern(key=f"{GH}:aud", operator="StringEquals", match=Match.EXACT, value="sts.amazonaws.com")
    ]
    assert found.pinned_subjects == []  # a pattern names no single workload
    assert found.unparsed == {} and found.conditional


def test_external_id_of_a_cross_account_trust_is_a_source_condition():
    (vendor,) = trusts_from_policy(
        ROLE, _policy({"AWS": "111122223333"}, {"StringEquals": {"sts:ExternalId": "acme-7f3c9b21"}})
    )
    assert vendor.kind is TrustKind.ACCOUNT
    assert vendor.condition.sources == [
        SourceCondition(key="sts:ExternalId", operator="StringEquals", values=["acme-7f3c9b21"])
    ]
    assert vendor.condition.subjects == [] and vendor.condition.conditional


def test_source_ip_and_organization_are_source_conditions_whatever_the_operator():
    found = parse_aws_condition(
        {
            "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.7/32"]},
            "StringEquals": {"aws:PrincipalOrgID": "o-abc123"},
        }
    )
    assert found.sources == [
        SourceCondition(key="aws:SourceIp", operator="IpAddress", values=["203.0.113.0/24", "198.51.100.7/32"]),
        SourceCondition(key="aws:PrincipalOrgID", operator="StringEquals", values=["o-abc123"]),
    ]
    assert found.unparsed == {}


def test_for_any_value_string_like_list_gives_one_pattern_per_value():
    found = _github_trust(
        {"ForAnyValue:StringLike": {f"{GH}:sub": ["repo:acme/api:environment:prod", "repo:acme/web:*"]}}
    ).condition
    assert [(s.operator, s.match, s.value) for s in found.subjects] == [
        ("ForAnyValue:StringLike", Match.GLOB, "repo:acme/api:environment:prod"),
        ("ForAnyValue:StringLike", Match.GLOB, "repo:acme/web:*"),
    ]


def test_an_unknown_operator_is_left_unparsed_not_guessed():
    found = _github_trust(
        {
            "StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
            "StringNotEquals": {f"{GH}:sub": "repo:acme/api:pull_request"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
        }
    ).condition
    assert found.subjects == []  # a negated subject pins nothing...
    assert [(s.operator, s.match, s.value) for s in found.excluded_subjects] == [
        ("StringNotEquals", Match.EXACT, "repo:acme/api:pull_request")  # ...it excludes one subject
    ]
    assert found.unparsed == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert not found.leaves_unparsed(f"{GH}:sub") and not found.leaves_unparsed(f"{GH}:aud")


def test_a_negated_subject_on_another_issuer_or_key_excludes_nothing_here():
    found = _github_trust(
        {
            "StringEquals": {f"{GH}:sub": "repo:acme/api:ref:refs/heads/main"},
            "StringNotEquals": {f"{GH}:actor": "dependabot[bot]"},
            "ForAnyValue:StringNotLike": {"accounts.google.com:sub": "1234*"},
        }
    ).condition
    assert found.pinned_subjects == ["repo:acme/api:ref:refs/heads/main"] and found.excluded_subjects == []
    assert found.unparsed == {
        "StringNotEquals": {f"{GH}:actor": "dependabot[bot]"},
        "ForAnyValue:StringNotLike": {"accounts.google.com:sub": "1234*"},
    }


def test_other_claims_of_the_issuer_and_a_time_limit():
    found = _github_trust(
        {
            "StringEquals": {f"{GH}:aud": "sts.amazonaws.com", f"{GH}:repository": "acme/api"},
            "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"},
        }
    ).condition
    assert [(c.key, c.value) for c in found.claims] == [(f"{GH}:repository", "acme/api")]
    assert found.expires == datetime(2027, 1, 1, tzinfo=UTC)
    assert found.subjects == []


def test_no_condition_is_unconditional_and_an_empty_block_is_not_silently_dropped():
    (open_trust,) = trusts_from_policy(ROLE, {"Statement": [{"Effect": "Allow", "Principal": "*"}]})
    assert open_trust.condition.dialect is ConditionDialect.NONE and not open_trust.condition.conditional
    assert parse_aws_condition({"StringEquals": {}}).conditional  # as the raw block always read


# --- near misses ----------------------------------------------------------------------


def test_an_audience_in_place_of_a_subject_is_not_a_pinned_subject():
    found = parse_aws_condition({"StringEquals": {"accounts.google.com:aud": "1044001"}}, issuer="accounts.google.com")
    assert found.subjects == [] and found.pinned_subjects == []
    assert [a.value for a in found.audiences] == ["1044001"]


def test_an_org_wide_subject_pattern_is_not_pinned_to_one_repository():
    like = _github_trust({"StringLike": {f"{GH}:sub": "repo:acme/*"}})
    literal = _github_trust({"StringEquals": {f"{GH}:sub": "repo:acme/*"}})
    assert like.condition.pinned_subjects == [] and literal.condition.pinned_subjects == []
    problem = OidcSubjectUnpinned._problem(like)
    assert problem is not None and "repo:acme/*" in problem[1]
    assert OidcSubjectUnpinned._problem(literal) is None  # StringEquals takes '*' literally


def test_a_subject_key_of_another_issuer_is_not_this_trusts_subject():
    found = parse_aws_condition({"StringEquals": {"accounts.google.com:sub": "1044001"}}, issuer=GH)
    assert found.subjects == [] and found.leaves_unparsed("accounts.google.com:sub")


# --- GCP ------------------------------------------------------------------------------


def test_gcp_workload_identity_provider_condition_and_member():
    conditions = {
        "attributeCondition": "assertion.repository_owner == 'acme' && assertion.ref.startsWith(\"refs/heads/\")",
        "member": f"{POOL}/attribute.repository/acme/api",
    }
    found = trust(role("x"), "projects/123/.../providers/github", TrustKind.OIDC, conditions, issuer=GH).condition
    assert found.dialect is ConditionDialect.GCP_WIF
    assert found.subjects == []
    assert found.claims == [
        ClaimPattern(key="attribute.repository", operator="principalSet", match=Match.EXACT, value="acme/api"),
        ClaimPattern(key="assertion.repository_owner", operator="==", match=Match.EXACT, value="acme"),
        ClaimPattern(key="assertion.ref", operator="startsWith", match=Match.GLOB, value="refs/heads/*"),
    ]
    assert found.expression == conditions["attributeCondition"] and found.unparsed == {}


def test_gcp_workload_identity_subject_member_is_pinned_and_a_disjunction_is_unparsed():
    found = parse_gcp_wif_condition(
        "assertion.repository_owner == 'acme' || true", f"{POOL.replace('Set', '')}/subject/repo:acme/api:ref:main"
    )
    assert found.pinned_subjects == ["repo:acme/api:ref:main"]
    assert found.claims == []
    assert found.unparsed == {"attributeCondition": "assertion.repository_owner == 'acme' || true"}


def test_gcp_iam_condition_with_request_time_is_an_expiry():
    expiring = 'request.time < timestamp("2027-03-01T00:00:00Z")'
    found = parse_trust_conditions({"expression": expiring})
    assert found.dialect is ConditionDialect.GCP_IAM
    assert found.expires == datetime(2027, 3, 1, tzinfo=UTC) and found.unparsed == {}
    assert grant_duration(expiring) == (GrantDuration.TIME_BOUND, datetime(2027, 3, 1, tzinfo=UTC))
    narrowed = parse_gcp_iam_condition(expiring + ' && resource.name.startsWith("projects/p")')
    assert narrowed.expires is not None and narrowed.unparsed  # the rest is kept, not judged
    escapable = parse_gcp_iam_condition(expiring + " || true")
    assert escapable.expires is None and escapable.unparsed and escapable.conditional
    assert grant_duration(expiring + " || true") == (GrantDuration.STANDING, None)


# --- Azure ----------------------------------------------------------------------------


def test_azure_federated_identity_credential():
    fic = {
        "id": "06b3c526-f998-5406-9f90-ff030da6c71b",
        "name": "github-main",
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:contoso/deploy:ref:refs/heads/main",
        "audiences": ["api://AzureADTokenExchange"],
    }
    found = parse_azure_federated_credential(fic)
    assert found.issuer == GH
    assert found.pinned_subjects == ["repo:contoso/deploy:ref:refs/heads/main"]
    assert [a.value for a in found.audiences] == ["api://AzureADTokenExchange"]
    assert found.unparsed == {}
    issuer, conditions = federated_credential_block(fic)
    recorded = Trust(target_id="app", principal="p", kind=TrustKind.OIDC, conditions=conditions, issuer=issuer)
    assert recorded.condition == found  # what the Azure collector records reads back the same


def test_azure_flexible_credential_expression_is_left_unparsed():
    fic = {
        "issuer": "https://token.actions.githubusercontent.com",
        "audiences": ["api://AzureADTokenExchange"],
        "claimsMatchingExpression": {"value": "claims['sub'] matches 'repo:contoso/*'", "languageVersion": 1},
    }
    found = parse_azure_federated_credential(fic)
    assert found.subjects == [] and "ClaimsMatchingExpression" in found.unparsed


# --- snapshots ------------------------------------------------------------------------

_OLD_SNAPSHOT_TRUSTS = [
    {
        "actions": ["sts:AssumeRoleWithWebIdentity"],
        "conditions": {"StringLike": {f"{GH}:sub": "repo:acme/*"}},
        "issuer": GH,
        "kind": "oidc",
        "principal": f"arn:aws:iam::123456789012:oidc-provider/{GH}",
        "target_id": ROLE,
    },
    {
        "actions": ["roles/iam.workloadIdentityUser"],
        "conditions": {"attributeCondition": "assertion.repository_owner == 'acme'"},
        "issuer": GH,
        "kind": "oidc",
        "principal": "projects/123/locations/global/workloadIdentityPools/ci/providers/github",
        "target_id": "deployer@p.iam.gserviceaccount.com",
    },
    {
        "actions": ["roles/iam.serviceAccountTokenCreator"],
        "conditions": {"expression": 'request.time < timestamp("2027-03-01T00:00:00Z")'},
        "issuer": None,
        "kind": "impersonation",
        "principal": "user:alice@example.com",
        "target_id": "deployer@p.iam.gserviceaccount.com",
    },
]


@pytest.fixture
def old_snapshot(tmp_path):
    path = tmp_path / "old.json"
    meta = {"started_at": "2026-12-01T00:00:00Z", "finished_at": "2026-12-01T00:00:00Z", "tool_version": "0.1"}
    document = {
        "schema": "standing.snapshot",
        "version": 1,
        "inventory": {"meta": meta, "trusts": _OLD_SNAPSHOT_TRUSTS},
    }
    path.write_text(json.dumps(document))
    return path


def test_an_old_snapshot_reads_its_trust_conditions_and_writes_back_the_same_records(old_snapshot, tmp_path):
    inv = read_snapshot(old_snapshot)
    dialects = [t.condition.dialect for t in inv.trusts]
    assert dialects == [ConditionDialect.AWS, ConditionDialect.GCP_WIF, ConditionDialect.GCP_IAM]
    assert inv.trusts[0].condition.subjects[0].match is Match.GLOB
    assert inv.trusts[2].condition.expires == datetime(2027, 3, 1, tzinfo=UTC)
    written = json.loads(dump_snapshot(inv))
    assert written["inventory"]["trusts"] == _OLD_SNAPSHOT_TRUSTS  # the typed reading is derived, not stored
    again = tmp_path / "again.json"
    again.write_text(dump_snapshot(inv))
    assert read_snapshot(again) == inv
    assert [t.condition for t in read_snapshot(again).trusts] == [t.condition for t in inv.trusts]


def test_a_copied_trust_reads_its_own_conditions_not_the_originals():
    (open_trust,) = trusts_from_policy(ROLE, {"Statement": [{"Effect": "Allow", "Principal": "*"}]})
    assert not open_trust.condition.conditional
    pinned = open_trust.model_copy(update={"conditions": {"StringEquals": {"sts:ExternalId": "x"}}})
    assert pinned.condition.conditional and not open_trust.condition.conditional


def test_settled_drops_activations_already_past_and_keeps_what_is_still_open():
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    block = {
        "DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }
    assert aws_settled(block, as_of) == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    later = {"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}
    assert aws_settled(later, as_of) == later  # an activation still to come is a condition
    token = {"DateGreaterThan": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}}
    assert aws_settled(token, as_of) == token  # a session's age is not the request's time
    key_only = {"Null": {"aws:TokenIssueTime": "true"}}
    assert aws_settled(key_only, as_of, long_term=True) == {}
    assert aws_settled(key_only, as_of, long_term=False) == key_only


@pytest.mark.parametrize(
    "block, needs",
    [
        ({"Null": {"aws:TokenIssueTime": "true"}}, False),
        ({"Null": {"aws:TokenIssueTime": "false"}}, True),
        ({"DateGreaterThan": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}}, True),
        ({"DateGreaterThanIfExists": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}}, None),
        ({"DateNotEquals": {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}}, None),  # a missing key passes
        ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, None),
    ],
)
def test_which_credentials_a_token_issue_time_condition_needs(block, needs):
    assert aws_needs_session(block) is needs
