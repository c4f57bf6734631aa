"""The receipt PDF's fonts, reduced once and kept in a cache, so a receipt does not parse a CJK collection.

Noto CJK's Simplified Chinese face has some 65,000 glyphs. fpdf2 reads the metrics of all
of them and then subsets the whole face on every PDF, which made each receipt wait most of
a second. The receipt needs far fewer: its labels, and names of units, seals and people.
So each face is reduced once to a fixed character set (GB 2312, the national standard
set, plus Latin and the punctuation blocks; ASCII for the monospaced receipt text), saved
in the user's cache folder, and used for every receipt. When fpdf2 reports a character
the reduced face lacks (a rare character in a unit's name), the receipt is drawn again
with the whole face: slower, never wrong. The first receipt of a
station builds the cache (seconds, once).

The cached file is named after what it was made from (source file, size, modification
time, face, character set, fontTools version) and is checked against its recorded
SHA-256 before each use; a missing, partial or altered file is built again. The cache is
the station user's, like the station home: the hash catches damage, not that user.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

__all__ = ["CHARSETS", "cache_dir", "faces", "keep_bounds", "missing", "prepare"]

FORMAT = 2  # bump when the reduction below changes, so older cached files are not used


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


def cache_dir() -> Path:
    """``$SEAL_STATION_CACHE``, else the user's cache folder (platformdirs)."""
    env = os.environ.get("SEAL_STATION_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("seal-station", appauthor=False)) / "fonts"


def _name(source: Path, index: int, charset: str) -> str:
    import fontTools

    st = source.stat()
    ident = f"{FORMAT}|{source.resolve()}|{st.st_size}|{st.st_mtime_ns}|{index}|{charset}|{fontTools.version}"
    return f"{source.stem}-{index}-{charset}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}"


def _build(source: Path, index: int, charset: str) -> bytes:
    """The face reduced to the character set, metrics and CID-keyed outlines untouched."""
    import io

    from fontTools import subset, ttLib

    options = subset.Options()
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.layout_features = []  # fpdf2 draws without shaping; it drops these tables too
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "VORG", "vhea", "vmtx", "DSIG"]
    # the whole face's bounding box is kept, so a receipt draws the same with either face
    font = ttLib.TTFont(str(source), fontNumber=index, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_charset(charset))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def prepare(source: Path, index: int, charset: str, directory: Path | None = None) -> Path | None:
    """The reduced face's file, built now if the cache lacks a sound copy; None if it cannot be."""
    from station.home import atomic_write

    directory = directory or cache_dir()
    try:
        name = _name(source, index, charset)
        path, digest = directory / f"{name}.otf", directory / f"{name}.sha256"
        try:
            if hashlib.sha256(path.read_bytes()).hexdigest() == digest.read_text().strip():
                return path
        except (OSError, ValueError):
            pass
        data = _build(source, index, charset)
        atomic_write(path, data)
        atomic_write(digest, (hashlib.sha256(data).hexdigest() + "\n").encode())
        return path
    except Exception:  # no cache (read-only disk, odd font): the caller uses the whole face
        return None


def faces(source: Path, sans: int, mono: int | None, whole: Iterable[str] = ()) -> dict[str, tuple[Path, int]]:
    """fpdf2 family -> (font file, face index): ``cjk`` and, if the collection has one,
    ``cjkmono``; reduced faces, except for the families in ``whole`` or one that cannot be had."""
    wanted = {"cjk": (sans, "gb2312")}
    if mono is not None:
        wanted["cjkmono"] = (mono, "ascii")
    out = {}
    for family, (index, charset) in wanted.items():
        path = None if family in whole else prepare(source, index, charset)
        out[family] = (path, 0) if path is not None else (source, index)
    return out


def missing(pdf: Any) -> set[str]:
    """The families of an FPDF document that lacked a character it drew (draw those with whole faces)."""
    return {family for family, f in pdf.fonts.items() if getattr(f, "missing_glyphs", None)}


def keep_bounds(pdf: Any) -> None:
    """Let fpdf2 subset its fonts without recomputing every glyph's bounds: about a third of
    writing the PDF, and no glyph depends on it (the PDF's /FontBBox is read before
    subsetting; the embedded CFF keeps the whole face's bounding box)."""
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False
