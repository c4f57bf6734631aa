"""Text from outside drawn on a terminal, never obeyed by it.

A seal file's names, a card's label, a station id in a bundle from a stick are whatever
their maker wrote. An escape sequence in one of them would reach the terminal as a
command: recolour a line, retitle the window, or move the cursor and paint "valid" over
a verdict. :func:`printable` shows each control character as its escape instead
(``\\x1b``), so the text is drawn and the oddity stays visible to whoever reads it.
"""

from __future__ import annotations

import json
import unicodedata

__all__ = ["printable", "printable_json"]

_KEEP_LINES = frozenset("\n\t")


def _shown(c: str) -> str:
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def printable(text: str, *, lines: bool = True) -> str:
    """``text`` with every character that is not printable (C0 and C1 controls, DEL,
    format characters such as a right-to-left override) shown as its escape; spaces (the
    ideographic one of Chinese names included) stay, and line breaks and tabs when
    ``lines``. Printable text is returned as is."""
    if text.isprintable():
        return text
    keep = _KEEP_LINES if lines else frozenset()
    return "".join(c if c.isprintable() or c in keep or unicodedata.category(c) == "Zs" else _shown(c)
                   for c in text)


def printable_json(document: str) -> str:
    """A JSON document (``ensure_ascii=False``) with the controls JSON leaves raw, C1 and
    format characters, written as ``\\u`` escapes: the same document to a parser, and
    nothing a terminal obeys."""
    if document.isprintable():
        return document
    return "".join(c if c.isprintable() or c == "\n" or unicodedata.category(c) == "Zs"
                   else json.dumps(c)[1:-1] for c in document)
