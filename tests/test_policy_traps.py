"""The classic traps of reading AWS policies, each beside its near miss, asked the way the tool asks.

Every case is judged through the public questions: the privilege level of an identity
(``PrivilegeGraph.privilege_of``), its escalation hops and ``paths_to_admin``, and the
findings of ``admin-equivalent`` and ``path-to-admin`` from a full ``analyse`` at the scan's as-of.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from standing.analysis.escalation import ADMIN_SINK, HopKind
from standing.analysis.graph import PrivilegeGraph
from standing.analysis.privilege import PrivilegeLevel
from standing.core.model import Identity, Membership, TrustKind
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig
from tests.builders import ACCOUNT, NOW, arn, grant, group, inventory, key, policy, role, trust, user
from tests.builders import allow as _allow

ADMIN_ROLE = role("acme-admin")
ADMIN_POLICY = policy("AdminEverything", _allow("*"))
PAST = (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
FUTURE = (NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {**_allow(action, resource), **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def holder(name: str, *statements: dict[str, Any], kind: Any = user, **fields: Any) -> list[Any]:
    """An identity holding one policy of these statements; a user gets a live key (a workload)."""
    identity: Identity = kind(name, **fields)
    pol = policy(f"{name}-policy", *statements)
    extra = [key(identity, f"AKIA{name.upper().replace('-', '')}", age=5, used=1)] if kind is user else []
    return [identity, pol, grant(identity, pol), *extra]


def estate(*records: Any) -> list[Any]:
    """An admin role every principal of the account may assume (given the permission)."""
    return [
        ADMIN_ROLE,
        ADMIN_POLICY,
        grant(ADMIN_ROLE, ADMIN_POLICY),
        trust(ADMIN_ROLE, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        *records,
    ]


class Judged:
    """What the tool says about an estate: levels, hops, paths and rule findings by identity name."""

    def __init__(self, *records: Any) -> None:
        inv = inventory(*estate(*records))
        self.graph = PrivilegeGraph(inv, as_of=NOW)
        self.names = {i.id: i.name for i in inv.identities}
        self.findings = {
            (f.rule_id, self.names.get(f.identity, f.identity)): f for f in analyse(inv, ScanConfig(), as_of=NOW)
        }

    def level(self, name: str) -> PrivilegeLevel:
        return self.graph.privilege_of(self._id(name)).level

    def path(self, name: str) -> list[str]:
        """Names along the identity's path to admin; empty when it has none."""
        hops = self.graph.paths_to_admin.get(self._id(name), [])
        return [self.names.get(h.target, h.target) for h in hops]

    def hops(self, name: str) -> list[Any]:
        return [h for h in self.graph.escalation_hops if h.source == self._id(name)]

    def flagged(self, rule: str, name: str) -> bool:
        return (rule, name) in self.findings

    def _id(self, name: str) -> str:
        return next(i for i, n in self.names.items() if n == name)


# --- NotAction / NotResource -------------------------------------------------------------


def test_allow_with_not_action_is_everything_else_and_excluding_iam_is_the_near_miss():
    judged = Judged(
        *holder("all-but-s3", {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
        *holder("all-but-iam", {"Effect": "Allow", "NotAction": ["iam:*", "sts:*"], "Resource": "*"}),
    )
    assert judged.level("all-but-s3") is PrivilegeLevel.ADMIN
    assert judged.flagged("admin-equivalent", "all-but-s3")
    assert judged.level("all-but-iam") is PrivilegeLevel.WRITE
    assert not judged.flagged("admin-equivalent", "all-but-iam")
    assert judged.path("all-but-iam") == []  # sts:AssumeRole excluded too: no way into the admin role


def test_deny_with_not_action_takes_away_all_but_those_and_a_conditional_one_takes_nothing():
    judged = Judged(
        *holder("fenced", allow("*"), {"Effect": "Deny", "NotAction": ["s3:*", "ec2:*"], "Resource": "*"}),
        *holder(
            "fenced-when",
            allow("*"),
            {
                "Effect": "Deny",
                "NotAction": ["s3:*", "ec2:*"],
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ),
        *holder("fenced-but-iam", allow("*"), {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}),
    )
    assert judged.level("fenced") is PrivilegeLevel.WRITE
    assert not judged.flagged("admin-equivalent", "fenced")
    assert judged.level("fenced-when") is PrivilegeLevel.ADMIN
    assert judged.flagged("admin-equivalent", "fenced-when")
    # Everything but IAM is denied: IAM write on every resource is still privilege management.
    assert judged.level("fenced-but-iam") is PrivilegeLevel.PRIVILEGE_MANAGEMENT


def test_not_resource_excluding_the_admin_role_is_no_path_and_excluding_another_is():
    judged = Judged(
        *holder(
            "not-admin",
            {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": arn("role", "acme-*")},
        ),
        *holder(
            "not-other",
            {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": arn("role", "break-glass")},
        ),
    )
    assert judged.path("not-admin") == []
    assert not judged.flagged("path-to-admin", "not-admin")
    assert judged.path("not-other") == ["acme-admin"]
    assert judged.flagged("path-to-admin", "not-other")


# --- an allow and a deny for the same action ---------------------------------------------


def test_a_deny_in_the_same_policy_a_group_policy_or_the_boundary_closes_the_path():
    boundary = policy("Boundary", allow(["s3:*", "sts:GetCallerIdentity"]))
    open_boundary = policy("OpenBoundary", allow("*"))
    crew = group("crew")
    crew_policy = policy("CrewDeny", deny("sts:AssumeRole", arn("role", "acme-admin")))
    judged = Judged(
        *holder("same-policy", allow("sts:AssumeRole"), deny("sts:AssumeRole", arn("role", "acme-admin"))),
        *holder("in-group", allow("sts:AssumeRole")),
        crew,
        crew_policy,
        grant(crew, crew_policy),
        Membership(member_id=arn("user", "in-group"), group_id=crew.id),
        boundary,
        open_boundary,
        *holder("bounded", allow("sts:AssumeRole"), permissions_boundary=boundary.id),
        *holder("loosely-bounded", allow("sts:AssumeRole"), permissions_boundary=open_boundary.id),
        *holder(
            "deny-when",
            allow("sts:AssumeRole"),
            deny(
                "sts:AssumeRole",
                arn("role", "acme-admin"),
                Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}},
            ),
        ),
    )
    for closed in ("same-policy", "in-group", "bounded"):
        assert judged.path(closed) == [], closed
        assert not judged.flagged("path-to-admin", closed), closed
    assert judged.path("loosely-bounded") == ["acme-admin"]
    # A conditional deny may not bite: the path stands, and is not marked conditional by it.
    assert judged.path("deny-when") == ["acme-admin"]


def test_iam_write_allowed_by_one_policy_and_denied_by_a_group_policy_is_not_privilege_management():
    crew = group("crew")
    crew_policy = policy("NoIam", deny("iam:*"))
    judged = Judged(
        *holder("iam-writer", allow("iam:*")),
        crew,
        crew_policy,
        grant(crew, crew_policy),
        Membership(member_id=arn("user", "iam-writer"), group_id=crew.id),
        *holder("iam-writer-free", allow("iam:*")),
    )
    assert judged.level("iam-writer") is PrivilegeLevel.WRITE
    assert not judged.flagged("admin-equivalent", "iam-writer")
    assert judged.level("iam-writer-free") is PrivilegeLevel.PRIVILEGE_MANAGEMENT
    assert judged.flagged("admin-equivalent", "iam-writer-free")


# --- resource constraints that do or do not cover the target ------------------------------


def test_create_policy_version_on_team_policies_is_a_hop_only_for_a_holder_of_a_team_policy():
    team_admin = policy("team-admin", allow("s3:GetObject"))
    ops_admin = policy("ops-admin", allow("s3:GetObject"))
    versioning = allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/team-*")
    judged = Judged(
        team_admin,
        ops_admin,
        *holder("team-lead", versioning),
        grant(user("team-lead"), team_admin),
        *holder("ops-lead", versioning),
        grant(user("ops-lead"), ops_admin),
    )
    assert judged.level("team-lead") is PrivilegeLevel.WRITE  # a resource-scoped IAM write is no grant
    assert [(h.target, h.kind) for h in judged.hops("team-lead")] == [(ADMIN_SINK, HopKind.SELF_POLICY)]
    assert judged.flagged("path-to-admin", "team-lead")
    assert judged.hops("ops-lead") == []
    assert not judged.flagged("path-to-admin", "ops-lead")


# --- conditions that can or can never hold at the scan's as-of ------------------------------


def _timed(operator: str, when: str) -> dict[str, Any]:
    return {operator: {"aws:CurrentTime": when}}


@pytest.mark.parametrize(
    "operator, when, path, conditional",
    [
        ("DateLessThan", PAST, False, None),  # expired: never holds again
        ("DateLessThan", FUTURE, True, True),  # still open until then
        ("DateGreaterThan", PAST, True, False),  # activated: no longer a restriction
        ("DateGreaterThan", FUTURE, True, True),  # activation still to come
        ("DateGreaterThanEquals", PAST, True, False),
    ],
)
def test_date_conditions_on_the_current_time_are_judged_at_the_scans_as_of(operator, when, path, conditional):
    judged = Judged(*holder("timed", allow("sts:AssumeRole", Condition=_timed(operator, when))))
    assert (judged.path("timed") == ["acme-admin"]) is path
    if path:
        [hop] = judged.hops("timed")
        assert hop.conditional is conditional
        assert ("under a condition" in hop.reason) is conditional


def test_a_deny_activated_in_the_past_denies_and_one_still_to_come_does_not():
    judged = Judged(
        *holder("cut-off", allow("*"), deny("iam:*", Condition=_timed("DateGreaterThan", PAST))),
        *holder("cut-off-later", allow("*"), deny("iam:*", Condition=_timed("DateGreaterThan", FUTURE))),
    )
    assert judged.level("cut-off") is PrivilegeLevel.WRITE
    assert not judged.flagged("admin-equivalent", "cut-off")
    assert judged.level("cut-off-later") is PrivilegeLevel.ADMIN
    assert judged.flagged("admin-equivalent", "cut-off-later")


SESSION_ONLY = {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}
KEY_ONLY = {"Null": {"aws:TokenIssueTime": "true"}}


def test_a_condition_on_the_token_issue_time_never_holds_for_a_users_key_and_does_for_a_role():
    judged = Judged(
        *holder("key-user", allow("sts:AssumeRole", Condition=SESSION_ONLY)),
        *holder("session-role", allow("sts:AssumeRole", Condition=SESSION_ONLY), kind=role),
        *holder("key-admin", allow("*", Condition={"Null": {"aws:TokenIssueTime": "false"}})),
    )
    assert judged.path("key-user") == []
    assert not judged.flagged("path-to-admin", "key-user")
    assert judged.path("session-role") == ["acme-admin"]
    assert judged.hops("session-role")[0].conditional  # whether the session is new enough is open
    assert judged.level("key-admin") is PrivilegeLevel.NONE
    assert not judged.flagged("admin-equivalent", "key-admin")


def test_null_token_issue_time_true_holds_only_for_a_long_term_key():
    judged = Judged(
        *holder("key-user", allow("sts:AssumeRole", Condition=KEY_ONLY)),
        *holder("session-role", allow("sts:AssumeRole", Condition=KEY_ONLY), kind=role),
        # The usual guard "deny long-term keys": it bites a user's key, and is inert for a role.
        *holder("guarded-user", allow("*"), deny("*", Condition=KEY_ONLY)),
        *holder("guarded-role", allow("*"), deny("*", Condition=KEY_ONLY), kind=role),
    )
    assert judged.path("key-user") == ["acme-admin"]
    assert not judged.hops("key-user")[0].conditional  # a key's request always meets it
    assert judged.path("session-role") == []
    assert judged.level("guarded-user") is PrivilegeLevel.NONE
    assert not judged.flagged("admin-equivalent", "guarded-user")
    assert judged.level("guarded-role") is PrivilegeLevel.ADMIN
    assert judged.flagged("admin-equivalent", "guarded-role")


# --- iam:PassedToService ----------------------------------------------------------------------


def _lambda_admin() -> list[Any]:
    admin_fn = role("admin-fn")
    return [admin_fn, grant(admin_fn, ADMIN_POLICY), trust(admin_fn, "lambda.amazonaws.com", TrustKind.SERVICE)]


@pytest.mark.parametrize(
    "passed_to, hop",
    [
        ({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, False),
        ({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}, True),
        ({"StringLike": {"iam:PassedToService": ["ec2.amazonaws.com", "lambda.*"]}}, True),
    ],
)
def test_pass_role_limited_to_ec2_is_no_lambda_hop_and_limited_to_lambda_is(passed_to, hop):
    judged = Judged(
        *_lambda_admin(),
        *holder(
            "launcher",
            allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
            allow("iam:PassRole", Condition=passed_to),
        ),
    )
    assert judged.level("launcher") is PrivilegeLevel.WRITE  # passing roles grants nothing by itself
    assert not judged.flagged("admin-equivalent", "launcher")
    assert (judged.path("launcher") == ["admin-fn"]) is hop
    assert judged.flagged("path-to-admin", "launcher") is hop
    if hop:
        [passing] = judged.hops("launcher")
        assert passing.kind is HopKind.PASS_ROLE and not passing.conditional  # the clause is met by lambda
        assert "trusts lambda.amazonaws.com" in passing.reason


def test_a_deny_on_passing_to_lambda_closes_the_hop_and_a_deny_on_ec2_does_not():
    def launcher(name: str, service: str) -> list[Any]:
        denied = deny("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": service}})
        return holder(name, allow(["lambda:CreateFunction", "lambda:InvokeFunction", "iam:PassRole"]), denied)

    judged = Judged(
        *_lambda_admin(), *launcher("no-lambda", "lambda.amazonaws.com"), *launcher("no-ec2", "ec2.amazonaws.com")
    )
    assert judged.path("no-lambda") == []
    assert judged.path("no-ec2") == ["admin-fn"]


# --- wildcards in the middle of actions, and case --------------------------------------------


@pytest.mark.parametrize(
    "action, hop",
    [
        ("iam:Put*Policy", True),
        ("iam:*Policy*", True),
        ("iam:?utUserPolicy", True),
        ("IAM:PUTUSERPOLICY", True),
        ("iam:*userpolicy", True),
        ("iam:Put*Polic", False),  # no trailing wildcard: matches nothing
        ("iam:Get*Policy*", False),
        ("iam:[P]utUserPolicy", False),  # IAM has no character classes: a literal bracket
        ("iam:Put?Policy", False),  # '?' is one character, not a run
    ],
)
def test_wildcards_in_the_middle_of_an_action_and_its_case(action, hop):
    judged = Judged(*holder("self-editor", allow(action, arn("user", "self-editor"))))
    assert judged.level("self-editor") < PrivilegeLevel.PRIVILEGE_MANAGEMENT  # scoped to itself
    assert ([h.kind for h in judged.hops("self-editor")] == [HopKind.SELF_POLICY]) is hop
    assert judged.flagged("path-to-admin", "self-editor") is hop


def test_a_wildcard_in_the_middle_of_a_denied_action_is_honoured():
    judged = Judged(
        *holder("denied-mid", allow("iam:*"), deny(["iam:*Policy*", "iam:*User*", "iam:*Role*", "iam:*Group*"])),
    )
    assert judged.level("denied-mid") < PrivilegeLevel.ADMIN


# --- iam:PassRole alone is not privilege management ------------------------------------------


def test_pass_role_on_everything_is_a_hop_only_where_a_launcher_meets_a_role_it_may_run():
    ec2_admin = role("ec2-admin")
    judged = Judged(
        *holder("runner", allow(["ec2:RunInstances", "iam:PassRole"]), kind=role),
        trust(role("runner"), "ec2.amazonaws.com", TrustKind.SERVICE),
        *holder("passer-only", allow("iam:PassRole")),
        *holder("admin-launcher", allow(["ec2:RunInstances", "iam:PassRole"])),
        ec2_admin,
        grant(ec2_admin, ADMIN_POLICY),
        trust(ec2_admin, "ec2.amazonaws.com", TrustKind.SERVICE),
    )
    for name in ("runner", "passer-only", "admin-launcher"):
        assert judged.level(name) is PrivilegeLevel.WRITE, name
        assert not judged.flagged("admin-equivalent", name), name
    # PassRole with nothing to launch: no hop at all.
    assert judged.hops("passer-only") == []
    # With a launcher and an admin role that launcher runs as: a hop naming both.
    assert judged.path("admin-launcher") == ["ec2-admin"]
    [hop] = [h for h in judged.hops("admin-launcher") if h.target == ec2_admin.id]
    assert hop.kind is HopKind.PASS_ROLE
    assert "iam:PassRole on ec2-admin" in hop.reason and "ec2:RunInstances" in hop.reason
    assert judged.flagged("path-to-admin", "admin-launcher")
