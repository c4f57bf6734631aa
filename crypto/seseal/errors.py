"""The two errors of :mod:`crypto.seseal`.

They live apart from the data classes because the lowest layer (the DER walker in
:mod:`.der`) raises :class:`SealFormatError`, and everything above it imports that
layer: a module of its own keeps the package free of import cycles.
"""

from __future__ import annotations

from ..errors import CryptoError

__all__ = ["SealBuildError", "SealFormatError"]


class SealFormatError(CryptoError):
    """The bytes are not a well-formed seal (or seal signature) we can read."""


class SealBuildError(CryptoError):
    """A seal just built does not verify: wrong certificate for the key, bad card."""
