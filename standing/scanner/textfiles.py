"""Reading a user-supplied file: every failure is one ``UserError`` naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from standing.scanner.errors import UserError


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
