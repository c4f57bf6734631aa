"""Errors of the hardware adapters.

``devices`` may not import ``station`` (DESIGN.md §1), so it has its own small family;
``station.cards`` translates each into the station's error with a title and a hint.
"""

from __future__ import annotations

__all__ = [
    "DeviceError",
    "NoSuchCard",
    "CardRemoved",
    "WrongPin",
    "PinLocked",
    "PinRejected",
    "CardUnusable",
    "ModuleProblem",
]


class DeviceError(Exception):
    """Base class: something went wrong talking to a card or its module."""


class ModuleProblem(DeviceError):
    """The PKCS#11 module cannot be loaded or initialised."""


class NoSuchCard(DeviceError):
    """No token with that serial is present."""

    def __init__(self, serial: str) -> None:
        super().__init__(f"no card with serial {serial} is present")
        self.serial = serial


class CardRemoved(DeviceError):
    """The card went away while it was in use."""


class WrongPin(DeviceError):
    """The PIN was wrong. ``tries_left`` when the token (or the station) knows."""

    def __init__(self, tries_left: int | None = None) -> None:
        super().__init__("wrong PIN")
        self.tries_left = tries_left


class PinLocked(DeviceError):
    """The user PIN is blocked."""


class PinRejected(DeviceError):
    """A new PIN does not meet the token's rules (length, strength)."""


class CardUnusable(DeviceError):
    """The card answered, but cannot do what is asked (no key, no certificate, ...)."""
