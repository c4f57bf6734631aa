"""Cards as the station sees them: device errors in the station's words, card states.

This is the one place where ``devices`` errors become :class:`StationError`s with a
title and a hint a person can act on.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from crypto import certs
from devices import errors as dev
from devices.pkcs11 import Card, Module, TokenInfo, open_module, unblock
from station.errors import CardAbsentError, CardError, PinLockedError, StateError, WrongPinError
from station.home import Home
from station.model import CardState, CardView, Role

__all__ = ["device_errors", "module_for", "list_cards", "card_subject", "enrolled_roles", "view", "open_card",
           "UNBLOCK_HINT", "softhsm_env", "unblock_card"]

UNBLOCK_HINT = ("an administrator must unblock it with the SO PIN "
                "(`seal-station card unblock SERIAL`)")


@contextmanager
def device_errors(serial: str = "") -> Iterator[None]:
    """Translate device errors raised inside the block into station errors."""
    who = f"card {serial}" if serial else "the card"
    try:
        yield
    except dev.WrongPin as exc:
        left = f" ({exc.tries_left} tries left)" if exc.tries_left is not None else ""
        raise WrongPinError(f"wrong PIN for {who}{left}", tries_left=exc.tries_left,
                            hint="check the PIN; the card locks after repeated wrong PINs") from None
    except dev.PinLocked:
        raise PinLockedError(f"{who} is locked after too many wrong PINs", hint=UNBLOCK_HINT) from None
    except dev.PinRejected as exc:
        raise CardError(str(exc), title="PIN", hint="choose a PIN the card accepts (usually 6-16 digits)") from None
    except dev.NoSuchCard:
        raise CardAbsentError(f"{who} is not in a reader", hint="insert the card and try again") from None
    except dev.CardRemoved:
        raise CardAbsentError(f"{who} was removed", hint="insert the card again; nothing was changed") from None
    except dev.ModuleProblem as exc:
        raise StateError(str(exc), title="Card reader",
                         hint="check the PKCS#11 module path in station.toml") from None
    except dev.CardUnusable as exc:
        raise CardError(str(exc), hint="this card cannot be used here") from None


def softhsm_env(home: Home) -> None:
    """Use the home's SoftHSM token directory unless SOFTHSM2_CONF is already set."""
    conf = home.path / "softhsm" / "softhsm2.conf"
    if "SOFTHSM2_CONF" not in os.environ and conf.exists():
        os.environ["SOFTHSM2_CONF"] = str(conf)


def module_for(home: Home) -> Module:
    softhsm_env(home)
    with device_errors():
        return open_module(home.config().module)


def unblock_card(home: Home, serial: str, so_pin: str, new_pin: str) -> None:
    """Give a locked card a new PIN with its SO PIN, and forget its wrong PINs.

    The station counts wrong PINs itself (a login is refused once they reach the limit),
    so the card's own unblock is only half of it: the count starts again from zero too.
    """
    module = module_for(home)
    with device_errors(serial):
        unblock(module, serial, so_pin, new_pin)
    home.set_pin_failures(serial, 0)


def card_subject(der: bytes | None) -> str:
    if not der:
        return ""
    try:
        return certs.subject(der)
    except certs.CertificateError:
        return "(unreadable certificate)"


def _state(info: TokenInfo, home: Home, roles: dict[str, Role]) -> CardState:
    marks = home.card_marks()
    if info.serial in marks:
        return CardState(marks[info.serial])
    if info.certificate is None:
        return CardState.UNKNOWN
    if certs.fingerprint(info.certificate) in roles:
        return CardState.AUTHORIZATION
    if "SESeal" in info.data_labels:
        return CardState.SEALED
    return CardState.BLANK


def enrolled_roles(home: Home) -> dict[str, Role]:
    """cert SHA-256 -> role, from the public key slots (no store needed)."""
    return home.keyslots().roles()


def view(info: TokenInfo, home: Home, roles: dict[str, Role], max_tries: int) -> CardView:
    failures = home.pin_failures(info.serial)
    locked = info.pin_locked or failures >= max_tries
    tries = None if locked else (1 if info.pin_final_try else (max_tries - failures if failures else None))
    return CardView(
        serial=info.serial, label=info.label, state=_state(info, home, roles),
        subject=card_subject(info.certificate),
        role=roles.get(certs.fingerprint(info.certificate)) if info.certificate else None,
        pin_locked=locked, tries_left=tries)


def list_cards(home: Home, module: Module | None = None) -> list[CardView]:
    """Every token present now, with its state — no PIN needed."""
    module = module or module_for(home)
    with device_errors():
        tokens = module.scan()
    roles = enrolled_roles(home)
    max_tries = home.config().max_pin_tries
    return [view(t, home, roles, max_tries) for t in tokens]


def open_card(module: Module, serial: str) -> Card:
    with device_errors(serial):
        return module.card(serial)

