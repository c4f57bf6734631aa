"""The human-readable receipt: a one-page PDF in Chinese, signed by the officer's card.

The QR code is for machines; the unit's archive keeps paper. The PDF says the same as
the receipt (seal, unit, card, recipient, times, officer, supervisors), shows a small
specimen of the impression taken from the seal itself (so it is the picture that was
signed into the seal, whatever later happens to the library) and the QR, and carries the
receipt text. Impressions never leave the station in clear (DOMAIN.md): the specimen is
a thumbnail of at most :data:`SPECIMEN_PX` pixels, faded and stamped 样本 across, so it
shows which seal was made and is of no use to print or paste.

Drawn by the station's own one-page writer (station/receipts/pdfdoc.py) with Noto CJK
glyphs prepared once (station/receipts/font.py); the signature appended as one
incremental update by station/receipts/pdfsign.py, with the raw signature from our card
signer, so the card keeps its one PKCS#11 session. PDF readers have no SM2 CMS support: on an SM2 officer card the PDF stays unsigned (the
receipt inside it is signed either way).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from station.errors import StateError
from station.vocabulary import SealKind

if TYPE_CHECKING:  # pragma: no cover
    from station.receipts.claims import IssuedSeal
    from station.receipts.pdfdoc import Document

__all__ = ["FONTS", "build", "rows", "sign", "font", "specimen", "SPECIMEN_PX"]

SPECIMEN_PX = 96

# (file, index of the Simplified Chinese face in the collection, index of its mono face)
FONTS = [
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2, 7),
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 2, None),
    (Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"), 2, 7),
]


def font() -> tuple[Path, int, int | None]:
    for path, index, mono in FONTS:
        if path.exists():
            return path, index, mono
    raise StateError("no Chinese font for the PDF receipt", title="PDF",
                     hint="install fonts-noto-cjk (`make system` does)")


_PIN_TEXT = {True: "领用人已设置 PIN set by the recipient",
             False: "初始PIN，首次使用时修改 Initial PIN, change at first use"}


def _utc(iso: str) -> str:
    """A stored ISO time as the PDF prints it, in UTC."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def specimen(picture: bytes) -> bytes | None:
    """The impression as the PDF may show it: downscaled, faded, watermarked 样本."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    try:
        with Image.open(io.BytesIO(picture)) as src:
            src.draft("RGBA", (SPECIMEN_PX, SPECIMEN_PX))
            img = src.convert("RGBA")
    except Exception:  # a picture PIL cannot read is left out, never drawn in clear
        return None
    img.thumbnail((SPECIMEN_PX, SPECIMEN_PX))
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    img = Image.blend(white, Image.alpha_composite(white, img), 0.45)
    mark = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(mark)
    path, index, _ = font()
    size = max(10, img.size[0] // 3)
    face = ImageFont.truetype(str(path), size, index=index)
    draw.text((img.size[0] / 2, img.size[1] / 2), "样本", font=face, fill=(200, 0, 0, 230), anchor="mm")
    for offset in range(-img.size[1], img.size[0], 8):  # hatching: no clean stroke survives
        draw.line([(offset, img.size[1]), (offset + img.size[1], 0)], fill=(120, 120, 120, 90), width=1)
    out = io.BytesIO()
    Image.alpha_composite(img, mark).convert("RGB").save(out, "PNG")
    return out.getvalue()


def build(seal: IssuedSeal, qr_png: bytes, picture: bytes | None) -> bytes:
    """The unsigned PDF of one receipt, drawn with the faces prepared once (station/receipts/font.py)."""
    from station.receipts import font as pdf_font
    from station.receipts.pdfdoc import Document

    source, sans, mono = font()
    try:
        faces = pdf_font.load(source, sans, mono)
    except Exception as exc:  # a damaged or unusual font file: one clear error, the seal stays made
        raise StateError(f"the PDF receipt's font {source} cannot be read ({type(exc).__name__})", title="PDF",
                         hint="reinstall fonts-noto-cjk (`make system` does)") from None
    doc = Document(f"电子印章发放回执 {seal.esid}", "seal-station", faces)
    _draw(doc, seal, qr_png, specimen(picture) if picture else None)
    return doc.output()


def rows(seal: IssuedSeal) -> list[tuple[str, str]]:
    """The receipt's table: (label, value) as printed."""
    return [
        ("印章名称 Seal name", seal.seal_name),
        ("印章类型 Type", f"{SealKind(seal.seal_kind).zh} ({seal.seal_kind})"),
        ("使用单位 Unit", seal.unit),
        ("统一社会信用代码 Credit code", seal.credit_code or "—"),
        ("印章编码 esID", seal.esid),
        ("印章卡序列号 Card serial", seal.card_serial),
        ("领用人 Recipient", seal.recipient),
        *([("印章卡PIN Card PIN", _PIN_TEXT[seal.pin_set])] if seal.pin_set is not None else []),
        ("制作时间 Made", _utc(seal.made_at)),
        ("发放时间 Issued", _utc(seal.issued_at)),
        ("制章员 Officer", seal.officer),
        ("审核员 Supervisors", "、".join(seal.supervisors) or "—"),
        ("申请单 Application", str(seal.application_id)),
    ]


_LEFT, _WIDTH, _PAD = 18.0, 174.0, 1.0  # mm: margin, text width, padding inside a cell
_GREY = 90 / 255


def _draw(doc: Document, seal: IssuedSeal, qr_png: bytes, picture: bytes | None) -> None:
    number = f"No. {seal.number}" if seal.number is not None else ""
    y = _cell(doc, 16, "cjk", 20, 11, "电子印章发放回执")
    y = _cell(doc, y, "cjk", 10, 6, f"Electronic seal issuance receipt  {number}  ·  制章终端 {seal.station_id}",
              grey=_GREY) + 3
    for i, (label, value) in enumerate(rows(seal)):
        if i:
            doc.line(_LEFT, y, _LEFT + _WIDTH, y, 0.2)
        top = y
        y = max(_paragraph(doc, top, "cjk", 10.5, 7, label, x=_LEFT, width=62),
                _paragraph(doc, top, "cjk", 10.5, 7, value, x=_LEFT + 62, width=112))
    top = y + 6
    _cell(doc, top, "cjk", 9, 5, "回执二维码 Receipt QR (SSR1)")
    doc.image(qr_png, _LEFT, top + 6, 70, 70)
    if picture:
        _cell(doc, top, "cjk", 9, 5, "印模样本 Impression specimen", x=110)
        _specimen(doc, picture, 125, top + 10, 30)
    y = _paragraph(doc, top + 80, "cjkmono", 6.5, 3, seal.receipt or "", hard=True) + 2
    _paragraph(doc, y, "cjk", 8, 4, "离线核验：seal-station receipt verify 回执文件 --bundle 登记包.json（登记包须经可信渠道获得）。"
               "Verify offline with the station's enrollment bundle, obtained through a trusted channel. "
               "本回执由制章员授权卡数字签名。This PDF is signed by the officer's card.", grey=_GREY)


def _cell(doc: Document, y: float, font: str, size: float, height: float, text: str, *, x: float = _LEFT,
          grey: float = 0.0) -> float:
    """One line of text in a cell ``height`` mm high, centred on it; the y below the cell."""
    from station.receipts.pdfdoc import MM

    doc.text(x + _PAD, y + height / 2 + 0.3 * size / MM, font, size, text, grey)
    return y + height


def _paragraph(doc: Document, y: float, font: str, size: float, height: float, text: str, *,
               x: float = _LEFT, width: float = _WIDTH, grey: float = 0.0, hard: bool = False) -> float:
    """``text`` wrapped to ``width`` mm (between words and Chinese characters; anywhere if ``hard``)."""
    for line in _wrap(doc, font, size, text, width - 2 * _PAD, hard) or [""]:
        y = _cell(doc, y, font, size, height, line, x=x, grey=grey)
    return y


_TOKENS = re.compile(r"[^\s\u2e80-\U0003ffff]+|\s|.")


def _wrap(doc: Document, font: str, size: float, text: str, width: float, hard: bool) -> list[str]:
    lines, line, used = [], "", 0.0
    for token in (list(text) if hard else _TOKENS.findall(text)):
        wide = len(token) > 1 and doc.width(font, size, token) > width
        for piece in (list(token) if wide else [token]):  # a word wider than a line is cut anywhere
            w = doc.width(font, size, piece)
            if used + w > width and line:
                lines.append(line)
                line, used = "", 0.0
                if piece.isspace() and not hard:
                    continue
            line, used = line + piece, used + w
    if line:
        lines.append(line)
    return lines if hard else [line.rstrip() for line in lines]


def _specimen(doc: Document, picture: bytes, x: float, y: float, box: float) -> None:
    """The specimen inside a ``box`` mm square, its aspect kept; a picture that cannot be drawn is left out."""
    import struct

    try:
        width, height = struct.unpack(">II", picture[16:24])
        scale = box / max(width, height, 1)
        w, h = width * scale, height * scale
        doc.image(picture, x + (box - w) / 2, y + (box - h) / 2, w, h)
    except (ValueError, struct.error):
        pass


def sign(pdf: bytes, card_signer: Any, chain: Sequence[bytes], esid: str) -> bytes:
    """Sign the PDF with the card (adbe.pkcs7.detached, SHA-256); SM2 cards leave it unsigned."""
    from station.receipts import pdfsign as pdf_sign

    if not pdf_sign.signable(card_signer):
        return pdf
    return pdf_sign.sign(pdf, card_signer, chain, reason=f"电子印章发放回执 {esid}", location="seal-station")
