"""CloudFormation template (JSON or YAML) -> the IAM estate the stack creates.

YAML is read with cfn-flip's loader (``cfn_tools``) under bounds (``cfn_yaml.py``: alias expansion, depth), which understands the short intrinsic
tags (``!Ref``, ``!GetAtt``, ``!Sub``...) and turns them into their long form; a mapping key
written as an intrinsic (``!Sub "${GitHubOIDC.Url}:sub": ...``) is kept as an
:class:`~standing.collectors.iac.cfn_intrinsics.IntrinsicKey`. Intrinsics are then resolved
only as far as the template itself says (``cfn_intrinsics.py``: parameters' defaults, pseudo
parameters, the OIDC providers the template declares, conditions over defaults). A value that
exists only at deploy time (a parameter with no default, ``!ImportValue``) is reported as not
judged, naming the resource and the field, and a trust statement holding one is not judged:
never a finding, never read as ``*`` or as harmless. The template is the stack after the
change, so everything it declares counts as created.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from standing.collectors.iac.cfn_intrinsics import (
    IntrinsicKey,
    MalformedIntrinsic,
    Resolver,
    TemplateParts,
    Unresolved,
    check_intrinsic,
    contains_unresolved,
)
from standing.collectors.iac.cfn_yaml import load_yaml
from standing.collectors.iac.estate import DEPLOY_ACCOUNT, Estate
from standing.core.errors import UserError
from standing.core.iac import IacChange, SourceRef
from standing.core.model import CredentialKind, IdentityKind, Provider
from standing.core.textfiles import parse_json, read_text

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
        self.parameters: dict[str, Any] = _section(data, "Parameters")
        self.parts = TemplateParts(
            resources=self.resources,
            parameters=self.parameters,
            conditions=_section(data, "Conditions"),
            mappings=_section(data, "Mappings"),
        )
        self.lines = lines

    def address(self, logical_id: str) -> str:
        """``FILE:LogicalId``: logical ids repeat across templates (every stack has a ``DeployRole``),
        so ids, fingerprints and baselines carry the template's path as given (run from the repo root)."""
        return f"{self.source}:{logical_id}"


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def read_template(path: Path) -> Template:
    return parse_template(read_text(path), str(path))


def parse_template(text: str, source: str) -> Template:
    if text.lstrip().startswith("{"):
        data = parse_json(text, source, hint="truncated or not a template")
        lines = _json_lines(text, data)
    else:
        data, node = load_yaml(text, source)
        lines = _yaml_lines(node)
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise UserError(source, "not a CloudFormation template (no Resources section)")
    for logical_id, resource in data["Resources"].items():
        if not isinstance(logical_id, str) or isinstance(logical_id, IntrinsicKey):
            raise UserError(source, "Resources: a logical id is not a name (a YAML complex key or a tag)")
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


def with_parameters(template: Template, values: Mapping[str, str]) -> Template:
    """The template as deployed with these parameter values (``--parameter-overrides``); names the
    template does not declare are ignored, so one set of values can serve several templates."""
    given = {name: value for name, value in values.items() if name in template.parameters}
    if not given:
        return template
    parameters = {
        name: {**(declared if isinstance(declared, dict) else {}), "Default": given[name]}
        if name in given
        else declared
        for name, declared in template.parameters.items()
    }
    template.parameters = parameters
    template.parts = replace(template.parts, parameters=parameters)
    return template


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
        self._names: dict[IdentityKind, dict[str, str]] = {}

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
        except MalformedIntrinsic as exc:  # a template CloudFormation rejects: bad input, not "not judged"
            raise UserError(self.t.source, f"resource {logical_id}, {exc}") from None
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
            self.out.unknown(
                Provider.AWS,
                address,
                resource["Type"],
                f"its properties could not be read ({exc.__class__.__name__}); not judged",
            )

    # -- resolving intrinsics ----------------------------------------------------------------
    def resource_of(self, value: Any, field: str) -> str | None:
        """The logical id a ``Ref`` / ``GetAtt`` names, if it is a resource of this template."""
        check_intrinsic(value, field)
        if isinstance(value, dict) and len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref" and argument in self.t.resources:
                return self.t.address(str(argument))
            if function == "Fn::GetAtt":
                name = argument[0] if isinstance(argument, list) else str(argument).split(".", 1)[0]
                return self.t.address(name) if name in self.t.resources else None
        return None

    def literal(self, value: Any, where: str, attribute: str) -> Any:
        """Resolve intrinsics to literals; each deploy-time value is reported as not judged, by field."""
        resolver = Resolver(self.t.parts)
        resolved = resolver.resolve(value, attribute)
        for gap in resolver.gaps:
            self.out.unknown(Provider.AWS, where, gap.field, gap.detail)
        return resolved

    def name_of(self, address: str, properties: dict[str, Any], key: str) -> str:
        """The physical name a property gives, else the logical id (CloudFormation generates one from it)."""
        logical_id = address.rsplit(":", 1)[-1]
        if key not in properties:
            return logical_id
        value = self.literal(properties[key], address, key)
        return value if isinstance(value, str) and not isinstance(value, Unresolved) else logical_id

    def principal(self, value: Any, kind: IdentityKind, field: str) -> str | None:
        """A user or role named by a property: this template's resource, or an existing one by name."""
        logical_id = self.resource_of(value, field)
        if logical_id is not None:
            return logical_id
        if isinstance(value, str):
            label = "user" if kind is IdentityKind.USER else "role"
            declared = self._declared_names(kind).get(value)
            if declared is not None:
                return declared
            return self.out.identity(
                None, id=f"aws:{label}/{value}", provider=Provider.AWS, kind=kind, name=value, account=DEPLOY_ACCOUNT
            )
        return None

    def _declared_names(self, kind: IdentityKind) -> dict[str, str]:
        """The physical names of this template's users (or roles) -> their addresses, computed once.

        Only ``AWS::IAM::User`` (``AWS::IAM::Role``) resources name one: a key's own ``UserName``
        is the user it belongs to, not a user. Once per template, so that a template of many keys
        is not quadratic.
        """
        if kind not in self._names:
            wanted, key = (
                ("AWS::IAM::User", "UserName") if kind is IdentityKind.USER else ("AWS::IAM::Role", "RoleName")
            )
            names: dict[str, str] = {}
            for lid, resource in self.t.resources.items():
                if resource["Type"] == wanted:
                    props = resource.get("Properties")
                    address = self.t.address(lid)
                    names.setdefault(self.name_of(address, props if isinstance(props, dict) else {}, key), address)
            self._names[kind] = names
        return self._names[kind]

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
        elif (judged := _judged_statements(document)) is not None:  # deploy-time values: reported already
            self.out.aws_trust(logical_id, logical_id, judged)
        self._inline_and_managed(logical_id, props)

    def _inline_and_managed(self, holder: str, props: dict[str, Any]) -> None:
        for position, policy in enumerate(props.get("Policies") or []):
            if not isinstance(policy, dict):
                continue
            name = given if isinstance(given := policy.get("PolicyName"), str) else f"policy{position}"
            policy_id = f"{holder}#inline:{name}"
            document = _judged_statements(self.literal(policy.get("PolicyDocument"), holder, f"Policies.{name}"))
            if document is None:
                continue  # known only at deploy time: reported, not judged
            if self.out.aws_policy(holder, policy_id, name, document):
                self.out.attach_aws(holder, holder, policy_id, DEPLOY_ACCOUNT)
        for arn in props.get("ManagedPolicyArns") or []:
            managed_id = self._managed_arn(holder, arn)
            if managed_id is not None:
                self.out.attach_aws(holder, holder, managed_id, DEPLOY_ACCOUNT)

    def _managed_arn(self, where: str, value: Any) -> str | None:
        logical_id = self.resource_of(value, "ManagedPolicyArns")
        if logical_id is not None:
            return logical_id if logical_id in self.out.roles else None
        arn = self.literal(value, where, "ManagedPolicyArns")
        if not isinstance(arn, str) or isinstance(arn, Unresolved):
            return None
        return self.out.aws_managed_policy(where, arn)

    def _managedpolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        document = _judged_statements(self.literal(props.get("PolicyDocument"), logical_id, "PolicyDocument"))
        name = self.name_of(logical_id, props, "ManagedPolicyName")
        if document is not None and self.out.aws_policy(logical_id, logical_id, name, document):
            self._attach_to_listed(logical_id, logical_id, props)

    def _policy(self, logical_id: str, props: dict[str, Any]) -> None:
        document = _judged_statements(self.literal(props.get("PolicyDocument"), logical_id, "PolicyDocument"))
        name = self.name_of(logical_id, props, "PolicyName")
        if document is not None and self.out.aws_policy(logical_id, logical_id, name, document):
            self._attach_to_listed(logical_id, logical_id, props)

    def _rolepolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        self._policy(logical_id, {**props, "Roles": [props.get("RoleName")]})

    def _userpolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        self._policy(logical_id, {**props, "Users": [props.get("UserName")]})

    def _attach_to_listed(self, address: str, policy_id: str, props: dict[str, Any]) -> None:
        for key, kind in (("Users", IdentityKind.USER), ("Roles", IdentityKind.ROLE)):
            for value in props.get(key) or []:
                holder = self.principal(value, kind, key)
                if holder is None:
                    self.out.unknown(Provider.AWS, address, key, "a holder is known only at deploy time")
                    continue
                self.out.attach_aws(address, holder, policy_id, DEPLOY_ACCOUNT)

    def _accesskey(self, logical_id: str, props: dict[str, Any]) -> None:
        owner = self.principal(props.get("UserName"), IdentityKind.USER, "UserName")
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


def _judged_statements(document: Any) -> Any:
    """A policy without the statements that hold a deploy-time value (reported, not judged); None
    when a ``Deny`` holds one, as dropping a deny would widen what is judged.

    An ``Allow`` statement whose principal, action, resource or condition is not known cannot be
    read as open nor as pinned, as admin nor as harmless; the other statements still are.
    """
    if isinstance(document, Unresolved):
        return None
    if not isinstance(document, dict):
        return document  # a JSON document from Fn::Sub / Fn::Join (fully resolved), or unreadable
    statements = document.get("Statement")
    listed = statements if isinstance(statements, list) else [statements]
    if any(isinstance(s, dict) and s.get("Effect") == "Deny" and contains_unresolved(s) for s in listed):
        return None
    kept = [s for s in listed if not contains_unresolved(s)]
    return document if len(kept) == len(listed) else {**document, "Statement": kept}
