"""One seal per card: the reservation a ceremony holds around write -> record.

Before a seal is written, the card and the application are reserved in the store in one
write transaction (``station.store.reservations``: a unique index lets one ceremony per
card and per application hold a reservation), and the card is looked at again under the
reservation. Of two ceremonies racing for one card exactly one writes; the other is
refused with a named reason (``card-busy``, ``card-already-sealed``,
``application-in-progress``). The reservation keeps the seal and everything its record
needs, so a card written but not recorded (a crash, a pulled card, a busy store) is
settled later from it (station/settle.py), and its application cannot be made on another
card meanwhile.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from devices.pkcs11 import Card
from station import applications, registering
from station.cards import device_errors
from station.clock import now
from station.errors import PolicyError, StateError, StationError
from station.model import Application, CoSignature, Issuance, Seal
from station.session import Session
from station.store.reservations import Reservation, Reservations
from station.store.seals import Seals
from station.vocabulary import ApplicationState

__all__ = ["SEAL_LABEL", "MadeSeal", "refuse", "check_card_free", "check_card_unmarked", "check_application_free",
           "reserve", "recheck", "made_from", "record_reserved", "release"]

SEAL_LABEL = "SESeal"


@dataclass(frozen=True)
class MadeSeal:
    """A seal made (or about to be recorded): what its record, receipt and result need."""

    esid: str
    card_serial: str
    application_id: int
    seal_der: bytes = field(repr=False)
    seal_sha256: str
    card_cert_sha256: str
    made_at: str
    valid_start: datetime
    valid_end: datetime
    recipient: str
    supervisors: tuple[CoSignature, ...]
    receipt: str | None = None  # the signed ``SSR1:`` text; None when the card could not sign it
    receipt_error: StationError | None = field(default=None, repr=False, compare=False)
    number: int | None = None  # the receipt number reserved before the supervisors co-signed
    issued_at: str = ""
    digest: bytes = field(default=b"", repr=False)
    pin_set: bool = False  # the recipient set the seal card's PIN at issue (else: the initial PIN)
    pin_error: StationError | None = field(default=None, repr=False, compare=False)


def refuse(session: Session, reason: str, message: str, obj: str, hint: str = "") -> PolicyError:
    """A refused make: audited, and named in the one line the CLI prints."""
    session.log("make", obj, "refused", reason=reason, message=message)
    return PolicyError(message, reason=reason, hint=hint, title=f"Refused ({reason})")


def check_card_free(session: Session, serial: str) -> None:
    """The store's view of the card: no ceremony holds it (or left it flagged)."""
    if Reservations(session.store).writing_for_card(serial) is not None:
        raise refuse(session, "card-busy", f"card {serial} is being written by another ceremony, or was "
                     "left written but unrecorded", serial,
                     f"wait for the other ceremony, or settle the card: `seal-station card inspect {serial}`")


def check_card_unmarked(session: Session, serial: str) -> None:
    """The store's mark of the card, read inside the reservation's transaction. Another
    ceremony that wrote this card and recorded its seal marks it (flagged, then sealed);
    a card's own view can lag behind another process's write, the store's cannot."""
    mark = session.home.card_marks().get(serial)
    if mark == "sealed":
        raise refuse(session, "card-already-sealed", f"card {serial} already holds a seal", serial,
                     "use a blank seal card; revoke the old seal first to reuse a card")
    if mark == "needs-inspection":
        raise refuse(session, "card-busy", f"card {serial} was written by another ceremony and is flagged",
                     serial, f"settle the card: `seal-station card inspect {serial}`")


def check_application_free(session: Session, application_id: int) -> None:
    held = Reservations(session.store).writing_for_application(application_id)
    if held is not None:
        raise refuse(session, "application-in-progress", f"application {application_id} is being made on "
                     f"card {held.card_serial}, or that card was left written but unrecorded",
                     str(application_id), f"settle the card first: `seal-station card inspect {held.card_serial}`")


def reserve(session: Session, m: MadeSeal, functions: Sequence[str]) -> Reservation:
    """Hold the card and the application in the store (one write transaction; the unique
    indexes arbitrate between processes). :func:`recheck` then looks at the card again
    under the hold."""
    reservations = Reservations(session.store)
    record = json.dumps({"recipient": m.recipient, "functions": list(functions), "made_at": m.made_at,
                         "valid_start": m.valid_start.isoformat(), "valid_end": m.valid_end.isoformat(),
                         "card_cert_sha256": m.card_cert_sha256, "officer_cert_sha256": session.actor.cert_sha256,
                         "number": m.number, "issued_at": m.issued_at, "digest": m.digest.hex(),
                         "supervisors": [{"serial": s.serial, "cert_sha256": s.cert_sha256, "name": s.name,
                                          "algorithm": s.algorithm, "signature": s.signature.hex()}
                                         for s in m.supervisors]})
    refusal: PolicyError | None = None
    rid: int | None = None
    with session.store.transaction():  # a refusal's audit entry is committed with the transaction
        try:
            app = applications.get(session, m.application_id)
            if app.state is not ApplicationState.APPROVED:
                raise refuse(session, "application-not-approved", f"application {m.application_id} is "
                             f"{app.state}, not approved", str(m.application_id))
            check_card_free(session, m.card_serial)
            check_application_free(session, m.application_id)
            check_card_unmarked(session, m.card_serial)
            rid = reservations.reserve(m.card_serial, m.application_id, m.esid, m.seal_der, record,
                                       now().isoformat(), session.actor.cert_sha256)
            if rid is None:  # the indexes caught a ceremony the checks above could not see
                raise refuse(session, "card-busy", f"card {m.card_serial} or application {m.application_id} "
                             "is held by another ceremony", m.card_serial)
            session.log("reserve", m.card_serial, "ok", application=m.application_id, esid=m.esid)
        except PolicyError as exc:
            refusal = exc
    if refusal is not None:
        raise refusal
    held = reservations.writing_for_card(m.card_serial)
    if held is None or held.id != rid:
        raise StateError(f"the reservation of card {m.card_serial} was lost")
    return held


def recheck(session: Session, card: Card, held: Reservation) -> None:
    """The on-card check again, under the reservation; a refusal releases it."""
    with device_errors(held.card_serial):
        on_card = card.read_data(SEAL_LABEL)
    if on_card is not None:
        with session.store.transaction():
            Reservations(session.store).end(held.id, "released", "card-already-sealed", now().isoformat())
            refusal = refuse(session, "card-already-sealed", f"card {held.card_serial} already holds a seal",
                             held.card_serial, "use a blank seal card")
        raise refusal


def release(session: Session, reservation: Reservation, outcome: str) -> bool:
    """Let go of the card and the application; False if the store could not (the
    reservation then keeps the card flagged)."""
    try:
        with session.store.transaction():
            Reservations(session.store).end(reservation.id, "released", outcome, now().isoformat())
        return True
    except Exception:  # the store is what failed; whoever settles the card releases it
        return False


def made_from(reservation: Reservation) -> tuple[MadeSeal, tuple[str, ...], str]:
    """The seal a reservation was about to record, its functions and its officer."""
    r = json.loads(reservation.record)
    sigs = tuple(CoSignature(s["serial"], s["cert_sha256"], s["name"], s["algorithm"],
                             bytes.fromhex(s["signature"])) for s in r["supervisors"])
    m = MadeSeal(reservation.esid, reservation.card_serial, reservation.application_id, reservation.seal_der,
                 hashlib.sha256(reservation.seal_der).hexdigest(), r["card_cert_sha256"], r["made_at"],
                 datetime.fromisoformat(r["valid_start"]), datetime.fromisoformat(r["valid_end"]),
                 r["recipient"], sigs, number=r.get("number"), issued_at=r.get("issued_at", ""),
                 digest=bytes.fromhex(r.get("digest", "")))
    return m, tuple(r["functions"]), r["officer_cert_sha256"]


def record_reserved(session: Session, reservation: Reservation, app: Application, **details: Any) -> MadeSeal:
    """One transaction: the seal, its issuance, the application made, the reservation ended."""
    m, functions, officer = made_from(reservation)
    seal = Seal(m.esid, m.application_id, m.seal_sha256, m.card_serial, m.card_cert_sha256, app.seal_name, app.unit,
                app.seal_kind, m.valid_start.isoformat(), m.valid_end.isoformat(), m.made_at, officer,
                tuple(functions))
    issuance = Issuance(m.esid, m.recipient, m.issued_at, officer, m.supervisors, m.digest.hex(),
                        number=m.number)
    with session.store.transaction():
        Seals(session.store).add(seal, m.seal_der, issuance)
        applications.mark_made(session, m.application_id, m.esid)
        registering.record_made(session, m.esid, app, functions)
        if not Reservations(session.store).end(reservation.id, "recorded", "made", now().isoformat()):
            raise StateError(f"card {m.card_serial} is no longer reserved for seal {m.esid}")
        session.log("make", m.esid, "ok", card=m.card_serial, application=m.application_id,
                    seal_sha256=m.seal_sha256, **details)
        session.log("issue", m.esid, "ok", recipient=m.recipient, supervisors=[s.name for s in m.supervisors])
    return m
