"""The estate seeder against moto's real HTTP server, and the estates' own consistency.

Starting a moto server resets moto's process-wide state, so every test that needs the
seeded TEST_ESTATE shares one module-scoped server and starts no other.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from standing.demo.estate import (
    DEMO_ESTATE,
    TEST_ESTATE,
    EstateSpec,
    KeySpec,
    ManagedPoliciesNotLoaded,
    MotoServer,
    PolicySpec,
    RoleSpec,
    RuleId,
    SeededEstate,
    UserSpec,
    demo_estate,
    expected_key_rules,
    iam_client,
    seed_estate,
    start_moto_server,
    synthetic_estate,
)
from standing.demo.spec import KEY_GRACE_DAYS, KEY_MAX_AGE_DAYS, KEY_UNUSED_DAYS, FunctionSpec, InstanceSpec

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
REPORT_TIME = "%Y-%m-%dT%H:%M:%S+00:00"


def _days_ago(days: int | None) -> datetime | None:
    return None if days is None else NOW - timedelta(days=days)


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    with start_moto_server() as running:
        yield running


@pytest.fixture(scope="module")
def seeded(server: MotoServer) -> SeededEstate:
    return seed_estate(TEST_ESTATE, endpoint_url=server.endpoint_url, now=NOW)


@pytest.fixture(scope="module")
def iam(server: MotoServer) -> Any:
    return iam_client(server.endpoint_url)


# --- seeding through the real endpoint --------------------------------------------------


def test_credential_report_shows_backdated_key_dates(seeded: SeededEstate, iam: Any) -> None:
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    content = iam.get_credential_report()["Content"].decode()
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(content))}

    def report_date(days: int | None) -> str:
        when = _days_ago(days)
        return "N/A" if when is None else when.strftime(REPORT_TIME)

    def expected_row(user: UserSpec) -> dict[str, str]:
        row = {
            "arn": user.arn(TEST_ESTATE.account_id),
            "password_enabled": "true" if user.console_password else "false",
        }
        for n in (1, 2):
            key = user.keys[n - 1] if len(user.keys) >= n else None
            row[f"access_key_{n}_active"] = "true" if key and key.active else "false"
            row[f"access_key_{n}_last_rotated"] = report_date(key.age_days) if key else "N/A"
            row[f"access_key_{n}_last_used_date"] = report_date(key.last_used_days_ago) if key else "N/A"
        return row

    expected = {user.name: expected_row(user) for user in TEST_ESTATE.users}
    actual = {name: {k: row[k] for k in expected[name]} for name, row in rows.items()}
    assert actual == expected


def test_gaad_shows_every_identity_as_declared(seeded: SeededEstate, iam: Any) -> None:
    spec = TEST_ESTATE
    details = iam.get_paginator("get_account_authorization_details").paginate().build_full_result()

    def tags(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
        return dict(pairs)

    def attached(entries: list[dict[str, str]]) -> set[str]:
        return {entry["PolicyArn"] for entry in entries}

    def inline(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {entry["PolicyName"]: entry["PolicyDocument"] for entry in entries}

    assert {
        u["UserName"]: (
            u["Arn"],
            u["Path"],
            set(u["GroupList"]),
            attached(u["AttachedManagedPolicies"]),
            inline(u.get("UserPolicyList", [])),
            {t["Key"]: t["Value"] for t in u.get("Tags", [])},
        )
        for u in details["UserDetailList"]
    } == {
        u.name: (
            u.arn(spec.account_id),
            u.path,
            set(u.groups),
            {spec.policy_arn(ref) for ref in u.managed_policies},
            dict(u.inline_policies),
            tags(u.tags),
        )
        for u in spec.users
    }
    assert {
        g["GroupName"]: (
            attached(g["AttachedManagedPolicies"]),
            inline(g.get("GroupPolicyList", [])),
        )
        for g in details["GroupDetailList"]
    } == {g.name: ({spec.policy_arn(ref) for ref in g.managed_policies}, dict(g.inline_policies)) for g in spec.groups}
    assert {
        r["RoleName"]: (
            r["Arn"],
            r["Path"],
            r["AssumeRolePolicyDocument"],
            attached(r["AttachedManagedPolicies"]),
            inline(r.get("RolePolicyList", [])),
            {t["Key"]: t["Value"] for t in r.get("Tags", [])},
            r["RoleLastUsed"].get("LastUsedDate"),
        )
        for r in details["RoleDetailList"]
    } == {
        r.name: (
            r.arn(spec.account_id),
            r.path,
            r.trust_policy,
            {spec.policy_arn(ref) for ref in r.managed_policies},
            dict(r.inline_policies),
            tags(r.tags),
            _days_ago(r.last_used_days_ago),
        )
        for r in spec.roles
    }
    local_policies = {p["Arn"] for p in details["Policies"]}
    assert local_policies == {spec.policy_arn(p.name) for p in spec.policies}


def test_key_api_dates_and_seeded_record(seeded: SeededEstate, iam: Any) -> None:
    listed = {}
    for user in TEST_ESTATE.users:
        for key in iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"]:
            last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
            listed[key["AccessKeyId"]] = (
                user.name,
                key["Status"] == "Active",
                key["CreateDate"],
                last.get("LastUsedDate"),
            )
    assert listed == {
        key.access_key_id: (key.user_name, key.active, key.created, key.last_used) for key in seeded.access_keys
    }
    secrets = seeded.test_only_secret_access_keys
    assert len(secrets) == len(seeded.access_keys) == 11
    assert all(re.fullmatch(r"[A-Za-z0-9/+]{40}", s) for s in secrets)
    assert not any(secret in repr(seeded) for secret in secrets)


def test_missing_aws_managed_policy_fails_before_creating_anything(
    seeded: SeededEstate, server: MotoServer, iam: Any
) -> None:
    users_before = iam.list_users()["Users"]
    with pytest.raises(ManagedPoliciesNotLoaded, match="AdministratorAccess"):
        seed_estate(demo_estate(aws_managed_admin_role=True), endpoint_url=server.endpoint_url, now=NOW)
    assert iam.list_users()["Users"] == users_before


# --- the declarations ------------------------------------------------------------------


def test_expected_findings_of_a_two_identity_spec() -> None:
    spec = EstateSpec(
        account_id="210987654321",
        policies=(
            PolicySpec(
                name="Everything",
                document={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            ),
        ),
        users=(
            UserSpec(
                name="ci",
                path="/ci/",
                keys=(KeySpec(age_days=200, last_used_days_ago=100),),
                expect=frozenset({"key-too-old", "key-unused"}),
            ),
        ),
        roles=(
            RoleSpec(
                name="boss",
                trust_policy={"Version": "2012-10-17", "Statement": []},
                managed_policies=("Everything",),
                expect=frozenset({"admin-equivalent"}),
            ),
        ),
    )
    assert spec.expected_findings() == {
        ("key-too-old", "arn:aws:iam::210987654321:user/ci/ci"),
        ("key-unused", "arn:aws:iam::210987654321:user/ci/ci"),
        ("long-lived-secret", "arn:aws:iam::210987654321:user/ci/ci"),  # the census: its live key
        ("admin-equivalent", "arn:aws:iam::210987654321:role/boss"),
    }


def test_specs_reject_what_aws_would() -> None:
    with pytest.raises(ValueError, match="at most 2"):
        UserSpec(name="u", keys=(KeySpec(age_days=1),) * 3)
    with pytest.raises(ValueError, match="cannot be used before"):
        KeySpec(age_days=5, last_used_days_ago=9)
    with pytest.raises(ValueError, match="unknown rule ids"):
        UserSpec(name="u", expect=frozenset({"key-too-olde"}))
    with pytest.raises(ValueError, match="unknown policy"):
        EstateSpec(users=(UserSpec(name="u", managed_policies=("Nope",)),))
    with pytest.raises(ValueError, match="unknown groups"):
        EstateSpec(users=(UserSpec(name="u", groups=("nobody",)),))
    with pytest.raises(ValueError, match="unknown role"):
        EstateSpec(functions=(FunctionSpec(name="f", role="nobody"),))
    with pytest.raises(ValueError, match="unknown role"):
        EstateSpec(instances=(InstanceSpec(name="vm", role="nobody"),))
    with pytest.raises(ValueError, match="not a valid Lambda function name"):
        FunctionSpec(name="has space", role="r")


def test_synthetic_estate_size_mix_and_determinism() -> None:
    estate = synthetic_estate(1000)
    assert estate.identity_count == 1000
    assert (len(estate.users), len(estate.roles), len(estate.groups)) == (400, 500, 100)
    with_keys = sum(1 for u in estate.users if u.keys)
    assert 160 <= with_keys <= 240
    assert synthetic_estate(1000) == estate
    assert synthetic_estate(1000, seed=1) != estate
    assert synthetic_estate(0).identity_count == 0


def test_test_estate_fires_every_plantable_rule_and_has_a_clean_control() -> None:
    fired = {rule for rule, _ in TEST_ESTATE.expected_findings()}
    # moto has no root user, and no usage API: permissions-unused rests on the Access Advisor
    # reports only the demo ships (tests/planner/test_demo_plans.py checks it end to end)
    assert fired == {rule.value for rule in RuleId} - {RuleId.ROOT_ACCESS_KEY.value, RuleId.PERMISSIONS_UNUSED.value}
    control = next(u for u in TEST_ESTATE.users if u.name == "svc-clean-control")
    assert control.expect == frozenset()
    assert 10 <= len(TEST_ESTATE.users) + len(TEST_ESTATE.roles) <= 20  # small enough to read
    assert 40 <= len(DEMO_ESTATE.users) + len(DEMO_ESTATE.roles) <= 60


ALL_ESTATES = {
    "demo": DEMO_ESTATE,
    "demo-aws-managed": demo_estate(aws_managed_admin_role=True),
    "test": TEST_ESTATE,
    "synthetic": synthetic_estate(400, seed=7),
}


@pytest.mark.parametrize("name", ["demo", "test"])
def test_key_dates_stay_clear_of_thresholds(name: str) -> None:
    """A scanner's '>' versus '>=', or a few seconds of clock, must not flip a result."""
    thresholds = (KEY_GRACE_DAYS, KEY_UNUSED_DAYS, KEY_MAX_AGE_DAYS)
    for user in ALL_ESTATES[name].users:
        for key in user.keys:
            for days in (key.age_days, key.last_used_days_ago):
                if days is not None:
                    assert all(abs(days - t) > 2 for t in thresholds), (user.name, days)


# An independent reading of the rule definitions, to check hand-written `expect` sets.
_IAM_READ = re.compile(r"^iam:(Get|List|Generate|Simulate)", re.IGNORECASE)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants_admin(document: dict[str, Any]) -> bool:
    for stmt in document["Statement"]:
        if stmt["Effect"] != "Allow" or "*" not in _as_list(stmt["Resource"]):
            continue
        for action in _as_list(stmt["Action"]):
            # iam:PassRole grants nothing by itself: it is a hop, found where a launcher and a role meet.
            iam_write = action.lower().startswith("iam:") and action.lower() != "iam:passrole"
            if action == "*" or (iam_write and not _IAM_READ.match(action)):
                return True
    return False


def _trust_rules(document: dict[str, Any], account: str) -> set[str]:
    rules = set()
    for stmt in document["Statement"]:
        principal = stmt["Principal"]
        condition = stmt.get("Condition", {})
        aws = [] if principal == "*" else _as_list(principal.get("AWS", []))
        if principal == "*" or "*" in aws:
            rules |= set() if condition else {RuleId.OPEN_TRUST.value}
        for entry in aws:
            match = re.fullmatch(r"(?:arn:aws:iam::)?(\d{12})(?::root)?", entry)
            if match and match.group(1) != account and not condition:
                rules.add(RuleId.OPEN_TRUST.value)
            outside = re.match(r"^(?:arn:aws:iam::)?(\d{12})(?::|$)", entry)
            if outside and outside.group(1) != account:  # with or without a condition
                rules.add(RuleId.THIRD_PARTY_AWS_TRUST.value)
        if principal != "*" and "Federated" in principal:
            host = principal["Federated"].split("oidc-provider/", 1)[1]
            subjects = [v for block in condition.values() for k, v in block.items() if k == f"{host}:sub"]
            repo_wildcard = any("*" in s.removeprefix("repo:").split(":", 1)[0] for s in subjects)
            if not subjects or repo_wildcard:
                rules.add(RuleId.OIDC_SUBJECT_UNPINNED.value)
    return rules


def _derived_expect(estate: EstateSpec) -> dict[str, frozenset[str]]:
    documents = {p.name: p.document for p in estate.policies}
    documents["arn:aws:iam::aws:policy/AdministratorAccess"] = {
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    }

    def admin(managed: tuple[str, ...], inline: tuple[tuple[str, Any], ...]) -> bool:
        docs = [documents[ref] for ref in managed] + [doc for _, doc in inline]
        return any(_grants_admin(doc) for doc in docs)

    groups = {g.name: admin(g.managed_policies, g.inline_policies) for g in estate.groups}
    derived = {}
    for user in estate.users:
        rules = set(expected_key_rules(user.keys, console_password=user.console_password))
        non_human = any(k.active for k in user.keys)
        holds_admin = admin(user.managed_policies, user.inline_policies) or any(groups[g] for g in user.groups)
        if non_human and holds_admin:
            rules.add(RuleId.ADMIN_EQUIVALENT.value)
        if holds_admin and not non_human and not user.console_password:
            rules.add(RuleId.DORMANT_PRIVILEGED_IDENTITY.value)  # no live credential, admin all the same
        derived[user.arn(estate.account_id)] = frozenset(rules)
    for role in estate.roles:
        rules = _trust_rules(role.trust_policy, estate.account_id)
        if admin(role.managed_policies, role.inline_policies):
            rules.add(RuleId.ADMIN_EQUIVALENT.value)
        derived[role.arn(estate.account_id)] = frozenset(rules)
    return derived


@pytest.mark.parametrize("name", sorted(ALL_ESTATES))
def test_expect_sets_follow_the_rule_definitions(name: str) -> None:
    estate = ALL_ESTATES[name]
    # Escalation paths and AI workloads are planted on purpose and checked end to end by the
    # scanner's tests; this reading covers the per-identity rules.
    planted = {
        RuleId.PATH_TO_ADMIN.value,
        RuleId.AI_WORKLOAD_STANDING_ACCESS.value,
        RuleId.SHARED_IDENTITY.value,
        RuleId.IDENTITY_UNUSED.value,
        RuleId.PERMISSIONS_UNUSED.value,  # planted with the usage report the demo ships
    }
    declared = {u.arn(estate.account_id): u.expect - planted for u in estate.users}
    declared |= {r.arn(estate.account_id): r.expect - planted for r in estate.roles}
    assert declared == _derived_expect(estate)
