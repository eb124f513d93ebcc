"""Versioned JSON snapshots: collect once, analyse many times.

The envelope names its schema and version so a snapshot from a newer or older `standing`
is refused with a clear line instead of being half-read.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from standing.scanner.errors import UserError
from standing.scanner.model import Inventory

SNAPSHOT_SCHEMA = "standing.snapshot"
SNAPSHOT_VERSION = 1


def dump_snapshot(inventory: Inventory) -> str:
    envelope = {
        "schema": SNAPSHOT_SCHEMA,
        "version": SNAPSHOT_VERSION,
        "inventory": inventory.model_dump(mode="json"),
    }
    return json.dumps(envelope, indent=1, sort_keys=True)


def write_snapshot(inventory: Inventory, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_snapshot(inventory), encoding="utf-8")


def read_snapshot(path: Path) -> Inventory:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(source, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(source, f"cannot read snapshot ({exc.__class__.__name__})") from None
    try:
        envelope = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            source, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(envelope, dict) or envelope.get("schema") != SNAPSHOT_SCHEMA:
        raise UserError(source, f"not a standing snapshot (expected schema {SNAPSHOT_SCHEMA!r})")
    version = envelope.get("version")
    if version != SNAPSHOT_VERSION:
        raise UserError(
            source,
            f"snapshot version {version!r} is not supported (this standing reads version "
            f"{SNAPSHOT_VERSION})",
        )
    try:
        return Inventory.model_validate(envelope.get("inventory"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "inventory"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise UserError(source, f"invalid snapshot at inventory.{where}: {first['msg']}{more}") from None
