"""A zlib stream with a stored block in the middle has padding bits mid-stream too: a
receipt altered only there must not decode (found by altering every character of real
receipts, whose hashes and signatures make zlib switch block types)."""

from __future__ import annotations

import zlib

import base45
import pytest

from crypto.receipt import PREFIX, ReceiptError, decode, encode
from tests.crypto.test_receipt import ec_signer, typical_claims


def _stream_with_a_flush(cose: bytes) -> bytes:
    z = zlib.compressobj(9)
    half = len(cose) // 2
    return z.compress(cose[:half]) + z.flush(zlib.Z_FULL_FLUSH) + z.compress(cose[half:]) + z.flush()


def _padding_trials(cose: bytes, stream: bytes) -> list[bytes]:
    """Streams differing from ``stream`` only in a set bit that leaves the output as it was."""
    marker = stream.index(b"\x00\x00\xff\xff")
    out = []
    for at in range(2, marker):
        for bit in range(8):
            if stream[at] >> bit & 1:
                continue  # only setting a bit that was clear
            trial = bytearray(stream)
            trial[at] |= 1 << bit
            try:
                if zlib.decompress(bytes(trial)) == cose:
                    out.append(bytes(trial))
            except zlib.error:
                continue
    return out


def test_padding_of_a_mid_stream_stored_block_is_refused() -> None:
    refused = 0
    for n in range(20):  # the flush's stored block may end on a byte boundary: no padding then
        claims = {**typical_claims(), "no": f"2025-{n:06d}"}
        cose = zlib.decompress(base45.b45decode(encode(claims, ec_signer())[len(PREFIX):]))
        stream = _stream_with_a_flush(cose)
        assert decode(PREFIX + base45.b45encode(stream).decode()).payload  # zeros: canonical, accepted
        for trial in _padding_trials(cose, stream):
            with pytest.raises(ReceiptError):
                decode(PREFIX + base45.b45encode(trial).decode())
            refused += 1
    assert refused > 0
