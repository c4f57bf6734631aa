"""Signing a seal's receipt and reading issued seals back (the claims: :mod:`.claims`).

The ceremony's last step (:func:`station.making.make_seal`) calls :func:`issue_receipt`,
so a seal made at the CLI and one made in the TUI both leave the ceremony with a signed
receipt and a tree head the officer's card witnessed. Signing happens once: afterwards
:func:`issue_receipt` returns the stored text, which is what every export writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from crypto import receipt as cose
from station.errors import InputError, PolicyError, StateError, crypto_errors
from station.model import CoSignature, IssuedRecord, Role
from station.receipts import qr
from station.receipts.claims import Claim, IssuedSeal, issuance_claims
from station.seal_pins import INITIAL, pin_state
from station.store.counters import Counters
from station.store.seals import Seals

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["issue_receipt", "issued", "issued_seal", "epoch"]


def epoch(iso: str) -> int:
    """Unix seconds of a stored ISO time (the receipt's time claims)."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _credit_code(session: Session, application_id: int) -> str | None:
    from station import applications

    try:
        return applications.get(session, application_id).credit_code
    except InputError:
        return None


def _claims(text: str | None) -> dict:
    """The claims of a stored receipt (read, not verified: it is our own text)."""
    if not text:
        return {}
    try:
        return dict(cose.decode(text).claims)
    except cose.ReceiptError:  # a damaged row shows without its number
        return {}


def _number(claims: dict) -> int | None:
    number = claims.get(Claim.NUMBER)
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _pin_set(session: Session, record: IssuedRecord, claims: dict) -> bool | None:
    """What the receipt says of the card's PIN; before it is signed, what it will say."""
    if claims:
        value = claims.get(Claim.PIN)
        return value if isinstance(value, bool) else None
    seal = record.seal
    return pin_state(session.store, seal.esid, seal.card_serial, seal.made_at).state != INITIAL


def _view(session: Session, record: IssuedRecord) -> IssuedSeal:
    seal, issuance = record.seal, record.issuance
    claims = _claims(issuance.receipt)
    return IssuedSeal(seal.esid, seal.name, seal.unit, _credit_code(session, seal.application_id), seal.seal_kind,
                      seal.card_serial, issuance.recipient, seal.made_at, issuance.issued_at, record.officer_name,
                      tuple(s.name for s in issuance.supervisors), seal.application_id, session.config.station_id,
                      issuance.receipt, _number(claims) or issuance.number, _pin_set(session, record, claims))


def issued(session: Session, limit: int = 200) -> list[IssuedSeal]:
    """Issued seals, newest first (the officer's receipts list)."""
    return [_view(session, r) for r in Seals(session.store).recent(limit)]


def issued_seal(session: Session, esid: str) -> IssuedSeal:
    record = Seals(session.store).issued(esid)
    if record is None:
        raise InputError(f"no seal {esid} has been issued at this station", hint="check the esID")
    return _view(session, record)


def _supervisor_claims(supervisors: tuple[CoSignature, ...]) -> list[list[bytes]]:
    from crypto.algorithms import RSA_SHA256, der_to_raw

    out = []
    for s in supervisors:
        sig = s.signature
        if s.algorithm != RSA_SHA256:
            sig = der_to_raw(sig, 32)
        out.append([bytes.fromhex(s.cert_sha256), sig])
    return out


def issue_receipt(session: Session, esid: str) -> str:
    """The seal's receipt: the stored one, or a new one signed now by the officer's card."""
    from station.cards import device_errors

    record = Seals(session.store).issued(esid)
    if record is None:
        raise InputError(f"no seal {esid} has been issued at this station", hint="check the esID")
    seal, issuance = record.seal, record.issuance
    if issuance.receipt:
        return issuance.receipt
    if session.actor.role is not Role.OFFICER or session.actor.cert_sha256 != issuance.officer_cert_sha256:
        session.log("receipt", esid, "refused", reason="not-the-maker")
        raise PolicyError(f"only the officer who made seal {esid} signs its receipt", reason="not-the-maker",
                          hint="log in with that officer's card")
    with device_errors(session.card.serial):
        head = session.audit.sign_head(session.signer, session.actor.cert_sha256)
    with session.store.transaction():
        number = issuance.number if issuance.number is not None else Counters(session.store).next_value("receipt-seq")
        claims = issuance_claims(
            station=session.config.station_id, number=number, esid=esid, kind=seal.seal_kind, unit=seal.unit,
            credit_code=_credit_code(session, seal.application_id), name=seal.name, card=seal.card_serial,
            card_cert_sha256=seal.card_cert_sha256, seal_sha256=seal.seal_sha256, made=epoch(seal.made_at),
            issued=epoch(issuance.issued_at), recipient=issuance.recipient, application_id=seal.application_id,
            officer_cert_sha256=issuance.officer_cert_sha256)
        claims[Claim.SUPERVISORS] = _supervisor_claims(issuance.supervisors)
        claims[Claim.HEAD] = [head.size, head.root]
        claims[Claim.PIN] = pin_state(session.store, esid, seal.card_serial, seal.made_at).state != INITIAL
        with crypto_errors(StateError, "the receipt cannot be signed"), device_errors(session.card.serial):
            text = cose.encode(claims, session.signer)
        version = qr.version_of(text)  # refuse a receipt no phone could scan, before storing it
        Seals(session.store).set_receipt(esid, text)
        session.log("receipt", esid, "ok", number=number, chars=len(text), qr_version=version,
                    tree_size=head.size, tree_root=head.root.hex())
    return text
