"""The receipt PDF: drawn with the cached reduced faces yet identical to the whole-face
drawing (a rare character in a unit's name included), and signed by the card so that
independent readers (pdfsig) accept it and notice a changed byte."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from PIL import Image, ImageChops

from station.receipts import font as pdf_font, qr
from station.receipts import pdf as receipt_pdf
from station.receipts.claims import IssuedSeal
from tests.crypto.test_receipt import SM2Signer, SoftSigner

QR = qr.png_bytes("SSR1:TEST")
RARE = "北京䶮龘堃喆赟玥科技有限公司"  # outside GB 2312: drawn with the whole face


def _seal(unit: str) -> IssuedSeal:
    return IssuedSeal("DEMO-0001-2026-000001", f"{unit}公章", unit, "91110000MA0000000X", "official", "SEAL-01",
                      "张三", "2026-11-30T01:02:03Z", "2026-11-30T01:04:05Z", "王芳 Wang Fang",
                      ("李强 Li Qiang", "陈静 Chen Jing"), 7, "DEMO-0001", "SSR1:" + "ABC123$%*+-./: " * 60, 12)


def _png(path: Path) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", str(path), str(path.with_suffix(""))],
                   check=True)
    return Image.open(path.with_suffix(".png")).convert("RGB")


@pytest.mark.parametrize("unit", ["回执测试科技有限公司", RARE])
def test_the_receipt_looks_as_drawn_with_the_whole_faces(unit, tmp_path):
    seal = _seal(unit)
    fast = tmp_path / "fast.pdf"
    fast.write_bytes(receipt_pdf.build(seal, QR, None))
    path, index, mono = receipt_pdf.font()
    whole = receipt_pdf._draw(seal, QR, None, pdf_font.faces(path, index, mono, whole={"cjk", "cjkmono"}))
    slow = tmp_path / "whole.pdf"
    slow.write_bytes(bytes(whole.output()))
    assert ImageChops.difference(_png(fast), _png(slow)).getbbox() is None
    text = subprocess.run(["pdftotext", str(fast), "-"], capture_output=True, text=True, check=True).stdout
    assert unit in text and "电子印章发放回执" in text


def test_a_rare_character_is_drawn_with_the_whole_face():
    path, index, mono = receipt_pdf.font()
    reduced = receipt_pdf._draw(_seal(RARE), QR, None, pdf_font.faces(path, index, mono))
    assert pdf_font.missing(reduced) == {"cjk"}
    common = receipt_pdf._draw(_seal("回执测试科技有限公司"), QR, None, pdf_font.faces(path, index, mono))
    assert pdf_font.missing(common) == set()


def test_a_damaged_cached_face_is_built_again(tmp_path):
    path, _, mono = receipt_pdf.font()
    if mono is None:
        pytest.skip("this font collection has no monospaced face")
    first = pdf_font.prepare(path, mono, "ascii", tmp_path)
    assert first is not None
    good = first.read_bytes()
    first.write_bytes(good[:-10] + bytes(10))
    again = pdf_font.prepare(path, mono, "ascii", tmp_path)
    assert again == first and again.read_bytes() == good


def test_without_a_cache_the_whole_face_is_used(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    path, index, _ = receipt_pdf.font()
    assert pdf_font.prepare(path, index, "gb2312", blocked / "fonts") is None


@pytest.mark.parametrize("key", [lambda: ec.generate_private_key(ec.SECP256R1()),
                                 lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)],
                         ids=["ecdsa", "rsa"])
def test_pdfsig_accepts_the_card_signature_and_sees_a_changed_byte(key, tmp_path):
    signer = SoftSigner(key(), common_name="王芳 Wang Fang")
    seal = _seal("回执测试科技有限公司")
    signed = receipt_pdf.sign(receipt_pdf.build(seal, QR, None), signer, [signer.certificate], seal.esid)
    good = tmp_path / "good.pdf"
    good.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(good)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out and "Total document signed" in out and "Wang Fang" in out, out
    at = signed.index(b"/Title")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(signed[:at] + b"/Titlf" + signed[at + 6:])
    out = subprocess.run(["pdfsig", str(bad)], capture_output=True, text=True).stdout
    assert "Signature is Valid" not in out, out


def test_an_sm2_card_leaves_the_pdf_unsigned():
    seal = _seal("回执测试科技有限公司")
    pdf = receipt_pdf.build(seal, QR, None)
    assert receipt_pdf.sign(pdf, SM2Signer(), [], seal.esid) == pdf
