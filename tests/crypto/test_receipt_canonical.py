"""One receipt, one text: any zlib stream but the canonical stored one is refused.

Deflate writes the same bytes in many ways — other block types and Huffman tables, a
stored block mid-stream with padding bits, the header's FLEVEL — and a text re-encoded
so would still carry a valid signature. An exhaustive test of single-character changes
on real receipts found such a text; the decoder now accepts only
:func:`crypto.receipt.canonical_zlib` of what it inflates.
"""

from __future__ import annotations

import zlib

import base45
import pytest

from crypto.receipt import PREFIX, ReceiptError, canonical_zlib, decode, encode
from tests.crypto.test_receipt import ec_signer, typical_claims


def _cose() -> bytes:
    return zlib.decompress(base45.b45decode(encode(typical_claims(), ec_signer())[len(PREFIX):]))


def _text(stream: bytes) -> str:
    return PREFIX + base45.b45encode(stream).decode()


def test_the_encoder_writes_the_canonical_stream_and_it_decodes() -> None:
    cose = _cose()
    stream = canonical_zlib(cose)
    assert stream[:3] == b"\x78\x01\x01" and zlib.decompress(stream) == cose
    assert decode(_text(stream)).payload


@pytest.mark.parametrize("level", [1, 6, 9])
def test_other_deflate_encodings_of_the_same_bytes_are_refused(level: int) -> None:
    cose = _cose()
    stream = zlib.compress(cose, level)
    assert zlib.decompress(stream) == cose
    with pytest.raises(ReceiptError):
        decode(_text(stream))


def test_a_mid_stream_flush_and_header_variants_are_refused() -> None:
    cose = _cose()
    z = zlib.compressobj(0)
    half = len(cose) // 2
    split = z.compress(cose[:half]) + z.flush(zlib.Z_FULL_FLUSH) + z.compress(cose[half:]) + z.flush()
    assert zlib.decompress(split) == cose
    canonical = canonical_zlib(cose)
    variants = [split]
    for flg in range(256):  # FLEVEL and FCHECK: any header zlib accepts but 78 01
        if flg != 0x01 and (0x78 * 256 + flg) % 31 == 0 and not flg & 0x20:
            variants.append(bytes([0x78, flg]) + canonical[2:])
    for stream in variants:
        assert zlib.decompress(stream) == cose
        with pytest.raises(ReceiptError):
            decode(_text(stream))


def test_padding_bits_of_the_stored_block_are_refused() -> None:
    cose = _cose()
    stream = bytearray(canonical_zlib(cose))
    for bit in range(3, 8):  # BFINAL, BTYPE, then five bits inflate ignores
        trial = bytearray(stream)
        trial[2] |= 1 << bit
        assert zlib.decompress(bytes(trial)) == cose
        with pytest.raises(ReceiptError):
            decode(_text(bytes(trial)))
