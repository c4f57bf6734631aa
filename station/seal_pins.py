"""A seal card's PIN at issue and after: the ceremony's PIN step, and what the registry
and the receipt say of it.

When a seal card is issued, its recipient chooses the card's PIN at the station (the
wizard's PIN step, ``SEAL_STATION_NEW_PIN_<SERIAL>`` for ``make``); when that is skipped
the card keeps the PIN it came with, and the registry and the receipt say "initial PIN,
change at first use". The station never stores a PIN: it records when the PIN was set
and whether it is still the initial one (``card_pins``), and a later ``card change-pin``
of the seal card reaches the audit log through the inbox.

The step runs after the seal is recorded, so a card that fails to take the new PIN (or a
power cut at the step) never loses its seal: the card keeps its initial PIN and the
receipt says so. The new PIN is checked against the weak-PIN rules before the ceremony
starts (:func:`check_recipient_pin`), so a weak PIN stops it with nothing done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from station.cards import device_errors
from station.clock import now_text
from station.errors import StationError
from station.pin_policy import check_new_pin
from station.receipts.claims import INITIAL_PIN_NOTE, PIN_SET_NOTE
from station.store.db import Store
from station.store.pins import PinFacts

if TYPE_CHECKING:  # pragma: no cover
    from devices.pkcs11 import Card
    from station.session import Session

__all__ = ["INITIAL", "RECIPIENT", "CHANGED", "NOTES", "SealPin", "check_recipient_pin", "set_at_issue",
           "pin_state", "pin_states"]

INITIAL, RECIPIENT, CHANGED = "initial", "recipient", "changed"
NOTES = {INITIAL: INITIAL_PIN_NOTE, RECIPIENT: PIN_SET_NOTE, CHANGED: "PIN changed after issue"}
"""What the registry, the receipt and ``make`` say of each state (the screens translate them)."""


@dataclass(frozen=True)
class SealPin:
    """The PIN state of the card a seal was issued on."""

    state: str  # INITIAL | RECIPIENT | CHANGED
    at: str | None = None  # when the PIN was last set; None for the initial PIN

    @property
    def note(self) -> str:
        return NOTES[self.state]

    def to_json(self) -> dict[str, str | None]:
        return {"state": self.state, "note": self.note, "at": self.at}


def check_recipient_pin(new: str | None, initial: str) -> None:
    """The weak-PIN rules, before the ceremony writes anything (exit 2, naming the rule)."""
    if new is not None:
        check_new_pin(new, initial)


def set_at_issue(session: Session, card: Card, serial: str, initial: str, new: str | None) -> StationError | None:
    """The ceremony's PIN step, after the seal is recorded: the recipient's PIN (``new``) goes
    onto the card, or the card keeps its initial PIN; either is recorded and audited.

    A card that fails to take the new PIN keeps its initial PIN and its seal: the error is
    returned for the front end to show, and the receipt says "initial PIN"."""
    error: StationError | None = None
    if new:
        try:
            with device_errors(serial):
                card.change_pin(initial, new)
        except StationError as exc:
            error = exc
    own = bool(new) and error is None
    try:
        with session.store.transaction():  # the card took the PIN before the store says so
            PinFacts(session.store).record(serial, now_text(), must_change=not own)
            session.log("seal-card-pin", serial, "ok" if error is None else "failed", set_at_station=own,
                        **({"reason": error.message} if error is not None else {}))
    except StationError as exc:  # the seal is recorded already: say it, never undo it
        error = error or exc
    return error


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _state(made_at: str, facts: tuple[str, bool] | None, changed: str | None) -> SealPin:
    made = _time(made_at)
    if made is None:
        return SealPin(INITIAL)
    set_at = _time(facts[0]) if facts is not None else None
    at_issue = facts if set_at is not None and set_at >= made else None  # else an earlier seal's
    later = _time(changed)
    if later is not None and later > max(made, set_at or made):
        return SealPin(CHANGED, changed)
    if at_issue is not None and not at_issue[1]:
        return SealPin(RECIPIENT, at_issue[0])
    return SealPin(INITIAL)


def pin_states(store: Store, seals: Iterable[tuple[str, str, str]]) -> dict[str, SealPin]:
    """The PIN state of each (esid, card serial, made at): one query for the list.

    A PIN recorded before the seal was made belongs to an earlier seal on the same card;
    a change after the seal's issue is "changed later"; nothing recorded is the initial PIN.
    """
    facts, changes = PinFacts(store).all(), PinFacts(store).changed_later()
    return {esid: _state(made_at, facts.get(serial), changes.get(serial)) for esid, serial, made_at in seals}


def pin_state(store: Store, esid: str, serial: str, made_at: str) -> SealPin:
    return pin_states(store, [(esid, serial, made_at)])[esid]
