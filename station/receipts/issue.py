"""Signing a seal's receipt and reading issued seals back (the claims: :mod:`.claims`).

The ceremony's last step (:func:`station.making.make_seal`) calls :func:`issue_receipt`,
so a seal made at the CLI and one made in the TUI both leave the ceremony with a signed
receipt and a tree head the officer's card witnessed. Signing happens once: afterwards
:func:`issue_receipt` returns the stored text, which is what every export writes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crypto import receipt as cose
from station.errors import InputError, PolicyError, StateError
from station.model import Role
from station.receipts import qr
from station.receipts.claims import Claim, IssuedSeal

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["issue_receipt", "issued", "issued_seal", "epoch"]


def epoch(iso: str) -> int:
    """Unix seconds of a stored ISO time (the receipt's time claims)."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


_SELECT = ("SELECT s.esid, s.name, s.unit, s.seal_kind, s.card_serial, i.recipient, s.made_at, i.issued_at,"
           " COALESCE(e.name, ''), i.supervisors, s.application_id, i.receipt FROM seals s"
           " JOIN issuances i ON i.esid = s.esid LEFT JOIN enrollments e ON e.cert_sha256 = i.officer_cert_sha256")


def _credit_code(session: Session, application_id: int) -> str | None:
    from station import applications

    try:
        return applications.get(session, application_id).credit_code
    except InputError:
        return None


def _number(text: str | None) -> int | None:
    """The receipt number of a stored receipt (read, not verified: it is our own text)."""
    if not text:
        return None
    try:
        number = cose.decode(text).claims.get(Claim.NUMBER)
    except cose.ReceiptError:  # a damaged row shows without its number
        return None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _view(session: Session, row: tuple) -> IssuedSeal:
    number = _number(row[11])
    supervisors = tuple(s.get("name", "") for s in json.loads(row[9] or "[]"))
    return IssuedSeal(row[0], row[1], row[2], _credit_code(session, row[10]), row[3], row[4], row[5], row[6],
                      row[7], row[8], supervisors, int(row[10]), session.config.station_id, row[11], number)


def issued(session: Session, limit: int = 200) -> list[IssuedSeal]:
    """Issued seals, newest first (the officer's receipts list)."""
    rows = session.store.all(_SELECT + " ORDER BY i.issued_at DESC, i.id DESC LIMIT ?", (int(limit),))
    return [_view(session, r) for r in rows]


def issued_seal(session: Session, esid: str) -> IssuedSeal:
    row = session.store.one(_SELECT + " WHERE s.esid = ?", (esid,))
    if row is None:
        raise InputError(f"no seal {esid} has been issued at this station", hint="check the esID")
    return _view(session, row)


def _supervisor_claims(supervisors: list[dict[str, Any]]) -> list[list[bytes]]:
    from crypto.algorithms import RSA_SHA256, der_to_raw

    out = []
    for s in supervisors:
        sig = bytes.fromhex(s["signature"])
        if s.get("algorithm") != RSA_SHA256:
            sig = der_to_raw(sig, 32)
        out.append([bytes.fromhex(s["cert_sha256"]), sig])
    return out


def _next_number(session: Session) -> int:
    row = session.store.one("SELECT value FROM meta WHERE key = 'receipt-seq'")
    number = int(row[0]) + 1 if row else 1
    session.store.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('receipt-seq', ?)", (str(number),))
    return number


def issue_receipt(session: Session, esid: str) -> str:
    """The seal's receipt: the stored one, or a new one signed now by the officer's card."""
    from station.cards import device_errors

    row = session.store.one(
        "SELECT s.seal_sha256, s.card_serial, s.card_cert_sha256, s.name, s.unit, s.seal_kind, s.made_at,"
        " s.application_id, i.recipient, i.issued_at, i.officer_cert_sha256, i.supervisors, i.receipt"
        " FROM seals s JOIN issuances i ON i.esid = s.esid WHERE s.esid = ?", (esid,))
    if row is None:
        raise InputError(f"no seal {esid} has been issued at this station", hint="check the esID")
    if row[12]:
        return str(row[12])
    if session.actor.role is not Role.OFFICER or session.actor.cert_sha256 != row[10]:
        session.log("receipt", esid, "refused", reason="not-the-maker")
        raise PolicyError(f"only the officer who made seal {esid} signs its receipt", reason="not-the-maker",
                          hint="log in with that officer's card")
    with device_errors(session.card.serial):
        head = session.audit.sign_head(session.signer, session.actor.cert_sha256)
    with session.store.transaction():
        number = _next_number(session)
        claims = {
            Claim.STATION: session.config.station_id, Claim.NUMBER: number, Claim.ESID: esid,
            Claim.TYPE: row[5], Claim.UNIT: row[4], Claim.CREDIT_CODE: _credit_code(session, row[7]),
            Claim.NAME: row[3], Claim.CARD: row[1], Claim.CARD_CERT: bytes.fromhex(row[2]),
            Claim.SEAL: bytes.fromhex(row[0]), Claim.MADE: epoch(row[6]), Claim.ISSUED: epoch(row[9]),
            Claim.RECIPIENT: row[8], Claim.APPLICATION: int(row[7]), Claim.OFFICER: bytes.fromhex(row[10]),
            Claim.SUPERVISORS: _supervisor_claims(json.loads(row[11])), Claim.HEAD: [head.size, head.root],
        }
        try:
            with device_errors(session.card.serial):
                text = cose.encode(claims, session.signer)
        except cose.ReceiptError as exc:
            raise StateError(f"the receipt cannot be signed: {exc}") from None
        version = qr.version_of(text)  # refuse a receipt no phone could scan, before storing it
        session.store.execute("UPDATE issuances SET receipt = ? WHERE esid = ?", (text, esid))
        session.log("receipt", esid, "ok", number=number, chars=len(text), qr_version=version,
                    tree_size=head.size, tree_root=head.root.hex())
    return text
