"""A large output file written by a second thread while this one goes on making the text.

At 100,000 identities a scan writes two gigabytes (findings.json, plans.json, plans.md), and
on the development machine the kernel's side of a write (copying into the page cache) costs
about 4.5 s of system time per gigabyte. ``atomic_stream`` encodes each piece at once, hands
it to a writer thread, and returns: the thread's write calls run outside the interpreter lock,
on the machine's other core, while the caller serializes the next records. The file is still
written through ``atomic_writer`` (a temporary file renamed into place), and a failure of the
thread's writes is raised in the caller, as ``atomic_writer`` would have raised it.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from standing.core.outputs import atomic_writer

_HAND_OVER_AT = 1 << 20  # characters gathered before a piece goes to the thread
_PIECES_WAITING = 8  # at most this many pieces wait for the thread: memory stays bounded


class TextSink(Protocol):
    def write(self, text: str, /) -> int: ...


class _ThreadedWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._waiting: queue.Queue[bytes | None] = queue.Queue(maxsize=_PIECES_WAITING)
        self._gathered: list[str] = []
        self._size = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="standing-writer", daemon=True)
        self._thread.start()

    def write(self, text: str, /) -> int:
        self._gathered.append(text)
        self._size += len(text)
        if self._size >= _HAND_OVER_AT:
            self._hand_over()
        return len(text)

    def _hand_over(self) -> None:
        if self._error is not None:  # stop making text nobody can write
            raise self._error
        if self._gathered:
            self._waiting.put("".join(self._gathered).encode("utf-8"))
            self._gathered, self._size = [], 0

    def _drain(self) -> None:
        while (piece := self._waiting.get()) is not None:
            if self._error is None:
                try:
                    self._out.write(piece)
                except BaseException as exc:  # raised in the caller by close or the next hand-over
                    self._error = exc

    def close(self) -> None:
        try:
            self._hand_over()
        finally:
            self.stop()
        if self._error is not None:
            raise self._error
        self._out.flush()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._waiting.put(None)
            self._thread.join()


@contextmanager
def atomic_stream(path: Path) -> Iterator[TextSink]:
    """``atomic_writer(path)`` whose writes go to the file on a second thread (see above)."""
    with atomic_writer(path) as out:
        if os.linesep != "\n":  # text mode would translate newlines: keep it doing so
            yield out
            return
        out.flush()
        writer = _ThreadedWriter(out.buffer)
        try:
            yield writer
        except BaseException:
            writer.stop()
            raise
        writer.close()
