"""Per-region compute listings (workloads): SDK calls only, into ``RegionWorkloads``.

Every listing is a paginated bulk read per region; the only per-resource calls are those
whose listing lacks the role (a SageMaker notebook, an EKS pod identity association), the
ECS describes (10 services a call, one call per task definition in use) and CodeBuild's
100-a-call batch. Nothing is called per identity. A denied, throttled or failed call is a
gap naming the region and what was missed; the other services and regions are still read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar, cast

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from standing.collectors.aws.coverage import CoverageLog, client_error_entry
from standing.collectors.aws.operations import AwsOperation, operation
from standing.collectors.aws.raw import RegionWorkloads
from standing.collectors.aws.session import AwsScanOptions, make_client
from standing.core.model import CoverageEntry, CoverageStatus, Provider

T = TypeVar("T")

ALL_REGIONS = "all"  # --region all: every region the account has enabled
ECS_DESCRIBE_BATCH = 10  # DescribeServices takes at most 10 services
CODEBUILD_BATCH = 100  # BatchGetProjects takes at most 100 names
_NAMED = 4  # regions named in the "left out" note; the rest counted


def fetch_workloads(session: boto3.Session, options: AwsScanOptions, log: CoverageLog) -> list[RegionWorkloads]:
    """The listings of every enabled region, or of ``options.regions`` when named (``all`` is
    every region too), each checked against the account's enabled regions."""
    wanted = () if ALL_REGIONS in options.regions else options.regions
    regions = enabled_regions(make_client(session, "ec2", options), log, wanted)
    if regions is None:
        return []
    reads = _RegionLog(log)
    result = [_RegionFetch(session, options, region, reads).run() for region in regions]
    reads.close()
    return result


def enabled_regions(ec2: Any, log: CoverageLog, wanted: tuple[str, ...]) -> list[str] | None:
    """Regions opted in (DescribeRegions lists only those by default), filtered by ``wanted``.

    A region asked for that the account has not enabled is a gap, not silently skipped.
    """
    op = operation("ec2", "DescribeRegions")
    listed = log.attempt(op, ec2.describe_regions)
    if listed is None:
        return None
    enabled = sorted(str(r["RegionName"]) for r in listed.get("Regions", []))
    if not wanted:
        return enabled
    missing = [r for r in wanted if r not in enabled]
    if missing:
        log.record(op, CoverageStatus.FAILED, f"regions not enabled, not read: {', '.join(missing)}")
    unread = [r for r in enabled if r not in wanted]
    if unread:
        log.record(
            op,
            CoverageStatus.SCOPED,
            f"workloads read in {len(enabled) - len(unread)} of {len(enabled)} enabled regions "
            f"({', '.join(r for r in enabled if r in wanted)} asked for); {len(unread)} not read: "
            + ", ".join(unread[:_NAMED])
            + (f", +{len(unread) - _NAMED} more" if len(unread) > _NAMED else ""),
        )
    return [r for r in enabled if r in wanted]


class _RegionLog:
    """Coverage for per-region reads: each gap names its region; successes are summed into one
    OK entry per operation, so the report does not grow by one line per region and call."""

    def __init__(self, log: CoverageLog) -> None:
        self.log = log
        self.ok: dict[AwsOperation, set[str]] = {}

    def attempt(self, op: AwsOperation, region: str, what: str, call: Callable[[], T]) -> T | None:
        try:
            result = call()
        except ClientError as err:
            entry = client_error_entry(op, self.log.scope, err)
            self._gap(entry, region, what)
            return None
        except (BotocoreConnectionError, ReadTimeoutError) as err:
            entry = CoverageEntry(
                provider=Provider.AWS,
                scope=self.log.scope,
                operation=op.action,
                status=CoverageStatus.FAILED,
                detail=f"{type(err).__name__}: {err}",
            )
            self._gap(entry, region, what)
            return None
        self.ok.setdefault(op, set()).add(region)
        return result

    def _gap(self, entry: CoverageEntry, region: str, what: str) -> None:
        detail = f"{region}: {what} not read ({entry.detail})"
        self.log.entries.append(entry.model_copy(update={"detail": detail}))

    def close(self) -> None:
        for op, regions in self.ok.items():
            self.log.record(op, CoverageStatus.OK, f"read in {len(regions)} region(s)")


class _RegionFetch:
    def __init__(self, session: boto3.Session, options: AwsScanOptions, region: str, reads: _RegionLog) -> None:
        self.session = session
        self.options = options
        self.region = region
        self.reads = reads

    def client(self, service: str) -> Any:
        return make_client(self.session, service, _in_region(self.options, self.region))

    def offered(self, service: str) -> bool:
        """Whether the service has an endpoint in this region (botocore's endpoint data): a
        region without CodeBuild, say, has nothing to list and is not asked."""
        return self.region in _available_regions(self.session, service)

    def pages(self, client: Any, service: str, api: str, key: str, what: str, **params: Any) -> list[Any] | None:
        """All items under ``key`` of a paginated listing, or ``None`` (gap recorded); empty
        where the service is not offered in this region."""
        if not self.offered(service):
            return []

        def call() -> list[Any]:
            paginator = client.get_paginator(_snake(api))
            return [item for page in paginator.paginate(**params) for item in page.get(key, [])]

        return self.reads.attempt(operation(service, api), self.region, what, call)

    def one(self, client: Any, service: str, api: str, what: str, **params: Any) -> dict[str, Any] | None:
        def call() -> dict[str, Any]:
            return cast(dict[str, Any], getattr(client, _snake(api))(**params))

        return self.reads.attempt(operation(service, api), self.region, what, call)

    def run(self) -> RegionWorkloads:
        ecs_services, task_definitions = self.ecs()
        return RegionWorkloads(
            region=self.region,
            lambda_functions=_without(
                self.pages(self.client("lambda"), "lambda", "ListFunctions", "Functions", "Lambda functions"),
                "Environment",
            ),
            instances=self.instances(),
            ssm_managed_instances=self.ssm_managed(),
            ecs_services=ecs_services,
            ecs_task_definitions=task_definitions,
            stacks=self.pages(
                self.client("cloudformation"), "cloudformation", "DescribeStacks", "Stacks", "CloudFormation stacks"
            ),
            glue_dev_endpoints=self.pages(
                self.client("glue"), "glue", "GetDevEndpoints", "DevEndpoints", "Glue development endpoints"
            ),
            notebook_instances=self.notebooks(),
            codebuild_projects=self.codebuild(),
            eks_pod_identities=self.eks_pod_identities(),
        )

    def instances(self) -> list[dict[str, Any]] | None:
        reservations = self.pages(self.client("ec2"), "ec2", "DescribeInstances", "Reservations", "EC2 instances")
        if reservations is None:
            return None
        return [instance for r in reservations for instance in r.get("Instances", [])]

    def ssm_managed(self) -> list[str] | None:
        listed = self.pages(
            self.client("ssm"),
            "ssm",
            "DescribeInstanceInformation",
            "InstanceInformationList",
            "which instances are SSM-managed",
        )
        return None if listed is None else [str(i["InstanceId"]) for i in listed if "InstanceId" in i]

    def ecs(self) -> tuple[list[dict[str, Any]] | None, dict[str, dict[str, Any]]]:
        ecs = self.client("ecs")
        clusters = self.pages(ecs, "ecs", "ListClusters", "clusterArns", "ECS clusters")
        if clusters is None:
            return None, {}
        services: list[dict[str, Any]] = []
        for cluster in clusters:
            arns = self.pages(ecs, "ecs", "ListServices", "serviceArns", f"ECS services of {cluster}", cluster=cluster)
            if arns is None:
                continue
            for batch in _batches(arns, ECS_DESCRIBE_BATCH):
                described = self.one(
                    ecs, "ecs", "DescribeServices", f"ECS services of {cluster}", cluster=cluster, services=batch
                )
                if described is not None:
                    services.extend(described.get("services", []))
        definitions: dict[str, dict[str, Any]] = {}
        for arn in sorted({str(s["taskDefinition"]) for s in services if s.get("taskDefinition")}):
            described = self.one(ecs, "ecs", "DescribeTaskDefinition", f"ECS task definition {arn}", taskDefinition=arn)
            if described is not None:
                definition = described.get("taskDefinition", {})
                definitions[arn] = {k: definition[k] for k in _TASK_DEFINITION_KEYS if k in definition}
        return services, definitions

    def notebooks(self) -> list[dict[str, Any]] | None:
        sagemaker = self.client("sagemaker")
        listed = self.pages(
            sagemaker, "sagemaker", "ListNotebookInstances", "NotebookInstances", "SageMaker notebook instances"
        )
        if listed is None:
            return None
        result: list[dict[str, Any]] = []
        for summary in listed:
            if summary.get("RoleArn"):
                result.append(summary)
                continue
            name = str(summary["NotebookInstanceName"])
            described = self.one(
                sagemaker,
                "sagemaker",
                "DescribeNotebookInstance",
                f"role of notebook instance {name}",
                NotebookInstanceName=name,
            )
            result.append(summary if described is None else {**summary, **described})
        return result

    def codebuild(self) -> list[dict[str, Any]] | None:
        codebuild = self.client("codebuild")
        names = self.pages(codebuild, "codebuild", "ListProjects", "projects", "CodeBuild projects")
        if names is None:
            return None
        projects: list[dict[str, Any]] = []
        for batch in _batches(names, CODEBUILD_BATCH):
            got = self.one(codebuild, "codebuild", "BatchGetProjects", "CodeBuild projects", names=batch)
            if got is not None:
                projects.extend({**p, "environment": _codebuild_environment(p)} for p in got.get("projects", []))
        return projects

    def eks_pod_identities(self) -> list[dict[str, Any]] | None:
        eks = self.client("eks")
        clusters = self.pages(eks, "eks", "ListClusters", "clusters", "EKS clusters")
        if clusters is None:
            return None
        result: list[dict[str, Any]] = []
        for cluster in clusters:
            listed = self.pages(
                eks,
                "eks",
                "ListPodIdentityAssociations",
                "associations",
                f"pod identities of EKS cluster {cluster}",
                clusterName=cluster,
            )
            for summary in listed or []:
                if summary.get("roleArn"):
                    result.append(summary)
                    continue
                described = self.one(
                    eks,
                    "eks",
                    "DescribePodIdentityAssociation",
                    f"role of pod identity {summary.get('associationId')}",
                    clusterName=cluster,
                    associationId=summary["associationId"],
                )
                if described is not None:
                    result.append({**summary, **described.get("association", {})})
        return result


# Container definitions hold environment values (often secrets): only the roles are kept.
_TASK_DEFINITION_KEYS = ("taskDefinitionArn", "family", "revision", "taskRoleArn", "executionRoleArn", "networkMode")


def _without(items: list[dict[str, Any]] | None, key: str) -> list[dict[str, Any]] | None:
    """Items minus ``key``: a function's environment variables may hold secrets; never kept."""
    return None if items is None else [{k: v for k, v in item.items() if k != key} for item in items]


def _codebuild_environment(project: dict[str, Any]) -> dict[str, Any]:
    environment = project.get("environment") or {}
    return {k: v for k, v in environment.items() if k != "environmentVariables"}


_AVAILABLE: dict[str, frozenset[str]] = {}


def _available_regions(session: boto3.Session, service: str) -> frozenset[str]:
    if service not in _AVAILABLE:
        partitions = session.get_available_partitions()
        _AVAILABLE[service] = frozenset(
            region for partition in partitions for region in session.get_available_regions(service, partition)
        )
    return _AVAILABLE[service]


def _in_region(options: AwsScanOptions, region: str) -> AwsScanOptions:
    return replace(options, region=region)


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _snake(api: str) -> str:
    return str(xform_name(api))
