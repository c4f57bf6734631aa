"""The human-readable receipt: a one-page PDF in Chinese, signed by the officer's card.

The QR code is for machines; the unit's archive keeps paper. The PDF says the same as
the receipt (seal, unit, card, recipient, times, officer, supervisors), shows a small
specimen of the impression taken from the seal itself (so it is the picture that was
signed into the seal, whatever later happens to the library) and the QR, and carries the
receipt text. Impressions never leave the station in clear (DOMAIN.md): the specimen is
a thumbnail of at most :data:`SPECIMEN_PX` pixels, faded and stamped 样本 across, so it
shows which seal was made and is of no use to print or paste.

Layout by fpdf2 (it embeds subsets of OpenType CJK fonts, Noto CJK's CFF outlines
included, which reportlab cannot; faces prepared once by station/receipts/font.py); the
signature appended as one incremental update by station/receipts/pdfsign.py, with the raw
signature from our card signer, so the card keeps its one PKCS#11 session. PDF
readers have no SM2 CMS support: on an SM2 officer card the PDF stays unsigned (the
receipt inside it is signed either way).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from station.errors import StateError
from station.vocabulary import SealKind

if TYPE_CHECKING:  # pragma: no cover
    from station.receipts.claims import IssuedSeal

__all__ = ["FONTS", "build", "sign", "font", "specimen", "SPECIMEN_PX"]

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
    """The unsigned PDF of one receipt: drawn with the prepared reduced faces, again with
    the whole faces if the receipt has a character the reduced ones lack."""
    from station.receipts import font as pdf_font

    path, index, mono = font()
    picture = specimen(picture) if picture else None
    pdf = _draw(seal, qr_png, picture, pdf_font.faces(path, index, mono))
    lacking = pdf_font.missing(pdf)
    if lacking:
        pdf = _draw(seal, qr_png, picture, pdf_font.faces(path, index, mono, whole=lacking))
    return bytes(pdf.output())


def _draw(seal: IssuedSeal, qr_png: bytes, picture: bytes | None, faces: dict[str, tuple[Path, int]]) -> Any:
    import io

    from fpdf import FPDF

    from station.receipts import font as pdf_font

    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(False)
    pdf.set_creator("seal-station")
    pdf.set_title(f"电子印章发放回执 {seal.esid}")
    for family, (path, index) in faces.items():
        pdf.add_font(family, fname=str(path), collection_font_number=index)
    pdf_font.keep_bounds(pdf)
    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 11, "电子印章发放回执", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.set_text_color(90)
    number = f"No. {seal.number}" if seal.number is not None else ""
    pdf.cell(0, 6, f"Electronic seal issuance receipt  {number}  ·  制章终端 {seal.station_id}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(3)
    rows = [
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
    pdf.set_font("cjk", size=10.5)
    with pdf.table(col_widths=(62, 112), width=174, first_row_as_headings=False, line_height=7,
                   borders_layout="HORIZONTAL_LINES") as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(value)
    top = pdf.get_y() + 6
    pdf.set_font("cjk", size=9)
    pdf.set_xy(18, top)
    pdf.cell(70, 5, "回执二维码 Receipt QR (SSR1)")
    pdf.image(io.BytesIO(qr_png), x=18, y=top + 6, w=70, h=70)
    if picture:
        pdf.set_xy(110, top)
        pdf.cell(70, 5, "印模样本 Impression specimen")
        try:
            pdf.image(io.BytesIO(picture), x=125, y=top + 10, w=30, h=30, keep_aspect_ratio=True)
        except Exception:  # a picture fpdf cannot draw must not stop the receipt
            pass
    pdf.set_xy(18, top + 80)
    pdf.set_font("cjkmono" if "cjkmono" in faces else "cjk", size=6.5)
    pdf.multi_cell(174, 3, seal.receipt or "", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("cjk", size=8)
    pdf.set_text_color(90)
    pdf.multi_cell(174, 4, "离线核验：seal-station receipt verify 回执文件 --bundle 登记包.json（登记包须经可信渠道获得）。"
                   "Verify offline with the station's enrollment bundle, obtained through a trusted channel. "
                   "本回执由制章员授权卡数字签名。This PDF is signed by the officer's card.")
    return pdf


def sign(pdf: bytes, card_signer: Any, chain: Sequence[bytes], esid: str) -> bytes:
    """Sign the PDF with the card (adbe.pkcs7.detached, SHA-256); SM2 cards leave it unsigned."""
    from station.receipts import pdfsign as pdf_sign

    if not pdf_sign.signable(card_signer):
        return pdf
    return pdf_sign.sign(pdf, card_signer, chain, reason=f"电子印章发放回执 {esid}", location="seal-station")
