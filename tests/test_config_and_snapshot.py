"""Bad input is refused with one line naming the file and the problem; good input round-trips."""

from __future__ import annotations

import json

import pytest

from standing.core.errors import UserError
from standing.core.snapshot import dump_snapshot, read_snapshot
from standing.rules.config import load_config
from tests.builders import inventory, key, user


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("fail_on = 'high'\nthreshold = 3\n", "unknown key 'threshold'"),
        ("[rules.key-to-old]\nmax_age_days = 3\n", "unknown rule 'key-to-old'"),
        ("[rules.key-too-old]\nmax_age = 3\n", "[rules.key-too-old] unknown setting 'max_age'"),
        ("[rules.key-too-old]\nmax_age_days = 'soon'\n", "[rules.key-too-old] max_age_days:"),
        ("[rules.key-too-old]\nseverity = 'urgent'\n", "'urgent' is not a severity"),
        ("fail_on = 'loud'\n", "fail_on: 'loud' is not a severity"),
        ("[rules\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, message):
    path = write(tmp_path, "standing.toml", text)
    with pytest.raises(UserError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_snapshot_round_trip_is_exact(tmp_path):
    svc = user("svc", tags={"team": "payments"})
    inv = inventory(svc, key(svc, "AKIA1", age=10, used=2))
    path = write(tmp_path, "snap.json", dump_snapshot(inv))
    assert read_snapshot(path) == inv


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda text: text[:-40], "not valid JSON (line"),
        (lambda text: text.replace('"version": 1', '"version": 99'), "snapshot version 99 is not supported"),
        (lambda text: json.dumps({"hello": "world"}), "not a standing snapshot"),
        (
            lambda text: text.replace('"kind": "user"', '"kind": "robot"'),
            "invalid snapshot at inventory.identities.0.kind",
        ),
        (lambda text: text.replace('"name": "svc"', '"nom": "svc"'), "invalid snapshot at inventory.identities.0"),
    ],
)
def test_malformed_snapshot_is_one_clear_error(tmp_path, mutate, message):
    svc = user("svc")
    good = dump_snapshot(inventory(svc, key(svc, "AKIA1", age=10, used=2)))
    path = write(tmp_path, "snap.json", mutate(good))
    with pytest.raises(UserError) as err:
        read_snapshot(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
