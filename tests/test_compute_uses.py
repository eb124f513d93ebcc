"""Compute that runs as an identity: blast radius, identity-unused, and the cut of a path to admin."""

from __future__ import annotations

from standing.analysis.compute import compute_uses, describe, is_live
from standing.analysis.cuts import CutKind, cut_path
from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import Hop, HopKind
from standing.analysis.risk import RiskModel
from standing.core.model import ComputeKind, Inventory, Provider, TrustKind, UsageStatus, Workload
from standing.rules.analyse import analyse_estate
from standing.rules.config import ScanConfig
from tests.builders import ACCOUNT, NOW, allow, arn, days_ago, grant, inventory, key, policy, role, trust, user

FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:billing-sync"


def function(runs_as: str, *, name: str = "billing-sync", state: str | None = "Active") -> Workload:
    return Workload(
        id=f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{name}",
        provider=Provider.AWS,
        kind=ComputeKind.LAMBDA_FUNCTION,
        name=name,
        account=ACCOUNT,
        region="eu-west-1",
        identity_ids=[runs_as],
        state=state,
    )


def instance(runs_as: str, state: str) -> Workload:
    return Workload(
        id=f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0abc",
        provider=Provider.AWS,
        kind=ComputeKind.EC2_INSTANCE,
        name="i-0abc",
        account=ACCOUNT,
        region="eu-west-1",
        identity_ids=[runs_as],
        state=state,
    )


def with_workloads(inv: Inventory, *workloads: Workload) -> Inventory:
    return inv.model_copy(update={"workloads": list(workloads)})


def graph_with_hops(inv: Inventory, *hops: Hop) -> PrivilegeGraph:
    """A graph whose hops are given: the hop through compute is another module's work."""
    graph = PrivilegeGraph(inv, as_of=NOW)
    graph.__dict__["escalation_hops"] = sorted(hops, key=lambda h: (h.source, h.target, h.kind))
    return graph


def takeover(source: str, target: str) -> Hop:
    return Hop(source, target, HopKind.EXISTING_COMPUTE, "lambda:UpdateFunctionCode on billing-sync")


# -- compute index ---------------------------------------------------------------------------


def test_describe_names_the_compute_and_its_region_and_live_reads_the_state():
    assert describe(function(arn("role", "billing"))) == "Lambda function `billing-sync` in eu-west-1"
    assert is_live(function("r", state=None))  # no state reported is never read as idle
    assert is_live(instance("r", "running")) and is_live(instance("r", "pending"))
    assert not is_live(instance("r", "stopped")) and not is_live(instance("r", "terminated"))
    assert describe(instance("r", "stopped")) == "EC2 instance `i-0abc` in eu-west-1 (stopped)"


# -- blast radius ------------------------------------------------------------------------------


def test_blast_radius_counts_who_it_can_run_code_as():
    dev, billing, other = user("dev"), role("billing"), role("other")
    inv = with_workloads(inventory(dev, billing, other), function(billing.id))
    hops = (
        takeover(dev.id, billing.id),
        Hop(dev.id, other.id, HopKind.ASSUME_ROLE, "trust of other names dev"),
    )
    blast = RiskModel(graph_with_hops(inv, *hops), NOW).blast_radius(dev.id)
    assert blast.reachable == sorted([billing.id, other.id])
    assert blast.runs_code_as == [billing.id]  # the assumed role is reached, but not by running code


def test_blast_radius_near_miss_no_takeover_hop_no_code_run_as():
    dev, billing = user("dev"), role("billing")
    inv = with_workloads(inventory(dev, billing), function(billing.id))
    blast = RiskModel(graph_with_hops(inv), NOW).blast_radius(dev.id)
    assert blast.reachable == [] and blast.runs_code_as == []  # compute alone is no hop


# -- identity-unused ---------------------------------------------------------------------------


def _unused(inv: Inventory) -> dict[str, str]:
    findings = analyse_estate(inv, ScanConfig(), as_of=NOW).findings
    return {f.identity: f.message for f in findings if f.rule_id == "identity-unused"}


def never_used(name: str):
    return role(name, created=days_ago(400), last_used_status=UsageStatus.NOT_IN_WINDOW, usage_window_days=400)


def test_a_role_serving_live_compute_with_no_use_data_is_not_called_unused():
    serving, idle = never_used("billing"), never_used("idle")
    inv = with_workloads(inventory(serving, idle), function(serving.id))
    flagged = _unused(inv)
    assert set(flagged) == {idle.id}  # near miss: the same role with no compute is flagged
    assert "runs as it" not in flagged[idle.id]


def test_a_role_serving_only_stopped_compute_is_flagged_naming_it():
    stopped = never_used("batch")
    inv = with_workloads(inventory(stopped), instance(stopped.id, "stopped"))
    flagged = _unused(inv)
    assert set(flagged) == {stopped.id}
    assert "serves only stopped compute (EC2 instance `i-0abc` in eu-west-1 (stopped))" in flagged[stopped.id]


def test_a_role_with_an_old_recorded_use_is_flagged_even_with_live_compute():
    old = role("legacy", created=days_ago(400), last_used=days_ago(200), last_used_status=UsageStatus.USED)
    inv = with_workloads(inventory(old), function(old.id, name="legacy-fn"))
    assert _unused(inv) == {
        old.id: "legacy was last used 200 days ago (limit 90); "
        "Lambda function `legacy-fn` in eu-west-1 runs as it but has not called the cloud since"
    }


# -- the cut -----------------------------------------------------------------------------------


def jump_estate(*extra):
    admin, ci = role("admin"), user("ci")
    admin_policy, jump = policy("Admin", allow("*")), policy("Jump", allow("sts:AssumeRole", arn("role", "admin")))
    return (
        inventory(
            admin,
            admin_policy,
            grant(admin, admin_policy),
            trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
            ci,
            jump,
            grant(ci, jump),
            key(ci, "AKIACI", age=30, used=1),  # a way in: without one there is no finding
            *extra,
        ),
        ci,
        admin,
    )


def _paths(inv: Inventory) -> dict[str, dict]:
    findings = analyse_estate(inv, ScanConfig(), as_of=NOW).findings
    return {f.identity: f.evidence for f in findings if f.rule_id == "path-to-admin"}


def test_path_to_admin_names_the_deny_that_cuts_it_and_the_deny_does():
    inv, ci, admin = jump_estate()
    cut = _paths(inv)[ci.id]["cut"]
    assert cut["kind"] == "deny"
    assert cut["policy"] == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "StandingCutAssumeRole", "Effect": "Deny", "Action": ["sts:AssumeRole"], "Resource": admin.id}
        ],
    }
    # Near miss: with the Deny attached to ci, the same estate has no path from ci.
    deny = policy("Cut", *cut["policy"]["Statement"])
    cut_inv, _, _ = jump_estate(deny, grant(ci, deny))
    assert ci.id not in _paths(cut_inv)


def test_the_cut_of_a_compute_takeover_denies_the_takeover_on_that_function():
    dev, billing = user("dev"), role("billing")
    inv = with_workloads(inventory(dev, billing), function(billing.id), function(billing.id, name="x", state="Failed"))
    graph = graph_with_hops(inv, takeover(dev.id, billing.id))
    assert [w.name for w in compute_uses(graph).live_running_as(billing.id)] == ["billing-sync"]
    cut = cut_path(graph, graph.escalation_hops)
    assert cut is not None and cut.kind is CutKind.DENY
    assert cut.statements == [
        {
            "Sid": "StandingCutComputeTakeover",
            "Effect": "Deny",
            "Action": ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"],
            "Resource": FUNCTION_ARN,  # the failed function runs nothing: not named
        }
    ]


def ecs_estate(*extra):
    """A deployer that may run tasks and pass the admin task role of a live ECS service."""
    deployer, admin = user("deployer"), role("ecs-admin-task")
    admin_policy = policy("Admin", allow("*"))
    deploy = policy("Deploy", allow(["ecs:RunTask"]), allow("iam:PassRole", admin.id))
    service = Workload(
        id=f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/prod/billing",
        provider=Provider.AWS,
        kind=ComputeKind.ECS_SERVICE,
        name="billing",
        account=ACCOUNT,
        region="eu-west-1",
        identity_ids=[admin.id],
        state="ACTIVE",
        attributes={"task_definition": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/billing:3"},
    )
    inv = inventory(
        deployer,
        admin,
        admin_policy,
        deploy,
        grant(admin, admin_policy),
        grant(deployer, deploy),
        trust(admin, "ecs-tasks.amazonaws.com", TrustKind.SERVICE),
        key(deployer, "AKIADEPLOY", age=30, used=1),  # a way in
        *extra,
    )
    return with_workloads(inv, service), deployer, admin


def test_an_ecs_takeover_is_cut_by_denying_the_pass_of_its_task_role_and_the_deny_does():
    inv, deployer, admin = ecs_estate()
    evidence = _paths(inv)[deployer.id]
    assert [h.get("method") for h in evidence["hops"]] == ["aws-ecs-001"]
    cut = evidence["cut"]
    assert cut["policy"]["Statement"] == [
        {"Sid": "StandingCutPassRole", "Effect": "Deny", "Action": ["iam:PassRole"], "Resource": admin.id}
    ]
    # Near miss: attached, the Deny leaves the deployer no way to admin.
    deny = policy("Cut", *cut["policy"]["Statement"])
    cut_inv, _, _ = ecs_estate(deny, grant(deployer, deny))
    assert deployer.id not in _paths(cut_inv)


def test_a_federation_hop_is_cut_by_a_trust_edit_and_a_foreign_start_moves_the_cut_on():
    from standing.core.model import Identity, IdentityKind

    sa = Identity(
        id="ci@p1.iam.gserviceaccount.com",
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account="p1",
        name="ci@p1.iam.gserviceaccount.com",
        human=False,
    )
    bridge, admin = role("bridge"), role("admin")
    inv = inventory(sa, bridge, admin)
    fed = Hop(sa.id, bridge.id, HopKind.FEDERATE, "bridge trusts Google tokens issued to ci")
    up = Hop(bridge.id, admin.id, HopKind.ASSUME_ROLE, "admin trusts bridge")
    graph = graph_with_hops(inv, fed, up)
    cut = cut_path(graph, [fed, up])
    assert cut is not None and (cut.kind, cut.trust_target) == (CutKind.TRUST_EDIT, bridge.id)
    assert cut.summary == "remove ci@p1.iam.gserviceaccount.com from the trust of bridge (federate)"
    # Near miss: an unwritable first hop (an Azure owner hop with no trust to edit) moves the cut on.
    owner = Hop(sa.id, bridge.id, HopKind.OWNER, "owns bridge")
    moved = cut_path(graph, [owner, up])
    assert moved is not None and moved.hop is up and moved.kind is CutKind.DENY
    assert moved.why.startswith("hop 2")


def test_a_gcp_permission_hop_is_cut_by_a_deny_policy_and_an_unknown_method_is_not():
    from standing.core.model import Identity, IdentityKind

    def gsa(name: str) -> Identity:
        email = f"{name}@p1.iam.gserviceaccount.com"
        return Identity(
            id=email, provider=Provider.GCP, kind=IdentityKind.SERVICE_ACCOUNT, account="p1", name=email, human=False
        )

    dev, owner = gsa("dev"), gsa("owner")
    graph = graph_with_hops(inventory(dev, owner))
    token = Hop(dev.id, owner.id, HopKind.IMPERSONATE, "getAccessToken on p1", method="gcp-iam-001")
    cut = cut_path(graph, [token])
    assert cut is not None and cut.kind is CutKind.GCP_DENY
    assert cut.statements == [
        {
            "denied_principals": [f"principal://iam.googleapis.com/projects/-/serviceAccounts/{dev.id}"],
            "denied_permissions": ["iam.googleapis.com/serviceAccounts.getAccessToken"],
            "project": "p1",
        }
    ]
    # Near miss: a hop naming no known method says no permission to deny: no cut is invented.
    assert cut_path(graph, [Hop(dev.id, owner.id, HopKind.IMPERSONATE, "?")]) is None
