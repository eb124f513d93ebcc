"""Time conditions that can never hold again make a statement or a trust inert, judged at the scan's as-of.

Each inert case sits beside its near miss: the same condition with a date still ahead is a
(conditional) grant, and a ``DateGreaterThan`` in the future is an activation to come, never inert.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import HopKind
from standing.analysis.privilege import PrivilegeLevel
from standing.core.model import TrustKind
from standing.core.trust_conditions import aws_never_holds, parse_trust_conditions
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.builders import ACCOUNT, NOW, allow, arn, grant, inventory, key, policy, role, trust, user

PAST = "2026-05-01T00:00:00Z"  # a month before NOW
FUTURE = "2026-07-01T00:00:00Z"  # a month after NOW


def _until(operator: str, key_name: str, when: str | list[str]) -> dict[str, Any]:
    return {operator: {key_name: when}}


@pytest.mark.parametrize(
    "block, inert",
    [
        (_until("DateLessThan", "aws:CurrentTime", PAST), True),
        (_until("DateLessThan", "aws:CurrentTime", FUTURE), False),  # near miss: still ahead
        (_until("DateLessThanEquals", "AWS:currenttime", PAST), True),  # keys are case-insensitive
        (_until("DateLessThanIfExists", "aws:CurrentTime", PAST), True),  # the request time always exists
        (_until("DateLessThan", "aws:CurrentTime", [PAST, FUTURE]), False),  # values are alternatives
        (_until("DateLessThan", "aws:EpochTime", "1746057600"), True),  # 2025-05-01, epoch seconds
        (_until("DateGreaterThan", "aws:CurrentTime", FUTURE), False),  # a future activation, not inert
        (_until("DateLessThan", "aws:TokenIssueTime", PAST), True),
        # Near miss: a token issued 12 hours before the as-of may still be live at it.
        (_until("DateLessThan", "aws:TokenIssueTime", (NOW - timedelta(hours=12)).isoformat()), False),
        (_until("DateLessThanIfExists", "aws:TokenIssueTime", PAST), False),  # a long-term key has no token
        (_until("DateLessThan", "aws:CurrentTime", "next tuesday"), False),  # unreadable: may hold
        ({"Bool": {"aws:SecureTransport": "true"}, **_until("DateLessThan", "aws:CurrentTime", PAST)}, True),
    ],
)
def test_a_condition_block_can_never_hold_only_when_a_clause_is_wholly_past(block, inert):
    assert (aws_never_holds(block, NOW) is not None) is inert


def _admin_policy(condition: dict[str, Any] | None) -> Any:
    statement = allow("*")
    return policy("Admin", {**statement, "Condition": condition} if condition else statement)


@pytest.mark.parametrize("when, admin", [(PAST, False), (FUTURE, True)])
def test_an_admin_statement_past_its_date_grants_nothing(when, admin):
    deployer = user("deployer")
    held = _admin_policy(_until("DateLessThan", "aws:CurrentTime", when))
    inv = inventory(deployer, held, grant(deployer, held), key(deployer, "AKIADEPLOYER", age=10, used=1))
    graph = PrivilegeGraph(inv, as_of=NOW)
    assert (graph.privilege_of(deployer.id).level is PrivilegeLevel.ADMIN) is admin
    rules = {f.rule_id for f in analyse(inv, ScanConfig(), as_of=NOW) if f.identity == deployer.id}
    assert ("admin-equivalent" in rules) is admin


def test_the_graph_judges_time_at_the_injected_as_of_not_the_wall_clock():
    deployer = user("deployer")
    held = _admin_policy(_until("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"))
    inv = inventory(deployer, held, grant(deployer, held), key(deployer, "AKIADEPLOYER", age=10, used=1))
    before = datetime(2019, 6, 1, tzinfo=UTC)
    assert PrivilegeGraph(inv, as_of=before).privilege_of(deployer.id).level is PrivilegeLevel.ADMIN
    assert PrivilegeGraph(inv, as_of=NOW).privilege_of(deployer.id).level is PrivilegeLevel.NONE
    # With no as-of given, the graph takes the inventory's scan time (NOW here), never the clock.
    assert PrivilegeGraph(inv).as_of == inv.meta.started_at
    assert {f.rule_id for f in analyse(inv, ScanConfig(), as_of=before)} >= {"admin-equivalent"}


def _escalation(assume_condition: dict[str, Any] | None, trust_condition: dict[str, Any] | None):
    admin, climber = role("admin"), user("climber")
    admin_policy = _admin_policy(None)
    statement = allow("sts:AssumeRole", arn("role", "admin"))
    assume = policy("Assume", {**statement, "Condition": assume_condition} if assume_condition else statement)
    inv = inventory(
        admin,
        admin_policy,
        grant(admin, admin_policy),
        trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT, trust_condition),
        climber,
        assume,
        grant(climber, assume),
        key(climber, "AKIACLIMBER", age=10, used=1),
    )
    graph = PrivilegeGraph(inv, as_of=NOW)
    found = [h for h in graph.escalation_hops if h.source == climber.id and h.kind is HopKind.ASSUME_ROLE]
    paths = {f.identity for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"}
    return found, climber.id in paths


@pytest.mark.parametrize(
    "assume, trusted, hop",
    [
        (_until("DateLessThan", "aws:CurrentTime", PAST), None, None),  # the permission has lapsed
        (_until("DateLessThan", "aws:CurrentTime", FUTURE), None, "conditional"),  # near miss
        (_until("DateGreaterThan", "aws:CurrentTime", FUTURE), None, "conditional"),  # activates later
        (None, _until("DateLessThan", "aws:CurrentTime", PAST), None),  # the trust admits nobody
        (None, _until("DateLessThan", "aws:TokenIssueTime", PAST), None),
        (None, _until("DateLessThan", "aws:CurrentTime", FUTURE), "conditional"),  # near miss
        (None, None, "firm"),
    ],
)
def test_a_lapsed_permission_or_trust_is_no_escalation_hop(assume, trusted, hop):
    found, reported = _escalation(assume, trusted)
    if hop is None:
        assert found == [] and not reported
    else:
        [only] = found
        assert only.conditional is (hop == "conditional") and reported


def test_a_trust_open_to_anyone_until_a_past_date_admits_nobody():
    vendor = role("vendor-audit")
    expiry = _until("DateLessThan", "aws:CurrentTime", PAST)
    inv = inventory(vendor, trust(vendor, "*", TrustKind.ANY, expiry))
    graph = PrivilegeGraph(inv, as_of=NOW)
    assert graph.trusts_into(vendor.id) == []
    [kept] = graph.lapsed_trusts_into(vendor.id)  # kept as a fact
    assert kept.condition.lapsed(NOW) and not kept.condition.lapsed(datetime(2026, 4, 1, tzinfo=UTC))


def test_a_gcp_binding_condition_past_its_expiry_is_lapsed_and_one_ahead_is_not():
    ended = parse_trust_conditions({"expression": f'request.time < timestamp("{PAST}")'})
    ahead = parse_trust_conditions({"expression": f'request.time < timestamp("{FUTURE}")'})
    assert ended.lapsed(NOW) and not ahead.lapsed(NOW)


def test_explain_shows_a_lapsed_trust_as_admitting_nobody():
    from io import StringIO

    from rich.console import Console

    from standing.reports.explain import render_explanation

    vendor = role("vendor-audit")
    inv = inventory(vendor, trust(vendor, "*", TrustKind.ANY, _until("DateLessThan", "aws:CurrentTime", PAST)))
    out = StringIO()
    render_explanation(Console(file=out, width=200), PrivilegeGraph(inv, as_of=NOW), vendor, [])
    assert "trust: any * (lapsed: its time condition can never hold again)" in out.getvalue()
    assert "(with conditions)" not in out.getvalue()
