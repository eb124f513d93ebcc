"""What an empty ``RoleLastUsed`` means: AWS keeps a role's last use for the trailing 400 days.

Roles are created in moto and read back by the real collector through boto3; their age and last
use are set in moto's own IAM state. A role older than the window with no use on record is
unused (``identity-unused`` says so and names the window); a young role never used stays inside
its grace period; a role used ten days ago is in use; a role whose age is not known stays unknown.
"""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
from aws_support import ACCT, NOW, fixed_now, no_sleep
from moto.iam.models import iam_backends

from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.core.facts import idleness
from standing.core.model import Identity, IdentityKind, Provider, UsageStatus
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.builders import inventory as built_inventory

LAMBDA = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}

ONE_REGION = ("us-east-1",)  # workloads are read where the tests put them, not in every moto region


def _scan(session: boto3.Session, roles: dict[str, tuple[int, int | None]]):
    """``roles``: name -> (age in days, days since last use or None for an empty RoleLastUsed)."""
    iam = session.client("iam")
    for name in roles:
        iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [LAMBDA]})
        )
    backend = iam_backends[ACCT]["aws"]
    for name, (age, used) in roles.items():
        moto_role = backend.get_role(name)
        moto_role.create_date = NOW - timedelta(days=age)
        if used is not None:
            moto_role.last_used = NOW - timedelta(days=used)
    inv = collect_aws(AwsScanOptions(regions=ONE_REGION), session=session, now=fixed_now, sleep=no_sleep)
    by_name = {i.name: i for i in inv.identities if i.kind is IdentityKind.ROLE}
    findings = {f.identity_name: f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "identity-unused"}
    return by_name, findings


def test_a_role_older_than_the_window_with_no_use_recorded_is_unused_and_says_which_window(session):
    roles, unused = _scan(session, {"etl-2023": (700, None), "new-fn": (20, None), "busy-fn": (900, 10)})
    assert (roles["etl-2023"].last_used_status, roles["etl-2023"].usage_window_days) == (UsageStatus.NOT_IN_WINDOW, 400)
    finding = unused["etl-2023"]
    assert finding.message == "etl-2023: no use recorded in the last 400 days, the window AWS keeps (limit 90)"
    assert finding.evidence["usage_window_days"] == 400 and finding.evidence["no_use_recorded_days"] == 400
    # near misses: inside the grace period, never used; used ten days ago
    assert roles["new-fn"].last_used_status is UsageStatus.NEVER and "new-fn" not in unused
    assert roles["busy-fn"].last_used_status is UsageStatus.USED and "busy-fn" not in unused
    assert set(unused) == {"etl-2023"}


def test_a_young_role_never_used_past_its_grace_period_is_never_used_not_windowed(session):
    roles, unused = _scan(session, {"forgotten": (120, None)})
    assert roles["forgotten"].last_used_status is UsageStatus.NEVER
    assert unused["forgotten"].message == "forgotten has never been used in 120 days"


def _identity(**fields) -> Identity:
    return Identity(
        id=f"arn:aws:iam::{ACCT}:role/r",
        provider=Provider.AWS,
        kind=IdentityKind.ROLE,
        account=ACCT,
        name="r",
        **fields,
    )


def test_idleness_reads_the_window_only_where_the_provider_keeps_one():
    old = NOW - timedelta(days=700)
    windowed = _identity(created=old, last_used_status=UsageStatus.NOT_IN_WINDOW, usage_window_days=400)
    idle = idleness(windowed, NOW, unused_days=90, grace_days=30)
    assert idle is not None and (idle.never, idle.days, idle.window) == (False, 400, 400)
    # a window no longer than the unused threshold proves nothing
    assert idleness(windowed, NOW, unused_days=400, grace_days=30) is None
    # no window known, or use simply not read: unknown stays unknown
    assert (
        idleness(_identity(created=old, last_used_status=UsageStatus.NOT_IN_WINDOW), NOW, unused_days=90, grace_days=30)
        is None
    )
    assert idleness(_identity(created=old, usage_window_days=400), NOW, unused_days=90, grace_days=30) is None


def test_a_key_judged_from_a_window_says_so_and_a_key_in_use_stays_silent():
    from tests.builders import NOW as BUILT_AT
    from tests.builders import inventory, key, user

    holder = user("svc-windowed")
    windowed = key(holder, "AKIAWINDOW000001", age=700, used=None).model_copy(
        update={"last_used_status": UsageStatus.NOT_IN_WINDOW, "usage_window_days": 400}
    )
    in_use = key(holder, "AKIAINUSE0000001", age=700, used=3)
    found = {
        f.subject: f
        for f in analyse(inventory(holder, windowed, in_use), ScanConfig(), as_of=BUILT_AT)
        if f.rule_id == "key-unused"
    }
    assert set(found) == {"AKIAWINDOW000001"}
    assert found["AKIAWINDOW000001"].message.endswith("no use recorded in the last 400 days, the window AWS keeps")


def test_explain_states_the_window_instead_of_an_unknown_last_use(session):
    import io

    from rich.console import Console

    from standing.analysis.graph import PrivilegeGraph
    from standing.reports.explain import render_explanation

    roles, _ = _scan(session, {"etl-2023": (700, None)})
    inv_role = roles["etl-2023"]
    graph = PrivilegeGraph(built_inventory(inv_role))  # the role alone is enough
    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_explanation(console, graph, inv_role, [])
    assert "no use recorded in the last 400 days (the window the provider keeps)" in console.file.getvalue()
