"""Cards as the station sees them: device errors in the station's words, card states.

This is the one place where ``devices`` errors become :class:`StationError`s with a
title and a hint a person can act on.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator

from crypto import certs
from devices import errors as dev
from devices.pkcs11 import Card, Module, TokenInfo, open_module, unblock
from station.errors import (CardAbsentError, CardError, InputError, PinLockedError, PolicyError, StateError, StationError,
                            WrongPinError)
from station.home import Home
from station.model import CardState, CardView, Role

__all__ = ["device_errors", "module_for", "list_cards", "card_subject", "enrolled_roles", "view", "open_card",
           "UNBLOCK_HINT", "softhsm_env", "unblock_card", "check_module_path", "check_unblock_pin"]

UNBLOCK_HINT = ("an administrator must unblock it with the SO PIN "
                "(`seal-station card unblock SERIAL --by ADMIN_SERIAL`)")


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


def check_module_path(path: str, home: Home) -> str:
    """The PKCS#11 module runs its constructor when loaded, so it is loaded only from a
    root-owned regular file, in root-owned folders no one else may write, outside the
    station home (which the station — and anyone who edits its files — writes)."""
    import stat

    bad = f"the PKCS#11 module {path!r} cannot be trusted"
    hint = "name a library installed by the system (root-owned, outside the station home)"
    if not isinstance(path, str) or not os.path.isabs(path):
        raise StateError(f"{bad}: not an absolute path", title="Card reader", hint=hint)
    real = os.path.realpath(path)
    try:
        home_real = os.path.realpath(home.path)
        if os.path.commonpath([real, home_real]) == home_real:
            raise StateError(f"{bad}: it lies in the station home", title="Card reader", hint=hint)
        st = os.stat(real)
        if not stat.S_ISREG(st.st_mode):
            raise StateError(f"{bad}: not a regular file", title="Card reader", hint=hint)
        folder, checked = real, [st]
        while True:
            folder = os.path.dirname(folder)
            checked.append(os.stat(folder))
            if folder == os.path.dirname(folder):
                break
    except OSError as exc:
        raise StateError(f"{bad}: {exc.strerror or type(exc).__name__}", title="Card reader", hint=hint) from None
    for s in checked:
        if s.st_uid != 0 or s.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not s.st_mode & stat.S_ISVTX:
            raise StateError(f"{bad}: it or a folder above it is writable by someone other than root",
                             title="Card reader", hint=hint)
    return real


def module_for(home: Home) -> Module:
    softhsm_env(home)
    path = home.config().module
    check_module_path(path, home)
    with device_errors():
        return open_module(path)


def check_unblock_pin(pin: str) -> str:
    """The new PIN of an unblocked card: 6-16 digits (what every card takes), and none of the
    station's weak-PIN rules (:func:`station.pin_policy.check_new_pin`, exit 2)."""
    from station.pin_policy import check_new_pin  # it reads the store: loaded when a PIN is set

    if not pin.isascii() or not pin.isdigit() or not 6 <= len(pin) <= 16:
        raise InputError("the new PIN must be 6-16 digits")
    check_new_pin(pin)
    return pin


def unblock_card(session: Any, serial: str, so_pin: str, new_pin: str) -> None:
    """Give a locked card a new PIN with its SO PIN, and forget its wrong PINs.

    Only an administrator's session unblocks (anyone may type an SO PIN; the store decides
    who acts). Wrong SO PINs are counted like wrong PINs (under ``so:SERIAL``) and every
    attempt is audited. The station counts wrong PINs itself, so the card's own unblock
    is only half of it: the station's count starts again from zero too.
    """
    if session.actor.role is not Role.ADMIN:
        session.log("card-unblock", serial, "refused", reason="not an administrator")
        raise PolicyError("only an administrator unblocks cards", reason="not-admin",
                          hint="log in with an administrator's card (--by ADMIN_SERIAL)")
    check_unblock_pin(new_pin)
    home, key = session.home, f"so:{serial}"
    failures = home.pin_failures(key)
    if failures >= session.config.max_pin_tries:
        session.log("card-unblock", serial, "refused", reason="SO PIN locked")
        raise PinLockedError(f"the SO PIN of card {serial} is locked after {failures} wrong tries",
                             hint="the card must be replaced")
    try:
        with device_errors(serial):
            unblock(session.module, serial, so_pin, new_pin)
    except WrongPinError:
        failures += 1
        home.set_pin_failures(key, failures)
        session.log("card-unblock", serial, "refused", reason="wrong SO PIN")
        left = session.config.max_pin_tries - failures
        raise WrongPinError(f"wrong SO PIN for card {serial} ({max(left, 0)} tries left)", tries_left=left,
                            hint="check the SO PIN") from None
    except StationError as exc:
        session.log("card-unblock", serial, "failed", reason=exc.message)
        raise
    home.set_pin_failures(key, 0)
    home.set_pin_failures(serial, 0)
    session.log("card-unblock", serial, "ok")


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

