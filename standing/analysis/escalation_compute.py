"""AWS hops through compute that already runs as a role: change what it runs, or reach into it.

Whoever may replace a Lambda function's code, send a command to an instance, update a stack
that has a service role or start a build with its own buildspec acts as the role that compute
runs as, without ``iam:PassRole`` and without the role's trust naming it. The compute comes
from ``Inventory.workloads`` (``identity_ids`` name the roles; ``attributes`` the facts that
decide whether it can be taken over, see docs/workloads.md).

Resource constraints are honoured: the source's policy must allow each action on the
workload's own ARN (a statement limited to another function gives nothing, a Deny cuts it, a
condition makes the hop conditional). Work is linear in sources and matches: workloads are
indexed once by kind and account, and each policy statement is matched against that list once
however many identities hold it (``aws_targets``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from standing.analysis.aws_policy import PolicySet, Verdict
from standing.analysis.aws_targets import TargetMatcher
from standing.analysis.hops import Hop, HopKind
from standing.analysis.privilege import PrivilegeLevel
from standing.core.model import ComputeKind, IdentityKind, Provider, Workload

if TYPE_CHECKING:
    from standing.analysis.graph import PrivilegeGraph

SSM_MANAGED = "ssm_managed"  # attribute of an ec2_instance: "true" / "false", absent when unknown
TASK_DEFINITION = "task_definition"  # attribute of an ecs_service: the task definition ARN it runs
CLUSTER = "cluster"  # attribute of an ecs_service: its cluster's ARN
EXECUTE_COMMAND = "execute_command"  # attribute of an ecs_service: ECS Exec enabled, "true" / "false"


def _flag_reach(attribute: str, unknown: str) -> Callable[[Workload], str | None]:
    """A reach read from a "true" / "false" attribute: "" (firm) when true, None (no hop) when
    false, ``unknown`` (the caveat) when the collector could not tell."""

    def reach(workload: Workload) -> str | None:
        value = workload.attributes.get(attribute, "").lower()
        return "" if value == "true" else None if value == "false" else unknown

    return reach


# Systems Manager reaches only a managed instance; ECS Exec only a service deployed with
# ``enableExecuteCommand`` (off by default).
_ssm_reach = _flag_reach(SSM_MANAGED, "if it is SSM-managed (not known)")
_exec_reach = _flag_reach(EXECUTE_COMMAND, "if ECS Exec is enabled on it (not known)")


def _ssh_reach(workload: Workload) -> str | None:
    return "if its SSH port can be reached"


@dataclass(frozen=True, slots=True)
class ComputeRoute:
    """One method through one kind of existing compute."""

    method: str
    kind: ComputeKind
    actions: tuple[str, ...]  # all allowed on the compute's ARN (or on ``resource_attr``'s)
    does: str  # what the source then does to it, for the reason
    elsewhere: tuple[str, ...] = ()  # also needed, on "*"
    pass_role: bool = False  # also iam:PassRole on the role it runs as
    resource_attr: str = ""  # an attribute naming the ARN the actions apply to instead of the compute's id
    reach: Callable[[Workload], str | None] | None = None  # a caveat ("" none), or None: no hop


ROUTES: tuple[ComputeRoute, ...] = (
    ComputeRoute("lambda-003", ComputeKind.LAMBDA_FUNCTION, ("lambda:UpdateFunctionCode",), "replaces its code"),
    ComputeRoute(
        "aws-lambda-001",
        ComputeKind.LAMBDA_FUNCTION,
        ("lambda:UpdateFunctionConfiguration",),
        "adds a layer or wrapper of its own code to it",
    ),
    ComputeRoute("ssm-002", ComputeKind.EC2_INSTANCE, ("ssm:SendCommand",), "runs a command on it", reach=_ssm_reach),
    ComputeRoute("ssm-001", ComputeKind.EC2_INSTANCE, ("ssm:StartSession",), "opens a shell on it", reach=_ssm_reach),
    ComputeRoute(
        "ec2-002",
        ComputeKind.EC2_INSTANCE,
        ("ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"),
        "stops it, rewrites its user data and starts it again, which runs that script",
    ),
    ComputeRoute(
        "aws-ec2instanceconnect-001",
        ComputeKind.EC2_INSTANCE,
        ("ec2-instance-connect:SendSSHPublicKey",),
        "pushes an SSH key of its own to it",
        reach=_ssh_reach,
    ),
    ComputeRoute(
        "aws-glue-001", ComputeKind.GLUE_DEV_ENDPOINT, ("glue:UpdateDevEndpoint",), "adds an SSH key of its own to it"
    ),
    ComputeRoute(
        "cloudformation-002",
        ComputeKind.CLOUDFORMATION_STACK,
        ("cloudformation:UpdateStack",),
        "updates its template, which the stack applies as its service role",
    ),
    ComputeRoute(
        "cloudformation-005",
        ComputeKind.CLOUDFORMATION_STACK,
        ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"),
        "executes a change set of its own, which the stack applies as its service role",
    ),
    ComputeRoute(
        "sagemaker-004",
        ComputeKind.SAGEMAKER_NOTEBOOK,
        ("sagemaker:CreatePresignedNotebookInstanceUrl",),
        "opens its Jupyter environment",
    ),
    ComputeRoute(
        "codebuild-002",
        ComputeKind.CODEBUILD_PROJECT,
        ("codebuild:StartBuild",),
        "starts a build with a buildspec of its own",
    ),
    ComputeRoute(
        "aws-ecs-001",
        ComputeKind.ECS_SERVICE,
        ("ecs:RunTask",),
        "runs its task definition with a command of its own",
        pass_role=True,
        resource_attr=TASK_DEFINITION,
    ),
    ComputeRoute(
        "aws-ecs-002",
        ComputeKind.ECS_SERVICE,
        ("ecs:UpdateService",),
        "deploys a task definition of its own to it",
        elsewhere=("ecs:RegisterTaskDefinition",),
        pass_role=True,
    ),
    ComputeRoute(
        "ecs-006",
        ComputeKind.ECS_SERVICE,
        ("ecs:ExecuteCommand",),
        "opens a shell in its running task through ECS Exec",
        elsewhere=("ecs:DescribeTasks",),
        resource_attr=CLUSTER,
        reach=_exec_reach,
    ),
)

# Where a route also passes the role, the service it is passed to (for iam:PassedToService).
_PASSED_TO = {ComputeKind.ECS_SERVICE: "ecs-tasks.amazonaws.com"}

_NOUNS = {
    ComputeKind.LAMBDA_FUNCTION: "function",
    ComputeKind.EC2_INSTANCE: "instance",
    ComputeKind.GLUE_DEV_ENDPOINT: "Glue dev endpoint",
    ComputeKind.CLOUDFORMATION_STACK: "stack",
    ComputeKind.SAGEMAKER_NOTEBOOK: "notebook",
    ComputeKind.CODEBUILD_PROJECT: "CodeBuild project",
    ComputeKind.ECS_SERVICE: "ECS service",
}


class _Resource(NamedTuple):
    """The ARN a route's actions are checked on, and the compute it leads into: several
    services of one cluster, or running one task definition, share it."""

    id: str
    account: str
    workloads: list[Workload]


def _reason(
    route: ComputeRoute, verdicts: list[tuple[str, str, Verdict]], workload: Workload, role: str, caveat: str
) -> str:
    where = f" ({workload.region})" if workload.region else ""
    allowed = " and ".join(v.describe(action, on) for action, on, v in verdicts)
    text = (
        f"{route.method}: {allowed}; {route.actions[0]} on {_NOUNS[route.kind]} {workload.name}{where}, "
        f"which runs as {role}: it {route.does}"
    )
    return f"{text} ({caveat})" if caveat else text


class _ComputeHops:
    def __init__(self, graph: PrivilegeGraph) -> None:
        self.graph = graph
        self.matcher = TargetMatcher()
        kinds = {r.kind for r in ROUTES}
        # (route method, account) -> the resources its actions apply to; built once.
        by_arn: dict[tuple[str, str], dict[str, _Resource]] = {}
        for workload in graph.inventory.workloads:
            if workload.provider is not Provider.AWS or workload.kind not in kinds or not workload.identity_ids:
                continue
            if (workload.state or "").lower() in ("terminated", "deleted", "delete_complete"):
                continue
            for route in ROUTES:
                if route.kind is workload.kind:
                    arn = workload.attributes.get(route.resource_attr, "") if route.resource_attr else workload.id
                    if arn:
                        shared = by_arn.setdefault((route.method, workload.account), {})
                        shared.setdefault(arn, _Resource(arn, workload.account, [])).workloads.append(workload)
        self.resources = {key: list(found.values()) for key, found in by_arn.items()}

    def hops(self) -> Iterable[Hop]:
        if not self.resources:
            return
        accounts = {account for _, account in self.resources}
        best: dict[tuple[str, str], Hop] = {}
        for source in self.graph.identities():
            if (
                source.provider is not Provider.AWS
                or source.kind not in (IdentityKind.USER, IdentityKind.ROLE)
                or source.account not in accounts
                or self.graph.privilege_of(source.id).level >= PrivilegeLevel.PRIVILEGE_MANAGEMENT
            ):
                continue
            policy = self.graph.aws_policy_set(source.id)
            for route in ROUTES:
                for hop in self._route(source.id, source.account, policy, route):
                    known = best.get((hop.source, hop.target))
                    if known is None or (known.conditional and not hop.conditional):
                        best[(hop.source, hop.target)] = hop
        yield from best.values()

    def _route(self, source: str, account: str, policy: PolicySet, route: ComputeRoute) -> Iterable[Hop]:
        candidates = self.resources.get((route.method, account))
        needed = route.actions + route.elsewhere + (("iam:PassRole",) if route.pass_role else ())
        if not candidates or not all(policy.may(a) for a in needed):
            return
        anywhere: list[tuple[str, str, Verdict]] = []
        for action in route.elsewhere:
            if (verdict := policy.allows(action, "*")) is None:
                return
            anywhere.append((action, "*", verdict))
        first, *rest = route.actions
        for resource, verdict in self.matcher.targets(policy, first, (route.method, account), candidates):
            verdicts = [(first, resource.id, verdict)]
            for action in rest:
                if (other := policy.allows(action, resource.id)) is None:
                    break
                verdicts.append((action, resource.id, other))
            else:
                for workload in resource.workloads:
                    yield from self._into(source, policy, route, workload, verdicts + anywhere)

    def _into(
        self,
        source: str,
        policy: PolicySet,
        route: ComputeRoute,
        workload: Workload,
        verdicts: list[tuple[str, str, Verdict]],
    ) -> Iterable[Hop]:
        caveat = route.reach(workload) if route.reach else ""
        if caveat is None:
            return
        for role_id in workload.identity_ids:
            role = self.graph.identity(role_id)
            if role is None or role_id == source:
                continue
            passing: list[tuple[str, str, Verdict]] = []
            if route.pass_role:
                if (verdict := policy.allows("iam:PassRole", role_id, service=_PASSED_TO[route.kind])) is None:
                    continue
                passing.append(("iam:PassRole", role.name, verdict))
            found = verdicts + passing
            yield Hop(
                source,
                role_id,
                HopKind.EXISTING_COMPUTE,
                _reason(route, found, workload, role.name, caveat),
                bool(caveat) or any(v.conditional for _, _, v in found),
                route.method,
            )


def compute_hops(graph: PrivilegeGraph) -> Iterable[Hop]:
    """Hops into the roles existing AWS compute runs as (see the module docstring)."""
    return _ComputeHops(graph).hops()
