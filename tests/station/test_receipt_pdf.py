"""The PDF receipt shows a specimen of the impression, never the impression in clear
(DOMAIN.md: impressions never leave the station in clear)."""

from __future__ import annotations

import io
import subprocess

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
