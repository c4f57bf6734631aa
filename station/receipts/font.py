"""The receipt PDF's faces: glyph outlines drawn once into a cache, so a receipt never parses a CJK font.

Noto CJK's Simplified Chinese face has some 65,000 glyphs behind subroutines and layout
tables; reading it with fontTools (the import alone) took longer than all the rest of a
receipt. The receipt needs far fewer: its labels, and names of units, seals and people.
So each face is drawn once, for a fixed character set (GB 2312, the national standard
set, plus Latin and the punctuation blocks; ASCII for the monospaced receipt text), into a
*glyph store*: per character its advance and a self-contained Type 2 charstring (no
subroutines, no hints), which station/receipts/cff.py packs into the few glyphs one PDF
embeds. A character outside the set (a rare character in a unit's name) is drawn from
the whole face when a receipt needs it: slower, never wrong. The first receipt of a
station builds the cache (seconds, once).

The store is named after what it was made from (source file, size, modification time,
face, character set, fontTools version) and checked against its recorded SHA-256 before
each use; a missing, partial or altered file is built again. The cache is the station
user's, like the station home: the hash catches damage, not that user.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
from array import array
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

__all__ = ["CHARSETS", "Face", "cache_dir", "prepare", "load", "NOTDEF"]

FORMAT = 4  # bump when the store below changes, so older cached files are not used
MAGIC = b"seal-station glyphs\n"
NOTDEF = -1  # the code of the face's .notdef glyph in a store


def _gb2312() -> set[int]:
    out: set[int] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return out


def _ranges(*spans: tuple[int, int]) -> set[int]:
    return {c for lo, hi in spans for c in range(lo, hi + 1)}


_ASCII = _ranges((0x20, 0x7E))
_PUNCTUATION = _ranges((0xA0, 0xFF), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF))
CHARSETS = {
    "gb2312": lambda: _ASCII | _PUNCTUATION | _gb2312(),
    "ascii": lambda: _ASCII,
}


@lru_cache(maxsize=None)
def _charset(name: str) -> frozenset[int]:
    return frozenset(CHARSETS[name]())


class Face:
    """One face as a receipt uses it: metrics in units of 1/1000 em and glyphs by code point.

    The store's arrays are used as read (no object per glyph until a receipt asks for it);
    characters the store lacks are drawn from the whole face and kept in ``extra``."""

    def __init__(self, source: Path, index: int, metrics: dict[str, Any], codes: array, advances: array,
                 offsets: array, blob: bytes) -> None:
        self.source, self.index = source, index
        self.name = str(metrics["name"])
        self.ascent, self.descent = int(metrics["ascent"]), int(metrics["descent"])
        self.cap_height = int(metrics["cap_height"])
        self.bbox = tuple(int(v) for v in metrics["bbox"])
        self._codes, self._advances, self._offsets, self._blob = codes, advances, offsets, blob
        self.extra: dict[int, tuple[int, bytes]] = {}
        if self._stored(NOTDEF) is None:
            raise ValueError("glyph store without .notdef")

    @property
    def stored(self) -> tuple[int, ...]:
        """The code points the store holds (NOTDEF first)."""
        return tuple(self._codes)

    def _stored(self, code: int) -> tuple[int, bytes] | None:
        i = bisect_left(self._codes, code)
        if i == len(self._codes) or self._codes[i] != code:
            return None
        return self._advances[i], self._blob[self._offsets[i]:self._offsets[i + 1]]

    def glyph(self, code: int) -> tuple[int, bytes]:
        """(advance, charstring) of a character; .notdef when the face has none."""
        found = self.extra.get(code) or self._stored(code)
        if found is None:
            self.add(code)
            found = self.extra[code]
        return found

    def add(self, *codes: int) -> None:
        """Draw characters the store lacks from the whole face (at most once each)."""
        lacking = {c for c in codes if c not in self.extra and self._stored(c) is None}
        if lacking:
            _, glyphs = _draw(self.source, self.index, lacking)
            notdef = self.glyph(NOTDEF)
            for code in lacking:
                self.extra[code] = glyphs.get(code) or notdef

    def advance(self, text: str) -> int:
        """The width of ``text`` in 1/1000 em."""
        self.add(*{ord(c) for c in text})
        return sum(self.glyph(ord(c))[0] for c in text)


def cache_dir() -> Path:
    """``$SEAL_STATION_CACHE``, else the user's cache folder (platformdirs)."""
    env = os.environ.get("SEAL_STATION_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("seal-station", appauthor=False)) / "fonts"


def _name(source: Path, index: int, charset: str) -> str:
    from importlib.util import find_spec

    st = source.stat()
    spec = find_spec("fontTools")  # its files' stamp stands for its version, without importing it
    tools = os.stat(spec.origin) if spec and spec.origin else None
    drawn_by = f"{tools.st_size}|{tools.st_mtime_ns}" if tools else ""
    ident = f"{FORMAT}|{source.resolve()}|{st.st_size}|{st.st_mtime_ns}|{index}|{charset}|{drawn_by}"
    return f"{source.stem}-{index}-{charset}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}"


def _draw(source: Path, index: int, codes: Iterable[int]) -> tuple[dict[str, object], dict[int, tuple[int, bytes]]]:
    """The face's metrics and, per code point it maps, (advance, charstring without subroutines or hints)."""
    from fontTools import ttLib
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    font = ttLib.TTFont(str(source), fontNumber=index, lazy=True)
    head, os2 = font["head"], font["OS/2"]
    if head.unitsPerEm != 1000:
        raise ValueError(f"{source}: {head.unitsPerEm} units per em; the receipt draws 1000")
    cmap, glyph_set, order = font.getBestCmap(), font.getGlyphSet(), font.getGlyphOrder()
    out: dict[int, tuple[int, bytes]] = {}
    for code in codes:
        name = order[0] if code == NOTDEF else cmap.get(code)
        if name is None:
            continue
        glyph = glyph_set[name]
        pen = T2CharStringPen(glyph.width, glyph_set)
        glyph.draw(pen)
        charstring = pen.getCharString()
        charstring.compile()
        out[code] = (int(glyph.width), bytes(charstring.bytecode))
    metrics: dict[str, object] = {
        "name": font["name"].getDebugName(6) or source.stem, "ascent": os2.sTypoAscender,
        "descent": os2.sTypoDescender, "cap_height": getattr(os2, "sCapHeight", os2.sTypoAscender),
        "bbox": [head.xMin, head.yMin, head.xMax, head.yMax]}
    return metrics, out


def _build(source: Path, index: int, charset: str) -> bytes:
    """A glyph store: magic, sizes, metrics (JSON), then the arrays of code points (int32),
    advances (uint16) and charstring offsets (uint32, one more than glyphs), charstrings."""
    metrics, glyphs = _draw(source, index, sorted(_charset(charset) | {NOTDEF}))
    header = json.dumps(metrics).encode()
    codes = sorted(glyphs)
    offsets = [0]
    for code in codes:
        offsets.append(offsets[-1] + len(glyphs[code][1]))
    parts = [array("i", codes), array("H", [glyphs[c][0] for c in codes]), array("I", offsets)]
    if sys.byteorder == "big":
        for part in parts:
            part.byteswap()
    return b"".join([MAGIC, struct.pack("<II", len(header), len(codes)), header,
                     *(part.tobytes() for part in parts), *(glyphs[c][1] for c in codes)])


def _parse(source: Path, index: int, data: bytes) -> Face:
    if not data.startswith(MAGIC):
        raise ValueError("not a glyph store")
    at = len(MAGIC)
    header_len, count = struct.unpack_from("<II", data, at)
    at += 8
    metrics = json.loads(data[at:at + header_len])
    at += header_len
    parts = []
    for code, size in (("i", count), ("H", count), ("I", count + 1)):
        part = array(code)
        if part.itemsize * size > len(data) - at:
            raise ValueError("a short glyph store")
        part.frombytes(data[at:at + part.itemsize * size])
        if sys.byteorder == "big":
            part.byteswap()
        parts.append(part)
        at += part.itemsize * size
    if parts[2][-1] != len(data) - at or list(parts[0]) != sorted(parts[0]):
        raise ValueError("a damaged glyph store")
    return Face(source, index, metrics, parts[0], parts[1], parts[2], data[at:])


def prepare(source: Path, index: int, charset: str, directory: Path | None = None) -> Face:
    """The face from its store, built now if the cache lacks a sound copy (in memory only
    when the cache cannot be written)."""
    directory = directory or cache_dir()
    name = _name(source, index, charset)
    path, digest = directory / f"{name}.glyphs", directory / f"{name}.sha256"
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == digest.read_text().strip():
            return _parse(source, index, data)
    except (OSError, ValueError, KeyError, struct.error):
        pass
    data = _build(source, index, charset)
    from station.home import atomic_write

    try:
        atomic_write(path, data)
        atomic_write(digest, (hashlib.sha256(data).hexdigest() + "\n").encode())
        for old in directory.glob(f"{source.stem}-{index}-{charset}-*"):  # made from an older font or format
            if old.stem != name:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache: this receipt still gets its faces
    return _parse(source, index, data)


def load(source: Path, sans: int, mono: int | None) -> dict[str, Face]:
    """``cjk`` and, if the collection has one, ``cjkmono``: the faces a receipt draws with."""
    faces = {"cjk": prepare(source, sans, "gb2312")}
    faces["cjkmono"] = prepare(source, mono, "ascii") if mono is not None else faces["cjk"]
    return faces
