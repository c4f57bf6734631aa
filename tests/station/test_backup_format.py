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
