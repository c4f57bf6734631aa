"""What a receipt says: the claim keys of its CBOR map, and an issued seal as it tells it.

DESIGN.md §2 step 9 and §4 "Receipt". After the ceremony the officer's card signs a
receipt that leaves the air gap as a QR code (and on USB as text, PNG and a signed
PDF). Anyone holding the station's public enrollment bundle can check it offline
(:mod:`station.receipts.verify`): which seal went on which card to whom, who made and
who co-authorized it, and how far the audit log went.

The claims are a CBOR map with small integer keys, so that a receipt with two
supervisors fits a QR code of version <= 25 at ECC M (about 900 characters):

====  ==============================================================================
key   claim
====  ==============================================================================
1     station id (text)
2     receipt number (uint, per station, never reused)
3     seal esID (text)
4     seal type (text: official, contract, personal-name, ...)
5     unit (text)
6     the unit's unified social credit code (text, or null for a personal seal)
7     seal name (text)
8     seal card serial (text)
9     SHA-256 of the seal card's certificate (32 bytes)
10    SHA-256 of the SESeal DER (32 bytes)
11    made at (uint, Unix seconds UTC)
12    issued at (uint, Unix seconds UTC)
13    recipient (text)
14    application id (uint)
15    SHA-256 of the officer's certificate (32 bytes)
16    supervisors: [[certificate SHA-256 (32 bytes), signature (bytes)], ...] — each
      over :func:`issuance_digest` of claims 1-15; EC/SM2 as raw r||s
17    audit tree head signed by the officer's card at issue: [size (uint), root (32 bytes)]
18    (a life event's claim: station/receipts/events.py)
19    the seal card's PIN at issue (bool): true when the recipient set it at the station,
      false for the initial PIN ("change at first use"); absent in older receipts
====  ==============================================================================

The supervisors co-sign every claim the officer signs except their own signatures and
the tree head (which the officer's card signs after the store records the seal), nor the
PIN claim (the card takes its PIN after the seal is recorded): so
no single card, the officer's included, can make a receipt that names another esID,
unit, seal, credit code or number. The receipt number is therefore taken from its
counter, with the esID, before the supervisors co-sign; an aborted ceremony leaves a gap,
never a reuse.

The receipt is signed once and stored with the issuance; every export writes that same
receipt again, so a receipt number always names one text. The COSE encoding itself is
:mod:`crypto.receipt`'s, and only it decodes a receipt text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Claim", "IssuedSeal", "issuance_claims", "issuance_digest", "INITIAL_PIN_NOTE", "PIN_SET_NOTE"]

INITIAL_PIN_NOTE = "initial PIN, change at first use"
PIN_SET_NOTE = "PIN set by the recipient"
"""What a receipt (claim 19) and the registry say of the seal card's PIN."""


class Claim:
    """The claim keys (see the table above)."""

    STATION, NUMBER, ESID, TYPE, UNIT, CREDIT_CODE, NAME, CARD = 1, 2, 3, 4, 5, 6, 7, 8
    CARD_CERT, SEAL, MADE, ISSUED, RECIPIENT, APPLICATION, OFFICER, SUPERVISORS, HEAD = range(9, 18)
    PIN = 19


def issuance_claims(*, station: str, number: int, esid: str, kind: str, unit: str, credit_code: str | None,
                    name: str, card: str, card_cert_sha256: str, seal_sha256: str, made: int, issued: int,
                    recipient: str, application_id: int, officer_cert_sha256: str) -> dict[int, Any]:
    """Claims 1-15 of a receipt: everything the supervisors co-sign."""
    return {
        Claim.STATION: station, Claim.NUMBER: number, Claim.ESID: esid, Claim.TYPE: kind, Claim.UNIT: unit,
        Claim.CREDIT_CODE: credit_code, Claim.NAME: name, Claim.CARD: card,
        Claim.CARD_CERT: bytes.fromhex(card_cert_sha256), Claim.SEAL: bytes.fromhex(seal_sha256),
        Claim.MADE: made, Claim.ISSUED: issued, Claim.RECIPIENT: recipient, Claim.APPLICATION: application_id,
        Claim.OFFICER: bytes.fromhex(officer_cert_sha256),
    }


def issuance_digest(claims: Mapping[int, Any]) -> bytes:
    """What every supervisor signs (DESIGN.md §2 step 6): SHA-256 over the canonical CBOR
    of claims 1-15. The ceremony computes it before the seal is written; a verifier
    recomputes it offline from the receipt's claims, so changing any of them breaks
    every supervisor's signature."""
    import cbor2

    signed = {k: v for k, v in claims.items() if k not in (Claim.SUPERVISORS, Claim.HEAD, Claim.PIN)}
    return hashlib.sha256(b"seal-station issuance v2\n" + cbor2.dumps(signed, canonical=True)).digest()


@dataclass(frozen=True)
class IssuedSeal:
    """An issued seal as its receipt tells it: what the receipt screen and the PDF show."""

    esid: str
    seal_name: str
    unit: str
    credit_code: str | None
    seal_kind: str
    card_serial: str
    recipient: str
    made_at: str
    issued_at: str
    officer: str
    supervisors: tuple[str, ...]
    application_id: int
    station_id: str
    receipt: str | None = None
    number: int | None = None
    pin_set: bool | None = None  # the recipient set the card's PIN at issue; None: not said
