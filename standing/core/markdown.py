"""Markdown from text that may have come from a cloud: the one escaper of plans.md, report.md and
the gate's pull-request comment.

``escape`` is for prose and table cells: HTML escaped and Markdown punctuation backslashed, so a
name like ``<img src=x>``, ``a|b`` or ``*x*`` cannot inject HTML, break a table or add emphasis.
``code`` is an inline code span: its text is literal (a backslash there would be printed, so none
is added), fenced with more backticks than the longest run inside. ``fence`` is a code block.
Newlines become spaces everywhere but in a block, so a value cannot start a heading or a list;
control and bidi characters are written as visible escapes everywhere, blocks included
(``standing.core.safe_text``), so a plans.md shown in a terminal (``standing plan``) is inert.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import TypeGuard

from standing.core.safe_text import printable, printable_block

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_TICKS = re.compile(r"`+")
_SPAN = re.compile(r"(?<!`)`([^`]+)`(?!`)")
_MARKUP = re.compile(r"[\\`*_\[\]|~<>&]|  ")  # what escaping changes in printable ASCII on one line


def _plain(text: object) -> TypeGuard[str]:
    """Text that every escaper here leaves as it is: printable ASCII, single-spaced, nothing
    Markdown or HTML reads (most names and sentences; checked in C, not character by character)."""
    return (
        type(text) is str
        and text.isascii()
        and text.isprintable()
        and not text.startswith(" ")
        and not text.endswith(" ")
        and _MARKUP.search(text) is None
    )


def _flat(text: object) -> str:
    return printable(" ".join(str(text).split()))


def _longest_run(text: str) -> int:
    return max((len(run) for run in _TICKS.findall(text)), default=0)


def _escaped(flat: str) -> str:
    return _SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def escape(text: object) -> str:
    """Plain text, safe in prose and in a table cell."""
    return _escape_text(text) if type(text) is str else _escaped(_flat(text))


# Plans repeat the same sentences (titles, rollbacks, notes) thousands of times: each distinct
# text is escaped once. Bounded, so unique texts (names, messages) only cycle through it.
@lru_cache(maxsize=16384)
def _escape_text(text: str) -> str:
    return text if _plain(text) else _escaped(_flat(text))


def code(text: object, *, table: bool = False) -> str:
    """An inline code span holding ``text`` literally; ``table=True`` inside a GFM table cell
    (where ``|`` must be ``\\|`` even in code: the table is split before the span is read)."""
    flat = _flat(text)
    if table:
        flat = flat.replace("|", "\\|")
    if not flat:
        return "` `"
    ticks = "`" * (_longest_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def prose_with_code(text: object) -> str:
    """Prose whose `backticked` parts (commands the tool wrote) become code spans; the rest escaped."""
    return _prose_text(text) if type(text) is str else _prose_text(str(text))


@lru_cache(maxsize=16384)
def _prose_text(text: str) -> str:
    if _plain(text):  # no backtick, nothing to escape
        return text
    flat = _flat(text)
    out, end = [], 0
    for match in _SPAN.finditer(flat):
        out += [_escaped(flat[end : match.start()]), code(match.group(1))]
        end = match.end()
    out.append(_escaped(flat[end:]))
    return "".join(out)


def fence(body: str, language: str = "") -> str:
    """A fenced code block longer than any backtick run in ``body``; the info string is one
    word (a language), so nothing a caller passes can close or reopen the fence."""
    body = printable_block(body)
    ticks = "`" * max(3, _longest_run(body) + 1)
    info = _flat(language).replace("`", "").split(" ")[0]
    return f"{ticks}{info}\n{body.rstrip()}\n{ticks}"


def count(number: int, singular: str, plural: str | None = None) -> str:
    """``1 plan``, ``2 plans``, ``1 identity`` / ``3 identities`` (give the irregular plural)."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
