"""Where a command may write, judged before it does any work, and writing without half-files.

A command that is told to write somewhere it cannot (``--junit reports/x.xml`` under a file,
``--output-dir`` below a file, a folder it may not write in) must say so in one line at once,
not after collecting and analysing for minutes. ``check_output_file`` and ``check_output_dir``
answer "can this be written?" without creating anything: the nearest existing ancestor must be
a writable directory and everything below it must still be missing (so ``mkdir -p`` will work).

``write_text_atomic`` writes through a temporary file beside the target and renames it into
place, so a reader (or a CI step uploading the file) never sees half of it, and a failed or
interrupted run leaves the previous file untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from standing.core.errors import UserError


def _nearest_existing(path: Path) -> Path:
    """``path`` itself or its nearest ancestor that exists (following symbolic links)."""
    current = path
    while not current.exists() and not current.is_symlink():
        parent = current.parent
        if parent == current:
            break
        current = parent
    return current


def _check_creatable_dir(directory: Path, source: str, target: Path) -> None:
    """``directory`` is a writable folder, or can be made by ``mkdir -p``; messages name ``target``."""
    absolute = directory.absolute()
    existing = _nearest_existing(absolute)
    if existing.is_symlink() and not existing.exists():
        raise UserError(source, f"cannot write {target}: {existing} is a broken symbolic link")
    if not existing.is_dir():
        raise UserError(source, f"cannot write {target}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(source, f"cannot write {target}: folder {existing} is not writable")


def check_output_dir(directory: Path, source: str) -> Path:
    """Raise ``UserError`` naming ``source`` unless ``directory`` exists as a writable folder or
    can be created; nothing is created here."""
    _check_creatable_dir(directory, source, directory)
    return directory


def check_output_file(path: Path, source: str) -> Path:
    """Raise ``UserError`` naming ``source`` unless ``path`` can be written: not a folder, not
    read-only, and its folder exists or can be created. Nothing is created here."""
    if path.is_dir():
        raise UserError(source, f"cannot write {path}: it is a folder, not a file")
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(source, f"cannot write {path}: it is not writable")
    _check_creatable_dir(path.parent, source, path)
    return path


@contextmanager
def atomic_writer(path: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """A text handle whose contents replace ``path`` only when the block ends without error:
    written to a temporary file beside it, then renamed into place (missing parent folders
    are created); on any failure the target is as it was.

    A symbolic link is written through (the file it names is replaced, the link stays). A
    target that exists but is not a regular file (``/dev/stdout``, ``/dev/null``, a FIFO) is
    written in place: renaming over it would replace the device with a file. A failure of the
    file system (a full disk, a folder that cannot be made) is a ``UserError`` naming the path."""
    try:
        if path.exists() and not path.is_file():  # following links: /dev/stdout is a link to a pipe
            with path.open("w", encoding="utf-8", newline=newline) as out:
                yield out
            return
        target = path.resolve() if path.is_symlink() else path
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as out:
                yield out
            os.chmod(temporary, 0o666 & ~_umask())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserError(str(path), f"cannot write: {exc.strerror or exc}") from None


def write_text_atomic(path: Path, text: str, *, newline: str | None = None) -> None:
    """Write ``text`` to ``path`` through ``atomic_writer``."""
    with atomic_writer(path, newline=newline) as out:
        out.write(text)


def make_output_dir(directory: Path) -> None:
    """``mkdir -p``, with a failure of the file system as a ``UserError`` naming the folder."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(str(directory), f"cannot create the folder: {exc.strerror or exc}") from None


def _umask() -> int:
    """The process's umask, so a renamed temporary file gets the mode a plainly created file
    would have (not mkstemp's 0600). Read from /proc on Linux: setting and restoring it with
    ``os.umask`` would briefly change it for every thread."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
