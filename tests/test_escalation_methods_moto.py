"""Every AWS escalation method and its near miss, seeded into one moto server and read by the CLI.

One estate holds, side by side, an identity ``m-<method>`` that has the method and an identity
``nm-<method>`` that has the near miss the in-code tables use (the action on another resource,
one action short, a Deny). They are created through boto3 as real IAM users, roles, groups and
policies, next to real Lambda functions, an EC2 instance with an instance profile, an ECS
service, a CloudFormation stack, a SageMaker notebook and a CodeBuild project running as a
role. What moto lacks (which instances are SSM-managed, Glue dev endpoints) is answered at
the wire by the recording proxy. ``standing collect aws`` reads it all ONCE, over HTTP; the
snapshot is analysed and each method's hop is looked for by its id.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from standing.analysis.graph import PrivilegeGraph
from standing.analysis.hops import ADMIN_SINK
from standing.analysis.methods.aws import METHODS
from standing.core.snapshot import read_snapshot
from standing.demo.seeder import start_moto_server
from tests.support.aws_wire import Answer, AwsWireProxy

REGION = "us-east-1"
STANDING = str(Path(sys.executable).parent / "standing")
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
SERVICES = (
    "lambda",
    "ec2",
    "ecs-tasks",
    "glue",
    "sagemaker",
    "cloudformation",
    "codebuild",
    "datapipeline",
    "pods.eks",
)


def allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_doc(principal: dict[str, str]) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


PASS_ROLE = {
    "lambda-001": ("lambda", ["lambda:CreateFunction", "lambda:InvokeFunction"]),
    "lambda-002": ("lambda", ["lambda:CreateFunction", "lambda:CreateEventSourceMapping"]),
    "lambda-006": ("lambda", ["lambda:CreateFunction", "lambda:AddPermission"]),
    "ec2-001": ("ec2", ["ec2:RunInstances"]),
    "ecs-004": ("ecs-tasks", ["ecs:RegisterTaskDefinition", "ecs:RunTask"]),
    "ecs-003": ("ecs-tasks", ["ecs:RegisterTaskDefinition", "ecs:CreateService"]),
    "aws-eks-001": ("pods.eks", ["eks:CreatePodIdentityAssociation"]),
    "ecs-008": ("ecs-tasks", ["ecs:RunTask"]),
    "glue-001": ("glue", ["glue:CreateDevEndpoint"]),
    "glue-003": ("glue", ["glue:CreateJob", "glue:StartJobRun"]),
    "sagemaker-001": ("sagemaker", ["sagemaker:CreateNotebookInstance"]),
    "sagemaker-002": ("sagemaker", ["sagemaker:CreateTrainingJob"]),
    "aws-sagemaker-001": ("sagemaker", ["sagemaker:CreateProcessingJob"]),
    "cloudformation-001": ("cloudformation", ["cloudformation:CreateStack"]),
    "codebuild-001": ("codebuild", ["codebuild:CreateProject", "codebuild:StartBuild"]),
    "datapipeline-001": (
        "datapipeline",
        ["datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"],
    ),
}

# method: (action, the actor is a role, acts on itself)
SINGLE_ACTION = {
    "iam-002": ("iam:CreateAccessKey", False, False),
    "iam-004": ("iam:CreateLoginProfile", False, False),
    "iam-006": ("iam:UpdateLoginProfile", False, False),
    "iam-012": ("iam:UpdateAssumeRolePolicy", False, False),
    "iam-005": ("iam:PutRolePolicy", True, True),
    "iam-007": ("iam:PutUserPolicy", False, True),
    "iam-008": ("iam:AttachUserPolicy", False, True),
    "iam-009": ("iam:AttachRolePolicy", True, True),
}


# method: (the action that raises another identity, how it then becomes it), as registered; the
# in-code table in test_escalation_aws_methods.py states them independently.
EMPOWER = {m.id: m.actions for m in METHODS if m.hop == "empower-other"}


class Seeder:
    """Creates the estate through boto3 against moto's server."""

    def __init__(self, endpoint_url: str) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self.session, self.endpoint_url = session, endpoint_url
        self.iam = self.client("iam")
        self.account = self.client("sts").get_caller_identity()["Account"]

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url)

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iam::{self.account}:{kind}/{name}"

    def user(self, name: str, *statements: dict[str, Any]) -> str:
        self.iam.create_user(UserName=name)
        if statements:
            self.iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=doc(*statements))
        return self.arn("user", name)

    def role(self, name: str, principal: dict[str, str], *statements: dict[str, Any]) -> str:
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc(principal))["Role"]["Arn"]
        if statements:
            self.iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=doc(*statements))
        return arn

    def managed(self, name: str, *statements: dict[str, Any]) -> str:
        return self.iam.create_policy(PolicyName=name, PolicyDocument=doc(*statements))["Policy"]["Arn"]


def seed_iam(s: Seeder) -> None:
    for mid, (action, actor_is_role, on_itself) in SINGLE_ACTION.items():
        target_kind = (
            "role" if action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy") else "user"
        )
        if not on_itself:
            victim = f"victim-{mid}"
            if target_kind == "role":
                s.role(victim, {"Service": "ec2.amazonaws.com"}, allow("*"))
            else:
                s.user(victim, allow("*"))
        for prefix in ("m", "nm"):
            name = f"{prefix}-{mid}"
            acted_on = (name if on_itself else f"victim-{mid}") if prefix == "m" else f"bystander-{mid}"
            statement = allow(action, s.arn(target_kind, acted_on))
            if actor_is_role:
                s.role(name, {"Service": "ec2.amazonaws.com"}, statement)
            else:
                s.user(name, statement)

    for mid, action in (("iam-010", "iam:AttachGroupPolicy"), ("iam-011", "iam:PutGroupPolicy")):
        crew, outsiders = f"crew-{mid}", f"outsiders-{mid}"
        for g in (crew, outsiders):
            s.iam.create_group(GroupName=g)
        s.user(f"m-{mid}", allow(action, s.arn("group", crew)))
        s.user(f"nm-{mid}", allow(action, s.arn("group", outsiders)))  # a group it is not in
        for name in (f"m-{mid}", f"nm-{mid}"):
            s.iam.add_user_to_group(GroupName=crew, UserName=name)

    for mid, action in (("iam-001", "iam:CreatePolicyVersion"), ("aws-iam-001", "iam:SetDefaultPolicyVersion")):
        held = s.managed(f"held-{mid}", allow("s3:GetObject"))
        other = s.managed(f"other-{mid}", allow("s3:GetObject"))
        s.user(f"m-{mid}", allow(action, held))
        s.user(f"nm-{mid}", allow(action, other))  # versions a policy it does not hold
        for name in (f"m-{mid}", f"nm-{mid}"):
            s.iam.attach_user_policy(UserName=name, PolicyArn=held)

    s.iam.create_group(GroupName="admins-iam-013")
    s.iam.put_group_policy(GroupName="admins-iam-013", PolicyName="admin", PolicyDocument=json.dumps(ADMIN_DOC))
    s.iam.create_group(GroupName="readers-iam-013")
    s.user("m-iam-013", allow("iam:AddUserToGroup", s.arn("group", "admins-iam-013")))
    s.user("nm-iam-013", allow("iam:AddUserToGroup", s.arn("group", "readers-iam-013")))

    target = s.role("target-sts-001", {"AWS": f"arn:aws:iam::{s.account}:root"}, allow("*"))
    closed = s.role("closed-sts-001", {"AWS": s.arn("user", "m-iam-002")}, allow("*"))
    s.user("m-sts-001", allow("sts:AssumeRole", target))
    s.user("nm-sts-001", allow("sts:AssumeRole", closed))  # its trust names another principal


def seed_empower(s: Seeder) -> None:
    """A low-privilege identity ``weak-<method>`` that m- can raise and then become; nm- can raise it
    too but has no way in (its trust names only m-, and nm- holds no key or trust rights on it)."""
    for mid, (raise_with, become_with) in EMPOWER.items():
        weak = f"weak-{mid}"
        if raise_with.startswith("iam:AttachUser") or raise_with.startswith("iam:PutUser"):
            target = s.user(weak, allow("s3:GetObject"))
        else:
            trusted = s.arn("user", f"m-{mid}") if become_with == "sts:AssumeRole" else f"arn:aws:iam::{s.account}:root"
            s.user(f"m-{mid}")  # created first: a trust can only name a principal that exists
            target = s.role(weak, {"AWS": trusted}, allow("s3:GetObject"))
        on = target
        if raise_with == "iam:CreatePolicyVersion":
            on = s.managed(f"weak-policy-{mid}", allow("s3:GetObject"))
            s.iam.attach_role_policy(RoleName=weak, PolicyArn=on)
        raising = allow(raise_with, on)
        becoming = [] if become_with == "sts:AssumeRole" else [allow(become_with, target)]
        name = f"m-{mid}"
        if raise_with.startswith("iam:AttachUser") or raise_with.startswith("iam:PutUser"):
            s.user(name, raising, *becoming)
        else:
            s.iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=doc(raising, *becoming))
        s.user(f"nm-{mid}", raising)  # raises it, cannot become it


def seed_pass_role(s: Seeder) -> None:
    service_roles = {
        service: s.role(f"svc-{service}", {"Service": f"{service}.amazonaws.com"}, allow("*")) for service in SERVICES
    }
    for mid, (service, actions) in PASS_ROLE.items():
        passed = allow("iam:PassRole", service_roles[service])
        s.user(f"m-{mid}", passed, allow(actions))
        # near miss: every action of the method but its last (for a one-action method: only PassRole)
        s.user(f"nm-{mid}", passed, allow(actions[:-1] or "s3:GetObject"))


def _exec_enabled(service: dict[str, Any]) -> dict[str, Any]:
    kept = ("serviceArn", "serviceName", "clusterArn", "taskDefinition", "status", "launchType", "desiredCount")
    return {**{k: service[k] for k in kept if k in service}, "enableExecuteCommand": True}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def seed_compute(s: Seeder) -> list[Answer]:
    """Compute running as the admin role ``runner``; returns the wire answers for what moto lacks."""
    principals = [f"{service}.amazonaws.com" for service in SERVICES]
    runner = s.iam.create_role(
        RoleName="runner",
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"Service": principals}, "Action": "sts:AssumeRole"}
        ),
    )["Role"]["Arn"]
    s.iam.put_role_policy(RoleName="runner", PolicyName="admin", PolicyDocument=json.dumps(ADMIN_DOC))

    fn = s.client("lambda").create_function(
        FunctionName="billing-sync",
        Runtime="python3.12",
        Role=runner,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
    )["FunctionArn"]
    other_fn = fn.replace("billing-sync", "other-fn")

    s.iam.create_instance_profile(InstanceProfileName="runner-profile")
    s.iam.add_role_to_instance_profile(InstanceProfileName="runner-profile", RoleName="runner")
    ec2 = s.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance_id = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": "runner-profile"}
    )["Instances"][0]["InstanceId"]
    instance = f"arn:aws:ec2:{REGION}:{s.account}:instance/{instance_id}"

    template = json.dumps({"Resources": {"Handle": {"Type": "AWS::SNS::Topic"}}})
    stack = s.client("cloudformation").create_stack(StackName="billing-stack", TemplateBody=template, RoleARN=runner)[
        "StackId"
    ]

    s.client("sagemaker").create_notebook_instance(
        NotebookInstanceName="research", InstanceType="ml.t2.medium", RoleArn=runner
    )
    project = s.client("codebuild").create_project(
        name="release",
        source={"type": "S3", "location": "release-bucket/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=runner,
    )["project"]["arn"]

    ecs = s.client("ecs")
    ecs.create_cluster(clusterName="main")
    task_def = ecs.register_task_definition(
        family="billing",
        taskRoleArn=runner,
        containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128}],
    )["taskDefinition"]["taskDefinitionArn"]
    service = ecs.create_service(cluster="main", serviceName="billing-svc", taskDefinition=task_def, desiredCount=1)[
        "service"
    ]
    cluster = service["clusterArn"]

    glue_endpoint = f"arn:aws:glue:{REGION}:{s.account}:devEndpoint/etl-dev"
    cases: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
        "lambda-003": ([allow("lambda:UpdateFunctionCode", fn)], [allow("lambda:UpdateFunctionCode", other_fn)]),
        "aws-lambda-001": (
            [allow("lambda:UpdateFunctionConfiguration", fn)],
            [allow("lambda:GetFunctionConfiguration", fn)],
        ),
        "ssm-002": (
            [
                allow("ssm:SendCommand", instance),
                allow("ssm:SendCommand", "arn:aws:ssm:*::document/AWS-RunShellScript"),
            ],
            [allow("ssm:SendCommand", instance.replace(instance_id, "i-0other"))],
        ),
        "ssm-001": ([allow("ssm:StartSession")], [allow("ssm:StartSession"), deny("ssm:StartSession", instance)]),
        "aws-ec2instanceconnect-001": (
            [allow("ec2-instance-connect:SendSSHPublicKey", instance)],
            [allow("ec2:DescribeInstances")],
        ),
        "aws-glue-001": ([allow("glue:UpdateDevEndpoint", glue_endpoint)], [allow("glue:GetDevEndpoint")]),
        "cloudformation-002": (
            [allow("cloudformation:UpdateStack", stack)],
            [allow("cloudformation:UpdateStack", stack.replace("billing-stack", "other-stack"))],
        ),
        "cloudformation-005": (
            [allow(["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"], stack)],
            [allow("cloudformation:CreateChangeSet", stack)],  # a change set it cannot execute
        ),
        "sagemaker-004": (
            [allow("sagemaker:CreatePresignedNotebookInstanceUrl")],
            [allow("sagemaker:DescribeNotebookInstance")],
        ),
        "codebuild-002": (
            [allow("codebuild:StartBuild", project)],
            [allow("codebuild:StartBuild", project.replace("release", "docs"))],
        ),
        "aws-ecs-001": (
            [allow("ecs:RunTask", task_def), allow("iam:PassRole", runner)],
            [allow("ecs:RunTask", task_def)],  # without passing the task role
        ),
        "aws-ecs-002": (
            [
                allow("ecs:UpdateService", service["serviceArn"]),
                allow("ecs:RegisterTaskDefinition"),
                allow("iam:PassRole", runner),
            ],
            [allow("ecs:UpdateService", service["serviceArn"]), allow("iam:PassRole", runner)],  # nothing to deploy
        ),
        "ecs-006": (
            [allow("ecs:ExecuteCommand", cluster), allow("ecs:DescribeTasks")],
            [allow("ecs:ExecuteCommand", cluster.replace("/main", "/other"))],  # another cluster's tasks
        ),
        "ec2-002": (
            [allow(["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"], instance)],
            [allow(["ec2:ModifyInstanceAttribute", "ec2:StopInstances"], instance)],  # cannot start it again
        ),
    }
    for mid, (holds, near) in cases.items():
        s.user(f"m-{mid}", *holds)
        s.user(f"nm-{mid}", *near)
    return [
        Answer(
            "ssm", "DescribeInstanceInformation", json.dumps({"InstanceInformationList": [{"InstanceId": instance_id}]})
        ),
        # moto keeps no ECS Exec flag; DescribeServices as AWS answers it for a service deployed with
        # enableExecuteCommand (fields as in the ECS API reference's DescribeServices response).
        Answer("ecs", "DescribeServices", json.dumps({"services": [_exec_enabled(service)], "failures": []})),
        Answer(
            "glue", "GetDevEndpoints", json.dumps({"DevEndpoints": [{"EndpointName": "etl-dev", "RoleArn": runner}]})
        ),
    ]


COMPUTE_IDS = sorted(m.id for m in METHODS if m.hop == "existing-compute")
IAM_IDS = sorted({*SINGLE_ACTION, "iam-010", "iam-011", "iam-001", "aws-iam-001", "iam-013", "sts-001"})
METHOD_IDS = sorted({*IAM_IDS, *PASS_ROLE, *COMPUTE_IDS, *EMPOWER})


@pytest.fixture(scope="module")
def hops_found(tmp_path_factory) -> dict[str, set[tuple[str, str]]]:
    """Identity name -> (method id, target name) of its hops, from ONE collect of the seeded estate."""
    home = tmp_path_factory.mktemp("home")
    snapshot = home / "snapshot.json"
    with start_moto_server() as server:
        seeder = Seeder(server.endpoint_url)
        seed_iam(seeder)
        seed_pass_role(seeder)
        seed_empower(seeder)
        answers = seed_compute(seeder)
        with AwsWireProxy(server.endpoint_url) as proxy:
            proxy.log.answers.extend(answers)
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(home),
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_CONFIG_FILE": str(home / "aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
            }
            argv = [
                STANDING,
                "collect",
                "aws",
                "--endpoint-url",
                proxy.endpoint_url,
                "--region",
                REGION,
                "--usage",
                "none",
            ]
            proc = subprocess.run([*argv, "-o", str(snapshot)], capture_output=True, text=True, env=env, timeout=120)
            assert proc.returncode == 0, proc.stderr
    found: dict[str, set[tuple[str, str]]] = {}
    for hop in PrivilegeGraph(read_snapshot(snapshot)).escalation_hops:
        target = "ADMIN" if hop.target == ADMIN_SINK else hop.target.rsplit("/", 1)[-1]
        found.setdefault(hop.source.rsplit("/", 1)[-1], set()).add((hop.method or "", target))
        if hop.conditional:
            found.setdefault("conditional", set()).add((hop.method or "", hop.source.rsplit("/", 1)[-1]))
    return found


def expected_target(method_id: str) -> str:
    """Where the method's hop leads: the role it reaches, or ADMIN when it grants itself more."""
    if method_id in PASS_ROLE:
        return f"svc-{PASS_ROLE[method_id][0]}"
    if method_id in COMPUTE_IDS:
        return "runner"
    if method_id == "sts-001":
        return "target-sts-001"
    if method_id in SINGLE_ACTION and not SINGLE_ACTION[method_id][2]:
        return f"victim-{method_id}"
    return "ADMIN"


@pytest.mark.parametrize("method_id", METHOD_IDS)
def test_method_through_moto(hops_found, method_id):
    case, near = hops_found.get(f"m-{method_id}", set()), hops_found.get(f"nm-{method_id}", set())
    assert (method_id, expected_target(method_id)) in case, sorted(case)
    assert not any(method == method_id for method, _ in near), sorted(near)


def test_every_aws_method_is_shown_through_moto():
    assert set(METHOD_IDS) == {m.id for m in METHODS}


def test_what_the_collector_read_settles_conditions_ecs_exec_on_and_a_task_definition_in_use(hops_found):
    """ECS Exec enabled (DescribeServices) makes ecs-006 firm; the service's task definition in use
    makes overriding a task role (ecs-008) firm; an instance whose SSM registration is read, ssm-002."""
    conditional = hops_found.get("conditional", set())
    for method_id in ("ecs-006", "ecs-008", "ssm-002"):
        assert (method_id, f"m-{method_id}") not in conditional, sorted(conditional)
