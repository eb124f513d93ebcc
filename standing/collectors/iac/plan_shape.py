"""The shape of a ``terraform show -json`` plan, checked before anything reads it.

A plan is JSON anyone can hand the gate; a field of the wrong type (``"type": -1``,
``"address": {}``) must be one line naming the file and the field, never a traceback nor a
resource silently dropped. Only what the converter reads is checked (``resource_changes``
and the ``configuration`` tree); other sections are read defensively where they are used.
"""

from __future__ import annotations

from typing import Any


class ShapeError(Exception):
    """A field of the plan that is not what Terraform writes; the message names its path."""


_KINDS: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return _KINDS.get(type(value), type(value).__name__)


def _expect(value: Any, kind: type, path: str, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ShapeError(f"{path}: expected {_KINDS[kind]}, found {_kind(value)}")


def check_plan_shape(data: dict[str, Any]) -> None:
    """Raise :class:`ShapeError` at the first field the converter could not read."""
    changes = data.get("resource_changes")
    _expect(changes, list, "resource_changes", optional=True)
    for position, change in enumerate(changes or []):
        _check_change(change, f"resource_changes[{position}]")
    configuration = data.get("configuration")
    _expect(configuration, dict, "configuration", optional=True)
    root = (configuration or {}).get("root_module")
    _expect(root, dict, "configuration.root_module", optional=True)
    stack = [(root or {}, "configuration.root_module")]
    while stack:  # iterative: module calls nest as deep as the plan does
        module, path = stack.pop()
        resources = module.get("resources")
        _expect(resources, list, f"{path}.resources", optional=True)
        for n, entry in enumerate(resources or []):
            where = f"{path}.resources[{n}]"
            _expect(entry, dict, where)
            _expect(entry.get("address"), str, f"{where}.address")
            _check_expressions(entry.get("expressions"), f"{where}.expressions")
        calls = module.get("module_calls")
        _expect(calls, dict, f"{path}.module_calls", optional=True)
        for name, call in (calls or {}).items():
            where = f"{path}.module_calls.{name}"
            _expect(call, dict, where)
            _check_expressions(call.get("expressions"), f"{where}.expressions")
            _expect(call.get("module"), dict, f"{where}.module", optional=True)
            stack.append((call.get("module") or {}, f"{where}.module"))


def _check_change(change: Any, path: str) -> None:
    _expect(change, dict, path)
    for key in ("address", "type", "name"):
        _expect(change.get(key), str, f"{path}.{key}")
    for key in ("mode", "module_address"):
        _expect(change.get(key), str, f"{path}.{key}", optional=True)
    body = change.get("change")
    _expect(body, dict, f"{path}.change")
    actions = body.get("actions")
    _expect(actions, list, f"{path}.change.actions")
    for n, action in enumerate(actions):
        _expect(action, str, f"{path}.change.actions[{n}]")
    for side in ("before", "after"):
        _expect(body.get(side), dict, f"{path}.change.{side}", optional=True)
    unknown = body.get("after_unknown")
    if unknown is not None and not isinstance(unknown, (dict, bool)):
        raise ShapeError(f"{path}.change.after_unknown: expected an object, found {_kind(unknown)}")


def _check_expressions(expressions: Any, path: str) -> None:
    """Block expressions: each an object (``constant_value``, ``references``) or a list of nested blocks."""
    _expect(expressions, dict, path, optional=True)
    for name, expression in (expressions or {}).items():
        where = f"{path}.{name}"
        if isinstance(expression, list):
            for n, block in enumerate(expression):
                _check_expressions(block, f"{where}[{n}]")
            continue
        _expect(expression, dict, where)
        references = expression.get("references")
        _expect(references, list, f"{where}.references", optional=True)
        for n, reference in enumerate(references or []):
            _expect(reference, str, f"{where}.references[{n}]")
