"""User data inside Textual markup: shown as written, never read as markup nor obeyed by
the terminal.

Textual's markup opens a tag at any ``[`` that no backslash precedes, so the usual escape
(only ``[`` that looks like a tag) lets a seal named ``公司 [ 2024`` swallow the template's
next tag and fail the whole text. Here every ``[`` is escaped, a trailing backslash is
kept from escaping the template's own next ``[``, and terminal controls are written out
first (:func:`station.terminal.printable`).
"""

from __future__ import annotations

from station.terminal import printable

__all__ = ["escape"]

_WORD_JOINER = "\u2060"  # zero width: parts a value's last backslash from the next tag


def escape(value: object) -> str:
    """``value`` as text for a template that reads markup."""
    text = printable(str(value)).replace("[", "\\[")
    return text + _WORD_JOINER if text.endswith("\\") else text
