"""Login, lock and the logged-in session (DESIGN.md §2 step 2).

Login proves three things before the store opens: the card's certificate is enrolled
here (for the role asked, if one is), it is valid now, and the card holds its private
key (a fresh challenge signed on the card and checked in software). Only then is the
master key unwrapped through the card's slot and the store opened.

Before anything is written, the card's witness (station/witness.py) must agree that the
store is not older than what the card has seen; logout leaves a new witness on the card.

Wrong PINs are counted by the station as well as by the card: SoftHSM never locks, and
the regulations want a card to lock after about five tries. A card at the limit is
refused before its PIN is even sent, until an administrator unblocks it. Before a login
the count lives in ``pin-tries.json`` and each wrong PIN is also sealed to the audit
inbox; the login compares both with the store's count (station.settings), so a deleted
counter or inbox is noticed, and only a store-backed path ever lowers a count.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from crypto import certs
from crypto.algorithms import verify_signature
from devices.pkcs11 import Card, Module
from station import keys, settings, witness
from station.audit import Audit, make_entry
from station.cards import UNBLOCK_HINT, device_errors, module_for, open_card
from station.clock import now
from station.config import Config
from station.errors import PinLockedError, PolicyError, StationError, WrongPinError
from station.home import Home
from station.model import Actor, Role
from station.idle import IdleTimer
from station.pin_policy import initial_pin_refusal
from station.store.counters import Secrets
from station.store.db import Store
from station.store.enrollments import Enrollments

__all__ = ["Session", "login", "unlock_card", "IdleTimer", "prove_possession", "actor_for"]


def prove_possession(card: Card, config: Config) -> Any:
    """Sign a fresh challenge on the card and verify it with the certificate."""
    with device_errors(card.serial):
        signer = card.signer(config.sm2_mechanism)
        challenge = b"seal-station possession v1\n" + os.urandom(32)
        signature = signer.sign(challenge)
    if not verify_signature(signer.certificate, signer.algorithm, challenge, signature):
        raise PolicyError(f"card {card.serial} cannot prove it holds its certificate's key",
                          reason="no-possession", hint="the card's key and certificate do not match")
    return signer


@dataclass
class Session:
    """A logged-in card with the store open. ``close()`` ends it (lock or logout)."""

    home: Home
    config: Config
    module: Module
    card: Card
    actor: Actor
    signer: Any
    store: Store
    audit: Audit
    master: bytearray = field(repr=False)
    closed: bool = False

    def certificates(self) -> dict[str, bytes]:
        return Enrollments(self.store).certificates()

    def log(self, action: str, obj: str = "", outcome: str = "ok", **details: Any) -> int:
        return self.audit.append(self.actor, action, obj, outcome, details)

    def close(self, reason: str = "logout") -> None:
        """Record the logout, sign a tree head if the card is still there, forget keys."""
        if self.closed:
            return
        self.closed = True
        try:
            self.audit.append(self.actor, reason, self.card.serial, "ok")
            if self.card.probe():
                with device_errors(self.card.serial):
                    self.audit.sign_head(self.signer, self.actor.cert_sha256)
                witness.record(self)
        except StationError:
            pass  # the card went away: the next session's head covers these entries
        finally:
            for i in range(len(self.master)):
                self.master[i] = 0
            self.store.close()
            self.module.forget(self.card.serial)


def actor_for(store: Store, cert_der: bytes) -> Actor | None:
    enrollment = Enrollments(store).active(certs.fingerprint(cert_der))
    if enrollment is None:
        return None
    return Actor(enrollment.cert_sha256, enrollment.name, enrollment.role, enrollment.serial)


def _refuse(home: Home, serial: str, cert: bytes | None, why: str, outcome: str = "refused",
            action: str = "login") -> None:
    actor = {"cert_sha256": certs.fingerprint(cert) if cert else "",
             "name": certs.common_name(cert) if cert else "", "role": "", "serial": serial}
    keys.seal_to_inbox(home, make_entry(0, actor, action, serial, outcome, {"reason": why}))


def unlock_card(home: Home, config: Config, module: Module, serial: str, pin: str,
                on_refusal: Any = None, action: str = "card-login") -> Card:
    """Log in to any card (authorization, seal or supervisor card) with the station's
    wrong-PIN count: a card at the limit is refused before its PIN is even sent.
    ``on_refusal(reason)`` records the refusal where the caller can (inbox or log);
    without one it goes to the audit inbox under ``action``."""
    record = on_refusal or (lambda reason: _refuse(home, serial, None, reason, action=action))
    failures = home.pin_failures(serial)
    if failures >= config.max_pin_tries:
        record("card locked")
        raise PinLockedError(f"card {serial} is locked after {failures} wrong PINs", hint=UNBLOCK_HINT)
    try:
        with module.hold(), device_errors(serial):  # no re-initialisation between finding and login
            card = open_card(module, serial)
            card.login(pin)
    except WrongPinError as exc:
        failures += 1
        home.set_pin_failures(serial, failures)
        left = config.max_pin_tries - failures
        if exc.tries_left is not None:
            left = min(left, exc.tries_left)
        record("wrong PIN")
        if left <= 0:
            raise PinLockedError(f"card {serial} is now locked after {failures} wrong PINs",
                                 hint=UNBLOCK_HINT) from None
        raise WrongPinError(f"wrong PIN for card {serial} ({left} tries left)", tries_left=left,
                            hint="check the PIN; the card locks after repeated wrong PINs") from None
    except PinLockedError:
        record("card locked")
        raise
    if failures and getattr(home, "authenticated", False):
        home.set_pin_failures(serial, 0)  # a login's own count starts again in station.settings
    return card


def login(home: Home, serial: str, pin: str, *, role: Role | None = None,
          module: Module | None = None) -> Session:
    """Open a session for an enrolled card. Raises a StationError naming any refusal."""
    config = home.config()
    module = module or module_for(home)
    with module.hold():
        card = unlock_card(home, config, module, serial, pin,
                           lambda reason: _refuse(home, serial, None, reason))
        try:
            return _open_session(home, config, module, card, role)
        except BaseException:
            module.forget(serial)
            raise


def _open_session(home: Home, config: Config, module: Module, card: Card, role: Role | None) -> Session:
    cert = card.certificate
    slot_entry = home.keyslots().for_cert(certs.fingerprint(cert))
    if slot_entry is None:
        _refuse(home, card.serial, cert, "not enrolled")
        raise PolicyError(f"card {card.serial} is not enrolled at this station", reason="not-enrolled",
                          hint="an administrator must enroll it first")
    if role is not None and slot_entry.role is not role:
        _refuse(home, card.serial, cert, f"enrolled as {slot_entry.role.value}, not {role.value}")
        raise PolicyError(f"card {card.serial} is enrolled as {slot_entry.role.value}, not as {role.value}",
                          reason="wrong-role", hint="use a card enrolled for this role")
    start, end = certs.validity(cert)
    if not start <= now() <= end:
        _refuse(home, card.serial, cert, "certificate not valid now")
        raise PolicyError(f"the certificate on card {card.serial} is not valid now "
                          f"({start:%Y-%m-%d} – {end:%Y-%m-%d})", reason="cert-expired",
                          hint="renew the card's certificate and enroll it again")
    signer = prove_possession(card, config)
    master = keys.unwrap_with_card(slot_entry.slot, card)
    store = Store.open(home.db, keys.store_key(master))
    try:
        actor = actor_for(store, cert)
        if actor is None:
            raise PolicyError(f"card {card.serial} has been removed from this station",
                              reason="not-enrolled", hint="ask an administrator")
        if role is not None and actor.role is not role:  # keyslots.json is public: the store decides
            raise PolicyError(f"card {card.serial} is enrolled as {actor.role.value}, not as {role.value}",
                              reason="wrong-role", hint="use a card enrolled for this role")
        audit = Audit(store)
        try:
            earlier = witness.check(card, store, audit)
        except witness.RolledBackError:
            _refuse(home, card.serial, cert, "the station's records are older than the card has seen")
            raise
        session = Session(home, config, module, card, actor, signer, store, audit, master)
        with store.transaction():
            refusal = settings.at_login(session, _drain_inbox(session))
            if refusal is None:
                refusal = initial_pin_refusal(store, card.serial)
                if refusal is None:
                    session.log("login", card.serial)
                else:
                    session.log("login", card.serial, "refused", reason="initial PIN not changed")
        if refusal is not None:
            raise refusal
        if earlier:  # the card saw the store this one was restored from
            witness.adopt(session, earlier)
        return session
    except BaseException:
        store.close()
        raise


def _drain_inbox(session: Session) -> list[dict[str, Any]]:
    """Move the inbox into the log; returns its entries (station.settings counts wrong PINs)."""
    private = Secrets(session.store).get(keys.INBOX_SECRET)
    if private is None:
        return []
    entries = keys.open_inbox(session.home, private)
    for entry in entries:
        session.audit.append(entry.get("actor"), entry.get("action", "?"), entry.get("object", ""),
                             entry.get("outcome", "failed"), entry.get("details", {}),
                             time=entry.get("time"), terminal=entry.get("terminal"))
    session.home.clear_inbox()
    return entries
