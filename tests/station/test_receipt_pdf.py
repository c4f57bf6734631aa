"""The PDF receipt shows a specimen of the impression, never the impression in clear
(DOMAIN.md: impressions never leave the station in clear); it prints every name, whatever
its characters, and the whole receipt text; its QR PNG is the code's matrix."""

from __future__ import annotations

import io
import subprocess

import pytest
from PIL import Image

from station.demo_impressions import make_demo_impression
from station.images import normalise_impression
from station.receipts import pdf as receipt_pdf
from station.receipts import qr
from station.receipts.claims import IssuedSeal


def _seal() -> IssuedSeal:
    return IssuedSeal("ST-1-2026-000001", "示例科技有限公司", "示例科技有限公司", "91110108551385082Q", "official",
                      "abcd", "张三", "2026-05-01T00:00:00+00:00", "2026-05-01T00:00:00+00:00", "officer",
                      ("sup",), 1, "ST-1", "SSR1:ABC", 1)


def test_the_pdf_carries_only_a_small_watermarked_specimen(tmp_path):
    picture = normalise_impression(make_demo_impression("示例科技有限公司", "official", size=480),
                                   seal_kind="official").png
    full = Image.open(io.BytesIO(picture)).size
    assert max(full) > receipt_pdf.SPECIMEN_PX
    path = tmp_path / "r.pdf"
    path.write_bytes(receipt_pdf.build(_seal(), qr.png_bytes("SSR1:ABC"), picture))
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    sizes = [(int(r.split()[3]), int(r.split()[4])) for r in listing.splitlines()[2:]]
    qr_size = Image.open(io.BytesIO(qr.png_bytes("SSR1:ABC"))).size
    pictures = [s for s in sizes if s != qr_size]
    assert pictures and all(max(s) <= receipt_pdf.SPECIMEN_PX for s in pictures), sizes
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "样本" in text


def test_the_specimen_is_marked_and_not_the_impression():
    picture = normalise_impression(make_demo_impression("示例科技有限公司", "official", size=240),
                                   seal_kind="official").png
    small = Image.open(io.BytesIO(receipt_pdf.specimen(picture))).convert("RGB")
    assert max(small.size) <= receipt_pdf.SPECIMEN_PX
    reds = sum(1 for r, g, b in zip(*[iter(small.tobytes())] * 3) if r > 150 and g < 80 and b < 80)
    assert reds > 20  # the 样本 stamp
    assert receipt_pdf.specimen(b"not a picture") is None


def _pdf_text(data: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_a_name_outside_the_prepared_set_is_drawn_from_the_whole_face(tmp_path):
    import dataclasses

    seal = dataclasses.replace(_seal(), recipient="王堃", officer="李喆")  # neither character is in GB 2312
    text = _pdf_text(receipt_pdf.build(seal, qr.png_bytes("SSR1:ABC"), None), tmp_path)
    assert "王堃" in text and "李喆" in text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJK" in fonts and all(" yes yes yes " in line for line in fonts.splitlines()[2:])


def test_a_long_value_wraps_inside_its_column_and_loses_nothing(tmp_path):
    import dataclasses

    unit = "示例科技有限公司" * 6 + " Example Technology Company Limited of the Greater Bay Area"
    seal = dataclasses.replace(_seal(), unit=unit)
    text = _pdf_text(receipt_pdf.build(seal, qr.png_bytes("SSR1:ABC"), None), tmp_path)
    assert "".join(text.split()).count("".join(unit.split())) == 1


def test_the_receipt_text_is_printed_whole():
    from station.receipts.pdf import _wrap
    from station.receipts import font as pdf_font
    from station.receipts.pdfdoc import Document

    receipt = "SSR1:" + "6BFOXN*TS0BI$ZDYSH$PGJB 2UEHCD6F%T" * 40
    doc = Document("t", "t", pdf_font.load(*receipt_pdf.font()))
    lines = _wrap(doc, "cjkmono", 6.5, receipt, 172, hard=True)
    assert "".join(lines) == receipt and len(lines) > 1
    assert all(doc.width("cjkmono", 6.5, line) <= 172 for line in lines)


@pytest.mark.parametrize("box", [1, 3, 8])
def test_the_qr_png_is_the_matrix_box_by_box(box):
    text = "SSR1:" + "6BFOXN*TS0BI$ZDYSH$PGJB" * 5
    rows = qr.matrix(text)
    image = Image.open(io.BytesIO(qr.png_bytes(text, box=box))).convert("L")
    assert image.size == (len(rows) * box, len(rows) * box)
    pixels = image.load()
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            for dy, dx in ((0, 0), (box - 1, box - 1)):
                assert pixels[x * box + dx, y * box + dy] == (0 if dark else 255), (x, y)


@pytest.mark.parametrize("mode", ["1", "L", "RGB", "P"])
def test_a_png_is_embedded_as_it_is(mode):
    from station.receipts.pdfdoc import png_image

    out = io.BytesIO()
    Image.new(mode, (7, 5)).save(out, "PNG")
    entries, data = png_image(out.getvalue())
    assert b"/Width 7 /Height 5" in entries and b"/Predictor 15" in entries and data


@pytest.mark.parametrize("case", ["RGBA", "LA", "interlaced", "junk", "cut"])
def test_a_png_the_writer_cannot_embed_is_refused(case):
    from station.receipts.pdfdoc import png_image

    out = io.BytesIO()
    Image.new("RGB" if case in ("interlaced", "junk", "cut") else case, (7, 5)).save(out, "PNG")
    png = out.getvalue()
    adam7 = png[:28] + b"\x01" + png[29:]  # IHDR's interlace byte (PIL writes no interlaced PNG)
    data = {"junk": b"not a png", "cut": png[:20], "interlaced": adam7}.get(case, png)
    with pytest.raises(ValueError):
        png_image(data)


def test_the_pdf_says_what_the_receipt_says_of_the_card_pin(tmp_path):
    """Initial PIN or set by the recipient, in both languages; an older receipt says nothing."""
    from dataclasses import replace

    said = {}
    for pin_set in (False, True, None):
        path = tmp_path / f"{pin_set}.pdf"
        path.write_bytes(receipt_pdf.build(replace(_seal(), pin_set=pin_set), qr.png_bytes("SSR1:ABC"), None))
        said[pin_set] = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                       check=True).stdout
    assert "初始PIN，首次使用时修改" in said[False] and "Initial PIN, change at first use" in said[False]
    assert "PIN set by the recipient" in said[True] and "初始PIN" not in said[True]
    assert "Card PIN" not in said[None]
