"""Organization fan-out against moto: every member account scanned through AssumeRole."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from typing import Any

import boto3
from aws_support import ACCT, REGION, fixed_now, no_sleep
from rich.console import Console
from test_fetch_errors import error_response

from standing.collectors.aws import AwsScanOptions, collect_aws, refresh_aws
from standing.collectors.aws.operations import declared_actions
from standing.collectors.executors import TaskLimits, ThreadExecutor
from standing.core.model import CoverageStatus, CredentialKind, ScopeKind, TrustKind

ONE_REGION = ("us-east-1",)  # workloads are read where the tests put them, not in every moto region


def assumed_iam(account_id: str) -> Any:
    """An IAM client inside ``account_id`` (moto keeps a backend per account)."""
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/seed", RoleSessionName="seed"
    )["Credentials"]
    return boto3.client(
        "iam",
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def seed_organization() -> tuple[str, dict[str, str], str]:
    """Management account + prod + dev, each with one key-holding user; one closed account."""
    org = boto3.client("organizations", region_name=REGION)
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    members = {
        name: org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        for name in ("prod", "dev", "closed")
    }
    org.close_account(AccountId=members["closed"])
    clients = {"mgmt": boto3.client("iam", region_name=REGION)}
    clients.update({name: assumed_iam(members[name]) for name in ("prod", "dev")})
    for name, iam in clients.items():
        iam.create_user(UserName=f"svc-{name}")
        iam.create_access_key(UserName=f"svc-{name}")
    return org_id, members, f"aws:organization:{org_id}"


def test_organization_scan_merges_every_account(session: boto3.Session) -> None:
    org_id, members, org_scope = seed_organization()
    prod, dev, closed = members["prod"], members["dev"], members["closed"]
    assumed: list[dict[str, Any]] = []
    calls: list[str] = []
    session.events.register("before-call.sts.AssumeRole", lambda params, **_: assumed.append(params["body"]))
    session.events.register(
        "before-call", lambda model, **_: calls.append(f"{model.service_model.service_name}:{model.name}")
    )
    console_out = io.StringIO()

    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, organization=True, external_id="ext-1234", max_workers=2),
        session=session,
        now=fixed_now,
        sleep=no_sleep,
        progress=Console(file=console_out, force_terminal=True),
    )

    # moto creates OrganizationAccountAccessRole in each new member, trusted by the management account.
    access_role = "role/OrganizationAccountAccessRole"
    assert {i.id for i in inv.identities} == {
        f"arn:aws:iam::{ACCT}:user/svc-mgmt",
        f"arn:aws:iam::{prod}:user/svc-prod",
        f"arn:aws:iam::{dev}:user/svc-dev",
        f"arn:aws:iam::{prod}:{access_role}",
        f"arn:aws:iam::{dev}:{access_role}",
    }
    assert {(t.target_id, t.principal, t.kind) for t in inv.trusts} == {
        (f"arn:aws:iam::{a}:{access_role}", f"arn:aws:iam::{ACCT}:root", TrustKind.ACCOUNT) for a in (prod, dev)
    }
    assert {(c.identity_id.split(":")[4], c.kind) for c in inv.credentials} == {
        (ACCT, CredentialKind.ACCESS_KEY),
        (prod, CredentialKind.ACCESS_KEY),
        (dev, CredentialKind.ACCESS_KEY),
    }
    # Each account sits under the organization's root (read with its guardrails), the root under the organization.
    [root] = [s.id for s in inv.scopes if s.id.startswith("aws:root:")]
    assert {(s.id, s.kind, s.name, s.parent_id) for s in inv.scopes} == {
        (org_scope, ScopeKind.ORGANIZATION, org_id, None),
        (root, ScopeKind.ORGANIZATION, "Root", org_scope),
        (f"aws:account:{ACCT}", ScopeKind.ACCOUNT, "master", root),
        (f"aws:account:{prod}", ScopeKind.ACCOUNT, "prod", root),
        (f"aws:account:{dev}", ScopeKind.ACCOUNT, "dev", root),
    }
    assert [(g.scope, g.operation, g.status) for g in inv.gaps] == [(closed, "sts:AssumeRole", CoverageStatus.SKIPPED)]
    # The management account is scanned with the caller's own session, members via AssumeRole.
    assert sorted(p["RoleArn"] for p in assumed) == sorted(
        f"arn:aws:iam::{a}:role/standing-readonly" for a in (prod, dev)
    )
    assert {(p["RoleSessionName"], p["ExternalId"]) for p in assumed} == {("standing-scan", "ext-1234")}
    assert set(calls) <= declared_actions()
    assert set(inv.meta.source_times) == {f"aws:{a}:credential-report" for a in (ACCT, prod, dev)}
    assert "SecretAccessKey" not in inv.model_dump_json()


def test_one_account_failing_does_not_stop_the_others(session: boto3.Session) -> None:
    _, members, org_scope = seed_organization()
    prod, dev = members["prod"], members["dev"]

    def deny_dev(params: dict[str, Any], **_: Any) -> Any:
        if dev in params["body"]["RoleArn"]:
            return error_response(403, "AccessDenied", "not authorized to perform: sts:AssumeRole")
        return None

    session.events.register("before-call.sts.AssumeRole", deny_dev)
    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, organization=True), session=session, now=fixed_now, sleep=no_sleep
    )

    assert {i.id for i in inv.identities} == {
        f"arn:aws:iam::{ACCT}:user/svc-mgmt",
        f"arn:aws:iam::{prod}:user/svc-prod",
        f"arn:aws:iam::{prod}:role/OrganizationAccountAccessRole",
    }
    [root] = [s.id for s in inv.scopes if s.id.startswith("aws:root:")]
    assert (f"aws:account:{dev}", "dev", root) in {(s.id, s.name, s.parent_id) for s in inv.scopes}
    assert {(g.scope, g.operation, g.status) for g in inv.gaps} == {
        (members["closed"], "sts:AssumeRole", CoverageStatus.SKIPPED),
        (dev, "sts:AssumeRole", CoverageStatus.DENIED),
    }


def test_without_organizations_access_the_own_account_is_still_scanned(session: boto3.Session) -> None:
    seed_organization()
    session.events.register(
        "before-call.organizations.ListAccounts",
        lambda **_: error_response(400, "AccessDeniedException", "not the management account"),
    )
    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, organization=True), session=session, now=fixed_now, sleep=no_sleep
    )
    assert {i.name for i in inv.identities} == {"svc-mgmt"}
    assert [(g.scope, g.operation, g.status) for g in inv.gaps] == [
        (ACCT, "organizations:ListAccounts", CoverageStatus.DENIED)
    ]
    assert {s.id for s in inv.scopes} >= {f"aws:account:{ACCT}"}


def test_outside_an_organization_the_gap_is_recorded(session: boto3.Session) -> None:
    # Real AWS also refuses ListAccounts here; moto answers it with an empty list.
    boto3.client("iam", region_name=REGION).create_user(UserName="solo")
    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, organization=True), session=session, now=fixed_now, sleep=no_sleep
    )
    assert {i.name for i in inv.identities} == {"solo"}
    assert [(g.operation, g.status, g.detail.split(":")[0]) for g in inv.gaps] == [
        ("organizations:DescribeOrganization", CoverageStatus.FAILED, "AWSOrganizationsNotInUseException")
    ]
    assert [(s.id, s.parent_id) for s in inv.scopes] == [(f"aws:account:{ACCT}", None)]


def test_an_account_overrunning_its_time_limit_is_a_gap_and_the_bar_counts_it(
    session: boto3.Session,
) -> None:
    _, members, _ = seed_organization()
    prod, closed = members["prod"], members["closed"]
    release = threading.Event()

    def stall_prod(params: dict[str, Any], **_: Any) -> Any:
        if prod in params["body"]["RoleArn"]:
            release.wait(30)  # until the test ends; then refused, so nothing leaves the process
            return error_response(403, "AccessDenied", "released after the test")
        return None

    session.events.register("before-call.sts.AssumeRole", stall_prod)
    out = io.StringIO()
    executor = ThreadExecutor(max_workers=2, limits=TaskLimits(time_limit=1.5, retries=0))
    try:
        inv = collect_aws(
            AwsScanOptions(organization=True, workloads=False),  # IAM only: the time limit is the point
            session=session,
            now=fixed_now,
            sleep=no_sleep,
            executor=executor,
            progress=Console(file=out, force_terminal=True, color_system=None, width=120),
        )
    finally:
        release.set()

    assert {(g.scope, g.operation, g.status, g.detail) for g in inv.gaps} == {
        (closed, "sts:AssumeRole", CoverageStatus.SKIPPED, "account state SUSPENDED"),
        (prod, "task:scan-account", CoverageStatus.FAILED, "TaskTimedOut: no result within 1.5s (1 attempt)"),
    }
    assert {i.name for i in inv.identities} == {"svc-mgmt", "svc-dev", "OrganizationAccountAccessRole"}
    assert f"aws:account:{prod}" in {s.id for s in inv.scopes}  # still listed, as not covered
    # The bar counted every account, the overrun one included, and ended full.
    assert re.findall(r"(\d+)/(\d+)", out.getvalue())[-1] == ("3", "3")


def _function_in(account_id: str | None, name: str) -> Any:
    """A Lambda function in ``account_id`` (the caller's account when None), as a client."""
    kwargs: dict[str, Any] = {"region_name": REGION}
    if account_id is not None:
        creds = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/seed", RoleSessionName="seed"
        )["Credentials"]
        kwargs |= {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    role = boto3.client("iam", **kwargs).create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}'
    )["Role"]["Arn"]
    lam = boto3.client("lambda", **kwargs)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    return lam


def test_organization_scan_and_refresh_carry_each_account_s_workloads(session: boto3.Session) -> None:
    _, members, _ = seed_organization()
    prod = members["prod"]
    _function_in(None, "mgmt-fn")
    prod_lambda = _function_in(prod, "prod-fn")

    inv = collect_aws(
        AwsScanOptions(regions=ONE_REGION, organization=True), session=session, now=fixed_now, sleep=no_sleep
    )
    assert {(w.account, w.name) for w in inv.workloads} == {(ACCT, "mgmt-fn"), (prod, "prod-fn")}

    # Refreshing prod re-reads its workloads only: the function deleted since is gone,
    # the management account's is kept as it was read.
    prod_lambda.delete_function(FunctionName="prod-fn")
    refreshed = refresh_aws(
        inv, prod, AwsScanOptions(regions=ONE_REGION), source="org.json", session=session, now=fixed_now
    )
    assert {(w.account, w.name) for w in refreshed.workloads} == {(ACCT, "mgmt-fn")}
