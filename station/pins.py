"""PIN policy: weak PINs refused by rule, a first PIN changed at first login, PIN age.

The station never stores a PIN nor a hash of one. "The card's previous PIN" is the old PIN
just entered to change it; the age of a PIN is the time of its last change, recorded in
the store (``card_pins``) beside a flag for cards still on the PIN they were issued with.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crypto import certs
from station import keys
from station.audit import Audit, make_entry
from station.cards import device_errors, module_for
from station.clock import now, now_text
from station.errors import InputError, PolicyError
from station.home import Home
from station.session import actor_for, unlock_card
from station.store.db import Store
from station.store.pins import PinFacts

__all__ = ["weak_pin_rule", "check_new_pin", "change_pin", "set_card_pin", "must_change", "record_initial",
           "stale_pins", "is_demo_card", "initial_pin_refusal", "DEMO_CA_NAME", "PIN_MAX_AGE_DAYS", "MUST_CHANGE_REASON"]

DEMO_CA_NAME = "示范电子认证中心 Demo CA"
"""The demo world's CA: cards it issued are demo cards, exempt from the first change."""

PIN_MAX_AGE_DAYS = 60
MUST_CHANGE_REASON = "pin-change-required"


def weak_pin_rule(new: str, old: str | None = None) -> str:
    """The rule a PIN breaks, or "" for a PIN that may be used."""
    if len(new) < 6:
        return "shorter than 6 characters"
    if len(set(new)) == 1:
        return "all one digit"
    if new.isdigit():
        steps = {int(b) - int(a) for a, b in zip(new, new[1:])}
        if steps in ({1}, {-1}):
            return "a run of digits (like 123456 or 654321)"
    if old is not None and new == old:
        return "the card's previous PIN"
    return ""


def check_new_pin(new: str, old: str | None = None) -> None:
    """Refuse a weak PIN (exit 2), naming the rule it breaks."""
    rule = weak_pin_rule(new, old)
    if rule:
        raise InputError(f"the new PIN is too weak: {rule}", title="PIN",
                         hint="choose at least 6 digits, not all the same, not a run, not the old PIN")


def is_demo_card(cert: bytes) -> bool:
    try:
        return certs.issuer_common_name(cert) == DEMO_CA_NAME
    except certs.CertificateError:
        return False


def record_initial(store: Store, serial: str, cert: bytes) -> None:
    """At enrollment: the card keeps the PIN it came with until its first login changes it."""
    PinFacts(store).record(serial, now_text(), must_change=not is_demo_card(cert))


def must_change(store: Store, serial: str) -> bool:
    facts = PinFacts(store).get(serial)
    return bool(facts and facts[1])


def stale_pins(store: Store, serials: list[str], days: int = PIN_MAX_AGE_DAYS) -> list[tuple[str, str]]:
    """(serial, changed_at) of the cards whose PIN is older than ``days``."""
    limit = now() - timedelta(days=days)
    facts = PinFacts(store).all()
    out = []
    for serial in serials:
        changed = facts.get(serial)
        if changed is None:
            continue
        try:
            when = datetime.fromisoformat(changed[0].replace("Z", "+00:00"))
        except ValueError:
            continue
        if when < limit:
            out.append((serial, changed[0]))
    return out


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


def set_card_pin(home: Home, serial: str, old: str, new: str) -> None:
    """A seal card's recipient sets its PIN at the station (after the making ceremony)."""
    change_pin(home, serial, old, new)


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


def initial_pin_refusal(store: Store, serial: str) -> PolicyError | None:
    """Login's check: a card still on its initial PIN does nothing else until it changes it."""
    if not must_change(store, serial):
        return None
    return PolicyError(f"card {serial} still has its initial PIN: change it first "
                          f"(`seal-station card change-pin {serial}`)", reason=MUST_CHANGE_REASON,
                          hint="choose a new PIN of your own before the first use")
