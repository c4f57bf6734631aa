"""crypto.stream: chunks that open only in their place, under their key and header."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import stream


def _seal_all(key: bytes, aad: bytes, data: bytes, chunk: int) -> list[bytes]:
    cipher = stream.ChunkCipher(key, aad)
    count = stream.chunk_count(len(data), chunk)
    return [cipher.seal(i, data[i * chunk:(i + 1) * chunk], i == count - 1) for i in range(count)]


@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=700))
@settings(max_examples=60, deadline=None)
def test_round_trip_and_exact_size(data: bytes, chunk: int) -> None:
    key, aad = stream.new_key(), b"header digest"
    blobs = _seal_all(key, aad, data, chunk)
    assert sum(map(len, blobs)) == stream.sealed_size(len(data), chunk)
    cipher = stream.ChunkCipher(key, aad)
    assert b"".join(cipher.open(i, b, i == len(blobs) - 1) for i, b in enumerate(blobs)) == data


def test_a_chunk_opens_only_in_its_place_with_its_key_and_header() -> None:
    key = stream.new_key()
    blobs = _seal_all(key, b"h", b"x" * 3000, 1000)
    good = stream.ChunkCipher(key, b"h")
    with pytest.raises(stream.StreamError):
        good.open(0, blobs[1], False)  # moved
    with pytest.raises(stream.StreamError):
        good.open(1, blobs[1], True)  # a middle chunk passed off as the end (truncation)
    with pytest.raises(stream.StreamError):
        stream.ChunkCipher(key, b"other header").open(0, blobs[0], False)
    with pytest.raises(stream.StreamError):
        stream.ChunkCipher(stream.new_key(), b"h").open(0, blobs[0], False)


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=1000), st.booleans())
@settings(max_examples=80, deadline=None)
def test_garbage_is_the_one_opaque_error(blob: bytes, index: int, last: bool) -> None:
    with pytest.raises(stream.StreamError):
        stream.ChunkCipher(stream.new_key(), b"h").open(index, blob, last)
