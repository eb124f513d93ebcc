"""Cloud text made safe to show: the one place that decides which characters a name may not carry raw.

Anyone who can name an Entra app, set a GCP display name or tag an AWS identity writes text this
tool prints. Raw, an ``ESC [2J`` clears the reader's screen, an ``ESC ]0;... BEL`` retitles the
terminal, a right-to-left override (``U+202E``) makes ``gnp.exe`` read as ``exe.png``, a newline
starts a fake line of output, and a lone surrogate cannot even be encoded (nor written as XML).
So every such character is written *visibly* as its escape (``\\x1b``, ``\\u202e``): the reader
sees that the name holds it, and nothing acts on it.

- ``printable``: one line of terminal, log or error text (newlines escaped too);
- ``printable_block``: several lines (a query, a fenced block) whose own newlines and tabs stay;
- ``spreadsheet_cell``: a CSV cell, printable and never read as a formula (``= + - @``, tab, CR);
- ``json_text``: JSON text whose string contents carry no raw C1 control or bidi override.

XML 1.0 forbids exactly the C0 controls other than tab, newline and CR, and the surrogates and
``U+FFFE``/``U+FFFF``: all of them are escaped here, so printable text is valid XML text.
"""

from __future__ import annotations

import re

# C0 (but tab), DEL, C1; bidi marks, embeddings, overrides and isolates; lone surrogates; the two
# noncharacters XML forbids. (U+2028/U+2029 are text to a terminal, XML and a browser; the
# one-line helpers that fold whitespace fold them.)
_UNSAFE = "\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff"
_LINE = re.compile(f"[{_UNSAFE}]")
_BLOCK = re.compile(f"[{_UNSAFE.replace(chr(0x0A) + '-', chr(0x0B) + '-')}]")
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """One line safe for a terminal, a log or an error: every control, bidi or line-breaking
    character written as its visible escape. Tab stays (harmless); backslashes are left alone."""
    return _LINE.sub(_visible, str(text))


def printable_block(text: object) -> str:
    """Several lines safe for a terminal: like ``printable``, but newlines stay newlines."""
    return _BLOCK.sub(_visible, str(text))


def spreadsheet_cell(value: object) -> str:
    """A CSV cell: printable, and with a leading apostrophe when a spreadsheet would read it as a
    formula (``=HYPERLINK(...)``, ``+cmd|...``, ``-``, ``@``), so a name stays data."""
    text = "" if value is None else printable(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def json_text(text: str) -> str:
    """JSON text with raw DEL, C1 controls and bidi characters written as ``\\uXXXX`` escapes.

    JSON encoders escape C0 but pass these through, and a terminal showing the file (``cat``,
    ``jq``) acts on them. They can only occur inside JSON strings, where the escape means the
    same character, so the document's data is unchanged."""
    if text.isascii() and "\x7f" not in text:  # nothing to escape (all of them are DEL or beyond)
        return text
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
