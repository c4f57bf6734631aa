"""A CID-keyed CFF font of just the glyphs one receipt draws, for embedding in its PDF.

PDF embeds a CJK face as a CIDFontType0C program (ISO 32000-1 §9.7.4, Adobe TN #5176).
The glyph store (station/receipts/font.py) already holds self-contained charstrings, so
the font is a fixed sequence of parts: header, name, top dictionary, strings, an empty
global subroutine index, charset (CID i is glyph i), FD select (every glyph in font
dictionary 0), the charstrings, the one font dictionary and its private dictionary.
Offsets in the dictionaries are written as 5-byte integers, so their size is known
before the offsets are.
"""

from __future__ import annotations

import struct
from typing import Sequence

__all__ = ["cid_font"]

_ADOBE, _IDENTITY = 391, 392  # the first two custom strings (SIDs below 391 are standard)


def _index(items: Sequence[bytes]) -> bytes:
    """A CFF INDEX: count, offset size, 1-based offsets, data."""
    if not items:
        return b"\x00\x00"
    data = b"".join(items)
    offsets = [1]
    for item in items:
        offsets.append(offsets[-1] + len(item))
    size = next(n for n in (1, 2, 3, 4) if offsets[-1] < 1 << (8 * n))
    return struct.pack(">HB", len(items), size) + b"".join(o.to_bytes(size, "big") for o in offsets) + data


def _int(value: int) -> bytes:
    """A DICT integer operand, always 5 bytes (so a dictionary's size does not depend on offsets)."""
    return b"\x1d" + struct.pack(">i", value)


def _op(*codes: int) -> bytes:
    return bytes(codes)


def _top(glyphs: int, bbox: Sequence[int], charset: int, fd_select: int, charstrings: int, fd_array: int) -> bytes:
    return (_int(_ADOBE) + _int(_IDENTITY) + _int(0) + _op(12, 30)  # ROS Adobe-Identity-0
            + _int(glyphs) + _op(12, 34)  # CIDCount
            + b"".join(_int(v) for v in bbox) + _op(5)  # FontBBox
            + _int(charset) + _op(15) + _int(fd_select) + _op(12, 37)
            + _int(charstrings) + _op(17) + _int(fd_array) + _op(12, 36))


def cid_font(name: str, bbox: Sequence[int], charstrings: Sequence[bytes]) -> bytes:
    """The font program; ``charstrings[0]`` is .notdef and CID i draws ``charstrings[i]``."""
    count = len(charstrings)
    private = _int(0) + _op(21)  # nominalWidthX 0: the charstrings carry their advance whole
    charset = b"\x00" if count == 1 else struct.pack(">BHH", 2, 1, count - 2)  # CIDs 1..count-1
    fd_select = struct.pack(">BHHBH", 3, 1, 0, 0, count)
    head = b"\x01\x00\x04\x04" + _index([name.encode("ascii")])
    top_size = len(_index([_top(0, bbox, 0, 0, 0, 0)]))
    strings = _index([b"Adobe", b"Identity"])
    at = len(head) + top_size + len(strings) + 2  # + the empty global subroutine index
    charset_at = at
    fd_select_at = charset_at + len(charset)
    charstrings_at = fd_select_at + len(fd_select)
    glyphs = _index(list(charstrings))
    fd_array_at = charstrings_at + len(glyphs)
    font_dict_size = len(_index([_int(0) + _int(0) + _op(18)]))
    private_at = fd_array_at + font_dict_size
    fd_array = _index([_int(len(private)) + _int(private_at) + _op(18)])
    top = _index([_top(count, bbox, charset_at, fd_select_at, charstrings_at, fd_array_at)])
    out = head + top + strings + b"\x00\x00" + charset + fd_select + glyphs + fd_array + private
    assert len(out) == private_at + len(private)
    return out
