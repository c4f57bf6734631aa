"""Seals made at this station and their issuance (the ``seals`` and ``issuances`` tables).

The seal's DER is read on its own (:meth:`Seals.der`): lists of issued seals never pull
the pictures inside the seals out of the store. Supervisors' co-signatures are kept as
one JSON list with the issuance, exactly as they signed.
"""

from __future__ import annotations

import json

from station.model import CoSignature, Issuance, IssuedRecord, Seal
from station.store.db import Store

__all__ = ["Seals"]

_SEAL = ("s.esid, s.application_id, s.seal_sha256, s.card_serial, s.card_cert_sha256, s.name, s.unit,"
         " s.seal_kind, s.valid_start, s.valid_end, s.made_at, s.officer_cert_sha256, s.functions, s.state")
_ISSUANCE = "i.esid, i.recipient, i.issued_at, i.officer_cert_sha256, i.supervisors, i.digest, i.receipt, i.number"
_ISSUED = (f"SELECT {_SEAL}, {_ISSUANCE}, COALESCE(e.name, '') FROM seals s JOIN issuances i ON i.esid = s.esid"
           " LEFT JOIN enrollments e ON e.cert_sha256 = i.officer_cert_sha256")


def _supervisors_json(supervisors: tuple[CoSignature, ...]) -> str:
    return json.dumps([{"serial": s.serial, "cert_sha256": s.cert_sha256, "name": s.name,
                        "algorithm": s.algorithm, "signature": s.signature.hex()} for s in supervisors])


def _supervisors(text: str | None) -> tuple[CoSignature, ...]:
    return tuple(CoSignature(s.get("serial", ""), s.get("cert_sha256", ""), s.get("name", ""),
                             s.get("algorithm", ""), bytes.fromhex(s.get("signature", "")))
                 for s in json.loads(text or "[]"))


def _record(row: tuple) -> IssuedRecord:
    (esid, application_id, seal_sha256, card_serial, card_cert, name, unit, kind, valid_start, valid_end,
     made_at, officer, functions, state, _esid, recipient, issued_at, issuer, supervisors, digest, receipt,
     number, officer_name) = row
    seal = Seal(esid=esid, application_id=int(application_id), seal_sha256=seal_sha256, card_serial=card_serial,
                card_cert_sha256=card_cert, name=name, unit=unit, seal_kind=kind, valid_start=valid_start,
                valid_end=valid_end, made_at=made_at, officer_cert_sha256=officer,
                functions=tuple(f for f in functions.split(",") if f), state=state)
    issuance = Issuance(esid=esid, recipient=recipient, issued_at=issued_at, officer_cert_sha256=issuer,
                        supervisors=_supervisors(supervisors), digest=digest, receipt=receipt,
                        number=None if number is None else int(number))
    return IssuedRecord(seal, issuance, officer_name)


class Seals:
    """Seals and their issuance."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, seal: Seal, der: bytes, issuance: Issuance) -> None:
        """Record a made seal and its issuance together (the ceremony's last step)."""
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO seals (esid, application_id, seal_der, seal_sha256, card_serial, card_cert_sha256,"
                " name, unit, seal_kind, valid_start, valid_end, made_at, officer_cert_sha256, functions, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seal.esid, seal.application_id, der, seal.seal_sha256, seal.card_serial, seal.card_cert_sha256,
                 seal.name, seal.unit, seal.seal_kind, seal.valid_start, seal.valid_end, seal.made_at,
                 seal.officer_cert_sha256, ",".join(seal.functions), seal.state))
            self.store.execute(
                "INSERT INTO issuances (esid, recipient, issued_at, officer_cert_sha256, supervisors, digest, receipt,"
                " number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (issuance.esid, issuance.recipient, issuance.issued_at, issuance.officer_cert_sha256,
                 _supervisors_json(issuance.supervisors), issuance.digest, issuance.receipt, issuance.number))

    def issued(self, esid: str) -> IssuedRecord | None:
        row = self.store.one(_ISSUED + " WHERE s.esid = ?", (esid,))
        return _record(row) if row else None

    def recent(self, limit: int) -> list[IssuedRecord]:
        """Issued seals, newest issuance first."""
        rows = self.store.all(_ISSUED + " ORDER BY i.issued_at DESC, i.id DESC LIMIT ?", (int(limit),))
        return [_record(r) for r in rows]

    def der(self, esid: str) -> bytes | None:
        row = self.store.one("SELECT seal_der FROM seals WHERE esid = ?", (esid,))
        return None if row is None else bytes(row[0])

    def set_receipt(self, esid: str, receipt: str) -> None:
        self.store.execute("UPDATE issuances SET receipt = ? WHERE esid = ?", (receipt, esid))
