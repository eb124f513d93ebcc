"""Large outputs are written by a second thread: the file must be exactly the text given, and a
failed write must fail the command as a direct write would (one line naming the file, the
previous file left whole, no temporary file behind)."""

from __future__ import annotations

import pytest

from standing.core import stream_out
from standing.core.errors import UserError
from standing.core.stream_out import atomic_stream


def test_the_file_is_the_text_written_in_order_across_hand_overs(tmp_path, monkeypatch):
    monkeypatch.setattr(stream_out, "_HAND_OVER_AT", 10)  # many pieces, so the thread really takes turns
    pieces = [f"line {i} é\n" for i in range(2000)]
    with atomic_stream(tmp_path / "out.md") as out:
        for piece in pieces:
            out.write(piece)
    assert (tmp_path / "out.md").read_text(encoding="utf-8") == "".join(pieces)


class _FailingFile:
    def __init__(self) -> None:
        self.writes = 0

    def write(self, data: bytes) -> int:
        self.writes += 1
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        pass


def test_a_failed_write_fails_the_command_and_leaves_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "findings.json"
    target.write_text("previous")
    failing = _FailingFile()
    real = stream_out._ThreadedWriter.__init__

    def on_a_full_disk(self, out):
        real(self, failing)

    monkeypatch.setattr(stream_out._ThreadedWriter, "__init__", on_a_full_disk)
    monkeypatch.setattr(stream_out, "_HAND_OVER_AT", 10)
    with pytest.raises(UserError, match="findings.json: cannot write: No space left on device"):
        with atomic_stream(target) as out:
            for i in range(1000):
                out.write(f"record {i}\n")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]  # no temporary file left
    assert failing.writes == 1  # the text stopped being handed over once a write failed


def test_an_error_while_making_the_text_stops_the_thread_and_keeps_the_previous_file(tmp_path):
    target = tmp_path / "plans.json"
    target.write_text("previous")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_stream(target) as out:
            out.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["plans.json"]
