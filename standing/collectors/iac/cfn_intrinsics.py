"""CloudFormation's intrinsic functions, resolved as far as the template itself says and no further.

A trust policy written the way teams write it is full of intrinsics: the OIDC provider's ARN from
``!GetAtt GitHubOIDC.Arn`` (or ``!Ref GitHubOIDC``), the subject from ``!Sub
repo:${Repo}:ref:refs/heads/main``, a condition key from ``!Sub "${GitHubOIDC.Url}:sub"`` or a
``!Join``, the principal picked by ``!If`` on a condition over a parameter's default. Read
literally, each of them looks like no subject at all, and the gate would block the very role the
planner recommends. So they are evaluated here, in both syntaxes (YAML short tags arrive in their
long form from cfn-flip's loader):

- ``Ref``: a parameter's ``Default`` (a ``CommaDelimitedList`` or ``List<...>`` one split on
  commas); a pseudo parameter (below); an ``AWS::IAM::OIDCProvider`` of the template is its ARN;
  any other resource of the template stands for itself (``${LogicalId}``).
- ``Fn::GetAtt``: ``Arn`` of an ``AWS::IAM::OIDCProvider`` is
  ``arn:<partition>:iam::<account>:oidc-provider/<Url host and path>``, and ``Url`` is that host and
  path (the form IAM uses in condition keys; CloudFormation itself documents only ``Arn``, so
  ``Url`` is read from the resource's ``Url`` property). Other attributes stand for themselves
  (``${LogicalId.Attribute}``): a resource of this stack, never a wildcard.
- ``Fn::Sub`` (string, or ``[string, {variables}]``, ``${!Literal}`` escapes), ``Fn::Join``,
  ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap`` over ``Mappings``, and ``Fn::If`` on a
  ``Conditions`` entry made of ``Fn::Equals`` / ``Fn::Not`` / ``Fn::And`` / ``Fn::Or`` / ``Condition``.
- Keys written as intrinsics (``!Sub "${GitHubOIDC.Url}:sub": ...`` inside a condition block) are
  resolved like values.

Pseudo parameters: ``AWS::AccountId`` is ``deploy-account`` (the account the stack is deployed into,
which a template cannot know: it is this estate's own account, never an outsider),
``AWS::Partition`` is ``aws``, ``AWS::Region`` is ``deploy-region``, ``AWS::URLSuffix`` is
``amazonaws.com``, and ``AWS::NoValue`` removes the property or list item it stands in.

A value that exists only at deploy time (a parameter with no default, ``Fn::ImportValue``, a
condition over one, ``Fn::GetAZs``...) becomes an :class:`Unresolved` string and a :class:`Gap`
naming the field (``AssumeRolePolicyDocument.Statement[0].Condition.StringLike.<key>``). Callers
report gaps as not judged and never judge a statement holding an unresolved value: it is neither
a finding nor a wildcard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from standing.collectors.iac.estate import DEPLOY_ACCOUNT, oidc_issuer, oidc_provider_arn

PSEUDO: dict[str, Any] = {
    "AWS::AccountId": DEPLOY_ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::Region": "deploy-region",
    "AWS::StackName": "stack",
    "AWS::StackId": "stack",
    "AWS::URLSuffix": "amazonaws.com",
}
OIDC_PROVIDER = "AWS::IAM::OIDCProvider"
_SUB_VAR = re.compile(r"\$\{(!?)([^}]+)\}")
MAX_INDIRECTIONS = 32  # mapping entries, conditions and provider URLs followed within one value
# Nested Fn::Sub / Fn::Join multiply text without any alias (eight ${A} of eight ${B} of ...): a
# value longer than this is no name, ARN or policy IAM accepts (a policy is at most 10,240).
MAX_TEXT = 100_000
_DEPLOY_TIME = ("Fn::ImportValue", "Fn::GetAZs", "Fn::Cidr", "Fn::Transform", "Fn::Base64", "Fn::Length")


class Unresolved(str):
    """A value known only at deploy time; its text (``${Repo}``, ``${Fn::ImportValue}``) names what it waits for."""


class IntrinsicKey(str):
    """A mapping key written as an intrinsic function (YAML ``!Sub "...": value``), kept until resolved."""

    intrinsic: Any

    def __new__(cls, intrinsic: Any) -> IntrinsicKey:
        key = super().__new__(cls, json.dumps(intrinsic, sort_keys=True, default=str))
        key.intrinsic = intrinsic
        return key


class MalformedIntrinsic(ValueError):
    """An intrinsic function written in a shape CloudFormation rejects (``!Sub ["x"]``, ``!GetAtt []``):
    the template is wrong, not merely unknown until deploy, so it is bad input, naming the field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def _pair(argument: Any) -> bool:
    return isinstance(argument, list) and len(argument) == 2


# What CloudFormation accepts as each function's argument, before anything is resolved.
_SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "Ref": (lambda a: isinstance(a, str) and bool(a), "Ref needs the name of a parameter or resource"),
    "Fn::GetAtt": (
        lambda a: (isinstance(a, str) and "." in a.strip(".")) or (_pair(a) and isinstance(a[0], str) and bool(a[0])),
        'Fn::GetAtt needs [resource, attribute] or "resource.attribute"',
    ),
    "Fn::Sub": (
        lambda a: isinstance(a, (str, dict)) or (_pair(a) and isinstance(a[1], dict)),
        "Fn::Sub needs a string or [string, {variables}]",
    ),
    "Fn::Join": (_pair, "Fn::Join needs [delimiter, [values]]"),
    "Fn::Select": (_pair, "Fn::Select needs [index, [values]]"),
    "Fn::Split": (_pair, "Fn::Split needs [delimiter, string]"),
    "Fn::FindInMap": (
        lambda a: isinstance(a, list) and len(a) == 3,
        "Fn::FindInMap needs [map, top-level key, second-level key]",
    ),
    "Fn::If": (
        lambda a: isinstance(a, list) and len(a) == 3 and isinstance(a[0], str),
        "Fn::If needs [condition name, value if true, value if false]",
    ),
}


def check_intrinsic(value: Any, path: str) -> None:
    """Raise :class:`MalformedIntrinsic` if ``value`` is an intrinsic function in a shape CloudFormation rejects."""
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        shape = _SHAPES.get(function) if isinstance(function, str) else None
        if shape is not None and not shape[0](argument):
            raise MalformedIntrinsic(path, shape[1])


class _NoValue:
    """``AWS::NoValue``: the property or list item it stands in is removed."""


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class Gap:
    """A field whose value is known only at deploy time, and why."""

    field: str
    detail: str


@dataclass
class TemplateParts:
    """What resolution reads from a template: resources, parameters, conditions, mappings."""

    resources: Mapping[str, Mapping[str, Any]]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)


def contains_unresolved(value: Any) -> bool:
    """Whether a resolved value holds a deploy-time value anywhere (keys included)."""
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, dict):
        return any(contains_unresolved(k) or contains_unresolved(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_unresolved(v) for v in value)
    return False


class Resolver:
    """Resolves one value of a template; the gaps it met are in ``gaps``, each once."""

    def __init__(self, parts: TemplateParts) -> None:
        self.parts = parts
        self.gaps: list[Gap] = []
        self._following: list[tuple[str, ...]] = []  # mapping entries and OIDC URLs being resolved

    def _follow(self, what: tuple[str, ...], path: str, describe: str) -> None:
        """Enter one indirection; a cycle or a chain deeper than CloudFormation would resolve is malformed."""
        if what in self._following:
            raise MalformedIntrinsic(path, f"{describe} refers to itself")
        if len(self._following) >= MAX_INDIRECTIONS:
            raise MalformedIntrinsic(path, f"{describe} is reached through more than {MAX_INDIRECTIONS} references")
        self._following.append(what)

    def resolve(self, value: Any, path: str) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v, f"{path}[{n}]") for n, v in enumerate(value)]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            handler = _FUNCTIONS.get(function) if isinstance(function, str) else None
            if handler is not None:
                check_intrinsic(value, path)
                return handler(self, argument, path)
            if isinstance(function, str) and (
                function in _DEPLOY_TIME or (function.startswith("Fn::") and function not in _FUNCTIONS)
            ):
                return self.gap(path, f"{function} is evaluated only at deploy time", f"${{{function}}}")
        resolved: dict[Any, Any] = {}
        for key, item in value.items():
            name = self._key(key, path)
            result = self.resolve(item, f"{path}.{name}" if path else str(name))
            if result is not NO_VALUE:
                resolved[name] = result
        return resolved

    def gap(self, path: str, detail: str, text: str) -> Unresolved:
        entry = Gap(path, detail)
        if entry not in self.gaps:
            self.gaps.append(entry)
        return Unresolved(text)

    def _key(self, key: Any, path: str) -> Any:
        if not isinstance(key, IntrinsicKey):
            return key
        name = self.resolve(key.intrinsic, path)
        if isinstance(name, str):
            return name
        return self.gap(path, "a key written as an intrinsic did not resolve to a string", str(key))

    # -- the functions ---------------------------------------------------------------------
    def ref(self, name: Any, path: str) -> Any:
        name = str(name)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        resource = self.parts.resources.get(name)
        if resource is not None:
            return self._oidc_arn(name, path) if resource.get("Type") == OIDC_PROVIDER else f"${{{name}}}"
        parameter = self.parts.parameters.get(name)
        if isinstance(parameter, dict) and "Default" in parameter:
            default = parameter["Default"]
            kind = str(parameter.get("Type", ""))
            if isinstance(default, str) and (kind == "CommaDelimitedList" or kind.startswith("List<")):
                return [part.strip() for part in default.split(",")]
            return default
        if isinstance(parameter, dict):
            return self.gap(path, f"parameter {name} has no default; its value is not known", f"${{{name}}}")
        return self.gap(path, f"{name} is neither a parameter nor a resource of this template", f"${{{name}}}")

    def get_att(self, argument: Any, path: str) -> Any:
        if isinstance(argument, list) and len(argument) == 2:
            name, attribute = str(argument[0]), self.resolve(argument[1], path)
        else:
            name, _, attribute = str(argument).partition(".")
        resource = self.parts.resources.get(name)
        if resource is None:
            return self.gap(path, f"{name} is not a resource of this template", f"${{{name}.{attribute}}}")
        if resource.get("Type") == OIDC_PROVIDER and attribute in ("Arn", "Url"):
            return self._oidc_arn(name, path) if attribute == "Arn" else self._oidc_url(name, path)
        return f"${{{name}.{attribute}}}"

    def sub(self, argument: Any, path: str) -> Any:
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text, variables = argument[0], argument[1]
        else:
            text, variables = argument, {}
        text = self.resolve(text, path)
        if not isinstance(text, str):
            return self.gap(path, "Fn::Sub of something other than a string", "${Fn::Sub}")
        unresolved = isinstance(text, Unresolved)

        def replace(match: re.Match[str]) -> str:
            nonlocal unresolved
            escaped, name = match.group(1), match.group(2)
            if escaped:
                return "${" + name + "}"
            if name in variables:
                value = self.resolve(variables[name], path)
            elif "." in name and not name.startswith("AWS::"):
                value = self.get_att(name, path)
            else:
                value = self.ref(name, path)
            unresolved = unresolved or isinstance(value, Unresolved)
            if value is NO_VALUE:
                return ""
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            length[0] += len(text)
            if length[0] > MAX_TEXT:
                raise MalformedIntrinsic(path, f"Fn::Sub resolves to more than {MAX_TEXT:,} characters")
            return text

        length = [len(text)]
        result = _SUB_VAR.sub(replace, text)
        return Unresolved(result) if unresolved else result

    def join(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            return self.gap(path, "Fn::Join needs [delimiter, [values]]", "${Fn::Join}")
        delimiter = self.resolve(argument[0], path)
        parts = self.resolve(argument[1], path)
        if isinstance(parts, Unresolved) or not isinstance(parts, list) or isinstance(delimiter, Unresolved):
            return Unresolved("${Fn::Join}") if contains_unresolved([parts, delimiter]) else self._bad(path, "Join")
        pieces = [str(p) for p in parts]
        if sum(map(len, pieces)) + len(str(delimiter)) * len(pieces) > MAX_TEXT:
            raise MalformedIntrinsic(path, f"Fn::Join resolves to more than {MAX_TEXT:,} characters")
        text = str(delimiter).join(pieces)
        return Unresolved(text) if contains_unresolved(parts) else text

    def select(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            return self._bad(path, "Select")
        index, items = self.resolve(argument[0], path), self.resolve(argument[1], path)
        if isinstance(index, Unresolved) or isinstance(items, Unresolved):
            return Unresolved("${Fn::Select}")
        try:
            return items[int(index)]
        except (TypeError, ValueError, IndexError, KeyError):
            return self._bad(path, "Select")

    def split(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            return self._bad(path, "Split")
        delimiter, text = self.resolve(argument[0], path), self.resolve(argument[1], path)
        if isinstance(text, Unresolved) or isinstance(delimiter, Unresolved):
            return Unresolved("${Fn::Split}")
        if not isinstance(text, str) or not isinstance(delimiter, str) or not delimiter:
            return self._bad(path, "Split")
        return text.split(delimiter)

    def find_in_map(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            return self._bad(path, "FindInMap")
        keys = [self.resolve(a, path) for a in argument]
        if contains_unresolved(keys):
            return Unresolved("${Fn::FindInMap}")
        try:
            entry = self.parts.mappings[keys[0]][keys[1]][keys[2]]
        except (KeyError, TypeError, IndexError):
            return self._bad(path, "FindInMap")
        self._follow(("map", *map(str, keys)), path, f"Fn::FindInMap {'.'.join(map(str, keys))}")
        try:
            return self.resolve(entry, path)
        finally:
            self._following.pop()

    def if_(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            return self._bad(path, "If")
        holds = self.condition(str(argument[0]), path=path)
        if holds is None:
            detail = f"condition {argument[0]} depends on values known only at deploy time"
            return self.gap(path, detail, "${Fn::If}")
        return self.resolve(argument[1] if holds else argument[2], path)

    def condition(self, name: str, depth: int = 0, path: str = "") -> bool | None:
        """Whether a named condition holds with the template's defaults; None if it cannot be known."""
        expression = self.parts.conditions.get(name)
        if expression is None or depth > 16:
            return None
        self._follow(("condition", name), path, f"condition {name}")  # an Fn::If inside it may name it again
        try:
            return self._holds(expression, depth, path)
        finally:
            self._following.pop()

    def _holds(self, expression: Any, depth: int, path: str = "") -> bool | None:
        if not isinstance(expression, dict) or len(expression) != 1:
            return None
        ((function, argument),) = expression.items()
        if function == "Condition":
            return self.condition(str(argument), depth + 1, path)
        if not isinstance(argument, list):
            return None
        if function == "Fn::Equals" and len(argument) == 2:
            probe = Resolver(self.parts)
            probe._following = self._following  # one chain of references, however many probes
            left, right = (probe.resolve(a, "") for a in argument)
            if probe.gaps or contains_unresolved([left, right]):
                return None
            return str(left) == str(right)
        values = [self._holds(a, depth + 1, path) for a in argument]
        if function == "Fn::Not" and len(values) == 1:
            return None if values[0] is None else not values[0]
        if function == "Fn::And":
            return False if False in values else (None if None in values else True)
        if function == "Fn::Or":
            return True if True in values else (None if None in values else False)
        return None

    def _bad(self, path: str, function: str) -> Unresolved:
        return self.gap(path, f"Fn::{function} has arguments standing cannot read", f"${{Fn::{function}}}")

    # -- OIDC providers ----------------------------------------------------------------------
    def _oidc_url(self, name: str, path: str) -> Any:
        properties = self.parts.resources[name].get("Properties") or {}
        if not isinstance(properties, Mapping):
            return self.gap(path, f"the OIDC provider {name} has no Url", f"${{{name}.Url}}")
        self._follow(("oidc", name), path, f"the Url of the OIDC provider {name}")
        try:
            url = self.resolve(properties.get("Url"), path)
        finally:
            self._following.pop()
        if isinstance(url, Unresolved):
            return url
        if not isinstance(url, str) or not url:
            return self.gap(path, f"the OIDC provider {name} has no Url", f"${{{name}.Url}}")
        return oidc_issuer(url)

    def _oidc_arn(self, name: str, path: str) -> Any:
        url = self._oidc_url(name, path)
        arn = oidc_provider_arn(url, DEPLOY_ACCOUNT, PSEUDO["AWS::Partition"])
        return Unresolved(arn) if isinstance(url, Unresolved) else arn


_FUNCTIONS: dict[str, Callable[[Resolver, Any, str], Any]] = {
    "Ref": Resolver.ref,
    "Fn::GetAtt": Resolver.get_att,
    "Fn::Sub": Resolver.sub,
    "Fn::Join": Resolver.join,
    "Fn::Select": Resolver.select,
    "Fn::Split": Resolver.split,
    "Fn::FindInMap": Resolver.find_in_map,
    "Fn::If": Resolver.if_,
}
