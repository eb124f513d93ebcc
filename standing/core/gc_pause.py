"""The cycle collector paused while a scan builds millions of records that form no cycles, and
the memory a large read freed handed back to the system.

Reading a 100,000-identity snapshot, analysing it and planning it allocate tens of millions of
objects that all live until the scan ends (records, hops, findings, plans). Each allocation
burst makes CPython's collector walk the ever-growing heap again looking for cycles there are
none of: at 30,000 identities that walking was half the time of reading the snapshot and of
planning. The records are acyclic (frozen pydantic models, tuples, dicts of strings), so the
pause frees nothing later than it would have been; the collector is back on, and runs, when the
outermost pause ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any


class _Process:
    ends_after_command = False
    """Set by the installed command, which leaves without the interpreter's teardown
    (``cli.main._exit_now``): the collector is then left off after a pause, since turning it on
    makes its next collection walk every record the pause let pile up (a second of a 30k scan),
    only for the process to end."""


def process_ends_after_command() -> None:
    _Process.ends_after_command = True


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause automatic cycle collection for the block; nesting keeps the outermost's state."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled and not _Process.ends_after_command:
            gc.enable()


@lru_cache(maxsize=1)
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def release_freed_memory() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Parsing a large snapshot leaves hundreds of megabytes free in the C heap that Python's own
    allocator, which maps its memory separately, would never reuse: without this they count
    towards the scan's peak for the rest of the run.
    """
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is not None:
        trim(0)
