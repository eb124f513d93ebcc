"""findings.json and plans.json are written by pydantic's serializer now, not json.dumps: a
reader diffing two scans, or a consumer pinning bytes, must see no difference from the change."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from standing.core.json_out import dumps, model_json, model_json_chunks


class _Record(BaseModel):
    numbers: list[float]
    text: str
    by_name: dict[str, float]
    names: list[str]


CASES = [
    # Floats pydantic writes its own way, and strings that look like them (must stay untouched).
    _Record(
        numbers=[1e-05, 1e16, 0.1, 3.0, 1.5e300, -1e-7, 0.0001, 1e15, 2.5e-3, 5],
        text='"quoted" \\ back',
        by_name={"x: 1e-7": 1e-7, 'y"': -2.5e-9},
        names=['"a": 1e-07', "1e-07", "0.00001"],
    ),
    # Non-ASCII, beyond the BMP, DEL, C0, a line separator: json.dumps escapes all of them.
    _Record(numbers=[], text="é😀\x7f\x1f\u2028\u202e", by_name={"ключ": 0.5}, names=["名前"]),
    # A lone surrogate pydantic refuses to serialize: the slow path writes it.
    _Record(numbers=[], text="\ud800", by_name={}, names=[]),
]


@pytest.mark.parametrize("record", CASES)
def test_model_json_is_byte_for_byte_json_dumps(record: _Record) -> None:
    assert model_json(record, indent=2) == json.dumps(record.model_dump(mode="json", by_alias=True), indent=2)


DATA = [
    {"b": [1, 2, {"z": [], "a": {}}], "a": "é😀\x7f\x1f\u2028", "c": [1e-7, 1e-05, 0.5, 1e16], "d": None, "e": True},
    {"Statement": [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*", "Condition": {"x": {"y": "1e-07"}}}]},
    [[], {}, 2**70, float("inf"), "\ud800"],  # a lone surrogate: the slow path
]


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("sort_keys", [False, True])
def test_dumps_is_byte_for_byte_json_dumps(data: object, sort_keys: bool) -> None:
    """Snapshots and the policies in plans are written by ``dumps``: they must not change."""
    assert dumps(data, indent=1, sort_keys=sort_keys) == json.dumps(data, indent=1, sort_keys=sort_keys)
    assert dumps(data, indent=2, sort_keys=sort_keys) == json.dumps(data, indent=2, sort_keys=sort_keys)


def test_dumps_leaves_non_string_keys_to_json() -> None:
    data = {2: "b", 1: "a"}
    assert dumps(data, indent=2, sort_keys=True) == json.dumps(data, indent=2, sort_keys=True)


class _Document(BaseModel):
    version: int
    records: list[_Record]
    after: dict[str, list[int]]


@pytest.mark.parametrize("records", [CASES, CASES[:1], []])
def test_model_json_chunks_join_to_the_whole_document(records: list[_Record]) -> None:
    """findings.json and plans.json are written a record at a time: the file must be the one
    the whole document would have made."""
    document = _Document(version=1, records=records, after={"records": [1]})
    assert "".join(model_json_chunks(document, "records", indent=2)) == model_json(document, indent=2)


def test_model_json_chunks_join_to_the_whole_document_across_batches() -> None:
    document = _Document(version=1, records=[CASES[0], CASES[1]] * 700 + [CASES[2]], after={})
    assert "".join(model_json_chunks(document, "records", indent=2)) == model_json(document, indent=2)
