"""AWS compute -> ``Workload`` records. Pure: reads the raw bundle, calls nothing.

Each builder turns one service's listing into workloads whose ``identity_ids`` are role
ARNs as ``Identity.id`` spells them. An EC2 instance names an instance profile, not a role:
the profile is resolved through the profiles GetAccountAuthorizationDetails lists under each
role, so no per-instance IAM call is made. IRSA service accounts come from the roles' own
trust policies (an EKS OIDC issuer with a ``:sub`` condition), which the IAM read has anyway.
``attributes`` are documented per kind in docs/workloads.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from standing.collectors.aws.raw import RawAccount, RegionWorkloads
from standing.core.model import ComputeKind, Provider, Workload

UNKNOWN = "unknown"


def workloads_from_raw(raw: RawAccount) -> list[Workload]:
    """Every workload of one account, region by region, then the IRSA service accounts."""
    partition = raw.caller_arn.split(":")[1] if raw.caller_arn.count(":") >= 5 else "aws"
    builder = _Builder(raw.account_id, partition, _profile_roles(raw))
    result: list[Workload] = []
    for region in raw.workload_regions:
        result.extend(builder.region(region))
    if raw.authorization_details is not None:
        result.extend(irsa_workloads(raw.account_id, raw.authorization_details.roles))
    return result


def _profile_roles(raw: RawAccount) -> dict[str, list[str]]:
    """Instance profile ARN -> ARNs of the roles in it, from GAAD's per-role profile lists."""
    profiles: dict[str, list[str]] = {}
    details = raw.authorization_details
    for role in details.roles if details is not None else []:
        for profile in role.get("InstanceProfileList", []):
            profiles.setdefault(str(profile["Arn"]), []).append(str(role["Arn"]))
    return profiles


class _Builder:
    def __init__(self, account: str, partition: str, profile_roles: dict[str, list[str]]) -> None:
        self.account = account
        self.partition = partition
        self.profile_roles = profile_roles

    def workload(self, region: str, kind: ComputeKind, **fields: Any) -> Workload:
        return Workload(provider=Provider.AWS, account=self.account, region=region, kind=kind, **fields)

    def region(self, raw: RegionWorkloads) -> Iterator[Workload]:
        r = raw.region
        for fn in raw.lambda_functions or []:
            yield self.workload(
                r,
                ComputeKind.LAMBDA_FUNCTION,
                id=str(fn["FunctionArn"]),
                name=str(fn["FunctionName"]),
                identity_ids=_present(fn.get("Role")),
                state=fn.get("State"),
                attributes={
                    "runtime": str(fn.get("Runtime") or ""),
                    "package_type": str(fn.get("PackageType") or "Zip"),
                },
            )
        managed = None if raw.ssm_managed_instances is None else set(raw.ssm_managed_instances)
        for instance in raw.instances or []:
            yield self.instance(r, instance, managed)
        for service in raw.ecs_services or []:
            yield self.ecs_service(r, service, raw.ecs_task_definitions)
        for stack in raw.stacks or []:
            if stack.get("RoleARN"):
                yield self.stack(r, stack)
        for endpoint in raw.glue_dev_endpoints or []:
            yield self.glue(r, endpoint)
        for notebook in raw.notebook_instances or []:
            yield self.notebook(r, notebook)
        for project in raw.codebuild_projects or []:
            yield self.codebuild(r, project)
        for association in raw.eks_pod_identities or []:
            yield self.pod_identity(r, association)

    def instance(self, region: str, instance: dict[str, Any], managed: set[str] | None) -> Workload:
        instance_id = str(instance["InstanceId"])
        profile = str((instance.get("IamInstanceProfile") or {}).get("Arn") or "")
        roles = self.profile_roles.get(profile, []) if profile else []
        tags = _tags(instance.get("Tags"))
        ssm = UNKNOWN if managed is None else _flag(instance_id in managed)
        tokens = (instance.get("MetadataOptions") or {}).get("HttpTokens")
        return self.workload(
            region,
            ComputeKind.EC2_INSTANCE,
            id=f"arn:{self.partition}:ec2:{region}:{self.account}:instance/{instance_id}",
            name=tags.get("Name") or instance_id,
            identity_ids=roles,
            state=(instance.get("State") or {}).get("Name"),
            tags=tags,
            attributes={
                "instance_profile": profile,
                "role_resolved": _flag(bool(roles)) if profile else "",
                "ssm_managed": ssm,
                "imdsv2_required": UNKNOWN if tokens is None else _flag(tokens == "required"),
                "public_ip": _flag(bool(instance.get("PublicIpAddress"))),
            },
        )

    def ecs_service(self, region: str, service: dict[str, Any], definitions: dict[str, dict[str, Any]]) -> Workload:
        definition_arn = str(service.get("taskDefinition") or "")
        definition = definitions.get(definition_arn)
        task_role = str((definition or {}).get("taskRoleArn") or "")
        execution_role = str((definition or {}).get("executionRoleArn") or "")
        cluster = str(service.get("clusterArn") or "")
        return self.workload(
            region,
            ComputeKind.ECS_SERVICE,
            id=str(service["serviceArn"]),
            name=str(service.get("serviceName") or service["serviceArn"]),
            identity_ids=_present(task_role),
            state=service.get("status"),
            tags=_tags(service.get("tags"), key="key", value="value"),
            attributes={
                "cluster": cluster,
                "task_definition": definition_arn,
                "task_definition_read": _flag(definition is not None),
                "execution_role": execution_role,
                "launch_type": str(service.get("launchType") or ""),
                "execute_command": _flag(service["enableExecuteCommand"] is True)
                if "enableExecuteCommand" in service
                else "",
            },
        )

    def stack(self, region: str, stack: dict[str, Any]) -> Workload:
        return self.workload(
            region,
            ComputeKind.CLOUDFORMATION_STACK,
            id=str(stack["StackId"]),
            name=str(stack["StackName"]),
            identity_ids=[str(stack["RoleARN"])],
            state=stack.get("StackStatus"),
            tags=_tags(stack.get("Tags")),
            attributes={"termination_protection": _flag(bool(stack.get("EnableTerminationProtection")))},
        )

    def glue(self, region: str, endpoint: dict[str, Any]) -> Workload:
        name = str(endpoint["EndpointName"])
        return self.workload(
            region,
            ComputeKind.GLUE_DEV_ENDPOINT,
            id=f"arn:{self.partition}:glue:{region}:{self.account}:devEndpoint/{name}",
            name=name,
            identity_ids=_present(endpoint.get("RoleArn")),
            state=endpoint.get("Status"),
            attributes={
                "public_address": str(endpoint.get("PublicAddress") or ""),
                "public_keys": str(len(endpoint.get("PublicKeys") or []) + bool(endpoint.get("PublicKey"))),
            },
        )

    def notebook(self, region: str, notebook: dict[str, Any]) -> Workload:
        return self.workload(
            region,
            ComputeKind.SAGEMAKER_NOTEBOOK,
            id=str(notebook["NotebookInstanceArn"]),
            name=str(notebook["NotebookInstanceName"]),
            identity_ids=_present(notebook.get("RoleArn")),
            state=notebook.get("NotebookInstanceStatus"),
            attributes={
                "root_access": str(notebook.get("RootAccess") or UNKNOWN),
                "direct_internet_access": str(notebook.get("DirectInternetAccess") or UNKNOWN),
            },
        )

    def codebuild(self, region: str, project: dict[str, Any]) -> Workload:
        environment = project.get("environment") or {}
        return self.workload(
            region,
            ComputeKind.CODEBUILD_PROJECT,
            id=str(project["arn"]),
            name=str(project["name"]),
            identity_ids=_present(project.get("serviceRole")),
            tags=_tags(project.get("tags"), key="key", value="value"),
            attributes={
                "source_type": str((project.get("source") or {}).get("type") or ""),
                "privileged_mode": _flag(bool(environment.get("privilegedMode"))),
            },
        )

    def pod_identity(self, region: str, association: dict[str, Any]) -> Workload:
        cluster = str(association.get("clusterName") or "")
        namespace = str(association.get("namespace") or "")
        account = str(association.get("serviceAccount") or "")
        return self.workload(
            region,
            ComputeKind.EKS_POD_IDENTITY,
            id=str(association["associationArn"]),
            name=f"{cluster}/{namespace}/{account}",
            identity_ids=_present(association.get("roleArn")),
            attributes={
                "source": "pod_identity",
                "cluster": cluster,
                "namespace": namespace,
                "service_account": account,
                "issuer": "",
            },
        )


def irsa_workloads(account: str, roles: list[dict[str, Any]]) -> list[Workload]:
    """One workload per EKS service account that a role's trust policy lets assume it (IRSA).

    Read from ``sts:AssumeRoleWithWebIdentity`` statements whose federated principal is an
    ``oidc.eks.*`` provider and whose condition names ``system:serviceaccount:NS:SA`` under
    the issuer's ``:sub`` key. A pattern (``StringLike`` with ``*``) is kept as written.
    """
    found: dict[tuple[str, str], list[str]] = {}
    for role in roles:
        for issuer, subject in _irsa_subjects(role.get("AssumeRolePolicyDocument")):
            found.setdefault((issuer, subject), []).append(str(role["Arn"]))
    result: list[Workload] = []
    for (issuer, subject), role_arns in sorted(found.items()):
        _, _, namespace, service_account = (subject.split(":", 3) + ["", "", "", ""])[:4]
        region = issuer.split(".")[2] if issuer.count(".") >= 3 else None
        result.append(
            Workload(
                id=f"{issuer}:{subject}",
                provider=Provider.AWS,
                kind=ComputeKind.EKS_POD_IDENTITY,
                name=f"{namespace}/{service_account}",
                account=account,
                region=region,
                identity_ids=sorted(set(role_arns)),
                attributes={
                    "source": "irsa",
                    "cluster": "",
                    "namespace": namespace,
                    "service_account": service_account,
                    "issuer": issuer,
                },
            )
        )
    return result


def _irsa_subjects(document: Any) -> Iterator[tuple[str, str]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return
    if not isinstance(document, dict):
        return
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        federated = (
            (statement.get("Principal") or {}).get("Federated")
            if isinstance(statement.get("Principal"), dict)
            else None
        )
        for principal in federated if isinstance(federated, list) else [federated]:
            if not isinstance(principal, str) or ":oidc-provider/oidc.eks." not in principal:
                continue
            issuer = principal.split(":oidc-provider/", 1)[1]
            for conditions in (statement.get("Condition") or {}).values():
                if not isinstance(conditions, dict):
                    continue
                values = conditions.get(f"{issuer}:sub")
                for value in values if isinstance(values, list) else [values]:
                    if isinstance(value, str) and value.startswith("system:serviceaccount:"):
                        yield issuer, value


def _present(value: Any) -> list[str]:
    return [str(value)] if value else []


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _tags(tags: Any, *, key: str = "Key", value: str = "Value") -> dict[str, str]:
    if not isinstance(tags, list):
        return {}
    return {str(t[key]): str(t.get(value, "")) for t in tags if isinstance(t, dict) and key in t}
