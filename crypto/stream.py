"""Chunked AES-256-GCM for large payloads (a backup file) that must stream.

A backup can be larger than memory wants to hold, so its payload is cut into chunks of a
fixed size, each sealed on its own. The key is fresh for every payload, so the nonce can
be the chunk's position: 11 bytes of index and one byte that says "this is the last
chunk". Every chunk is bound (as AAD) to a digest of the clear header, so a chunk cannot
be moved to another position, another file, or made the end of a truncated stream
without the tag failing. Every failure is the one opaque :class:`StreamError`.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import CryptoError

__all__ = ["CHUNK", "TAG", "StreamError", "ChunkCipher", "new_key", "sealed_size", "chunk_count"]

CHUNK = 1 << 20  # plaintext bytes per chunk (the last may be shorter, or empty)
TAG = 16
_KEY = 32


class StreamError(CryptoError):
    """A chunk did not decrypt: damaged, moved, truncated or the wrong key."""


def new_key() -> bytes:
    return os.urandom(_KEY)


def chunk_count(plain_size: int, chunk: int = CHUNK) -> int:
    """How many chunks a payload of ``plain_size`` bytes becomes (at least one)."""
    return max(1, -(-plain_size // chunk))


def sealed_size(plain_size: int, chunk: int = CHUNK) -> int:
    """The exact number of bytes the sealed chunks of a payload take."""
    return plain_size + chunk_count(plain_size, chunk) * TAG


def _nonce(index: int, last: bool) -> bytes:
    if index < 0 or index >= 1 << 88:
        raise StreamError("chunk index out of range")
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class ChunkCipher:
    """Seal or open chunk ``index`` of one payload under one key and one header digest."""

    def __init__(self, key: bytes, aad: bytes) -> None:
        if len(key) != _KEY:
            raise StreamError("the stream key must be 32 bytes")
        self._aead = AESGCM(key)
        self._aad = bytes(aad)

    def seal(self, index: int, data: bytes, last: bool) -> bytes:
        return self._aead.encrypt(_nonce(index, last), data, self._aad)

    def open(self, index: int, blob: bytes, last: bool) -> bytes:
        if len(blob) < TAG:
            raise StreamError("decryption failed")
        try:
            return self._aead.decrypt(_nonce(index, last), blob, self._aad)
        except (InvalidTag, ValueError, TypeError, OverflowError):
            raise StreamError("decryption failed") from None
