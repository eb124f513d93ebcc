"""The cycle collector paused while a scan builds millions of records that form no cycles.

Reading a 100,000-identity snapshot, analysing it and planning it allocate tens of millions of
objects that all live until the scan ends (records, hops, findings, plans). Each allocation
burst makes CPython's collector walk the ever-growing heap again looking for cycles there are
none of: at 30,000 identities that walking was half the time of reading the snapshot and of
planning. The records are acyclic (frozen pydantic models, tuples, dicts of strings), so the
pause frees nothing later than it would have been; the collector is back on, and runs, when the
outermost pause ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause automatic cycle collection for the block; nesting keeps the outermost's state."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
