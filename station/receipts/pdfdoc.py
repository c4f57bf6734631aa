"""A one-page PDF writer for the receipt: text in embedded CJK faces, lines, PNG images.

A general layout library (fpdf2) took more time to import than the rest of a receipt,
and it subset the CJK face again for every PDF. The receipt is one fixed page, so this
writer does only what it needs: coordinates in millimetres from the top left, text drawn
with faces from station/receipts/font.py (each embedded as a Type 0 font over a
CIDFontType0C program of just the glyphs used, with a ToUnicode map so the text can be
searched and copied), PNG images embedded as they are (their IDAT data is already a
Flate stream with PNG predictors), and a classic cross-reference table, which
station/receipts/pdfsign.py appends its signature to.
"""

from __future__ import annotations

import re
import secrets
import struct
import zlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from station.receipts import cff

if TYPE_CHECKING:  # pragma: no cover
    from station.receipts.font import Face

__all__ = ["Document", "MM", "png_image", "text_string"]

MM = 72 / 25.4  # points per millimetre
_A4 = (210.0, 297.0)


def text_string(value: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte order mark, in hex."""
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def _num(value: float) -> bytes:
    return (b"%.3f" % value).rstrip(b"0").rstrip(b".") or b"0"


def png_image(data: bytes) -> tuple[bytes, bytes]:
    """(image dictionary entries, Flate data) of a non-interlaced PNG without alpha.

    Raises ValueError for anything else (the receipt's own PNGs are grey or RGB)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat, palette = 8, bytearray(), b""
    width = height = depth = colour = interlace = -1
    while at + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR" and len(body) == 13:
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        at += 12 + length
    if interlace != 0 or colour not in (0, 2, 3) or width <= 0 or height <= 0 or not idat:
        raise ValueError("a PNG this writer cannot embed (interlaced, with alpha, or damaged)")
    if colour == 3:
        space = b"[/Indexed /DeviceRGB %d <%s>]" % (len(palette) // 3 - 1, palette.hex().encode())
    else:
        space = b"/DeviceGray" if colour == 0 else b"/DeviceRGB"
    colours = 3 if colour == 2 else 1
    entries = (b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent %d "
               b"/Filter /FlateDecode /DecodeParms <</Predictor 15 /Colors %d /BitsPerComponent %d /Columns %d>>"
               % (width, height, space, depth, colours, depth, width))
    return entries, bytes(idat)


class _Font:
    """A face as used in this document: the characters drawn, each given the next CID."""

    def __init__(self, face: Face, resource: str) -> None:
        self.face, self.resource = face, resource
        self.cids: dict[int, int] = {}

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for char in text:
            code = ord(char)
            cid = self.cids.setdefault(code, len(self.cids) + 1)
            out += cid.to_bytes(2, "big")
        return out.hex().upper().encode()


class Document:
    """One A4 page being drawn; :meth:`output` gives the finished PDF."""

    def __init__(self, title: str, creator: str, faces: dict[str, Face]) -> None:
        self.title, self.creator = title, creator
        self.fonts = {key: _Font(face, f"F{i + 1}") for i, (key, face) in enumerate(faces.items())}
        self.content = bytearray()
        self.images: list[tuple[bytes, bytes]] = []

    # -- drawing ---------------------------------------------------------------------------
    def width(self, font: str, size: float, text: str) -> float:
        """Width of ``text`` in millimetres."""
        return self.fonts[font].face.advance(text) * size / 1000 / MM

    def text(self, x: float, y: float, font: str, size: float, text: str, grey: float = 0.0) -> None:
        """``text`` with its baseline at (x, y) mm; ``grey`` 0 is black, 1 white."""
        if not text:
            return
        f = self.fonts[font]
        f.face.add(*{ord(c) for c in text})
        self.content += (b"BT %s g /%s %s Tf %s %s Td <%s> Tj ET\n" % (
            _num(grey), f.resource.encode(), _num(size), _num(x * MM), _num((_A4[1] - y) * MM), f.encode(text)))

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.2, grey: float = 0.0) -> None:
        self.content += b"%s G %s w %s %s m %s %s l S\n" % (
            _num(grey), _num(width * MM), _num(x1 * MM), _num((_A4[1] - y1) * MM), _num(x2 * MM),
            _num((_A4[1] - y2) * MM))

    def image(self, png: bytes, x: float, y: float, w: float, h: float) -> None:
        """A PNG in the box whose top left is (x, y) mm (raises ValueError if it cannot be embedded)."""
        self.images.append(png_image(png))
        self.content += b"q %s 0 0 %s %s %s cm /Im%d Do Q\n" % (
            _num(w * MM), _num(h * MM), _num(x * MM), _num((_A4[1] - y - h) * MM), len(self.images))

    # -- writing ---------------------------------------------------------------------------
    def output(self, when: datetime | None = None) -> bytes:
        objects: list[bytes] = []

        def add(body: bytes, stream: bytes | None = None) -> int:
            if stream is not None:
                body = body[:-2] + b" /Length %d>>\nstream\n" % len(stream) + stream + b"\nendstream"
            objects.append(body)
            return len(objects)

        add(b"<</Type /Catalog /Pages 2 0 R>>")
        add(b"<</Type /Pages /Kids [3 0 R] /Count 1>>")
        add(b"")  # the page, once its resources are known
        content = add(b"<</Filter /FlateDecode>>", zlib.compress(bytes(self.content), 6))
        fonts = b"".join(b"/%s %d 0 R " % (f.resource.encode(), self._embed(f, add))
                         for f in self.fonts.values() if f.cids)
        images = b"".join(b"/Im%d %d 0 R " % (i + 1, add(b"<<" + entries + b">>", data))
                          for i, (entries, data) in enumerate(self.images))
        objects[2] = (b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R /Resources "
                      b"<</Font <<%s>> /XObject <<%s>> /ProcSet [/PDF /Text /ImageB /ImageC /ImageI]>>>>"
                      % (_num(_A4[0] * MM), _num(_A4[1] * MM), content, fonts, images))
        stamp = (when or datetime.now(timezone.utc)).strftime("D:%Y%m%d%H%M%SZ").encode()
        info = add(b"<</Title " + text_string(self.title) + b" /Creator " + text_string(self.creator)
                   + b" /Producer " + text_string(self.creator) + b" /CreationDate (" + stamp + b")>>")
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for num, body in enumerate(objects, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
        ident = secrets.token_hex(16).encode()
        out += (b"trailer\n<</Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>]>>\nstartxref\n%d\n%%%%EOF\n"
                % (len(objects) + 1, info, ident, ident, xref))
        return bytes(out)

    @staticmethod
    def _embed(font: _Font, add: Callable[..., int]) -> int:
        """The Type 0 font of the characters drawn with ``font``; its object number."""
        from station.receipts.font import NOTDEF

        face = font.face
        codes = sorted(font.cids, key=font.cids.__getitem__)
        glyphs = [face.glyph(code) for code in codes]
        tag = "".join(chr(65 + b % 26) for b in secrets.token_bytes(6))  # a subset's name prefix
        plain = re.sub(r"[^A-Za-z0-9-]", "", face.name)[:60] or "CJK"  # a PDF name and a CFF name alike
        name = f"{tag}+{plain}"
        program = cff.cid_font(plain, face.bbox, [face.glyph(NOTDEF)[1], *(cs for _, cs in glyphs)])
        file = add(b"<</Subtype /CIDFontType0C /Filter /FlateDecode>>", zlib.compress(program, 6))
        descriptor = add(b"<</Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%s] /ItalicAngle 0 "
                         b"/Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile3 %d 0 R>>" % (
                             name.encode(), b" ".join(b"%d" % v for v in face.bbox), face.ascent, face.descent,
                             face.cap_height, file))
        widths = b" ".join(b"%d" % advance for advance, _ in glyphs)
        cid_font = add(b"<</Type /Font /Subtype /CIDFontType0 /BaseFont /%s /CIDSystemInfo <</Registry (Adobe) "
                       b"/Ordering (Identity) /Supplement 0>> /FontDescriptor %d 0 R /DW 1000 /W [1 [%s]]>>"
                       % (name.encode(), descriptor, widths))
        to_unicode = add(b"<</Filter /FlateDecode>>", zlib.compress(_cmap(codes), 6))
        return add(b"<</Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] "
                   b"/ToUnicode %d 0 R>>" % (name.encode(), cid_font, to_unicode))


def _cmap(codes: list[int]) -> bytes:
    """A ToUnicode CMap: CID i + 1 is the character ``codes[i]``."""
    lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
             b"/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def",
             b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
             b"1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    for start in range(0, len(codes), 100):
        chunk = codes[start:start + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines += [b"<%04X> <%s>" % (start + i + 1, chr(code).encode("utf-16-be").hex().upper().encode())
                  for i, code in enumerate(chunk)]
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"\n".join(lines)
