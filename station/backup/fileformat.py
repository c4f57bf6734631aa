"""The backup file: one clear header, sealed chunks, the admin card's signature.

::

    MAGIC                        "SEAL-STATION-BACKUP v1\\n"
    u32 header length, header    canonical JSON, in clear: station id, time, signed tree
                                 head, audit size, the numbers issued so far, payload
                                 size, PKCS#11 module, the wrapped backup keys
    sealed chunks                crypto.stream: AES-256-GCM, AAD = SHA-256(magic..header)
    u32 length, signature block  JSON {signer, algorithm, value}: the admin card's
                                 signature over SHA-256 of every byte above
    END                          "\\nEND SEAL-STATION-BACKUP\\n"

The payload inside the chunks is a list of files, each ``b"F" u16 name u64 size data``,
closed by ``b"E"``. Reading needs no key for anything but the payload, so ``backup
verify`` checks every byte (the signature covers all but itself, and the signature is
checked) without a card and without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from crypto import stream
from station.errors import InputError, InvalidError

__all__ = ["FORMAT", "MAGIC", "END", "Header", "signed_message", "canonical", "read_header",
           "iter_chunks", "read_trailer", "PayloadReader", "file_record", "END_RECORD", "open_backup"]

FORMAT = "seal-station backup v1"
MAGIC = b"SEAL-STATION-BACKUP v1\n"
END = b"\nEND SEAL-STATION-BACKUP\n"
END_RECORD = b"E"
_MAX_HEADER = 1 << 20
_MAX_SIG = 1 << 16


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_message(digest: bytes) -> bytes:
    """What the admin card signs: a fixed text around the SHA-256 of the file's body."""
    return f"{FORMAT}\n{digest.hex()}\n".encode()


def file_record(name: str, size: int) -> bytes:
    """The bytes that introduce one file of the payload (its data follows)."""
    raw = name.encode("utf-8")
    return b"F" + struct.pack(">H", len(raw)) + raw + struct.pack(">Q", size)


@dataclass(frozen=True)
class Header:
    """The clear header, parsed; ``prefix`` is the file's bytes up to the first chunk."""

    data: dict[str, Any]
    prefix: bytes

    @property
    def aad(self) -> bytes:
        return hashlib.sha256(self.prefix).digest()

    @property
    def size(self) -> int:
        return int(self.data["size"])

    @property
    def chunk(self) -> int:
        return int(self.data["chunk"])

    @property
    def station_id(self) -> str:
        return str(self.data["station_id"])

    @property
    def created(self) -> str:
        return str(self.data["created"])

    @property
    def numbers(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in dict(self.data.get("numbers", {})).items()}

    def sealed_size(self) -> int:
        return stream.sealed_size(self.size, self.chunk)


def _not_backup(path: Path) -> InputError:
    return InputError(f"{path}: not a seal-station backup (no backup signature at the start)",
                      hint="give the file `seal-station backup create` wrote")


def _bad(path: Path, why: str) -> InvalidError:
    """A file that starts as a backup but is not whole: checked and found invalid (exit 1)."""
    return InvalidError(f"{path}: the backup is damaged ({why})",
                        hint="use another copy of the backup; nothing was restored from this one")


def read_header(fh: BinaryIO, path: Path) -> Header:
    """Parse the magic and the header: not a backup is an InputError (exit 2), a damaged
    one an InvalidError (exit 1)."""
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        raise _not_backup(path)
    raw_len = fh.read(4)
    if len(raw_len) != 4:
        raise _bad(path, "cut short")
    (length,) = struct.unpack(">I", raw_len)
    if length > _MAX_HEADER:
        raise _bad(path, "header too large")
    raw = fh.read(length)
    try:
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("format")
        header = Header(data, magic + raw_len + raw)
        if header.size < 0 or not 1024 <= header.chunk <= 1 << 26:
            raise ValueError("sizes")
        header.station_id, header.created, header.numbers  # noqa: B018  (they must parse)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise _bad(path, "unreadable header") from None
    return header


def iter_chunks(fh: BinaryIO, header: Header, digest: Any | None, path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(index, sealed chunk, last) in order, each added to ``digest`` (if any) as it is read."""
    count = stream.chunk_count(header.size, header.chunk)
    left = header.size
    for index in range(count):
        plain = min(header.chunk, left)
        left -= plain
        blob = fh.read(plain + stream.TAG)
        if len(blob) != plain + stream.TAG:
            raise _bad(path, "cut short")
        if digest is not None:
            digest.update(blob)
        yield index, blob, index == count - 1


def read_trailer(fh: BinaryIO, path: Path) -> dict[str, Any]:
    """The signature block after the chunks; the file must end right after END."""
    raw_len = fh.read(4)
    if len(raw_len) != 4:
        raise _bad(path, "cut short: no signature")
    (length,) = struct.unpack(">I", raw_len)
    if length > _MAX_SIG:
        raise _bad(path, "signature block too large")
    raw = fh.read(length)
    end = fh.read(len(END) + 1)
    if end != END:
        raise _bad(path, "cut short or extra bytes at the end")
    try:
        sig = json.loads(raw.decode("utf-8"))
        value = base64.b64decode(sig["value"], validate=True)
        return {"signer": str(sig["signer"]), "algorithm": str(sig["algorithm"]), "value": value}
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise _bad(path, "unreadable signature block") from None


def open_backup(path: Path) -> BinaryIO:
    """Open a backup to read; a link, a FIFO or a device is refused (no hang, no detour)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{path} is not a regular file")
    return os.fdopen(fd, "rb", buffering=1 << 20)


class PayloadReader:
    """Splits the decrypted payload back into ``(name, size)`` files, streaming."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = bytearray()

    def _need(self, n: int) -> bytes:
        while len(self._buf) < n:
            more = next(self._chunks, None)
            if more is None:
                raise ValueError("payload cut short")
            self._buf += more
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def files(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        """Each file's name and an iterator over its data (consume it before the next)."""
        while True:
            kind = self._need(1)
            if kind == END_RECORD:
                if self._buf or next(self._chunks, None):
                    raise ValueError("bytes after the end of the payload")
                return
            if kind != b"F":
                raise ValueError("unknown record")
            (n,) = struct.unpack(">H", self._need(2))
            name = self._need(n).decode("utf-8")
            (size,) = struct.unpack(">Q", self._need(8))
            yield name, self._data(size)

    def _data(self, size: int) -> Iterator[bytes]:
        while size:
            if not self._buf:
                more = next(self._chunks, None)
                if more is None:
                    raise ValueError("payload cut short")
                self._buf += more
            take = min(size, len(self._buf))
            yield bytes(self._buf[:take])
            del self._buf[:take]
            size -= take
