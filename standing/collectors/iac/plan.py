"""A Terraform plan (``terraform show -json PLANFILE``) read into resource instances and their config.

Only the parts the converter needs: each instance's values before and after the change,
which of its values are "known after apply", and the configuration's references, which
name the resource an unknown value will come from (``user = aws_iam_user.ci.name`` is unknown
while the user is being created, but the reference says which user). Data sources Terraform
could not read during plan (action ``read``, ``read_because_config_unknown`` or
``read_because_dependency_pending``) are kept too, with their planned arguments and their
configuration block, so a policy document read only at apply can be rebuilt
(``terraform_policy_document.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standing.collectors.iac.plan_shape import ShapeError, check_plan_shape
from standing.core.errors import UserError
from standing.core.textfiles import parse_json, read_text

_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]')
_RESOURCE_REF = re.compile(r"^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)")
_DATA_REF = re.compile(r"^data\.([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)")
NOT_A_PLAN = "not a Terraform plan (expected the output of `terraform show -json PLANFILE`)"


@dataclass(frozen=True)
class Instance:
    """One resource instance in one view of the change (before or after it)."""

    address: str
    module: str  # "" for the root module, else e.g. 'module.ci["a"]'
    type: str
    name: str
    index: Any
    values: dict[str, Any]
    unknown: dict[str, Any]
    changed: bool  # created, updated or replaced by this change

    @property
    def base(self) -> str:
        """Address without this instance's own index: ``module.ci.aws_iam_user.this``."""
        prefix = f"{self.module}." if self.module else ""
        return f"{prefix}{self.type}.{self.name}"

    def is_unknown(self, attribute: str) -> bool:
        return bool(self.unknown.get(attribute)) if isinstance(self.unknown, dict) else bool(self.unknown)

    def known(self, attribute: str) -> Any:
        """The value, or None when it is absent or known only after apply."""
        return None if self.is_unknown(attribute) else self.values.get(attribute)


@dataclass(frozen=True)
class DeferredRead:
    """A data source read only at apply: its planned arguments and its configuration block."""

    instance: Instance
    expressions: dict[str, Any]  # the block expressions of its ``data`` block (constants and references)


Found = tuple[int, Instance]  # an instance and its position in its view


class Instances:
    """One view's instances (before or after the change), indexed once.

    Every lookup the converters make (the instances of a resource, the one a reference means,
    the first with a known name or ARN) is a dictionary read, so converting a plan is linear in
    its size: a per-key scan of every instance made 20,000 resources take minutes.
    """

    def __init__(self, instances: list[Instance]) -> None:
        self.all = instances
        self.by_type: dict[str, list[Instance]] = {}
        self._by_resource: dict[tuple[str, str], list[Instance]] = {}
        self._by_value: dict[tuple[tuple[str, ...], str], tuple[dict[Any, tuple[int, Instance]], list[Found]]] = {}
        for instance in instances:
            self.by_type.setdefault(instance.type, []).append(instance)
            self._by_resource.setdefault((instance.module, f"{instance.type}.{instance.name}"), []).append(instance)

    def resource(self, module: str, resource: str) -> list[Instance]:
        """The instances of ``type.name`` in one module instance (several with ``count`` / ``for_each``)."""
        return self._by_resource.get((module, resource), [])

    def first_with(self, types: tuple[str, ...], attribute: str, value: Any) -> Found | None:
        """The first instance (position, instance) of these types whose known ``attribute`` equals ``value``."""
        key = (types, attribute)
        if key not in self._by_value:
            hashed: dict[Any, tuple[int, Instance]] = {}
            unhashable: list[Found] = []
            for position, instance in enumerate(self.all):
                if instance.type not in types:
                    continue
                known = instance.known(attribute)
                try:
                    hashed.setdefault(known, (position, instance))
                except TypeError:  # a list or an object: compared the slow way, as rarely as it occurs
                    unhashable.append((position, instance))
            self._by_value[key] = (hashed, unhashable)
        hashed, unhashable = self._by_value[key]
        try:
            found = hashed.get(value)
        except TypeError:
            found = None
        slow = [(n, i) for n, i in unhashable if i.known(attribute) == value]
        candidates = ([found] if found is not None else []) + slow
        return min(candidates, key=lambda pair: pair[0]) if candidates else None


@dataclass
class Plan:
    source: str
    text: str
    before: list[Instance]
    after: list[Instance]
    modules: dict[str, dict[str, Any]]  # module path without keys ("" root, "ci", "ci.inner") -> config
    accounts: set[str] = field(default_factory=set)
    deferred: list[Instance] = field(default_factory=list)  # data sources read only at apply

    def __post_init__(self) -> None:
        # Indexed once: each module's configuration entries by address, deferred reads by name, lines by address.
        self._config: dict[str, dict[str, dict[str, Any]]] = {}
        for path, config in self.modules.items():
            entries: dict[str, dict[str, Any]] = {}
            for entry in config.get("resources") or []:
                entries.setdefault(entry.get("address"), entry)
            self._config[path] = entries
        self._deferred: dict[tuple[str, str, str], list[Instance]] = {}
        for read in self.deferred:
            self._deferred.setdefault((read.module, read.type, read.name), []).append(read)
        self._lines: dict[str, int] | None = None

    def deferred_read(self, instance: Instance, attribute: str, data_type: str) -> DeferredRead | None:
        """The data source of ``data_type`` an attribute's expression reads, if Terraform reads it only at apply."""
        path = _config_path(instance.module)
        expression = (self.expressions(path, f"{instance.type}.{instance.name}") or {}).get(attribute) or {}
        for reference in expression.get("references") or []:
            match = _DATA_REF.match(reference)
            if match is None or match.group(1) != data_type:
                continue
            candidates = self._deferred.get((instance.module, data_type, match.group(2)), [])
            same = [d for d in candidates if d.index == instance.index]
            found = candidates[0] if len(candidates) == 1 else (same[0] if len(same) == 1 else None)
            if found is not None:
                return DeferredRead(found, self.expressions(path, f"data.{data_type}.{found.name}") or {})
        return None

    def expressions(self, config_path: str, address: str) -> dict[str, Any] | None:
        """The block expressions of ``address`` in the module at ``config_path``; None if it is not configured."""
        entry = self._config.get(config_path, {}).get(address)
        if entry is None:
            return None
        expressions = entry.get("expressions")
        return expressions if isinstance(expressions, dict) else {}

    def line_of(self, address: str) -> int | None:
        """Line of the instance's entry under ``resource_changes`` (plans are often one line)."""
        if self._lines is None:
            self._lines = _address_lines(self.text)
        return self._lines.get(address)

    def references(self, instance: Instance, attribute: str) -> list[tuple[str, str]]:
        """Resources an attribute's expression refers to, as (module instance, "type.name")."""
        return self._refs(instance.module, f"{instance.type}.{instance.name}", attribute, depth=0)

    def _refs(self, module: str, resource: str, attribute: str, depth: int) -> list[tuple[str, str]]:
        expressions = self.expressions(_config_path(module), resource)
        if expressions is None:
            return []
        expression = expressions.get(attribute) or {}
        return self._expand(module, expression.get("references") or [], depth)

    def _expand(self, module: str, references: list[str], depth: int) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for reference in references:
            if reference.startswith("var.") and module and depth < 8:
                found += self._variable(module, reference.split(".")[1], depth)
                continue
            match = _RESOURCE_REF.match(reference)
            if match and match.group(1) not in ("data", "var", "local", "module", "each", "count", "path"):
                found.append((module, f"{match.group(1)}.{match.group(2)}"))
        return found

    def _variable(self, module: str, variable: str, depth: int) -> list[tuple[str, str]]:
        """A module input: follow it to the expression the calling module passes."""
        parent, _, call = module.rpartition(".module.") if ".module." in module else ("", "", module)
        call_name = _INDEX.sub("", call).removeprefix("module.")
        config = self.modules.get(_config_path(parent), {})
        expression = ((config.get("module_calls") or {}).get(call_name, {}).get("expressions") or {}).get(variable)
        return self._expand(parent, (expression or {}).get("references") or [], depth + 1)

    @staticmethod
    def instance_for(view: Instances, origin: Instance, target: tuple[str, str]) -> Instance | None:
        """The instance a reference means: the only one, or the one with the referrer's own index."""
        candidates = view.resource(*target)
        if len(candidates) == 1:
            return candidates[0]
        same = [i for i in candidates if i.index == origin.index]
        return same[0] if len(same) == 1 else None


_ADDRESS_KEY = re.compile(r'"address"\s*:\s*("(?:[^"\\]|\\.)*")')


def _address_lines(text: str) -> dict[str, int]:
    """The line of the first ``"address": ...`` of each address after ``"resource_changes"``, in one pass."""
    start = max(text.find('"resource_changes"'), 0)
    lines: dict[str, int] = {}
    line, position = 1 + text.count("\n", 0, start), start
    for match in _ADDRESS_KEY.finditer(text, start):
        line += text.count("\n", position, match.start())
        position = match.start()
        try:
            address = json.loads(match.group(1))
        except ValueError:
            continue
        if isinstance(address, str):
            lines.setdefault(address, line)
    return lines


def instance_config_path(instance: Instance) -> str:
    """The configuration path (module keys dropped) of the module an instance belongs to."""
    return _config_path(instance.module)


def _config_path(module: str) -> str:
    return ".".join(part for part in _INDEX.sub("", module).split(".") if part != "module")


def read_plan(path: Path) -> Plan:
    return parse_plan(read_text(path), str(path))


def parse_plan(text: str, source: str) -> Plan:
    data = parse_json(text, source, hint="truncated or not a plan")
    if not isinstance(data, dict) or "format_version" not in data:
        raise UserError(source, NOT_A_PLAN)
    if "values" in data and "planned_values" not in data and "resource_changes" not in data:
        raise UserError(source, "a Terraform state, not a plan (run `terraform show -json` on a saved plan file)")
    if "planned_values" not in data and "resource_changes" not in data:
        raise UserError(source, NOT_A_PLAN)
    if data.get("errored"):
        raise UserError(source, "the plan is marked errored: Terraform could not finish planning")
    try:
        check_plan_shape(data)
    except ShapeError as exc:
        raise UserError(source, str(exc)) from None
    changes = data.get("resource_changes") or []
    before: list[Instance] = []
    after: list[Instance] = []
    deferred: list[Instance] = []
    for change in changes:
        b, a = _instances(change)
        deferred += _deferred_read(change)
        before += b
        after += a
    modules: dict[str, dict[str, Any]] = {}
    root = (data.get("configuration") or {}).get("root_module") or {}
    _collect_modules(root, "", modules)
    plan = Plan(source, text, before, after, modules, deferred=deferred)
    plan.accounts = _accounts(data)
    return plan


def _deferred_read(change: dict[str, Any]) -> list[Instance]:
    """A data source Terraform reads only at apply (action ``read``), with what is planned of it."""
    if change.get("mode") != "data" or list(change["change"]["actions"]) != ["read"]:
        return []
    after = change["change"].get("after")
    if not isinstance(after, dict):
        return []  # a read with nothing planned: nothing to rebuild
    return [
        Instance(
            address=change["address"],
            module=change.get("module_address", ""),
            type=change["type"],
            name=change["name"],
            index=change.get("index"),
            values=after,
            unknown=change["change"].get("after_unknown") or {},
            changed=False,
        )
    ]


def _instances(change: dict[str, Any]) -> tuple[list[Instance], list[Instance]]:
    if change.get("mode", "managed") != "managed":
        return [], []
    body = change["change"]
    actions = list(body["actions"])
    common = {
        "address": change["address"],
        "module": change.get("module_address", ""),
        "type": change["type"],
        "name": change["name"],
        "index": change.get("index"),
    }
    changed = "create" in actions or "update" in actions
    before = (
        [] if body.get("before") is None else [Instance(**common, values=body["before"], unknown={}, changed=False)]
    )
    after = (
        []
        if body.get("after") is None or actions == ["delete"]
        else [Instance(**common, values=body["after"], unknown=body.get("after_unknown") or {}, changed=changed)]
    )
    return before, after


def _collect_modules(module: dict[str, Any], path: str, into: dict[str, dict[str, Any]]) -> None:
    into[path] = module
    for name, call in (module.get("module_calls") or {}).items():
        _collect_modules(call.get("module") or {}, f"{path}.{name}" if path else name, into)


_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):")


def _accounts(data: dict[str, Any]) -> set[str]:
    """The deploying account(s), from ``aws_caller_identity`` and the ARNs of existing IAM resources."""
    accounts: set[str] = set()

    def visit(module: Any) -> None:
        if not isinstance(module, dict):
            return
        resources, children = module.get("resources"), module.get("child_modules")
        for resource in resources if isinstance(resources, list) else []:
            values = resource.get("values") if isinstance(resource, dict) else None
            if not isinstance(values, dict):
                continue
            if resource.get("type") == "aws_caller_identity" and isinstance(values.get("account_id"), str):
                accounts.add(values["account_id"])
            elif str(resource.get("type", "")).startswith("aws_iam_") and isinstance(values.get("arn"), str):
                match = _ACCOUNT_IN_ARN.match(values["arn"])
                if match:
                    accounts.add(match.group(1))
        for child in children if isinstance(children, list) else []:
            visit(child)

    for section in ("prior_state", "planned_values"):
        values = data.get(section)
        values = values.get("values") or values if isinstance(values, dict) else None
        visit(values.get("root_module") if isinstance(values, dict) else None)
    return accounts
