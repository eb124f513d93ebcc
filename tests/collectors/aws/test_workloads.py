"""Workloads (which compute runs as which role) read from moto's server over HTTP.

moto lacks SSM ``DescribeInstanceInformation`` and EKS pod identity associations; the
recording proxy in front of it answers those in AWS's wire format (``Answer``), so botocore
parses them exactly as it would AWS's. Everything else is moto's own answer.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from aws_support import ACCT, fixed_now, no_sleep

from standing.analysis import catalogue
from standing.collectors.aws import AwsScanOptions, collect_aws
from standing.collectors.aws.operations import declared_actions
from standing.core.model import ComputeKind, CoverageStatus, Inventory
from standing.demo.estate import start_moto_server
from tests.support.aws_wire import Answer, AwsWireProxy, Fault

EAST, WEST, NORTH = "us-east-1", "eu-west-1", "eu-north-1"
ROLE = f"arn:aws:iam::{ACCT}:role"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
STANDING = str(Path(sys.executable).parent / "standing")
ASSOCIATION = f"arn:aws:eks:{EAST}:{ACCT}:podidentityassociation/prod/a-1"


def trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


IRSA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/{ISSUER}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:payments:api"}},
            }
        ],
    }
)


@dataclass
class Seeded:
    endpoint_url: str
    proxy: AwsWireProxy
    managed_instance: str
    plain_instance: str


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def seed(endpoint: str) -> tuple[str, str]:
    def c(service: str, region: str = EAST):
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    iam = c("iam")
    for name, service in [
        ("fn", "lambda.amazonaws.com"),
        ("ec2", "ec2.amazonaws.com"),
        ("task", "ecs-tasks.amazonaws.com"),
        ("exec", "ecs-tasks.amazonaws.com"),
        ("cfn", "cloudformation.amazonaws.com"),
        ("glue", "glue.amazonaws.com"),
        ("nb", "sagemaker.amazonaws.com"),
        ("cb", "codebuild.amazonaws.com"),
        ("pod", "pods.eks.amazonaws.com"),
    ]:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service))
    iam.create_role(RoleName="irsa", AssumeRolePolicyDocument=IRSA_TRUST)
    iam.create_instance_profile(InstanceProfileName="ec2-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="ec2-profile", RoleName="ec2")

    for region in (EAST, WEST):
        c("lambda", region).create_function(
            FunctionName=f"fn-{region}",
            Runtime="python3.12",
            Role=f"{ROLE}/fn",
            Handler="app.handler",
            Code={"ZipFile": _zip()},
            Environment={"Variables": {"DB_PASSWORD": "hunter2-not-kept"}},
        )
    ec2 = c("ec2")
    managed = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        IamInstanceProfile={"Name": "ec2-profile"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
    )["Instances"][0]["InstanceId"]
    plain = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    ecs = c("ecs")
    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(
        family="api",
        taskRoleArn=f"{ROLE}/task",
        executionRoleArn=f"{ROLE}/exec",
        containerDefinitions=[
            {"name": "api", "image": "api", "memory": 128, "environment": [{"name": "TOKEN", "value": "s3cr3t"}]}
        ],
    )
    ecs.create_service(cluster="prod", serviceName="api", taskDefinition="api", desiredCount=1)

    cfn = c("cloudformation")
    template = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    cfn.create_stack(StackName="with-role", TemplateBody=template, RoleARN=f"{ROLE}/cfn")
    cfn.create_stack(StackName="caller-creds", TemplateBody=template)

    c("glue").create_dev_endpoint(EndpointName="dev", RoleArn=f"{ROLE}/glue")
    c("sagemaker").create_notebook_instance(
        NotebookInstanceName="nb", InstanceType="ml.t2.medium", RoleArn=f"{ROLE}/nb"
    )
    c("codebuild").create_project(
        name="build",
        source={"type": "S3", "location": "bucket/src.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "privilegedMode": True,
        },
        serviceRole=f"{ROLE}/cb",
    )
    c("eks").create_cluster(name="prod", roleArn=f"{ROLE}/pod", resourcesVpcConfig={})
    return managed, plain


def gap_answers(managed_instance: str) -> list[Answer]:
    """What AWS answers for the reads moto lacks, in AWS's wire format."""
    return [
        Answer(
            "ssm",
            "DescribeInstanceInformation",
            json.dumps({"InstanceInformationList": [{"InstanceId": managed_instance, "PingStatus": "Online"}]}),
        ),
        Answer(
            "eks",
            r"/clusters/prod/pod-identity-associations",
            json.dumps(
                {
                    "associations": [
                        {
                            "clusterName": "prod",
                            "namespace": "payments",
                            "serviceAccount": "worker",
                            "associationArn": ASSOCIATION,
                            "associationId": "a-1",
                        }
                    ]
                }
            ),
            content_type="application/json",
            rest_path=True,
        ),
        Answer(
            "eks",
            r"/clusters/prod/pod-identity-associations/a-1",
            json.dumps(
                {
                    "association": {
                        "clusterName": "prod",
                        "namespace": "payments",
                        "serviceAccount": "worker",
                        "roleArn": f"{ROLE}/pod",
                        "associationArn": ASSOCIATION,
                        "associationId": "a-1",
                    }
                }
            ),
            content_type="application/json",
            rest_path=True,
        ),
        # Any other cluster's listing: none there.
        Answer(
            "eks",
            r"/clusters/[^/]+/pod-identity-associations",
            '{"associations": []}',
            content_type="application/json",
            rest_path=True,
        ),
    ]


@pytest.fixture(scope="module")
def seeded():
    with start_moto_server() as server:
        managed, plain = seed(server.endpoint_url)
        with AwsWireProxy(server.endpoint_url) as proxy:
            proxy.log.answers.extend(gap_answers(managed))
            yield Seeded(proxy.endpoint_url, proxy, managed, plain)


def scan(seeded: Seeded, *regions: str, faults: tuple[Fault, ...] = ()) -> tuple[Inventory, Counter]:
    seeded.proxy.log.faults[:] = list(faults)
    seeded.proxy.log.calls.clear()
    session = boto3.Session(region_name=EAST)
    options = AwsScanOptions(endpoint_url=seeded.endpoint_url, regions=regions or (EAST, WEST))
    inventory = collect_aws(options, session=session, now=fixed_now, sleep=no_sleep)
    return inventory, Counter(seeded.proxy.log.calls)


def by_kind(inventory: Inventory) -> dict[ComputeKind, list]:
    result: dict[ComputeKind, list] = {}
    for w in inventory.workloads:
        result.setdefault(w.kind, []).append(w)
    return result


def test_every_kind_of_compute_is_read_with_the_role_it_runs_as(seeded):
    inventory, _ = scan(seeded)
    kinds = by_kind(inventory)
    assert {(w.region, w.name, tuple(w.identity_ids)) for w in kinds[ComputeKind.LAMBDA_FUNCTION]} == {
        (EAST, f"fn-{EAST}", (f"{ROLE}/fn",)),
        (WEST, f"fn-{WEST}", (f"{ROLE}/fn",)),
    }
    instances = {w.name: w for w in kinds[ComputeKind.EC2_INSTANCE]}
    web = instances["web"]
    assert web.identity_ids == [f"{ROLE}/ec2"]  # profile -> role through the IAM read, no extra call
    assert web.attributes["ssm_managed"] == "true"
    assert web.id == f"arn:aws:ec2:{EAST}:{ACCT}:instance/{seeded.managed_instance}"
    plain = instances[seeded.plain_instance]  # near miss: no profile, not SSM-managed
    assert (plain.identity_ids, plain.attributes["ssm_managed"], plain.attributes["instance_profile"]) == (
        [],
        "false",
        "",
    )
    [service] = kinds[ComputeKind.ECS_SERVICE]
    assert service.identity_ids == [f"{ROLE}/task"]
    assert service.attributes["execution_role"] == f"{ROLE}/exec"
    # Only the stack deploying with a service role is a workload; the other runs as its caller.
    assert [(w.name, w.identity_ids) for w in kinds[ComputeKind.CLOUDFORMATION_STACK]] == [
        ("with-role", [f"{ROLE}/cfn"])
    ]
    assert [(w.name, w.identity_ids) for w in kinds[ComputeKind.GLUE_DEV_ENDPOINT]] == [("dev", [f"{ROLE}/glue"])]
    assert [(w.name, w.identity_ids) for w in kinds[ComputeKind.SAGEMAKER_NOTEBOOK]] == [("nb", [f"{ROLE}/nb"])]
    [build] = kinds[ComputeKind.CODEBUILD_PROJECT]
    assert (build.identity_ids, build.attributes["privileged_mode"]) == ([f"{ROLE}/cb"], "true")
    pods = {w.attributes["source"]: w for w in kinds[ComputeKind.EKS_POD_IDENTITY]}
    assert (pods["pod_identity"].name, pods["pod_identity"].identity_ids) == ("prod/payments/worker", [f"{ROLE}/pod"])
    assert (pods["irsa"].name, pods["irsa"].identity_ids) == ("payments/api", [f"{ROLE}/irsa"])
    # Every workload's role is an identity of the inventory.
    ids = {i.id for i in inventory.identities}
    assert {r for w in inventory.workloads for r in w.identity_ids} <= ids
    assert inventory.gaps == []


def test_no_secret_from_a_function_or_task_environment_reaches_the_inventory(seeded):
    inventory, _ = scan(seeded)
    dumped = inventory.model_dump_json()
    assert "hunter2-not-kept" not in dumped and "s3cr3t" not in dumped


def test_by_default_every_enabled_region_is_read(seeded):
    seeded.proxy.log.calls.clear()
    options = AwsScanOptions(endpoint_url=seeded.endpoint_url)  # no --region
    inventory = collect_aws(options, session=boto3.Session(region_name=EAST), now=fixed_now, sleep=no_sleep)
    calls = Counter(seeded.proxy.log.calls)
    assert {w.region for w in inventory.workloads if w.kind is ComputeKind.LAMBDA_FUNCTION} == {EAST, WEST}
    enabled = boto3.client("ec2", region_name=EAST, endpoint_url=seeded.endpoint_url).describe_regions()["Regions"]
    assert calls[("ec2", "DescribeInstances")] == len(enabled) > 2
    assert inventory.left_out == [] and inventory.gaps == []


def test_region_filter_reads_only_the_regions_asked_for_and_says_what_it_left_out(seeded):
    inventory, calls = scan(seeded, WEST)
    assert {(w.kind, w.region) for w in inventory.workloads if w.attributes.get("source") != "irsa"} == {
        (ComputeKind.LAMBDA_FUNCTION, WEST)
    }
    assert calls[("ssm", "DescribeInstanceInformation")] == 1
    [left_out] = inventory.left_out
    assert left_out.status is CoverageStatus.SCOPED and left_out.operation == "ec2:DescribeRegions"
    assert f"enabled regions ({WEST} asked for);" in left_out.detail and EAST not in left_out.detail.split(";")[0]
    assert inventory.gaps == [] and inventory.complete  # a choice, not a failure: the scan exits 0


def test_calls_grow_with_regions_not_with_identities(seeded):
    _, one = scan(seeded, EAST)
    _, three = scan(seeded, EAST, WEST, NORTH)
    regional = [("ssm", "DescribeInstanceInformation"), ("glue", "GetDevEndpoints"), ("ec2", "DescribeInstances")]
    for key in regional:
        assert (one[key], three[key]) == (1, 3)
    # Every call that went over the wire is declared, and read-only in AWS's own catalogue.
    actions = {f"{service}:{op}" for service, op in three}
    assert {"lambda:ListFunctions", "eks:ListClusters", "codebuild:ListProjects"} <= actions <= declared_actions()
    not_read = {a for a in actions if (entry := catalogue.lookup(a)) is None or entry.mutating}
    assert not_read <= {"iam:GenerateCredentialReport"}  # rebuilds IAM's cached report (reviewed)
    # IAM is read once whatever the regions.
    assert one[("iam", "GetAccountAuthorizationDetails")] == three[("iam", "GetAccountAuthorizationDetails")] == 1


def test_a_denied_service_in_one_region_is_a_gap_naming_it_and_nothing_else_is_lost(seeded):
    denied = Fault("glue", "GetDevEndpoints", "AccessDeniedException", status=400, times=1)
    # (A throttled answer is retried by botocore before it becomes a gap; denied is not.)
    ssm_denied = Fault("ssm", "DescribeInstanceInformation", "AccessDeniedException", status=400)
    inventory, _ = scan(seeded, EAST, faults=(denied, ssm_denied))
    kinds = by_kind(inventory)
    assert ComputeKind.GLUE_DEV_ENDPOINT not in kinds
    assert {w.attributes["ssm_managed"] for w in kinds[ComputeKind.EC2_INSTANCE]} == {"unknown"}
    assert len(kinds[ComputeKind.LAMBDA_FUNCTION]) == 1 and len(kinds[ComputeKind.SAGEMAKER_NOTEBOOK]) == 1
    assert inventory.identities  # IAM still read
    gaps = {(g.operation, g.status): g.detail for g in inventory.gaps}
    assert set(gaps) == {
        ("glue:GetDevEndpoints", CoverageStatus.DENIED),
        ("ssm:DescribeInstanceInformation", CoverageStatus.DENIED),
    }
    assert gaps[("glue:GetDevEndpoints", CoverageStatus.DENIED)].startswith(
        f"{EAST}: Glue development endpoints not read"
    )


def test_denied_region_listing_is_a_gap_and_identities_remain(seeded):
    inventory, _ = scan(seeded, EAST, faults=(Fault("ec2", "DescribeRegions", "UnauthorizedOperation"),))
    assert [w.attributes["source"] for w in inventory.workloads] == ["irsa"]  # from the trust policies
    assert [(g.operation, g.status) for g in inventory.gaps] == [("ec2:DescribeRegions", CoverageStatus.DENIED)]
    assert inventory.identities


def test_a_region_asked_for_but_not_enabled_is_a_gap(seeded):
    inventory, _ = scan(seeded, EAST, "xx-nowhere-1")
    assert [(g.operation, g.detail) for g in inventory.gaps] == [
        ("ec2:DescribeRegions", "regions not enabled, not read: xx-nowhere-1")
    ]


def test_cli_collect_writes_workloads_to_the_snapshot_and_filters_regions(seeded, tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": EAST,
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
    }
    out = tmp_path / "snapshot.json"
    argv = [STANDING, "collect", "aws", "--endpoint-url", seeded.endpoint_url, "--region", WEST]
    proc = subprocess.run([*argv, "--output", str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    workloads = json.loads(out.read_text())["inventory"]["workloads"]
    assert {(w["kind"], w["region"]) for w in workloads} == {("lambda_function", WEST), ("eks_pod_identity", EAST)}
    assert "hunter2-not-kept" not in out.read_text()


def test_no_workloads_reads_no_region_and_says_so(seeded):
    seeded.proxy.log.calls.clear()
    options = AwsScanOptions(endpoint_url=seeded.endpoint_url, workloads=False)
    inventory = collect_aws(options, session=boto3.Session(region_name=EAST), now=fixed_now, sleep=no_sleep)
    # IRSA service accounts come from trust policies (IAM), not from a regional read
    assert [w for w in inventory.workloads if w.attributes.get("source") != "irsa"] == []
    assert not {call for call in seeded.proxy.log.calls if call[0] not in ("iam", "sts")}
    assert [e.detail for e in inventory.left_out] == [
        "workloads not read (--no-workloads): which compute runs as which role is unknown"
    ]
