"""Reading a user-supplied file: every failure is one ``UserError`` naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from standing.core.errors import UserError

Document = TypeVar("Document", bound=BaseModel)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(str(path), f"cannot read file ({exc.__class__.__name__})") from None


def parse_json(text: str, source: str, *, hint: str = "") -> Any:
    """Decoded JSON; ``hint`` says what a decode error most likely means (``truncated or not a plan``)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        prefix = f"not valid JSON, {hint}" if hint else "not valid JSON"
        raise UserError(source, f"{prefix} (line {exc.lineno} column {exc.colno}: {exc.msg})") from None


def read_document(
    path: Path, kind: type[Document], schema: str, what: str, *, hint: str = "", not_ours: str | None = None
) -> Document:
    """A standing JSON document (``{"schema": ..., ...}``) as ``kind``; ``not_ours`` replaces the
    message for a file of another schema."""
    source = str(path)
    data = parse_json(read_text(path), source, hint=hint)
    if not isinstance(data, dict) or data.get("schema") != schema:
        raise UserError(source, not_ours or f"not a standing {what} (expected schema {schema!r})")
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(source, f"invalid {what} at {where}: {first['msg']}") from None
