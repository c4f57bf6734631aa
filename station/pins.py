"""Changing a card's PIN at the station (any card: authorization or seal card), audited.

The rules a new PIN must meet are :mod:`station.pin_policy`; the time of the change is
recorded in the store (``card_pins``), which also clears a first PIN's flag.
"""

from __future__ import annotations

from typing import Any

from crypto import certs
from station import keys
from station.audit import Audit, make_entry
from station.cards import device_errors, module_for
from station.clock import now_text
from station.home import Home
from station.pin_policy import check_new_pin
from station.session import actor_for, unlock_card
from station.store.db import Store
from station.store.pins import PinFacts

__all__ = ["change_pin"]


def change_pin(home: Home, serial: str, old: str, new: str) -> None:
    """Change a card's PIN (any card: authorization or seal card); audited.

    The station's wrong-PIN count applies to the old PIN. For an enrolled card the store is
    opened through the card's own key slot, so the change is recorded (and a first-PIN
    flag cleared) even for a card that may not log in until it has changed its PIN.
    """
    check_new_pin(new, old)
    config = home.config()
    module = module_for(home)
    with module.hold():
        card = unlock_card(home, config, module, serial, old,
                           lambda reason: _to_inbox(home, serial, None, reason))
        try:
            with device_errors(serial):
                card.change_pin(old, new)
            _record_change(home, card)
        finally:
            module.forget(serial)


def _record_change(home: Home, card: Any) -> None:
    cert = card.certificate
    slot = home.keyslots().for_cert(certs.fingerprint(cert)) if cert else None
    if slot is None:
        _to_inbox(home, card.serial, cert, "", action="change-pin", outcome="ok")
        return
    master = keys.unwrap_with_card(slot.slot, card)
    store = Store.open(home.db, keys.store_key(master))
    try:
        actor = actor_for(store, cert)
        with store.transaction():
            PinFacts(store).record(card.serial, now_text(), must_change=False)
            Audit(store).append(actor, "change-pin", card.serial, "ok")
    finally:
        store.close()
        for i in range(len(master)):
            master[i] = 0


def _to_inbox(home: Home, serial: str, cert: bytes | None, reason: str, action: str = "change-pin",
              outcome: str = "refused") -> None:
    actor = {"cert_sha256": certs.fingerprint(cert) if cert else "",
             "name": certs.common_name(cert) if cert else "", "role": "", "serial": serial}
    details = {"reason": reason} if reason else {}
    keys.seal_to_inbox(home, make_entry(0, actor, action, serial, outcome, details))


