"""Reading a user-supplied file: every failure is one ``UserError`` naming the file.

Everything a person hands to ``standing`` (snapshots, exports, plans, templates, findings,
baselines) may be careless or hostile, so reading is bounded before any parsing starts:

- only a regular file is read: a device (``/dev/zero``), a FIFO or a directory is refused
  before a byte is read, because reading one may never end;
- a file over :func:`max_input_bytes` is refused (``standing --max-input-mb N`` or
  ``STANDING_MAX_INPUT_MB`` raises the limit for an estate whose snapshot is larger);
- JSON nested deeper than :data:`MAX_DEPTH` is refused (:func:`check_depth`): no standing
  document or cloud export comes near it, and every recursive walk after parsing (pydantic,
  the normalizers) would otherwise fail with ``RecursionError``;
- ``NaN`` and ``Infinity`` (which Python's ``json`` accepts but JSON does not) and integers
  too long to convert are "not valid JSON", like any other decode error.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from standing.core.errors import UserError

Document = TypeVar("Document", bound=BaseModel)

MAX_INPUT_ENV = "STANDING_MAX_INPUT_MB"
DEFAULT_MAX_INPUT_MB = 1024
# Far deeper than any document standing reads or writes (snapshots, exports and the test plans
# and templates are under 20 levels; a Terraform plan of modules nested in modules adds a few
# levels per module), far below Python's recursion limit, so later recursive walks are safe too.
MAX_DEPTH = 100
_MB = 1024 * 1024
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# pydantic's words for a JSON object, naming our model class: a person reading the file sees an object.
_OBJECT = re.compile(r"a valid dictionary(?: or instance of \w+)?")


MAX_INPUT_OPTION = "--max-input-mb"
_max_input_mb: int | None = None  # set by the command line's --max-input-mb for one run


def set_max_input_mb(megabytes: int | None) -> None:
    """The limit the command line was given; it wins over the environment. ``None`` forgets it."""
    global _max_input_mb
    if megabytes is not None and megabytes <= 0:
        raise UserError(MAX_INPUT_OPTION, f"must be a whole number of megabytes above 0, not {megabytes}")
    _max_input_mb = megabytes


def max_input_bytes() -> int:
    """The largest file read: ``--max-input-mb``, else ``STANDING_MAX_INPUT_MB``, else 1024 MB."""
    if _max_input_mb is not None:
        return _max_input_mb * _MB
    raw = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_INPUT_MB * _MB
    try:
        megabytes = int(raw)
    except ValueError:
        megabytes = 0
    if megabytes <= 0:
        raise UserError(MAX_INPUT_ENV, f"must be a whole number of megabytes above 0, not {raw[:40]!r}")
    return megabytes * _MB


def _kind(mode: int) -> str | None:
    """What a path is when it is not a regular file (``None``: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refused before reading when it is not a regular file or is too large."""
    source = str(path)
    limit = max_input_bytes()
    try:
        mode = path.stat()
    except FileNotFoundError:
        raise UserError(source, "no such file") from None
    except (OSError, ValueError) as exc:
        raise UserError(source, f"cannot read file ({exc.__class__.__name__})") from None
    kind = _kind(mode.st_mode)
    if kind is not None:
        raise UserError(source, f"is {kind}, not a regular file; refusing to read it")
    if mode.st_size > limit:
        raise UserError(source, _too_large(mode.st_size, limit))
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # a file that grew after stat() is still bounded
    except FileNotFoundError:
        raise UserError(source, "no such file") from None
    except OSError as exc:
        raise UserError(source, f"cannot read file ({exc.__class__.__name__})") from None
    if len(data) > limit:
        raise UserError(source, _too_large(len(data), limit))
    return data


def _too_large(size: int, limit: int) -> str:
    return (
        f"is {size / _MB:.1f} MB, over the {limit // _MB} MB input limit "
        f"(give {MAX_INPUT_OPTION} or set {MAX_INPUT_ENV} to a larger number of megabytes to read it)"
    )


def read_text(path: Path) -> str:
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(str(path), f"cannot read file ({exc.__class__.__name__})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_json(text: str, source: str, *, hint: str = "") -> Any:
    """Decoded JSON; ``hint`` says what a decode error most likely means (``truncated or not a plan``).

    Nesting is bounded (:func:`check_depth`), so what is returned is safe to walk recursively."""
    prefix = f"not valid JSON, {hint}" if hint else "not valid JSON"
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise UserError(source, f"{prefix} (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise UserError(source, f"nested deeper than {MAX_DEPTH} levels; refusing to read it") from None
    except ValueError as exc:  # NaN/Infinity, or an integer longer than Python converts
        raise UserError(source, f"{prefix} ({str(exc).splitlines()[0][:120]})") from None
    check_depth(data, source)
    if _SURROGATE_ESCAPE.search(text):
        _check_surrogates(data, source)
    return data


def _check_surrogates(value: Any, source: str) -> None:
    """Refuse a string holding half of a UTF-16 pair (``"\\ud800"``): it is not text, no
    output could be written with it, and a snapshot holding it could not be read back."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise UserError(
                    source, "holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape), which is not text"
                ) from None


def check_depth(value: Any, source: str, limit: int = MAX_DEPTH) -> None:
    """Refuse decoded JSON (or YAML) nested deeper than ``limit`` lists and objects.

    Every reader of a user file calls it (``parse_json`` does), before anything walks the data:
    snapshots, exports, findings, baselines, config, Terraform plans and templates share this
    one bound."""
    if not within_depth(value, limit):
        raise UserError(source, f"nested deeper than {limit} levels; refusing to read it")


def within_depth(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a decoded value nests at most ``limit`` lists and objects. Iterative, so the check
    itself never recurses (a policy document inside a plan is JSON text of its own, checked where
    it is decoded)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def read_json(path: Path, *, hint: str = "") -> Any:
    """A user's JSON file, bounded in size and nesting (see the module docstring)."""
    return parse_json(read_text(path), str(path), hint=hint)


def field_path(loc: Sequence[int | str]) -> str:
    """``("entries", 0, "rule")`` -> ``entries[0].rule``: the offending field, as a person reads it."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "the top level"


def validation_problem(exc: ValidationError, *, root: Sequence[int | str] = ()) -> str:
    """The first problem pydantic found, one line: ``at entries[0].rule: expected a string``."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = [part for part in (*root, *first["loc"]) if not _is_union_tag(part)]
    message = _OBJECT.sub("an object", str(first["msg"]).splitlines()[0].removeprefix("Value error, "))
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"at {field_path(loc)}: {message}{more}"


def _is_union_tag(part: int | str) -> bool:
    # pydantic names the union member it tried (``list[str]``, ``function-after[...]``): not a field.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "bool", "float", "none", "list", "dict"})


def read_document(
    path: Path, kind: type[Document], schema: str, what: str, *, hint: str = "", not_ours: str | None = None
) -> Document:
    """A standing JSON document (``{"schema": ..., ...}``) as ``kind``; ``not_ours`` replaces the
    message for a file of another schema."""
    source = str(path)
    data = read_json(path, hint=hint)
    if not isinstance(data, dict) or data.get("schema") != schema:
        raise UserError(source, not_ours or f"not a standing {what} (expected schema {schema!r})")
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        raise UserError(source, f"invalid {what} {validation_problem(exc)}") from None
    except (OverflowError, ValueError) as exc:  # a validator's own arithmetic (a date at the end of time)
        raise UserError(source, f"invalid {what}: {str(exc).splitlines()[0][:120]}") from None
