"""The one base of every error :mod:`crypto` raises.

Crypto is pure and knows nothing of the station's errors (DESIGN.md §1), but the
station must turn whatever crypto refuses into a :class:`station.errors.StationError`
a person can read. One base lets it do that in one ``except`` instead of naming each
module's error. It is a ``ValueError`` because every one of them is about bad input
(malformed bytes, a key that does not fit, an algorithm we do not speak).
"""

from __future__ import annotations

__all__ = ["CryptoError"]


class CryptoError(ValueError):
    """Base of every exception defined under :mod:`crypto`."""
