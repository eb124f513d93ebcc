"""CloudFormation template (JSON or YAML) -> the IAM estate the stack creates.

YAML is read with cfn-flip's loader (``cfn_tools``), which understands the short intrinsic
tags (``!Ref``, ``!GetAtt``, ``!Sub``...) and turns them into their long form. Intrinsics are
then resolved only as far as the template itself says: ``!Ref`` to a resource is that
resource, to a parameter its default; pseudo parameters name the deploying account. A value
that exists only at deploy time (a parameter with no default, ``!ImportValue``) inside a
policy is recorded as unknown, never read as ``*`` or as harmless. The template is the stack
after the change, so everything it declares counts as created.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from cfn_tools import CfnYamlLoader

from standing.collectors.iac.estate import DEPLOY_ACCOUNT, Estate
from standing.core.errors import UserError
from standing.core.iac import IacChange, SourceRef
from standing.core.model import CredentialKind, IdentityKind, Provider
from standing.core.textfiles import parse_json, read_text

PSEUDO = {
    "AWS::AccountId": DEPLOY_ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::Region": "deploy-region",
    "AWS::StackName": "stack",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}
_SUB_VAR = re.compile(r"\$\{([^}!]+)\}")
CONVERTED = frozenset(
    {
        "AWS::IAM::User",
        "AWS::IAM::Role",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::AccessKey",
        "AWS::IAM::Policy",
        "AWS::IAM::RolePolicy",
        "AWS::IAM::UserPolicy",
    }
)
# IAM resources that hold or grant nothing by themselves; any other unconverted one is reported.
GRANTS_NOTHING = frozenset(
    {
        "AWS::IAM::Group",
        "AWS::IAM::InstanceProfile",
        "AWS::IAM::OIDCProvider",
        "AWS::IAM::SAMLProvider",
        "AWS::IAM::ServiceLinkedRole",
        "AWS::IAM::ServerCertificate",
        "AWS::IAM::VirtualMFADevice",
    }
)


class Template:
    """A parsed template, its resources, and the line each resource starts on."""

    def __init__(self, source: str, data: dict[str, Any], lines: dict[str, int]) -> None:
        self.source = source
        self.resources: dict[str, dict[str, Any]] = data["Resources"]
        self.parameters: dict[str, Any] = data.get("Parameters") or {}
        self.lines = lines

    def address(self, logical_id: str) -> str:
        """``FILE:LogicalId``: logical ids repeat across templates (every stack has a ``DeployRole``),
        so ids, fingerprints and baselines carry the template's path as given (run from the repo root)."""
        return f"{self.source}:{logical_id}"


def read_template(path: Path) -> Template:
    return parse_template(read_text(path), str(path))


def parse_template(text: str, source: str) -> Template:
    if text.lstrip().startswith("{"):
        data = parse_json(text, source, hint="truncated or not a template")
        lines = _json_lines(text, data)
    else:
        try:
            node = yaml.compose(text, Loader=CfnYamlLoader)
            data = yaml.load(text, Loader=CfnYamlLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise UserError(source, f"not readable YAML{where}: {problem}") from None
        lines = _yaml_lines(node)
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise UserError(source, "not a CloudFormation template (no Resources section)")
    for logical_id, resource in data["Resources"].items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise UserError(source, f"resource {logical_id} has no Type")
    return Template(source, data, lines)


def _yaml_lines(node: yaml.Node | None) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "Resources" and isinstance(value, yaml.MappingNode):
            return {k.value: k.start_mark.line + 1 for k, _ in value.value if isinstance(k, yaml.ScalarNode)}
    return {}


def _json_lines(text: str, data: Any) -> dict[str, int]:
    start = text.find('"Resources"')
    resources = data.get("Resources") if isinstance(data, dict) else None
    if start < 0 or not isinstance(resources, dict):
        return {}
    lines = {}
    for logical_id in resources:
        match = re.compile(re.escape(json.dumps(logical_id)) + r"\s*:").search(text, start)
        if match:
            lines[logical_id] = text.count("\n", 0, match.start()) + 1
    return lines


def convert_template(template: Template, now: datetime) -> IacChange:
    after = _Stack(template, now).estate()
    refs = {
        template.address(lid): SourceRef(
            file=template.source, address=template.address(lid), line=template.lines.get(lid)
        )
        for lid in template.resources
    }
    before = Estate(now=now).inventory()
    return IacChange(
        source=template.source,
        kind="cloudformation",
        before=before,
        after=after.inventory(),
        refs=refs,
        declared=after.declared,
        involved=after.involved,
    )


class _Stack:
    def __init__(self, template: Template, now: datetime) -> None:
        self.t = template
        self.now = now
        self.out = Estate(now=now)

    def estate(self) -> Estate:
        for wanted in (
            ("AWS::IAM::User", "AWS::IAM::Role"),
            ("AWS::IAM::ManagedPolicy",),
            ("AWS::IAM::AccessKey", "AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy"),
        ):
            for logical_id, resource in self.t.resources.items():
                if resource["Type"] in wanted:
                    self._guarded(logical_id, resource)
        for logical_id, resource in self.t.resources.items():
            kind = resource["Type"]
            if kind.startswith("AWS::IAM::") and kind not in CONVERTED and kind not in GRANTS_NOTHING:
                self.out.unknown(
                    Provider.AWS,
                    self.t.address(logical_id),
                    kind,
                    "this resource type is not converted by standing; what it grants is not judged",
                )
        return self.out

    def _guarded(self, logical_id: str, resource: dict[str, Any]) -> None:
        """A resource whose properties have an unexpected shape is reported as not judged, never skipped."""
        address = self.t.address(logical_id)
        handler = getattr(self, "_" + resource["Type"].rsplit("::", 1)[1].lower())
        try:
            handler(address, resource.get("Properties") or {})
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            self.out.unknown(
                Provider.AWS,
                address,
                resource["Type"],
                f"its properties could not be read ({exc.__class__.__name__}); not judged",
            )

    # -- resolving intrinsics ----------------------------------------------------------------
    def resource_of(self, value: Any) -> str | None:
        """The logical id a ``Ref`` / ``GetAtt`` names, if it is a resource of this template."""
        if isinstance(value, dict) and len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref" and argument in self.t.resources:
                return self.t.address(str(argument))
            if function == "Fn::GetAtt":
                name = argument[0] if isinstance(argument, list) else str(argument).split(".", 1)[0]
                return self.t.address(name) if name in self.t.resources else None
        return None

    def literal(self, value: Any, where: str, attribute: str) -> Any:
        """Resolve intrinsics to literals; deploy-time values are recorded as unknown."""
        if isinstance(value, list):
            return [self.literal(v, where, attribute) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self._ref(str(argument), where, attribute)
            if function == "Fn::GetAtt":
                name = argument[0] if isinstance(argument, list) else str(argument).split(".", 1)[0]
                return f"${{{name}.Arn}}"
            if function == "Fn::Sub":
                return self._sub(argument, where, attribute)
            if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
                parts = self.literal(argument[1], where, attribute)
                return str(argument[0]).join(str(p) for p in parts) if isinstance(parts, list) else None
            if function.startswith("Fn::") or function == "Condition":
                self.out.unknown(Provider.AWS, where, attribute, f"{function} is evaluated only at deploy time")
                return f"${{{function}}}"
        return {k: self.literal(v, where, attribute) for k, v in value.items()}

    def _ref(self, name: str, where: str, attribute: str) -> Any:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.t.resources:
            return f"${{{name}}}"
        parameter = self.t.parameters.get(name)
        if isinstance(parameter, dict) and "Default" in parameter:
            return parameter["Default"]
        self.out.unknown(Provider.AWS, where, attribute, f"parameter {name} has no default; its value is not known")
        return f"${{{name}}}"

    def _sub(self, argument: Any, where: str, attribute: str) -> str:
        text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.literal(variables[name], where, attribute))
            if "." in name:
                return f"${{{name}}}"
            value = self._ref(name, where, attribute)
            return "" if value is None else str(value)

        return _SUB_VAR.sub(replace, str(text))

    def name_of(self, address: str, properties: dict[str, Any], key: str) -> str:
        """The physical name a property gives, else the logical id (CloudFormation generates one from it)."""
        logical_id = address.rsplit(":", 1)[-1]
        if key not in properties:
            return logical_id
        value = self.literal(properties[key], address, key)
        return value if isinstance(value, str) else logical_id

    def principal(self, value: Any, kind: IdentityKind) -> str | None:
        """A user or role named by a property: this template's resource, or an existing one by name."""
        logical_id = self.resource_of(value)
        if logical_id is not None:
            return logical_id
        if isinstance(value, str):
            label = "user" if kind is IdentityKind.USER else "role"
            for lid, resource in self.t.resources.items():
                props = resource.get("Properties") or {}
                address = self.t.address(lid)
                if self.name_of(address, props, "UserName" if label == "user" else "RoleName") == value:
                    return address
            return self.out.identity(
                None, id=f"aws:{label}/{value}", provider=Provider.AWS, kind=kind, name=value, account=DEPLOY_ACCOUNT
            )
        return None

    # -- resources ---------------------------------------------------------------------------
    def _user(self, logical_id: str, props: dict[str, Any]) -> None:
        self.out.identity(
            logical_id,
            id=logical_id,
            provider=Provider.AWS,
            kind=IdentityKind.USER,
            name=self.name_of(logical_id, props, "UserName"),
            account=DEPLOY_ACCOUNT,
            console_access="LoginProfile" in props,
        )
        self._inline_and_managed(logical_id, props)

    def _role(self, logical_id: str, props: dict[str, Any]) -> None:
        self.out.identity(
            logical_id,
            id=logical_id,
            provider=Provider.AWS,
            kind=IdentityKind.ROLE,
            name=self.name_of(logical_id, props, "RoleName"),
            account=DEPLOY_ACCOUNT,
        )
        document = self.literal(props.get("AssumeRolePolicyDocument"), logical_id, "AssumeRolePolicyDocument")
        if document is None:
            self.out.unknown(Provider.AWS, logical_id, "AssumeRolePolicyDocument", "no trust policy given")
        else:
            self.out.aws_trust(logical_id, logical_id, document)
        self._inline_and_managed(logical_id, props)

    def _inline_and_managed(self, holder: str, props: dict[str, Any]) -> None:
        for position, policy in enumerate(props.get("Policies") or []):
            if not isinstance(policy, dict):
                continue
            name = given if isinstance(given := policy.get("PolicyName"), str) else f"policy{position}"
            policy_id = f"{holder}#inline:{name}"
            document = self.literal(policy.get("PolicyDocument"), holder, f"Policies.{name}")
            if self.out.aws_policy(holder, policy_id, name, document):
                self.out.attach_aws(holder, holder, policy_id, DEPLOY_ACCOUNT)
        for arn in props.get("ManagedPolicyArns") or []:
            managed_id = self._managed_arn(holder, arn)
            if managed_id is not None:
                self.out.attach_aws(holder, holder, managed_id, DEPLOY_ACCOUNT)

    def _managed_arn(self, where: str, value: Any) -> str | None:
        logical_id = self.resource_of(value)
        if logical_id is not None:
            return logical_id if logical_id in self.out.roles else None
        arn = self.literal(value, where, "ManagedPolicyArns")
        return self.out.aws_managed_policy(where, arn) if isinstance(arn, str) else None

    def _managedpolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        document = self.literal(props.get("PolicyDocument"), logical_id, "PolicyDocument")
        name = self.name_of(logical_id, props, "ManagedPolicyName")
        if self.out.aws_policy(logical_id, logical_id, name, document):
            self._attach_to_listed(logical_id, logical_id, props)

    def _policy(self, logical_id: str, props: dict[str, Any]) -> None:
        document = self.literal(props.get("PolicyDocument"), logical_id, "PolicyDocument")
        name = self.name_of(logical_id, props, "PolicyName")
        if self.out.aws_policy(logical_id, logical_id, name, document):
            self._attach_to_listed(logical_id, logical_id, props)

    def _rolepolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        self._policy(logical_id, {**props, "Roles": [props.get("RoleName")]})

    def _userpolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        self._policy(logical_id, {**props, "Users": [props.get("UserName")]})

    def _attach_to_listed(self, address: str, policy_id: str, props: dict[str, Any]) -> None:
        for key, kind in (("Users", IdentityKind.USER), ("Roles", IdentityKind.ROLE)):
            for value in props.get(key) or []:
                holder = self.principal(value, kind)
                if holder is None:
                    self.out.unknown(Provider.AWS, address, key, "a holder is known only at deploy time")
                    continue
                self.out.attach_aws(address, holder, policy_id, DEPLOY_ACCOUNT)

    def _accesskey(self, logical_id: str, props: dict[str, Any]) -> None:
        owner = self.principal(props.get("UserName"), IdentityKind.USER)
        if owner is None:
            self.out.unknown(Provider.AWS, logical_id, "UserName", "the key's user is known only at deploy time")
            owner = self.out.identity(
                None,
                id=f"{logical_id}:holder",
                provider=Provider.AWS,
                kind=IdentityKind.USER,
                name=f"holder of {logical_id}",
                account=DEPLOY_ACCOUNT,
            )
        status = self.literal(props.get("Status", "Active"), logical_id, "Status")
        self.out.credential(
            logical_id, identity_id=owner, kind=CredentialKind.ACCESS_KEY, active=status != "Inactive", created=self.now
        )
