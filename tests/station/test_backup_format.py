"""The backup file's parser: anything that is not a whole backup is refused with the
documented error (InputError for "not a backup", InvalidError for "damaged"), never a crash."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from station.backup.fileformat import MAGIC, PayloadReader, file_record, read_header
from station.errors import InputError, InvalidError


@given(st.binary(max_size=400))
@settings(max_examples=150, deadline=None)
def test_any_bytes_after_the_magic_are_refused_or_parsed(tail: bytes) -> None:
    for data in (tail, MAGIC + tail, MAGIC + struct.pack(">I", len(tail)) + tail):
        try:
            read_header(io.BytesIO(data), Path("x.ssb"))
        except (InputError, InvalidError):
            pass


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=50))
@settings(max_examples=150, deadline=None)
def test_the_payload_reader_raises_only_value_errors(data: bytes, cut: int) -> None:
    chunks = iter([data[i:i + cut] for i in range(0, len(data), cut)])
    try:
        for _, body in PayloadReader(chunks).files():
            for _ in body:
                pass
    except ValueError:
        pass


def test_the_payload_reader_gives_back_what_was_framed() -> None:
    files = [("station.toml", b"[station]\n"), ("trust/ca-1.pem", b"pem" * 1000), ("station.db", b"")]
    payload = b"".join(file_record(n, len(d)) + d for n, d in files) + b"E"
    chunks = iter([payload[i:i + 7] for i in range(0, len(payload), 7)])
    got = [(name, b"".join(body)) for name, body in PayloadReader(chunks).files()]
    assert got == files


class _Collect:
    """Stands in for the backup file: what the sealer writes, in order."""

    def __init__(self) -> None:
        self.blocks: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.blocks.append(bytes(data))


@settings(max_examples=25, deadline=None)
@given(size=st.integers(0, 3 * (1 << 20) + 100), cuts=st.lists(st.integers(0, 3 * (1 << 20) + 100), max_size=6),
       aligned=st.booleans())
def test_the_sealer_cuts_any_sequence_of_pieces_into_the_same_chunks(size: int, cuts: list[int],
                                                                     aligned: bool) -> None:
    """Full chunks are sealed from the caller's pieces without a copy; wherever the pieces
    are cut, the chunks (1 MiB each, the last shorter or full) and their seals are the same."""
    from crypto import stream
    from station.backup.writer import Sealer

    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    cipher = stream.ChunkCipher(bytes(32), b"aad")
    out = _Collect()
    sealer = Sealer(out, cipher, size, None)
    if aligned:  # as backup create reads the database: whole chunks once the first is topped up
        offset = 0
        while offset < size:
            step = stream.CHUNK - sealer.pending % stream.CHUNK
            sealer.add(payload[offset:offset + step])
            offset += step
    else:
        points = sorted({0, size, *(c for c in cuts if c <= size)})
        for start, end in zip(points, points[1:]):
            sealer.add(payload[start:end])
    sealer.finish()
    count = stream.chunk_count(size)
    expected = [cipher.seal(i, payload[i * stream.CHUNK:(i + 1) * stream.CHUNK], i == count - 1)
                for i in range(count)]
    assert out.blocks == expected
