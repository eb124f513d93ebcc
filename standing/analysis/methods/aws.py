"""AWS escalation methods (see standing.analysis.methods).

Ids are pathfinding.cloud's (DataDog/pathfinding.cloud, ``data/paths/aws/<service>/<id>.yaml``)
where its required permissions match what the hop checks; ``aws-<service>-NNN`` where the
stored pathfinding data has no matching path. ``escalation`` (identities) and
``escalation_compute`` (existing compute) set these ids on the hops they find.

Every method's ``test`` is the moto one: it seeds the method and its near miss as real IAM
identities and compute in moto's server and reads them through ``standing collect aws``. The
in-code tables (tests/test_escalation_aws_methods.py, tests/test_escalation_compute.py) show
the same methods on hand-built inventories, faster to debug.
"""

from __future__ import annotations

from standing.analysis.methods import EscalationMethod, method_maker
from standing.core.model import Provider

_MOTO_TEST = "tests/test_escalation_methods_moto.py::test_method_through_moto"


_method = method_maker(Provider.AWS, _MOTO_TEST)


def _pass_role(mid: str, actions: tuple[str, ...], summary: str) -> EscalationMethod:
    return _method(mid, "pass-role", ("iam:PassRole", *actions), summary)


def _compute(mid: str, actions: tuple[str, ...], summary: str) -> EscalationMethod:
    return _method(mid, "existing-compute", actions, summary)


_iam = _method


def _empower(mid: str, raise_with: str, become_with: str, summary: str) -> EscalationMethod:
    """Raise another identity to admin, then become it: actions in that order (cuts deny the second)."""
    return _method(mid, "empower-other", (raise_with, become_with), summary)


METHODS: tuple[EscalationMethod, ...] = (
    _iam(
        "sts-001",
        "assume-role",
        ("sts:AssumeRole",),
        "assumes a role whose trust admits it (a same-account role naming it needs no permission)",
    ),
    _iam(
        "iam-001",
        "self-policy",
        ("iam:CreatePolicyVersion",),
        "writes a new default version of a customer-managed policy it holds",
    ),
    _iam(
        "aws-iam-001",
        "self-policy",
        ("iam:SetDefaultPolicyVersion",),
        "makes an older version of a policy it holds the default (conditional: if one grants more)",
    ),
    _iam(
        "iam-002",
        "create-credentials",
        ("iam:CreateAccessKey",),
        "creates an access key for another user",
    ),
    _iam(
        "iam-004",
        "create-credentials",
        ("iam:CreateLoginProfile",),
        "creates a console password for another user",
    ),
    _iam(
        "iam-006",
        "create-credentials",
        ("iam:UpdateLoginProfile",),
        "changes another user's console password",
    ),
    _iam(
        "iam-012",
        "rewrite-trust",
        ("iam:UpdateAssumeRolePolicy",),
        "rewrites a role's trust policy to name itself, then assumes it",
    ),
    _iam(
        "iam-005",
        "self-policy",
        ("iam:PutRolePolicy",),
        "writes an inline policy on its own role",
    ),
    _iam(
        "iam-007",
        "self-policy",
        ("iam:PutUserPolicy",),
        "writes an inline policy on its own user",
    ),
    _iam(
        "iam-008",
        "self-policy",
        ("iam:AttachUserPolicy",),
        "attaches a managed policy to its own user",
    ),
    _iam(
        "iam-009",
        "self-policy",
        ("iam:AttachRolePolicy",),
        "attaches a managed policy to its own role",
    ),
    _iam(
        "iam-010",
        "self-policy",
        ("iam:AttachGroupPolicy",),
        "attaches a managed policy to a group it belongs to",
    ),
    _iam(
        "iam-011",
        "self-policy",
        ("iam:PutGroupPolicy",),
        "writes an inline policy on a group it belongs to",
    ),
    _iam(
        "iam-013",
        "join-group",
        ("iam:AddUserToGroup",),
        "adds itself to an administrators' group",
    ),
    _pass_role(
        "lambda-001",
        ("lambda:CreateFunction", "lambda:InvokeFunction"),
        "creates a Lambda function running as the role and invokes it",
    ),
    _pass_role(
        "lambda-002",
        ("lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
        "creates a Lambda function running as the role and has an event source trigger it",
    ),
    _pass_role(
        "lambda-006",
        ("lambda:CreateFunction", "lambda:AddPermission"),
        "creates a Lambda function running as the role and lets itself invoke it",
    ),
    _pass_role("ec2-001", ("ec2:RunInstances",), "launches an instance whose profile is the role"),
    _pass_role(
        "ecs-004",
        ("ecs:RegisterTaskDefinition", "ecs:RunTask"),
        "registers a task definition with the role as task role and runs it",
    ),
    _pass_role(
        "aws-eks-001",
        ("eks:CreatePodIdentityAssociation",),
        "binds the role to a Kubernetes service account with a pod identity association "
        "(conditional: running a pod under it is Kubernetes RBAC, not read)",
    ),
    _pass_role(
        "ecs-003",
        ("ecs:RegisterTaskDefinition", "ecs:CreateService"),
        "registers a task definition with the role as task role and starts a service of it "
        "(ecs-001, the same with ecs:CreateCluster, is reported as ecs-003)",
    ),
    _pass_role(
        "ecs-008",
        ("ecs:RunTask",),
        "runs a task definition already registered, overriding its task role with the role "
        "(conditional when no task definition in use was seen in the account)",
    ),
    _pass_role("glue-001", ("glue:CreateDevEndpoint",), "creates a Glue dev endpoint running as the role"),
    _pass_role("glue-003", ("glue:CreateJob", "glue:StartJobRun"), "creates and starts a Glue job running as the role"),
    _pass_role(
        "sagemaker-001", ("sagemaker:CreateNotebookInstance",), "creates a notebook instance running as the role"
    ),
    _pass_role("sagemaker-002", ("sagemaker:CreateTrainingJob",), "creates a training job running as the role"),
    _pass_role("aws-sagemaker-001", ("sagemaker:CreateProcessingJob",), "creates a processing job running as the role"),
    _pass_role("cloudformation-001", ("cloudformation:CreateStack",), "creates a stack applied as the role"),
    _pass_role(
        "codebuild-001",
        ("codebuild:CreateProject", "codebuild:StartBuild"),
        "creates a CodeBuild project running as the role and starts a build",
    ),
    _pass_role(
        "datapipeline-001",
        ("datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"),
        "creates and activates a Data Pipeline whose resources run as the role",
    ),
    _compute("lambda-003", ("lambda:UpdateFunctionCode",), "replaces the code of a function running as the role"),
    _compute(
        "aws-lambda-001",
        ("lambda:UpdateFunctionConfiguration",),
        "adds a layer or wrapper of its own code to a function running as the role",
    ),
    _compute(
        "ssm-002",
        ("ssm:SendCommand",),
        "runs a command on an instance whose profile is the role (conditional unless known SSM-managed)",
    ),
    _compute(
        "ssm-001",
        ("ssm:StartSession",),
        "opens a shell on an instance whose profile is the role (conditional unless known SSM-managed)",
    ),
    _compute(
        "aws-ec2instanceconnect-001",
        ("ec2-instance-connect:SendSSHPublicKey",),
        "pushes an SSH key to an instance whose profile is the role (conditional: its SSH port must be reachable)",
    ),
    _compute(
        "aws-glue-001", ("glue:UpdateDevEndpoint",), "adds its SSH key to a Glue dev endpoint running as the role"
    ),
    _compute(
        "cloudformation-002",
        ("cloudformation:UpdateStack",),
        "updates the template of a stack whose service role is the role",
    ),
    _compute(
        "cloudformation-005",
        ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"),
        "executes a change set on a stack whose service role is the role",
    ),
    _compute(
        "sagemaker-004",
        ("sagemaker:CreatePresignedNotebookInstanceUrl",),
        "opens the Jupyter environment of a notebook running as the role",
    ),
    _compute(
        "codebuild-002",
        ("codebuild:StartBuild",),
        "starts a build with its own buildspec on a project whose service role is the role",
    ),
    _compute(
        "ec2-002",
        ("ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"),
        "rewrites the user data of an instance running as the role and restarts it",
    ),
    _compute(
        "ecs-006",
        ("ecs:ExecuteCommand", "ecs:DescribeTasks"),
        "opens a shell, through ECS Exec, in a running task whose task role is the role",
    ),
    _compute(
        "aws-ecs-001",
        ("ecs:RunTask", "iam:PassRole"),
        "runs an existing task definition whose task role is the role, with its own command",
    ),
    _compute(
        "aws-ecs-002",
        ("ecs:UpdateService", "ecs:RegisterTaskDefinition", "iam:PassRole"),
        "deploys a task definition of its own, with the role as task role, to a service",
    ),
    _empower("iam-014", "iam:AttachRolePolicy", "sts:AssumeRole", "attaches a policy to a role it may assume"),
    _empower(
        "iam-015", "iam:AttachUserPolicy", "iam:CreateAccessKey", "attaches a policy to a user it can mint a key for"
    ),
    _empower(
        "iam-016",
        "iam:CreatePolicyVersion",
        "sts:AssumeRole",
        "writes a new version of a policy held by a role it may assume",
    ),
    _empower("iam-017", "iam:PutRolePolicy", "sts:AssumeRole", "writes an inline policy on a role it may assume"),
    _empower(
        "iam-018", "iam:PutUserPolicy", "iam:CreateAccessKey", "writes an inline policy on a user it can mint a key for"
    ),
    _empower(
        "iam-019",
        "iam:AttachRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "attaches a policy to a role whose trust it can rewrite",
    ),
    _empower(
        "iam-020",
        "iam:CreatePolicyVersion",
        "iam:UpdateAssumeRolePolicy",
        "writes a new version of a policy held by a role whose trust it can rewrite",
    ),
    _empower(
        "iam-021",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "writes an inline policy on a role whose trust it can rewrite",
    ),
)
