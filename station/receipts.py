"""Signed issuance receipts (回执), DESIGN.md §2 step 9 and §4 "Receipt".

After the ceremony the officer's card signs a receipt that leaves the air gap as a QR
code (and on USB as text, PNG and a signed PDF). Anyone holding the station's public
enrollment bundle can check it offline (station/receipt_verify.py): which seal went on
which card to whom, who made and who co-authorized it, and how far the audit log went.

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
      over making.issuance_digest_from_hash(hex(10), 8, 14, 13); EC/SM2 as raw r||s
17    audit tree head signed by the officer's card at issue: [size (uint), root (32 bytes)]
====  ==============================================================================

The receipt is signed once and stored with the issuance; every export writes that same
receipt again, so a receipt number always names one text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from crypto.errors import CryptoError
from station.errors import InputError, PolicyError, StateError, StationError, crypto_errors
from station.model import Role

if TYPE_CHECKING:  # pragma: no cover
    from station.making import MadeSeal
    from station.session import Session

__all__ = ["K", "IssuedSeal", "after_make", "issue_receipt", "issued", "issued_seal", "export_receipt",
           "bundle_files", "epoch"]


class K:
    """The claim keys (see the table above)."""

    STATION, NUMBER, ESID, TYPE, UNIT, CREDIT_CODE, NAME, CARD = 1, 2, 3, 4, 5, 6, 7, 8
    CARD_CERT, SEAL, MADE, ISSUED, RECIPIENT, APPLICATION, OFFICER, SUPERVISORS, HEAD = range(9, 18)


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


def epoch(iso: str) -> int:
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
    """The receipt number of a stored receipt (our own text: read, not verified — the
    strict decoder's canonical-stream check costs milliseconds per receipt in a list)."""
    import zlib

    import base45
    import cbor2

    if not text:
        return None
    try:
        cose = cbor2.loads(zlib.decompress(base45.b45decode(text[len("SSR1:"):])))
        number = cbor2.loads(cose.value[2]).get(K.NUMBER)
    except Exception:  # a damaged row shows without its number
        return None
    return number if isinstance(number, int) else None


def _view(session: Session, row: tuple) -> IssuedSeal:
    number = _number(row[11])
    supervisor_names = tuple(s.get("name", "") for s in json.loads(row[9] or "[]"))
    return IssuedSeal(row[0], row[1], row[2], _credit_code(session, row[10]), row[3], row[4], row[5], row[6],
                      row[7], row[8], supervisor_names, int(row[10]), session.config.station_id, row[11], number)


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
    from crypto import receipt as cose
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
            K.STATION: session.config.station_id, K.NUMBER: number, K.ESID: esid, K.TYPE: row[5],
            K.UNIT: row[4], K.CREDIT_CODE: _credit_code(session, row[7]), K.NAME: row[3], K.CARD: row[1],
            K.CARD_CERT: bytes.fromhex(row[2]), K.SEAL: bytes.fromhex(row[0]), K.MADE: epoch(row[6]),
            K.ISSUED: epoch(row[9]), K.RECIPIENT: row[8], K.APPLICATION: int(row[7]),
            K.OFFICER: bytes.fromhex(row[10]), K.SUPERVISORS: _supervisor_claims(json.loads(row[11])),
            K.HEAD: [head.size, head.root],
        }
        with crypto_errors(StateError, "the receipt cannot be signed"), device_errors(session.card.serial):
            text = cose.encode(claims, session.signer)
        from station import qr

        version = qr.version_of(text)  # refuse a receipt no phone could scan, before storing it
        session.store.execute("UPDATE issuances SET receipt = ? WHERE esid = ?", (text, esid))
        session.log("receipt", esid, "ok", number=number, chars=len(text), qr_version=version,
                    tree_size=head.size, tree_root=head.root.hex())
    return text


def after_make(session: Session, made: MadeSeal, receipt_dir: Path | None) -> tuple[str, list[str]]:
    """Sign and store the receipt right after the ceremony; write the bundle if asked."""
    text = issue_receipt(session, made.esid)
    files: list[str] = []
    if receipt_dir is not None:
        try:
            files = [str(p) for p in export_receipt(session, made.esid, receipt_dir)]
        except StationError as exc:  # the seal is made: say so, and how to get the files
            exc.hint = (f"seal {made.esid} is made and its receipt is stored; write it again with "
                        f"`seal-station receipt export {made.esid} --dir DIR --by SERIAL`")
            raise
    return text, files


def bundle_files(session: Session, seal: IssuedSeal) -> list[tuple[str, bytes]]:
    """The receipt bundle: text, QR PNG, signed PDF and SHA256SUMS (in that order)."""
    import hashlib

    from crypto import seseal
    from station import qr, receipt_pdf

    if not seal.receipt:
        raise StateError(f"seal {seal.esid} has no receipt yet", hint="an officer's card must sign it first")
    png = qr.png_bytes(seal.receipt)
    der = session.store.one("SELECT seal_der FROM seals WHERE esid = ?", (seal.esid,))[0]
    try:
        picture: bytes | None = seseal.parse(bytes(der)).picture
    except CryptoError:
        picture = None
    pdf = receipt_pdf.build(seal, png, picture)
    pdf = receipt_pdf.sign(pdf, session.signer, session.home.trust_anchors(), seal.esid)
    files = [(f"{seal.esid}.txt", (seal.receipt + "\n").encode()), (f"{seal.esid}.png", png),
             (f"{seal.esid}.pdf", pdf)]
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files)
    return files + [("SHA256SUMS", sums.encode())]


def export_receipt(session: Session, esid: str, directory: Path,
                   progress: Callable[[str, int, int], None] | None = None) -> list[Path]:
    """Write the receipt bundle into ``directory/ESID/`` (synced, read back, all or nothing)."""
    from station import export
    from station.cards import device_errors

    if session.actor.role is not Role.OFFICER:
        session.log("receipt-export", esid, "refused", reason="not-officer")
        raise PolicyError("only a seal officer exports receipts (the PDF is signed by the officer's card)",
                          reason="not-officer", hint="log in with an officer card")
    issue_receipt(session, esid)
    seal = issued_seal(session, esid)
    with device_errors(session.card.serial):
        files = bundle_files(session, seal)
    target = Path(directory) / esid
    try:
        paths = export.write_files(target, files, progress)
    except export.ExportError as exc:
        session.log("receipt-export", esid, "failed", target=str(target), reason=exc.message)
        raise
    session.log("receipt-export", esid, "ok", target=str(target), files=[p.name for p in paths])
    return paths
