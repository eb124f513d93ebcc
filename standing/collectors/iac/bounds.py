"""How deep an IaC document may nest: one bound for Terraform plans and both template syntaxes.

The converters walk values recursively (intrinsics, policy documents, module trees), and so
does Python's own JSON decoder: ``"[" * 1500`` ended in ``RecursionError``. Real plans and
templates nest a few dozen levels (modules in modules, a policy's condition blocks); anything
deeper than :data:`MAX_DEPTH` is refused with one line naming the file, before any converter
sees it. The check is iterative, so it cannot itself run out of stack.
"""

from __future__ import annotations

from typing import Any

from standing.core.errors import UserError
from standing.core.textfiles import parse_json

MAX_DEPTH = 100


def parse_bounded_json(text: str, source: str, *, hint: str) -> Any:
    """Decoded JSON no deeper than :data:`MAX_DEPTH`, or one ``UserError``."""
    try:
        data = parse_json(text, source, hint=hint)
    except RecursionError:
        raise UserError(source, f"nested more than {MAX_DEPTH} levels deep") from None
    check_depth(data, source)
    return data


def check_depth(data: Any, source: str) -> None:
    if not within_depth(data):
        raise UserError(source, f"nested more than {MAX_DEPTH} levels deep")


def within_depth(data: Any) -> bool:
    """Whether a decoded value nests at most :data:`MAX_DEPTH` levels (a policy document inside a
    plan is JSON text of its own, checked where it is decoded)."""
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True
