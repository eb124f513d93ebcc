"""Server-level behaviour: AWS managed policies on request, estates in other accounts.

Kept apart from test_estate.py: starting a server resets moto's process-wide state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from standing.demo.estate import (
    EstateSpec,
    KeySpec,
    ManagedPoliciesNotLoaded,
    RoleSpec,
    UserSpec,
    iam_client,
    seed_estate,
    start_moto_server,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_aws_managed_policies_load_only_when_the_server_asks() -> None:
    spec = EstateSpec(
        roles=(
            RoleSpec(
                name="break-glass",
                trust_policy={"Version": "2012-10-17", "Statement": []},
                managed_policies=("arn:aws:iam::aws:policy/AdministratorAccess",),
                expect=frozenset({"admin-equivalent"}),
            ),
        )
    )
    with start_moto_server(aws_managed_policies=True) as server:
        seed_estate(spec, endpoint_url=server.endpoint_url, now=NOW)
        attached = iam_client(server.endpoint_url).list_attached_role_policies(RoleName="break-glass")[
            "AttachedPolicies"
        ]
        assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    with start_moto_server() as server, pytest.raises(ManagedPoliciesNotLoaded):
        seed_estate(spec, endpoint_url=server.endpoint_url, now=NOW)


def test_an_estate_in_another_account_lands_there() -> None:
    spec = EstateSpec(
        account_id="222233334444",
        users=(UserSpec(name="ci", keys=(KeySpec(age_days=100, last_used_days_ago=1),)),),
    )
    with start_moto_server() as server:
        seeded = seed_estate(spec, endpoint_url=server.endpoint_url, now=NOW)
        there = iam_client(server.endpoint_url, account_id="222233334444")
        keys = there.list_access_keys(UserName="ci")["AccessKeyMetadata"]
        assert [(k["AccessKeyId"], k["CreateDate"]) for k in keys] == [
            (seeded.access_keys[0].access_key_id, NOW - timedelta(days=100))
        ]
        assert iam_client(server.endpoint_url).list_users()["Users"] == []
