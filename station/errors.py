"""One hierarchy of errors for the whole station.

Every error a user can meet carries a short ``title``, a ``message`` that says what
happened and a ``hint`` that says what to do. The UI shows the three; the CLI prints one
line and exits with ``exit_code`` (CLI.md). Nothing else ever reaches a user.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from crypto.errors import CryptoError

__all__ = [
    "crypto_errors",
    "StationError",
    "UsageError",
    "InputError",
    "PolicyError",
    "InvalidError",
    "CardError",
    "WrongPinError",
    "PinLockedError",
    "CardAbsentError",
    "StateError",
    "StoreError",
    "StoreBusyError",
]


class StationError(Exception):
    """Base of every error the station reports to a person."""

    exit_code = 4
    default_title = "Error"

    def __init__(self, message: str, *, title: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.title = title or self.default_title
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The single line the CLI prints on stderr."""
        text = f"{self.title}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class UsageError(StationError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2
    default_title = "Usage"


class InputError(StationError):
    """A file or value given to the station is malformed (exit 2)."""

    exit_code = 2
    default_title = "Bad input"


class PolicyError(StationError):
    """Refused by a rule of the station (exit 1); always audited as refused."""

    exit_code = 1
    default_title = "Refused"

    def __init__(self, message: str, *, reason: str = "refused", title: str | None = None, hint: str = "") -> None:
        super().__init__(message, title=title, hint=hint)
        self.reason = reason


class InvalidError(StationError):
    """Checked and found invalid (exit 1)."""

    exit_code = 1
    default_title = "Invalid"


class CardError(StationError):
    """A card or device problem (exit 3)."""

    exit_code = 3
    default_title = "Card"


class WrongPinError(CardError):
    """The PIN was wrong; ``tries_left`` is None when the token does not say."""

    default_title = "Wrong PIN"

    def __init__(self, message: str, *, tries_left: int | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.tries_left = tries_left


class PinLockedError(CardError):
    """Too many wrong PINs: only an administrator can unblock the card."""

    default_title = "Card locked"


class CardAbsentError(CardError):
    """The card is not (or no longer) in a reader."""

    default_title = "No card"


class StateError(StationError):
    """The station is not in a state to do this (exit 4)."""

    exit_code = 4
    default_title = "Station"


class StoreError(StateError):
    """The encrypted store cannot be opened or is damaged (exit 4). Deliberately opaque."""

    default_title = "Store"


class StoreBusyError(StoreError):
    """Another command holds the store longer than the station waits (exit 4): not damage."""

    default_title = "Station busy"


@contextmanager
def crypto_errors(error: type[StationError], message: str, *, hint: str = "",
                  opaque: bool = False) -> Iterator[None]:
    """Turn whatever :mod:`crypto` refuses inside the block into ``error``.

    This is the one place a :class:`~crypto.errors.CryptoError` becomes a station error.
    The crypto message follows ``message`` after a colon, unless ``opaque``: a failed
    decryption must not say which part failed.
    """
    try:
        yield
    except CryptoError as exc:
        raise error(message if opaque else f"{message}: {exc}", hint=hint) from None
