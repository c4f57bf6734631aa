"""Checking a receipt offline against the station's enrollment bundle.

Exit codes (CLI.md): 0 valid, 1 checked and invalid, 2 malformed. The receipt's own
COSE decoding is strict (crypto/receipt.py), so an altered character either breaks the
text (2) or the signature (1). What is checked, each failure named in ``problems``:

- the bundle's administrator signature (station/receipts/bundle.py);
- the receipt is from the bundle's station;
- the officer's certificate is enrolled there as an officer, was enrolled at the issue
  time, chains to the bundle's trust anchors, and its key signed the receipt;
- each supervisor is enrolled as a supervisor (not the officer, no one twice) and signed
  the issuance digest recomputed from claims 1-15, exactly as the ceremony made it, so
  the officer's card alone cannot change the esID, unit, seal, credit code or number;
- at least the bundle's quorum of supervisors co-authorized.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from station.errors import InputError, crypto_errors
from station.receipts.bundle import TRUST_NOTE, Bundle, Enrolled
from station.receipts.claims import INITIAL_PIN_NOTE, PIN_SET_NOTE, Claim, issuance_digest

__all__ = ["verify_receipt", "claims_summary", "check_event", "pin_note"]

_SHAPE: dict[int, tuple[type, ...]] = {
    Claim.STATION: (str,), Claim.NUMBER: (int,), Claim.ESID: (str,), Claim.TYPE: (str,), Claim.UNIT: (str,),
    Claim.CREDIT_CODE: (str, type(None)), Claim.NAME: (str,), Claim.CARD: (str,),
    Claim.CARD_CERT: (bytes,), Claim.SEAL: (bytes,), Claim.MADE: (int,), Claim.ISSUED: (int,),
    Claim.RECIPIENT: (str,), Claim.APPLICATION: (int,), Claim.OFFICER: (bytes,), Claim.SUPERVISORS: (list,),
    Claim.HEAD: (list,),
}


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def _check_shape(claims: dict[Any, Any]) -> None:
    for key, types in _SHAPE.items():
        if key not in claims or isinstance(claims[key], bool) or not isinstance(claims[key], types):
            raise InputError(f"the receipt's claims are malformed (claim {key})")
    for key in (Claim.CARD_CERT, Claim.SEAL, Claim.OFFICER):
        if len(claims[key]) != 32:
            raise InputError(f"the receipt's claims are malformed (claim {key} is not a SHA-256)")
    for key in (Claim.MADE, Claim.ISSUED):
        if not 0 <= claims[key] < 2 ** 35:  # a Unix time before year 3000
            raise InputError(f"the receipt's claims are malformed (claim {key} is not a time)")
    head = claims[Claim.HEAD]
    if len(head) != 2 or type(head[0]) is not int or not isinstance(head[1], bytes) or len(head[1]) != 32:
        raise InputError("the receipt's audit tree head is malformed")
    if Claim.PIN in claims and not isinstance(claims[Claim.PIN], bool):
        raise InputError(f"the receipt's claims are malformed (claim {Claim.PIN})")
    for s in claims[Claim.SUPERVISORS]:
        if (not isinstance(s, list) or len(s) != 2 or not isinstance(s[0], bytes) or len(s[0]) != 32
                or not isinstance(s[1], bytes)):
            raise InputError("the receipt's supervisor signatures are malformed")


def claims_summary(claims: dict[Any, Any]) -> dict[str, Any]:
    """The claims under readable names (for --json and the screen)."""
    return {
        "station_id": claims[Claim.STATION], "receipt": claims[Claim.NUMBER], "esID": claims[Claim.ESID],
        "type": claims[Claim.TYPE], "unit": claims[Claim.UNIT], "credit_code": claims[Claim.CREDIT_CODE],
        "name": claims[Claim.NAME], "card": claims[Claim.CARD],
        "card_cert_sha256": claims[Claim.CARD_CERT].hex(), "seal_sha256": claims[Claim.SEAL].hex(),
        "made_at": _iso(claims[Claim.MADE]), "issued_at": _iso(claims[Claim.ISSUED]),
        "recipient": claims[Claim.RECIPIENT], "application": claims[Claim.APPLICATION],
        "officer_cert_sha256": claims[Claim.OFFICER].hex(),
        "supervisors": [s[0].hex() for s in claims[Claim.SUPERVISORS]],
        "audit": {"size": claims[Claim.HEAD][0], "root": claims[Claim.HEAD][1].hex()},
        "pin": pin_note(claims.get(Claim.PIN)),
    }


def pin_note(pin_set: bool | None) -> str | None:
    """What a receipt says of the seal card's PIN (None: an older receipt says nothing)."""
    return None if pin_set is None else PIN_SET_NOTE if pin_set else INITIAL_PIN_NOTE


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _enrolled_as(entry: Enrolled | None, role: str, at: datetime) -> str:
    """'' when ``entry`` held ``role`` at ``at``; otherwise why not."""
    if entry is None:
        return "not enrolled at this station"
    if entry.role != role:
        return f"enrolled as {entry.role}, not {role}"
    start, end = _when(entry.enrolled_at), _when(entry.removed_at)
    if start is not None and at < start.replace(microsecond=0):
        return "not yet enrolled at the issue time"
    if end is not None and at >= end:
        return "removed from the station before the issue time"
    return ""


def verify_receipt(text: str, bundle: Bundle) -> dict[str, Any]:
    """The verdict on one receipt text; raises InputError only when it is malformed."""
    from crypto import certs
    from crypto import receipt as cose
    from crypto.algorithms import algorithm_for_certificate, verify_signature
    from station.receipts.events import EVENT

    with crypto_errors(InputError, "not a valid receipt"):
        rec = cose.decode(text.strip())
    claims = rec.claims
    _check_shape(claims)
    out = claims_summary(claims)
    problems = list(bundle.problems)
    at = datetime.fromtimestamp(claims[Claim.ISSUED], timezone.utc)
    if claims[Claim.STATION] != bundle.station_id:
        problems.append(f"the receipt is from station {claims[Claim.STATION]}, the bundle is station "
                        f"{bundle.station_id}'s")
    officer = bundle.by_hash(claims[Claim.OFFICER].hex())
    why = _enrolled_as(officer, "officer", at)
    signed = False
    if why:
        problems.append(f"officer: {why}")
    if EVENT in claims:  # a life event: signed by the officer who recorded it
        out["event"], event_cert, found = check_event(claims, bundle)
        problems += found
        signed = event_cert is not None and cose.verify(rec, event_cert)
        if not signed:
            problems.append("the receipt's signature does not verify with the event officer's certificate")
    if officer is not None:
        out["officer"] = officer.name
        if EVENT not in claims:
            signed = cose.verify(rec, officer.certificate)
            if not signed:
                problems.append("the receipt's signature does not verify with the officer's certificate")
        if not certs.issued_by(officer.certificate, bundle.anchors):
            problems.append("officer: certificate not issued by the bundle's trust anchors")
        if not certs.valid_at(officer.certificate, at):
            problems.append("officer: certificate not valid at the issue time")
    digest = issuance_digest({k: v for k, v in claims.items() if k != EVENT})  # an event adds its own claim
    names, seen = [], set()
    for i, (cert_hash, signature) in enumerate(claims[Claim.SUPERVISORS], 1):
        sup = bundle.by_hash(cert_hash.hex())
        why = _enrolled_as(sup, "supervisor", at)
        if cert_hash in seen or cert_hash == claims[Claim.OFFICER]:
            why = why or "appears twice or is the officer"
        seen.add(cert_hash)
        if not why and sup is not None:
            try:
                ok = verify_signature(sup.certificate, algorithm_for_certificate(sup.certificate), digest,
                                      signature)
            except ValueError:  # a CryptoError (unknown algorithm) or an unreadable certificate
                ok = False
            why = "" if ok else "signature over the issuance does not verify"
        if why:
            problems.append(f"supervisor {i}: {why}")
        names.append(sup.name if sup else cert_hash.hex()[:16])
    if len(seen) < bundle.quorum:
        problems.append(f"{len(seen)} supervisor(s) co-authorized; the station's quorum is {bundle.quorum}")
    out["supervisor_names"] = names
    out["checks"] = {"bundle": bundle.signature_ok,
                     "station": claims[Claim.STATION] == bundle.station_id,
                     "signature": signed}
    out["bundle_tree_size"] = (bundle.head or {}).get("size")
    out["problems"] = problems
    out["valid"] = not problems
    out["trust_note"] = TRUST_NOTE
    return out


def check_event(claims: dict[Any, Any], bundle: Bundle) -> tuple[dict[str, Any], bytes | None, list[str]]:
    """(summary, signer certificate, problems) of an event claim; InputError when malformed."""
    from crypto.algorithms import algorithm_for_certificate, verify_signature
    from station.receipts.events import EVENT, event_digest

    ev = claims[EVENT]
    if (not isinstance(ev, list) or len(ev) != 8 or type(ev[0]) is not int or not all(
            isinstance(x, str) for x in ev[1:4]) or type(ev[4]) is not int or not 0 <= ev[4] < 2 ** 35
            or not isinstance(ev[5], bytes) or len(ev[5]) != 32 or not isinstance(ev[6], list)
            or not isinstance(ev[7], list) or len(ev[7]) != 2 or type(ev[7][0]) is not int
            or not isinstance(ev[7][1], bytes) or len(ev[7][1]) != 32):
        raise InputError("the receipt's event claim is malformed")
    number, action, code, reason, seconds, actor, sups, head = ev
    at = datetime.fromtimestamp(seconds, timezone.utc)
    problems: list[str] = []
    signer = bundle.by_hash(actor.hex())
    why = _enrolled_as(signer, "officer", at)
    if why:
        problems.append(f"event officer: {why}")
    digest = event_digest(claims[3], action, code, reason, _iso(seconds))
    seen: set[bytes] = set()
    names = []
    for i, s in enumerate(sups, 1):
        if not isinstance(s, list) or len(s) != 2 or not all(isinstance(x, bytes) for x in s):
            raise InputError("the receipt's event supervisors are malformed")
        sup = bundle.by_hash(s[0].hex())
        why = _enrolled_as(sup, "supervisor", at)
        if s[0] in seen or s[0] == actor:
            why = why or "appears twice or is the officer"
        seen.add(s[0])
        if not why and sup is not None:
            try:
                ok = verify_signature(sup.certificate, algorithm_for_certificate(sup.certificate), digest, s[1])
            except ValueError:  # a CryptoError (unknown algorithm) or an unreadable certificate
                ok = False
            why = "" if ok else "signature over the event does not verify"
        if why:
            problems.append(f"event supervisor {i}: {why}")
        names.append(sup.name if sup else s[0].hex()[:16])
    if action == "revoke" and code != "renewed" and len(seen) < bundle.quorum:
        problems.append(f"{len(seen)} supervisor(s) co-authorized the revocation; the quorum is {bundle.quorum}")
    summary = {"receipt": number, "action": action, "reason_code": code, "reason": reason, "time": _iso(seconds),
               "officer_cert_sha256": actor.hex(), "officer": signer.name if signer else None,
               "supervisors": names, "audit": {"size": head[0], "root": head[1].hex()}}
    return summary, (signer.certificate if signer else None), problems
