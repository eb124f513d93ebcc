"""A record (or plain JSON data) as indented JSON text, fast, byte for byte what
``json.dumps(indent=...)`` writes.

``json.dumps`` with ``indent`` runs CPython's pure-Python encoder (the C one only writes compact
JSON): at 100,000 identities that was a third of `standing scan --output-dir`. Pydantic's own
serializer writes the same indented layout in Rust; three differences are mended here so every
file stays as it was:

- it writes DEL and non-ASCII characters raw where ``json.dumps`` escapes them (``\\u00e9``,
  surrogate pairs beyond the BMP): they can only occur inside strings, so each is escaped in place;
- it writes some floats differently (``1e-7`` for ``1e-07``, ``0.00001`` for ``1e-05``): a float
  can only be a whole line's value, so each is rewritten as Python's ``repr``;
- it refuses lone surrogates, which ``json.dumps`` escapes: such a record takes the slow path.

``dumps`` does the same for plain data (a snapshot's records, a policy document in Terraform),
with ``sort_keys`` done by copying the data with its dicts sorted, which is still several times
faster than the pure-Python encoder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError, to_json

_NON_ASCII = re.compile("[^\x00-\x7e]")  # json.dumps escapes DEL too
# In indented JSON a string never spans lines, so a line holding a float is: indentation, an
# optional key, the number, an optional comma. Matching whole lines keeps string contents out.
# Pydantic writes a float unlike ``repr`` only below 1e-4 (``0.00001``) or with a one-digit
# exponent (``1e-7``); a document without either pattern anywhere needs no rewriting.
# (Both searches start from a literal, so they run at memory speed on a 100 MB document.)
_ONE_DIGIT_EXPONENT = re.compile(r"e-\d(?:,|$)", re.M)
_FLOAT_LINE = re.compile(r'^( *(?:"(?:[^"\\\n]|\\.)*": )?)(-?\d+(?:\.\d+)?[eE][-+]?\d+|-?\d+\.\d+)(,?)$', re.M)


@lru_cache(maxsize=4096)
def _escape(char: str) -> str:
    return json.dumps(char)[1:-1]


def _python_float(match: re.Match[str]) -> str:
    return f"{match.group(1)}{float(match.group(2))!r}{match.group(3)}"


def model_json(record: BaseModel, *, indent: int) -> str:
    """``json.dumps(record.model_dump(mode="json", by_alias=True), indent=indent)``, faster."""
    try:
        text = record.model_dump_json(indent=indent, by_alias=True)
    except (PydanticSerializationError, UnicodeEncodeError):
        return json.dumps(record.model_dump(mode="json", by_alias=True), indent=indent)
    return _mend(text)


def model_json_chunks(record: BaseModel, field: str, *, indent: int) -> Iterator[str]:
    """``model_json(record, indent=indent)`` in pieces, one per item of its list ``field`` (a
    findings document's findings, a plans document's plans) and the record around them, so a
    document of 100,000 plans is written as it is made, never held as one string."""
    items = getattr(record, field)
    head = model_json(record.model_copy(update={field: []}), indent=indent)
    key = type(record).model_fields[field].alias or field
    # A top-level key: one indent deep, at the start of a line (a string never holds a newline).
    opening = head.index(f"\n{' ' * indent}{json.dumps(key)}: []") + indent + len(json.dumps(key)) + 4
    if not items:
        yield head
        return
    yield head[:opening]  # up to and including the list's "["
    adapter = _list_adapter(type(record), field)
    for start in range(0, len(items), _BATCH):
        yield ("," if start else "") + _items_json(adapter, items[start : start + _BATCH], indent)
    yield "\n" + " " * indent + head[opening:]  # from the list's "]"


_BATCH = 500  # items serialized per call: few calls, and never the whole list as one string


@lru_cache(maxsize=16)
def _list_adapter(model: type[BaseModel], field: str) -> TypeAdapter[list[Any]]:
    """The field's own type (``list[Finding]``), so items serialize exactly as inside the record."""
    adapter: TypeAdapter[list[Any]] = TypeAdapter(model.model_fields[field].annotation)  # type: ignore[arg-type]
    return adapter


def _items_json(adapter: TypeAdapter[list[Any]], items: list[Any], indent: int) -> str:
    """Some items of a top-level list, each on its own lines one level deeper than the list's
    key, joined by commas: the text between the list's brackets in the whole document."""
    pad = "\n" + " " * (2 * indent)
    try:
        text = adapter.dump_json(items, indent=indent, by_alias=True).decode()
    except (PydanticSerializationError, UnicodeEncodeError):  # a lone surrogate: json.dumps, item by item
        return ",".join(pad + model_json(item, indent=indent).replace("\n", pad) for item in items)
    # "[\n" + items indented once + "\n]": indented once more, without the brackets.
    return pad[:-indent] + _mend(text[2:-2]).replace("\n", pad[:-indent])


def dumps(value: Any, *, indent: int, sort_keys: bool = False) -> str:
    """``json.dumps(value, indent=indent, sort_keys=sort_keys)`` of plain JSON data, faster."""
    try:
        text = to_json(_sorted(value) if sort_keys else value, indent=indent, inf_nan_mode="constants").decode()
    except (PydanticSerializationError, UnicodeEncodeError, TypeError, ValueError):
        return json.dumps(value, indent=indent, sort_keys=sort_keys)
    return _mend(text)


def _sorted(value: Any) -> Any:
    """``value`` with every dict's keys in ``sort_keys`` order (a mix of key types fails as in json)."""
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("json.dumps writes non-string keys its own way")
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_sorted(item) for item in value]
    return value


def _mend(text: str) -> str:
    if not text.isascii() or "\x7f" in text:
        text = _NON_ASCII.sub(lambda m: _escape(m.group()), text)
    return _FLOAT_LINE.sub(_python_float, text) if _maybe_float(text) else text


def _maybe_float(text: str) -> bool:
    return "0.0000" in text or _ONE_DIGIT_EXPONENT.search(text) is not None
