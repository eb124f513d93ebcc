"""Versioned JSON snapshots: collect once, analyse many times.

The envelope names its schema and version so a snapshot from a newer or older `standing`
is refused with a clear line instead of being half-read.

A large estate's snapshot is hundreds of megabytes, so neither direction holds the file
twice: writing streams one record at a time into the file (never the whole document as one
string or one dict), and reading validates the file's bytes straight into the typed
inventory (no intermediate text or dict of the whole file).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from io import StringIO
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from standing.core.errors import UserError
from standing.core.gc_pause import paused_gc, release_freed_memory
from standing.core.json_out import dumps
from standing.core.model import Inventory
from standing.core.outputs import atomic_writer
from standing.core.textfiles import read_bytes

SNAPSHOT_SCHEMA = "standing.snapshot"
SNAPSHOT_VERSION = 1
_INDENT = 1
_JSON_POSITION = re.compile(r"^(?P<msg>.*) at line (?P<line>\d+) column (?P<column>\d+)$")


class _Envelope(BaseModel):
    """The file as read: the envelope is checked before the inventory's problems are named."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_name: Literal["standing.snapshot"] = Field(alias="schema")
    version: Literal[1]
    inventory: Inventory


def write_snapshot(inventory: Inventory, path: Path) -> None:
    """Write through a temporary file beside ``path``: an interrupted write (or a refresh
    written over its own input) never leaves a half-written snapshot behind."""
    with atomic_writer(path) as out:  # a device (-o /dev/stdout) is written, never replaced
        stream_snapshot(inventory, out)


def copy_snapshot(source: Path, path: Path) -> None:
    """The snapshot a scan read, unchanged, as the snapshot beside its outputs: the file's own
    bytes rather than the inventory written again (at 100,000 identities, seconds saved), and it
    reads back into the same inventory. Through a temporary file, like ``write_snapshot``."""
    try:
        if path.exists() and path.samefile(source):
            return  # scanning out/snapshot.json into out/: it is already there
    except OSError:
        pass  # the copy below names what cannot be read or written
    with atomic_writer(path) as out, source.open("rb") as data:
        out.flush()
        _copy_bytes(data, out.buffer)


def _copy_bytes(data: BinaryIO, out: BinaryIO) -> None:
    """The bytes as they are, copied by the kernel where it can (``sendfile``: at 400 MB, a
    tenth of a second instead of two), else through this process."""
    offset, size = 0, os.fstat(data.fileno()).st_size
    try:
        while offset < size:
            sent = os.sendfile(out.fileno(), data.fileno(), offset, size - offset)
            if sent == 0:
                break
            offset += sent
    except (OSError, AttributeError):  # no sendfile here, or not between these two
        if offset:
            raise
    if offset < size:
        data.seek(offset)
        shutil.copyfileobj(data, out, 1 << 20)


def dump_snapshot(inventory: Inventory) -> str:
    out = StringIO()
    stream_snapshot(inventory, out)
    return out.getvalue()


def stream_snapshot(inventory: Inventory, out: TextIO) -> None:
    """The envelope, one record at a time, in exactly the layout of
    ``json.dumps(envelope, indent=1, sort_keys=True)``, so snapshots diff as before."""
    out.write('{\n "inventory": {')
    for index, name in enumerate(sorted(Inventory.model_fields)):
        out.write(f"{',' if index else ''}\n{_pad(2)}{json.dumps(name)}: ")
        value = getattr(inventory, name)
        if isinstance(value, BaseModel):
            out.write(_encode(value.model_dump(mode="json"), level=2))
        elif not value:
            out.write("[]")
        else:
            out.write("[")
            for position, record in enumerate(value):
                out.write(f"{',' if position else ''}\n{_pad(3)}")
                out.write(_encode(record.model_dump(mode="json"), level=3))
            out.write(f"\n{_pad(2)}]")
    out.write(f'\n{_pad(1)}}},\n{_pad(1)}"schema": {json.dumps(SNAPSHOT_SCHEMA)},')
    out.write(f'\n{_pad(1)}"version": {SNAPSHOT_VERSION}\n}}')


def _pad(level: int) -> str:
    return " " * (_INDENT * level)


def _encode(value: Any, *, level: int) -> str:
    # JSON strings never hold a raw newline, so indenting by line is exact.
    return dumps(value, indent=_INDENT, sort_keys=True).replace("\n", "\n" + _pad(level))


def read_snapshot(path: Path) -> Inventory:
    source = str(path)
    data = read_bytes(path)  # a device, FIFO or oversized file is refused before reading
    try:
        with paused_gc():
            inventory = _Envelope.model_validate_json(data).inventory
    except ValidationError as exc:
        raise UserError(source, _problem(exc)) from None
    except (OverflowError, ValueError) as exc:  # a validator's own arithmetic (a date at the end of time)
        raise UserError(source, f"invalid snapshot: {str(exc).splitlines()[0][:120]}") from None
    del data
    _share_fields_sets(inventory)
    release_freed_memory()  # the file's bytes and the parser's own memory
    return inventory


def _share_fields_sets(inventory: Inventory) -> None:
    """One set object for records that were given the same fields (a snapshot gives them all).

    Pydantic keeps, per record, the set of fields its input named (``model_fields_set``): a
    million grants held a million equal sets, a tenth of a large inventory's memory. Records
    are frozen and ``model_copy`` copies the set before changing it, so sharing it changes
    nothing a reader can see.
    """
    for name in Inventory.model_fields:
        records = getattr(inventory, name)
        if not isinstance(records, list):
            continue
        last: set[str] | None = None
        for record in records:
            fields = record.__pydantic_fields_set__
            if fields == last:
                object.__setattr__(record, "__pydantic_fields_set__", last)
            else:
                last = fields


def _problem(exc: ValidationError) -> str:
    """The one problem to report, envelope first: a wrong version explains bad records."""
    errors = exc.errors(include_url=False)
    for error in errors:
        if error["type"] == "json_invalid":
            return _json_problem(str(error.get("ctx", {}).get("error", error["msg"])))
    head = [e for e in errors if not e["loc"] or e["loc"][0] in ("schema", "version")]
    if any(not e["loc"] or e["loc"][0] == "schema" for e in head):
        return f"not a standing snapshot (expected schema {SNAPSHOT_SCHEMA!r})"
    if head:
        version = None if head[0]["type"] == "missing" else head[0]["input"]
        return f"snapshot version {version!r} is not supported (this standing reads version {SNAPSHOT_VERSION})"
    first = errors[0]
    where = "".join(f".{part}" for part in first["loc"][1:])
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"invalid snapshot at inventory{where}: {first['msg']}{more}"


def _json_problem(message: str) -> str:
    if "recursion limit exceeded" in message:  # the JSON parser's own nesting bound
        return "nested too deeply to read; refusing to read it"
    found = _JSON_POSITION.match(message)
    if found is None:
        return f"not valid JSON ({message})"
    return f"not valid JSON (line {found['line']}, column {found['column']}: {found['msg']})"
