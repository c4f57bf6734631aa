"""The receipt's glyph store and the CFF font built from it: built once, checked by hash,
rebuilt when damaged, and the embedded glyphs draw exactly the face's outlines."""

from __future__ import annotations

import io

import pytest

from station.receipts import cff
from station.receipts import font as pdf_font
from station.receipts.pdf import font as cjk_font


@pytest.fixture
def mono(tmp_path):  # type: ignore[no-untyped-def]
    source, _, mono_index = cjk_font()
    assert mono_index is not None
    return source, mono_index, tmp_path


def test_a_store_is_built_once_and_reused(mono):
    source, index, cache = mono
    face = pdf_font.prepare(source, index, "ascii", cache)
    stores = list(cache.glob("*.glyphs"))
    assert len(stores) == 1
    stamp = stores[0].stat().st_mtime_ns
    again = pdf_font.prepare(source, index, "ascii", cache)
    assert stores[0].stat().st_mtime_ns == stamp and _glyphs(again) == _glyphs(face)
    assert face.stored == (pdf_font.NOTDEF, *range(0x20, 0x7F)) and not face.extra


def test_a_damaged_store_is_built_again_and_an_outdated_one_removed(mono):
    source, index, cache = mono
    outdated = [cache / f"{source.stem}-{index}-ascii-0123456789abcdef{ext}" for ext in (".otf", ".sha256")]
    for path in outdated:
        path.write_bytes(b"from an older station")
    face = pdf_font.prepare(source, index, "ascii", cache)
    store = next(cache.glob("*.glyphs"))
    data = bytearray(store.read_bytes())
    data[-5] ^= 0xFF  # one charstring byte
    store.write_bytes(bytes(data))
    assert _glyphs(pdf_font.prepare(source, index, "ascii", cache)) == _glyphs(face)
    store.write_bytes(b"")
    assert _glyphs(pdf_font.prepare(source, index, "ascii", cache)) == _glyphs(face)
    assert not any(path.exists() for path in outdated) and len(list(cache.iterdir())) == 2


def _glyphs(face: pdf_font.Face) -> dict[int, tuple[int, bytes]]:
    return {code: face.glyph(code) for code in face.stored}


def test_the_embedded_font_draws_the_face_outlines(mono):
    from fontTools import ttLib
    from fontTools.cffLib import CFFFontSet

    source, index, cache = mono
    face = pdf_font.prepare(source, index, "ascii", cache)
    text = "SSR1:AZ09$%*+-./"
    program = cff.cid_font(face.name, face.bbox, [face.glyph(pdf_font.NOTDEF)[1]]
                           + [face.glyph(ord(c))[1] for c in text])
    fonts = CFFFontSet()
    fonts.decompile(io.BytesIO(program), None)
    top = fonts[fonts.fontNames[0]]
    assert top.ROS == ("Adobe", "Identity", 0) and top.CIDCount == len(text) + 1
    whole = ttLib.TTFont(str(source), fontNumber=index, lazy=True)
    glyph_set, cmap = whole.getGlyphSet(), whole.getBestCmap()
    for cid, char in enumerate(text, 1):
        charstring = top.CharStrings[top.charset[cid]]
        ours = _shape(charstring.draw)
        assert ours == _shape(glyph_set[cmap[ord(char)]].draw, glyph_set), char
        assert ours[0] != 0 or char == " "
        assert charstring.width == glyph_set[cmap[ord(char)]].width == face.glyph(ord(char))[0]


def _shape(draw, glyph_set=None):  # type: ignore[no-untyped-def]
    """Area, bounds and perimeter of an outline: the same for the same shape, whichever
    commands drew it (a line to the start, or two collinear lines, are written shorter)."""
    from fontTools.pens.areaPen import AreaPen
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.pens.perimeterPen import PerimeterPen

    pens = AreaPen(glyph_set), BoundsPen(glyph_set), PerimeterPen(glyph_set)
    for pen in pens:
        draw(pen)
    return round(pens[0].value, 1), pens[1].bounds, round(pens[2].value, 1)


def test_a_font_that_cannot_be_read_is_one_clear_error(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from station.errors import StateError
    from station.receipts import pdf as receipt_pdf
    from station.receipts.claims import IssuedSeal

    junk = tmp_path / "NotoSansCJK-Regular.ttc"
    junk.write_bytes(b"not a font at all")
    monkeypatch.setenv("SEAL_STATION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(receipt_pdf, "font", lambda: (junk, 2, 7))
    seal = IssuedSeal("ST-1-2026-000001", "名", "单位", None, "official", "ab", "张三", "2026-05-01T00:00:00+00:00",
                      "2026-05-01T00:00:00+00:00", "王芳", ("李强",), 1, "ST-1")
    with pytest.raises(StateError) as caught:
        receipt_pdf.build(seal, b"", None)
    assert "cannot be read" in caught.value.message and not list((tmp_path / "cache").glob("*.glyphs"))


def test_a_character_outside_the_store_is_drawn_once_from_the_whole_face(mono):
    source, index, cache = mono
    face = pdf_font.prepare(source, index, "ascii", cache)
    from fontTools import ttLib

    advance, charstring = face.glyph(ord("é"))  # Latin-1: in the mono face, not in its ASCII store
    whole = ttLib.TTFont(str(source), fontNumber=index, lazy=True)
    assert advance == whole.getGlyphSet()[whole.getBestCmap()[ord("é")]].width
    assert charstring != face.glyph(pdf_font.NOTDEF)[1]
    assert set(face.extra) == {ord("é")}
    assert face.glyph(0x10FFFD) == face.glyph(pdf_font.NOTDEF)  # a character no face has: .notdef
