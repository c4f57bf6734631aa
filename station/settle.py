"""Settling a flagged seal card: ``seal-station card inspect`` (and the TUI's card list).

A card is flagged when a ceremony reserved it and wrote to it but could not record the
seal (a crash, a pulled card, a busy store): the store keeps the reservation with the
seal and everything its record needs, and the public ledger says "needs-inspection".
Inspecting shows what the card holds beside what the store recorded, and settles it:

- the card holds exactly the seal the reservation wrote (this station signed it): the
  seal is recorded now — roll forward: application made, issuance, receipt — as if the
  ceremony had finished;
- the card holds another seal object, or one no record explains: it is wiped;
- the card holds nothing: the reservation is released and the application may be made.

Each settlement is one audit entry (``card-settle``). The reservation holds the
application until then, so an application is never made twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from crypto import seseal
from station import applications, witness
from station.cards import device_errors
from station.clock import now
from station.errors import PolicyError, StationError
from station.reserving import SEAL_LABEL, record_reserved
from station.model import Role
from station.session import Session, unlock_card
from station.store.reservations import Reservation, Reservations
from station.store.seals import Seals

__all__ = ["Inspection", "inspect_card"]

SETTLERS = (Role.OFFICER, Role.ADMIN)


@dataclass(frozen=True)
class Inspection:
    """What the card holds beside what the store recorded, and what was done about it."""

    serial: str
    flagged: bool
    on_card: dict[str, Any] | None
    reservation: dict[str, Any] | None
    recorded: dict[str, Any] | None
    action: str  # none | recorded | wiped | released | cleared
    esid: str | None = None
    receipt: str | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"card": self.serial, "flagged": self.flagged, "on_card": self.on_card,
                "reservation": self.reservation, "recorded": self.recorded, "action": self.action,
                "seal": self.esid, "receipt": self.receipt, "note": self.note}


def _describe(der: bytes | None) -> dict[str, Any] | None:
    if der is None:
        return None
    out: dict[str, Any] = {"sha256": hashlib.sha256(der).hexdigest(), "size": len(der)}
    try:
        report = seseal.verify(der)
        out.update(esid=report.parsed.esid, name=report.parsed.name, intact=report.intact)
    except Exception:  # whatever is on the card, inspecting it must not fail
        out.update(esid=None, name=None, intact=False)
    return out


def _reservation(r: Reservation | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"application": r.application_id, "esid": r.esid, "started_at": r.started_at,
            "sha256": hashlib.sha256(r.seal_der).hexdigest()}


def inspect_card(session: Session, serial: str, pin: str) -> Inspection:
    """Show the card beside the store; settle it if it is flagged. Audited."""
    card = unlock_card(session.home, session.config, session.module, serial, pin,
                       lambda reason: session.log("card-login", serial, "refused", reason=reason))
    try:
        with device_errors(serial):
            der = card.read_data(SEAL_LABEL)
        reservations = Reservations(session.store)
        held = reservations.writing_for_card(serial)
        esid = reservations.active_seal_on_card(serial)
        recorded_der = Seals(session.store).der(esid) if esid else None
        recorded = None if esid is None else {"esid": esid, "matches": recorded_der == der}
        flagged = held is not None or session.home.card_marks().get(serial) == "needs-inspection"
        seen = dict(serial=serial, flagged=flagged, on_card=_describe(der), reservation=_reservation(held),
                    recorded=recorded)
        if not flagged:
            return Inspection(**seen, action="none", esid=esid)
        if session.actor.role not in SETTLERS:
            session.log("card-settle", serial, "refused", reason="not-officer")
            raise PolicyError(f"card {serial} is flagged; only an officer or an administrator settles it",
                              reason="not-officer", hint="inspect it with an officer's card")
        result = _settle(session, card, serial, der, held, esid, recorded_der, seen)
    finally:
        session.module.forget(serial)
    try:
        witness.record(session)
    except StationError:
        pass  # the logout witness covers the settlement
    return result


def _settle(session: Session, card: Any, serial: str, der: bytes | None, held: Reservation | None,
            esid: str | None, recorded_der: bytes | None, seen: dict[str, Any]) -> Inspection:
    at = now().isoformat()
    reservations = Reservations(session.store)
    if held is not None and der is not None and der == held.seal_der:
        app = applications.get(session, held.application_id)
        record_reserved(session, held, app, settled_by=session.actor.serial)
        session.log("card-settle", serial, "ok", settled="recorded", esid=held.esid)
        session.home.mark_card(serial, "sealed")
        receipt, note = _receipt(session, held.esid)
        return Inspection(**seen, action="recorded", esid=held.esid, receipt=receipt, note=note)
    if der is not None and (held is not None or recorded_der != der):
        with device_errors(serial):
            card.delete_data(SEAL_LABEL)
        action = "wiped"
    elif held is not None:
        action = "released"
    else:
        action = "cleared"
    with session.store.transaction():
        if held is not None:
            reservations.end(held.id, "released", action, at)
        session.log("card-settle", serial, "ok", settled=action,
                    esid=held.esid if held else esid, seal_sha256=seen["on_card"]["sha256"] if der else None)
    session.home.mark_card(serial, "sealed" if action == "cleared" and recorded_der is not None else None)
    note = {"wiped": "the seal object no record explains was removed from the card",
            "released": "the card holds no seal: the application may be made again",
            "cleared": "the card agrees with the store"}[action]
    return Inspection(**seen, action=action, esid=held.esid if held else esid, note=note)


def _receipt(session: Session, esid: str) -> tuple[str | None, str]:
    """The rolled-forward seal's receipt, when the acting card may sign it."""
    from station.receipts.issue import issue_receipt

    try:
        return issue_receipt(session, esid), "the seal the card holds is recorded now"
    except StationError as exc:
        return None, f"the seal is recorded; its receipt was not signed now ({exc.message})"
