"""Hops through existing AWS compute: each method found, each near miss beside it not found."""

from __future__ import annotations

import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import HopKind
from standing.core.model import ComputeKind, Provider, TrustKind, Workload
from tests.builders import ACCOUNT, allow, grant, inventory, policy, role, trust, user

REGION = "eu-west-1"
ADMIN_ROLE = role("admin")
ADMIN_POLICY = policy("Admin", allow("*"))
RUNNER = role("billing-role")
RUNNER_POLICY = policy("BillingWork", allow("dynamodb:*"))


def resource_arn(kind: ComputeKind, name: str) -> str:
    return {
        ComputeKind.LAMBDA_FUNCTION: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        ComputeKind.EC2_INSTANCE: f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{name}",
        ComputeKind.GLUE_DEV_ENDPOINT: f"arn:aws:glue:{REGION}:{ACCOUNT}:devEndpoint/{name}",
        ComputeKind.CLOUDFORMATION_STACK: f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/4f1c2e10",
        ComputeKind.SAGEMAKER_NOTEBOOK: f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}",
        ComputeKind.CODEBUILD_PROJECT: f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{name}",
        ComputeKind.ECS_SERVICE: f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/main/{name}",
    }[kind]


def workload(kind: ComputeKind, name: str, runs_as=RUNNER, **attributes: str) -> Workload:
    return Workload(
        id=resource_arn(kind, name),
        provider=Provider.AWS,
        kind=kind,
        name=name,
        account=ACCOUNT,
        region=REGION,
        identity_ids=[runs_as.id],
        attributes=attributes,
    )


def graph_of(*records) -> PrivilegeGraph:
    workloads = [r for r in records if isinstance(r, Workload)]
    rest = [r for r in records if not isinstance(r, Workload)]
    inv = inventory(
        ADMIN_ROLE,
        ADMIN_POLICY,
        grant(ADMIN_ROLE, ADMIN_POLICY),
        RUNNER,
        RUNNER_POLICY,
        grant(RUNNER, RUNNER_POLICY),
        trust(RUNNER, "lambda.amazonaws.com", TrustKind.SERVICE),
        *rest,
    )
    return PrivilegeGraph(inv.model_copy(update={"workloads": workloads}))


def with_policy(identity, name, *statements):
    pol = policy(name, *statements)
    return [identity, pol, grant(identity, pol)]


def compute_hops(graph: PrivilegeGraph):
    return {
        (h.source.rsplit("/", 1)[-1], h.target.rsplit("/", 1)[-1]): h
        for h in graph.escalation_hops
        if h.kind is HopKind.EXISTING_COMPUTE
    }


def deny(action, resource="*"):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


TASK_DEF = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/billing:7"
FN = resource_arn(ComputeKind.LAMBDA_FUNCTION, "billing-sync")
OTHER_FN = resource_arn(ComputeKind.LAMBDA_FUNCTION, "other-fn")
INSTANCE = resource_arn(ComputeKind.EC2_INSTANCE, "i-0abc")
STACK = resource_arn(ComputeKind.CLOUDFORMATION_STACK, "billing-stack")
SERVICE = resource_arn(ComputeKind.ECS_SERVICE, "billing-svc")
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/main"

# method, compute, its attributes, what the attacker holds, what the near miss holds, conditional
CASES = {
    "lambda-003": (
        workload(ComputeKind.LAMBDA_FUNCTION, "billing-sync"),
        [allow("lambda:UpdateFunctionCode", FN)],
        [allow("lambda:UpdateFunctionCode", OTHER_FN)],  # limited to another function
        False,
    ),
    "aws-lambda-001": (
        workload(ComputeKind.LAMBDA_FUNCTION, "billing-sync"),
        [allow("lambda:UpdateFunctionConfiguration", FN)],
        [allow("lambda:GetFunctionConfiguration", FN)],  # reading the configuration changes nothing
        False,
    ),
    "ssm-002": (
        workload(ComputeKind.EC2_INSTANCE, "i-0abc", ssm_managed="true"),
        [allow("ssm:SendCommand", INSTANCE), allow("ssm:SendCommand", "arn:aws:ssm:*::document/AWS-RunShellScript")],
        [allow("ssm:SendCommand", f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0other")],
        False,
    ),
    "ssm-001": (
        workload(ComputeKind.EC2_INSTANCE, "i-0abc", ssm_managed="true"),
        [allow("ssm:StartSession")],
        [allow("ssm:StartSession"), deny("ssm:StartSession", INSTANCE)],  # a Deny cuts it
        False,
    ),
    "aws-ec2instanceconnect-001": (
        workload(ComputeKind.EC2_INSTANCE, "i-0abc"),
        [allow("ec2-instance-connect:SendSSHPublicKey", INSTANCE)],
        [allow("ec2:DescribeInstances")],
        True,  # the SSH port must also be reachable: not known offline
    ),
    "aws-glue-001": (
        workload(ComputeKind.GLUE_DEV_ENDPOINT, "etl-dev"),
        [allow("glue:UpdateDevEndpoint", resource_arn(ComputeKind.GLUE_DEV_ENDPOINT, "etl-dev"))],
        [allow("glue:GetDevEndpoint", "*")],
        False,
    ),
    "cloudformation-002": (
        workload(ComputeKind.CLOUDFORMATION_STACK, "billing-stack"),
        [allow("cloudformation:UpdateStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/billing-stack/*")],
        [allow("cloudformation:UpdateStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/other-stack/*")],
        False,
    ),
    "cloudformation-005": (
        workload(ComputeKind.CLOUDFORMATION_STACK, "billing-stack"),
        [allow(["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"], STACK)],
        [allow("cloudformation:CreateChangeSet", STACK)],  # a change set it cannot execute
        False,
    ),
    "sagemaker-004": (
        workload(ComputeKind.SAGEMAKER_NOTEBOOK, "research"),
        [
            {
                **allow("sagemaker:CreatePresignedNotebookInstanceUrl"),
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ],
        [allow("sagemaker:DescribeNotebookInstance")],
        True,  # a condition makes it conditional
    ),
    "codebuild-002": (
        workload(ComputeKind.CODEBUILD_PROJECT, "release"),
        [allow("codebuild:StartBuild", resource_arn(ComputeKind.CODEBUILD_PROJECT, "release"))],
        [allow("codebuild:StartBuild", resource_arn(ComputeKind.CODEBUILD_PROJECT, "docs"))],
        False,
    ),
    "ec2-002": (
        workload(ComputeKind.EC2_INSTANCE, "i-0batch"),
        [
            allow(
                ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],
                resource_arn(ComputeKind.EC2_INSTANCE, "i-0batch"),
            )
        ],
        [allow(["ec2:ModifyInstanceAttribute", "ec2:StopInstances"])],  # cannot start it again
        False,
    ),
    "ecs-006": (
        workload(ComputeKind.ECS_SERVICE, "billing-svc", cluster=CLUSTER, execute_command="true"),
        [allow("ecs:ExecuteCommand", CLUSTER), allow("ecs:DescribeTasks")],
        [allow("ecs:ExecuteCommand", CLUSTER.replace("/main", "/batch")), allow("ecs:DescribeTasks")],
        False,
    ),
    "aws-ecs-001": (
        workload(ComputeKind.ECS_SERVICE, "billing-svc", task_definition=TASK_DEF),
        [allow("ecs:RunTask", TASK_DEF), allow("iam:PassRole", RUNNER.id)],
        [allow("ecs:RunTask", TASK_DEF)],  # without passing the task role the task cannot start as it
        False,
    ),
    "aws-ecs-002": (
        workload(ComputeKind.ECS_SERVICE, "billing-svc", task_definition=TASK_DEF),
        [allow("ecs:UpdateService", SERVICE), allow("ecs:RegisterTaskDefinition"), allow("iam:PassRole", RUNNER.id)],
        [allow("ecs:UpdateService", SERVICE), allow("iam:PassRole", RUNNER.id)],  # no new task definition to deploy
        False,
    ),
}


@pytest.mark.parametrize("method_id", sorted(CASES))
def test_existing_compute_method_and_its_near_miss(method_id):
    compute, holds, near_holds, conditional = CASES[method_id]
    attacker, near = user("attacker"), user("near-miss")
    graph = graph_of(compute, *with_policy(attacker, "Attacker", *holds), *with_policy(near, "Near", *near_holds))
    found = compute_hops(graph)
    hop = found[("attacker", "billing-role")]
    assert hop.method == method_id
    assert hop.conditional is conditional
    assert method_id in hop.reason and compute.name in hop.reason and "which runs as billing-role" in hop.reason
    assert ("near-miss", "billing-role") not in found


def test_the_reason_names_method_action_compute_and_region():
    attacker = user("attacker")
    graph = graph_of(
        workload(ComputeKind.LAMBDA_FUNCTION, "billing-sync"),
        *with_policy(attacker, "Deploy", allow("lambda:UpdateFunctionCode", FN)),
    )
    [hop] = compute_hops(graph).values()
    assert hop.reason == (
        f"lambda-003: Deploy allows lambda:UpdateFunctionCode on {FN}; lambda:UpdateFunctionCode on function "
        "billing-sync (eu-west-1), which runs as billing-role: it replaces its code"
    )


def test_an_instance_not_known_to_be_ssm_managed_is_conditional_and_one_known_not_to_be_is_no_hop():
    operator = user("operator")
    known, unknown, unmanaged = role("known"), role("unknown"), role("unmanaged")
    graph = graph_of(
        known,
        unknown,
        unmanaged,
        workload(ComputeKind.EC2_INSTANCE, "i-known", runs_as=known, ssm_managed="true"),
        workload(ComputeKind.EC2_INSTANCE, "i-unknown", runs_as=unknown),
        workload(ComputeKind.EC2_INSTANCE, "i-unmanaged", runs_as=unmanaged, ssm_managed="false"),
        *with_policy(operator, "Ops", allow("ssm:SendCommand")),
    )
    found = compute_hops(graph)
    assert not found[("operator", "known")].conditional
    assert found[("operator", "unknown")].conditional
    assert "if it is SSM-managed (not known)" in found[("operator", "unknown")].reason
    assert ("operator", "unmanaged") not in found


def test_ecs_exec_into_a_service_is_firm_when_enabled_conditional_when_unknown_and_none_when_off():
    operator = user("operator")
    on, unknown, off = role("on"), role("unknown"), role("off")
    graph = graph_of(
        on,
        unknown,
        off,
        workload(ComputeKind.ECS_SERVICE, "svc-on", runs_as=on, cluster=CLUSTER, execute_command="true"),
        workload(ComputeKind.ECS_SERVICE, "svc-unknown", runs_as=unknown, cluster=CLUSTER),
        workload(ComputeKind.ECS_SERVICE, "svc-off", runs_as=off, cluster=CLUSTER, execute_command="false"),
        *with_policy(operator, "Exec", allow(["ecs:ExecuteCommand", "ecs:DescribeTasks"])),
    )
    found = compute_hops(graph)
    assert not found[("operator", "on")].conditional
    assert "if ECS Exec is enabled on it (not known)" in found[("operator", "unknown")].reason
    assert ("operator", "off") not in found


def test_a_function_running_as_an_admin_role_is_a_path_to_admin_and_its_near_miss_is_silent():
    from standing.rules.analyse import analyse
    from standing.rules.config import ScanConfig
    from tests.builders import NOW

    deployer, near = role("deployer"), role("near-deployer")  # both entered by EC2: each a start
    inv = graph_of(
        trust(deployer, "ec2.amazonaws.com", TrustKind.SERVICE),
        trust(near, "ec2.amazonaws.com", TrustKind.SERVICE),
        workload(ComputeKind.LAMBDA_FUNCTION, "ops-fn", runs_as=ADMIN_ROLE),
        *with_policy(
            deployer, "Deploy", allow("lambda:UpdateFunctionCode", resource_arn(ComputeKind.LAMBDA_FUNCTION, "ops-*"))
        ),
        *with_policy(near, "NearDeploy", allow("lambda:UpdateFunctionCode", OTHER_FN)),
    ).inventory
    paths = {f.identity: f for f in analyse(inv, ScanConfig(), as_of=NOW) if f.rule_id == "path-to-admin"}
    assert deployer.id in paths and near.id not in paths
    assert paths[deployer.id].evidence["hops"][0]["method"] == "lambda-003"


def test_many_identities_and_functions_are_all_matched():
    """1,000 identities and 500 functions in one account: every match found (the time is for
    benchmarks/aws_collect_scale.py, never asserted here)."""
    records = []
    for i in range(500):
        runner = role(f"fn-role-{i}")
        records += [runner, workload(ComputeKind.LAMBDA_FUNCTION, f"fn-{i}", runs_as=runner)]
    shared = policy(
        "TeamDeploy", allow("lambda:UpdateFunctionCode", resource_arn(ComputeKind.LAMBDA_FUNCTION, "fn-1*"))
    )
    records.append(shared)
    for i in range(1000):
        dev = user(f"dev-{i}")
        records += [dev, grant(dev, shared)]
    found = compute_hops(graph_of(*records))
    # fn-1, fn-10..19, fn-100..199: 111 functions, each reachable by all 1,000 developers
    assert len(found) == 111 * 1000
