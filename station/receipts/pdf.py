"""The human-readable receipt: a one-page PDF in Chinese, signed by the officer's card.

The QR code is for machines; the unit's archive keeps paper. The PDF says the same as
the receipt (seal, unit, card, recipient, times, officer, supervisors), shows the
impression taken from the seal itself (so it is the picture that was signed into the
seal, whatever later happens to the library) and the QR, and carries the receipt text.

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

__all__ = ["FONTS", "build", "sign", "font"]

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


def _utc(iso: str) -> str:
    """A stored ISO time as the PDF prints it, in UTC."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def build(seal: IssuedSeal, qr_png: bytes, picture: bytes | None) -> bytes:
    """The unsigned PDF of one receipt: drawn with the prepared reduced faces, again with
    the whole faces if the receipt has a character the reduced ones lack."""
    from station.receipts import font as pdf_font

    path, index, mono = font()
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
        pdf.cell(70, 5, "印模 Impression")
        try:
            pdf.image(io.BytesIO(picture), x=115, y=top + 10, w=55, h=55, keep_aspect_ratio=True)
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
