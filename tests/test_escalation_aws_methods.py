"""Each AWS IAM and pass-role escalation method: its hop carries its id, its near miss makes none."""

from __future__ import annotations

import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import ADMIN_SINK
from standing.core.model import Membership, Trust, TrustKind
from tests.builders import ACCOUNT, allow, arn, grant, group, inventory, policy, role, trust, user

ADMIN_ROLE = role("admin")
ADMIN_POLICY = policy("Admin", allow("*"))


def hops_by_method(*records):
    graph = PrivilegeGraph(inventory(ADMIN_ROLE, ADMIN_POLICY, grant(ADMIN_ROLE, ADMIN_POLICY), *records))
    return {
        (h.source.rsplit("/", 1)[-1], h.target.rsplit("/", 1)[-1] if h.target != ADMIN_SINK else "ADMIN"): h
        for h in graph.escalation_hops
        if h.source != ADMIN_ROLE.id
    }


def with_policy(identity, name, *statements):
    pol = policy(name, *statements)
    return [identity, pol, grant(identity, pol)]


PASS_ROLE_CASES = {
    "lambda-001": ("lambda.amazonaws.com", ["lambda:CreateFunction", "lambda:InvokeFunction"]),
    "lambda-002": ("lambda.amazonaws.com", ["lambda:CreateFunction", "lambda:CreateEventSourceMapping"]),
    "lambda-006": ("lambda.amazonaws.com", ["lambda:CreateFunction", "lambda:AddPermission"]),
    "ec2-001": ("ec2.amazonaws.com", ["ec2:RunInstances"]),
    "ecs-004": ("ecs-tasks.amazonaws.com", ["ecs:RegisterTaskDefinition", "ecs:RunTask"]),
    "ecs-003": ("ecs-tasks.amazonaws.com", ["ecs:RegisterTaskDefinition", "ecs:CreateService"]),
    "aws-eks-001": ("pods.eks.amazonaws.com", ["eks:CreatePodIdentityAssociation"]),
    "ecs-008": ("ecs-tasks.amazonaws.com", ["ecs:RunTask"]),
    "glue-001": ("glue.amazonaws.com", ["glue:CreateDevEndpoint"]),
    "glue-003": ("glue.amazonaws.com", ["glue:CreateJob", "glue:StartJobRun"]),
    "sagemaker-001": ("sagemaker.amazonaws.com", ["sagemaker:CreateNotebookInstance"]),
    "sagemaker-002": ("sagemaker.amazonaws.com", ["sagemaker:CreateTrainingJob"]),
    "aws-sagemaker-001": ("sagemaker.amazonaws.com", ["sagemaker:CreateProcessingJob"]),
    "cloudformation-001": ("cloudformation.amazonaws.com", ["cloudformation:CreateStack"]),
    "codebuild-001": ("codebuild.amazonaws.com", ["codebuild:CreateProject", "codebuild:StartBuild"]),
    "datapipeline-001": (
        "datapipeline.amazonaws.com",
        ["datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"],
    ),
}


@pytest.mark.parametrize("method_id", sorted(PASS_ROLE_CASES))
def test_pass_role_method_and_its_near_miss(method_id):
    service, actions = PASS_ROLE_CASES[method_id]
    service_role = role("service-role")
    launcher, near = user("launcher"), user("near-miss")
    found = hops_by_method(
        service_role,
        trust(service_role, service, TrustKind.SERVICE),
        *with_policy(launcher, "Launch", allow("iam:PassRole", service_role.id), allow(actions)),
        # near miss: every action of the method but its last (for a one-action method: only PassRole)
        *with_policy(near, "NearLaunch", allow("iam:PassRole", service_role.id), allow(actions[:-1] or "s3:GetObject")),
    )
    hop = found[("launcher", "service-role")]
    assert hop.method == method_id and service in hop.reason
    assert ("near-miss", "service-role") not in found


def test_overriding_the_task_role_of_a_task_definition_is_firm_only_where_one_in_use_was_seen():
    from standing.core.model import ComputeKind, Provider, Workload

    task_role, launcher = role("task-role"), user("launcher")
    records = [
        task_role,
        trust(task_role, "ecs-tasks.amazonaws.com", TrustKind.SERVICE),
        *with_policy(launcher, "Run", allow("iam:PassRole", task_role.id), allow("ecs:RunTask")),
    ]
    unseen = hops_by_method(*records)[("launcher", "task-role")]
    assert unseen.method == "ecs-008" and unseen.conditional
    assert "if a task definition is registered in the account (none in use was seen)" in unseen.reason

    service = Workload(
        id=f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/main/web",
        provider=Provider.AWS,
        kind=ComputeKind.ECS_SERVICE,
        name="web",
        account=ACCOUNT,
        identity_ids=[],
        attributes={"task_definition": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/web:3"},
    )
    inv = inventory(ADMIN_ROLE, ADMIN_POLICY, grant(ADMIN_ROLE, ADMIN_POLICY), *records)
    graph = PrivilegeGraph(inv.model_copy(update={"workloads": [service]}))
    [seen] = [h for h in graph.escalation_hops if h.source == launcher.id]
    assert seen.method == "ecs-008" and not seen.conditional


def test_a_pod_identity_association_is_always_conditional_on_kubernetes_rbac():
    role_for_pods, launcher = role("pod-role"), user("launcher")
    found = hops_by_method(
        role_for_pods,
        trust(role_for_pods, "pods.eks.amazonaws.com", TrustKind.SERVICE),
        *with_policy(
            launcher, "Bind", allow("iam:PassRole", role_for_pods.id), allow("eks:CreatePodIdentityAssociation")
        ),
    )
    hop = found[("launcher", "pod-role")]
    assert hop.method == "aws-eks-001" and hop.conditional
    assert "Kubernetes RBAC, not read" in hop.reason


def test_a_role_trusting_another_service_is_no_pass_role_target():
    ec2_role, launcher = role("ec2-role"), user("launcher")
    found = hops_by_method(
        ec2_role,
        trust(ec2_role, "ec2.amazonaws.com", TrustKind.SERVICE),
        *with_policy(launcher, "Launch", allow("iam:PassRole", ec2_role.id), allow("cloudformation:CreateStack")),
    )
    assert ("launcher", "ec2-role") not in found


# method: (action, kind of the actor, kind of the identity acted on, acted on itself)
SINGLE_ACTION_CASES = {
    "iam-002": ("iam:CreateAccessKey", "user", "user", False),
    "iam-004": ("iam:CreateLoginProfile", "user", "user", False),
    "iam-006": ("iam:UpdateLoginProfile", "user", "user", False),
    "iam-012": ("iam:UpdateAssumeRolePolicy", "user", "role", False),
    "iam-005": ("iam:PutRolePolicy", "role", "role", True),
    "iam-007": ("iam:PutUserPolicy", "user", "user", True),
    "iam-008": ("iam:AttachUserPolicy", "user", "user", True),
    "iam-009": ("iam:AttachRolePolicy", "role", "role", True),
}


@pytest.mark.parametrize("method_id", sorted(SINGLE_ACTION_CASES))
def test_single_action_method_and_its_near_miss_limited_to_someone_else(method_id):
    action, actor_kind, target_kind, on_itself = SINGLE_ACTION_CASES[method_id]
    make = {"user": user, "role": role}
    actor, near = make[actor_kind]("actor"), make[actor_kind]("near-miss")
    acted_on = "actor" if on_itself else "victim"
    found = hops_by_method(
        *([] if on_itself else [make[target_kind]("victim")]),
        *with_policy(actor, "Act", allow(action, arn(target_kind, acted_on))),
        *with_policy(near, "NearAct", allow(action, arn(target_kind, "bystander"))),
    )
    assert found[("actor", "ADMIN" if on_itself else "victim")].method == method_id
    assert not any(src == "near-miss" for src, _ in found)


@pytest.mark.parametrize("method_id, action", [("iam-010", "iam:AttachGroupPolicy"), ("iam-011", "iam:PutGroupPolicy")])
def test_policy_on_its_own_group_and_its_near_miss_on_another_group(method_id, action):
    crew, outsiders = group("crew"), group("outsiders")
    member, near = user("member"), user("near-miss")
    found = hops_by_method(
        crew,
        outsiders,
        *with_policy(member, "G", allow(action, crew.id)),
        Membership(member_id=member.id, group_id=crew.id),
        *with_policy(near, "NG", allow(action, outsiders.id)),  # a group it is not in
        Membership(member_id=near.id, group_id=crew.id),
    )
    assert found[("member", "ADMIN")].method == method_id
    assert ("near-miss", "ADMIN") not in found


@pytest.mark.parametrize(
    "method_id, action, conditional",
    [("iam-001", "iam:CreatePolicyVersion", False), ("aws-iam-001", "iam:SetDefaultPolicyVersion", True)],
)
def test_versioning_a_policy_it_holds_and_its_near_miss_on_one_it_does_not(method_id, action, conditional):
    held, other = policy("Held", allow("s3:GetObject")), policy("Other", allow("s3:GetObject"))
    actor, near = user("actor"), user("near-miss")
    found = hops_by_method(
        held,
        other,
        *with_policy(actor, "V", allow(action, held.id)),
        grant(actor, held),
        *with_policy(near, "NV", allow(action, other.id)),
        grant(near, held),
    )
    hop = found[("actor", "ADMIN")]
    assert hop.method == method_id and hop.conditional is conditional
    assert ("near-miss", "ADMIN") not in found


def test_joining_an_admin_group_and_its_near_miss_joining_another():
    admins, readers = group("admins"), group("readers")
    joiner, near = user("joiner"), user("near-miss")
    found = hops_by_method(
        admins,
        readers,
        grant(admins, ADMIN_POLICY),
        *with_policy(joiner, "J", allow("iam:AddUserToGroup", admins.id)),
        *with_policy(near, "NJ", allow("iam:AddUserToGroup", readers.id)),
    )
    assert found[("joiner", "ADMIN")].method == "iam-013"
    assert ("near-miss", "ADMIN") not in found


def test_assume_role_through_an_account_trust_and_its_near_miss_named_elsewhere():
    target, closed = role("target"), role("closed")
    caller, near = user("caller"), user("near-miss")
    found = hops_by_method(
        target,
        closed,
        trust(target, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT),
        trust(closed, arn("user", "somebody"), TrustKind.PRINCIPAL),
        *with_policy(caller, "A", allow("sts:AssumeRole", target.id)),
        *with_policy(near, "NA", allow("sts:AssumeRole", closed.id)),  # its trust names another principal
    )
    assert found[("caller", "target")].method == "sts-001"
    assert not any(src == "near-miss" for src, _ in found)


def _chain(*accounts: str):
    """start -> r1 -> r2 -> r3 -> admin, each role trusted by ARN by the next, in the given accounts."""
    from standing.core.model import Identity, IdentityKind, Provider

    def make(name, account):
        return Identity(
            id=arn("role", name, account), provider=Provider.AWS, kind=IdentityKind.ROLE, account=account, name=name
        )

    start = make("start", accounts[0])
    r1, r2, r3 = (make(f"r{i}", accounts[i]) for i in (1, 2, 3))
    records = [start, trust(start, "ec2.amazonaws.com", TrustKind.SERVICE)]
    for source, target in ((start, r1), (r1, r2), (r2, r3), (r3, ADMIN_ROLE)):
        records += with_policy(source, f"Assume-{source.name}", allow("sts:AssumeRole", target.id))
        records.append(trust(target, source.id, TrustKind.PRINCIPAL))
    return start, records


@pytest.mark.parametrize(
    "accounts", [(ACCOUNT,) * 4, (ACCOUNT, "444455556666", "777788889999", ACCOUNT)], ids=["same", "cross"]
)
def test_a_three_role_chain_reaches_admin_and_a_link_naming_another_principal_breaks_it(accounts):
    from standing.analysis.escalation import paths_to_admin

    start, records = _chain(*accounts)
    graph = PrivilegeGraph(inventory(ADMIN_ROLE, ADMIN_POLICY, grant(ADMIN_ROLE, ADMIN_POLICY), *records))
    path = paths_to_admin(graph)[start.id]
    assert [h.target.rsplit("/", 1)[-1] for h in path] == ["r1", "r2", "r3", "admin"]
    assert {h.method for h in path} == {"sts-001"}
    # Near miss: r2's trust names someone else than r1; the chain stops at r1.
    broken = [
        r.model_copy(update={"principal": arn("role", "stranger", r.principal.split(":")[4])})
        if isinstance(r, Trust) and r.target_id.endswith("/r2")
        else r
        for r in records
    ]
    graph = PrivilegeGraph(inventory(ADMIN_ROLE, ADMIN_POLICY, grant(ADMIN_ROLE, ADMIN_POLICY), *broken))
    assert start.id not in paths_to_admin(graph)


EMPOWER_CASES = {
    "iam-014": ("iam:AttachRolePolicy", "sts:AssumeRole"),
    "iam-015": ("iam:AttachUserPolicy", "iam:CreateAccessKey"),
    "iam-016": ("iam:CreatePolicyVersion", "sts:AssumeRole"),
    "iam-017": ("iam:PutRolePolicy", "sts:AssumeRole"),
    "iam-018": ("iam:PutUserPolicy", "iam:CreateAccessKey"),
    "iam-019": ("iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"),
    "iam-020": ("iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy"),
    "iam-021": ("iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"),
}


@pytest.mark.parametrize("method_id", sorted(EMPOWER_CASES))
def test_raising_another_identity_then_becoming_it_and_its_near_misses(method_id):
    """The near misses: becoming the weak identity but raising only a bystander, and becoming it
    without raising anything (then it only gets what the weak identity has)."""
    raise_with, become_with = EMPOWER_CASES[method_id]
    attacker, raises_only, becomes_only = user("attacker"), user("raises-only"), user("becomes-only")
    is_user = raise_with in ("iam:AttachUserPolicy", "iam:PutUserPolicy")
    weak, bystander = (user if is_user else role)("weak"), (user if is_user else role)("bystander")
    weak_policy, bystander_policy = policy("WeakWork", allow("s3:GetObject")), policy("ByWork", allow("s3:GetObject"))
    records = [
        weak,
        bystander,
        weak_policy,
        bystander_policy,
        grant(weak, weak_policy),
        grant(bystander, bystander_policy),
    ]
    if become_with == "sts:AssumeRole":
        records += [trust(weak, who.id, TrustKind.PRINCIPAL) for who in (attacker, raises_only, becomes_only)]

    def raising(on):
        return (
            allow(raise_with, (weak_policy if on is weak else bystander_policy).id)
            if raise_with == "iam:CreatePolicyVersion"
            else allow(raise_with, on.id)
        )

    becoming = [] if become_with == "sts:AssumeRole" else [allow(become_with, weak.id)]
    found = hops_by_method(
        *records,
        *with_policy(attacker, "Raise", raising(weak), *becoming),
        *with_policy(raises_only, "RaiseBystander", raising(bystander), *becoming),
        *with_policy(becomes_only, "BecomeOnly", allow("s3:ListBucket"), *becoming),
    )
    hop = found[("attacker", "ADMIN")]
    assert hop.method == method_id and hop.via == weak.id
    assert "weak" in hop.reason and raise_with in hop.reason
    assert ("raises-only", "ADMIN") not in found
    assert ("becomes-only", "ADMIN") not in found


def test_the_cut_for_raising_then_becoming_denies_becoming_the_raised_identity():
    from standing.analysis.cuts import CutKind, cut_path

    attacker, weak = user("attacker"), role("weak")
    graph = PrivilegeGraph(
        inventory(
            ADMIN_ROLE,
            ADMIN_POLICY,
            grant(ADMIN_ROLE, ADMIN_POLICY),
            weak,
            trust(weak, attacker.id, TrustKind.PRINCIPAL),
            *with_policy(attacker, "Raise", allow("iam:PutRolePolicy", weak.id)),
        )
    )
    [hop] = [h for h in graph.escalation_hops if h.source == attacker.id and h.target == ADMIN_SINK]
    cut = cut_path(graph, [hop])
    assert cut is not None and cut.kind is CutKind.DENY
    assert cut.statements == [
        {"Sid": "StandingCutEmpowerOther", "Effect": "Deny", "Action": ["sts:AssumeRole"], "Resource": weak.id}
    ]
    assert "empower-other to administrator" in cut.summary
