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
      over issuance_digest_from_hash(hex(10), 8, 14, 13); EC/SM2 as raw r||s
17    audit tree head signed by the officer's card at issue: [size (uint), root (32 bytes)]
====  ==============================================================================

The receipt is signed once and stored with the issuance; every export writes that same
receipt again, so a receipt number always names one text. The COSE encoding itself is
:mod:`crypto.receipt`'s, and only it decodes a receipt text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["Claim", "IssuedSeal", "issuance_digest_from_hash"]


class Claim:
    """The claim keys (see the table above)."""

    STATION, NUMBER, ESID, TYPE, UNIT, CREDIT_CODE, NAME, CARD = 1, 2, 3, 4, 5, 6, 7, 8
    CARD_CERT, SEAL, MADE, ISSUED, RECIPIENT, APPLICATION, OFFICER, SUPERVISORS, HEAD = range(9, 18)


def issuance_digest_from_hash(seal_sha256_hex: str, card_serial: str, application_id: int,
                              recipient: str) -> bytes:
    """What every supervisor signs (DESIGN.md §2 step 6), from the seal's SHA-256: the
    ceremony computes it before the seal is written, a verifier recomputes it offline
    from the claims."""
    text = f"seal-station issuance v1\n{seal_sha256_hex}\n{card_serial}\n{application_id}\n{recipient}\n"
    return hashlib.sha256(text.encode()).digest()


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
