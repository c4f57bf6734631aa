"""PIN policy: the weak-PIN rules, the first PIN that must change, the age of a PIN.

Free of card and session code, so that login (``station.session``) asks it whether a card
may act, and enrollment records a card's initial PIN. The station never stores a PIN nor a
hash of one: "the card's previous PIN" is the old PIN just entered to change it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crypto import certs
from station.clock import now, now_text
from station.errors import InputError, PolicyError
from station.store.db import Store
from station.store.pins import PinFacts

__all__ = ["weak_pin_rule", "weak_pin_code", "WEAK_RULES", "check_new_pin", "must_change", "record_initial", "stale_pins", "is_demo_card",
           "initial_pin_refusal", "DEMO_CA_NAME", "PIN_MAX_AGE_DAYS", "MUST_CHANGE_REASON"]

DEMO_CA_NAME = "示范电子认证中心 Demo CA"
"""The demo world's CA: cards it issued are demo cards, exempt from the first change."""

PIN_MAX_AGE_DAYS = 60
MUST_CHANGE_REASON = "pin-change-required"


WEAK_RULES = {"short": "shorter than 6 characters", "same": "all one digit",
              "run": "a run of digits (like 123456 or 654321)", "previous": "the card's previous PIN"}
"""The weak-PIN rules by code (the screens translate the codes)."""


def weak_pin_code(new: str, old: str | None = None) -> str:
    """The code of the rule a PIN breaks (a key of :data:`WEAK_RULES`), or ""."""
    if len(new) < 6:
        return "short"
    if len(set(new)) == 1:
        return "same"
    if new.isdigit():
        steps = {int(b) - int(a) for a, b in zip(new, new[1:])}
        if steps in ({1}, {-1}):
            return "run"
    if old is not None and new == old:
        return "previous"
    return ""


def weak_pin_rule(new: str, old: str | None = None) -> str:
    """The rule a PIN breaks, or "" for a PIN that may be used."""
    code = weak_pin_code(new, old)
    return WEAK_RULES[code] if code else ""


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


def initial_pin_refusal(store: Store, serial: str) -> PolicyError | None:
    """Login's check: a card still on its initial PIN does nothing else until it changes it."""
    if not must_change(store, serial):
        return None
    return PolicyError(f"card {serial} still has its initial PIN: change it first "
                          f"(`seal-station card change-pin {serial}`)", reason=MUST_CHANGE_REASON,
                          hint="choose a new PIN of your own before the first use")
