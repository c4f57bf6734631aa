"""Checking a receipt offline against the station's enrollment bundle.

Exit codes (CLI.md): 0 valid, 1 checked and invalid, 2 malformed. The receipt's own
COSE decoding is strict (crypto/receipt.py), so an altered character either breaks the
text (2) or the signature (1). What is checked, each failure named in ``problems``:

- the bundle's administrator signature (station/bundle.py);
- the receipt is from the bundle's station;
- the officer's certificate is enrolled there as an officer, was enrolled at the issue
  time, chains to the bundle's trust anchors, and its key signed the receipt;
- each supervisor is enrolled as a supervisor (not the officer, no one twice) and signed
  the issuance digest recomputed from the claims, exactly as the ceremony made it;
- at least the bundle's quorum of supervisors co-authorized.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from station.bundle import TRUST_NOTE, Bundle, Enrolled
from station.errors import InputError, crypto_errors
from station.receipts import K

__all__ = ["verify_receipt", "claims_summary"]

_SHAPE: dict[int, tuple[type, ...]] = {
    K.STATION: (str,), K.NUMBER: (int,), K.ESID: (str,), K.TYPE: (str,), K.UNIT: (str,),
    K.CREDIT_CODE: (str, type(None)), K.NAME: (str,), K.CARD: (str,), K.CARD_CERT: (bytes,),
    K.SEAL: (bytes,), K.MADE: (int,), K.ISSUED: (int,), K.RECIPIENT: (str,), K.APPLICATION: (int,),
    K.OFFICER: (bytes,), K.SUPERVISORS: (list,), K.HEAD: (list,),
}


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def _check_shape(claims: dict[Any, Any]) -> None:
    for key, types in _SHAPE.items():
        if key not in claims or isinstance(claims[key], bool) or not isinstance(claims[key], types):
            raise InputError(f"the receipt's claims are malformed (claim {key})")
    for key in (K.CARD_CERT, K.SEAL, K.OFFICER):
        if len(claims[key]) != 32:
            raise InputError(f"the receipt's claims are malformed (claim {key} is not a SHA-256)")
    for key in (K.MADE, K.ISSUED):
        if not 0 <= claims[key] < 2 ** 35:  # a Unix time before year 3000
            raise InputError(f"the receipt's claims are malformed (claim {key} is not a time)")
    head = claims[K.HEAD]
    if len(head) != 2 or type(head[0]) is not int or not isinstance(head[1], bytes) or len(head[1]) != 32:
        raise InputError("the receipt's audit tree head is malformed")
    for s in claims[K.SUPERVISORS]:
        if (not isinstance(s, list) or len(s) != 2 or not isinstance(s[0], bytes) or len(s[0]) != 32
                or not isinstance(s[1], bytes)):
            raise InputError("the receipt's supervisor signatures are malformed")


def claims_summary(claims: dict[Any, Any]) -> dict[str, Any]:
    """The claims under readable names (for --json and the screen)."""
    return {
        "station_id": claims[K.STATION], "receipt": claims[K.NUMBER], "esID": claims[K.ESID],
        "type": claims[K.TYPE], "unit": claims[K.UNIT], "credit_code": claims[K.CREDIT_CODE],
        "name": claims[K.NAME], "card": claims[K.CARD], "card_cert_sha256": claims[K.CARD_CERT].hex(),
        "seal_sha256": claims[K.SEAL].hex(), "made_at": _iso(claims[K.MADE]), "issued_at": _iso(claims[K.ISSUED]),
        "recipient": claims[K.RECIPIENT], "application": claims[K.APPLICATION],
        "officer_cert_sha256": claims[K.OFFICER].hex(),
        "supervisors": [s[0].hex() for s in claims[K.SUPERVISORS]],
        "audit": {"size": claims[K.HEAD][0], "root": claims[K.HEAD][1].hex()},
    }


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
    from station.making import issuance_digest_from_hash

    with crypto_errors(InputError, "not a valid receipt"):
        rec = cose.decode(text.strip())
    claims = rec.claims
    _check_shape(claims)
    out = claims_summary(claims)
    problems = list(bundle.problems)
    at = datetime.fromtimestamp(claims[K.ISSUED], timezone.utc)
    if claims[K.STATION] != bundle.station_id:
        problems.append(f"the receipt is from station {claims[K.STATION]}, the bundle is station "
                        f"{bundle.station_id}'s")
    officer = bundle.by_hash(claims[K.OFFICER].hex())
    why = _enrolled_as(officer, "officer", at)
    signed = False
    if why:
        problems.append(f"officer: {why}")
    if officer is not None:
        out["officer"] = officer.name
        signed = cose.verify(rec, officer.certificate)
        if not signed:
            problems.append("the receipt's signature does not verify with the officer's certificate")
        if not certs.issued_by(officer.certificate, bundle.anchors):
            problems.append("officer: certificate not issued by the bundle's trust anchors")
        if not certs.valid_at(officer.certificate, at):
            problems.append("officer: certificate not valid at the issue time")
    digest = issuance_digest_from_hash(claims[K.SEAL].hex(), claims[K.CARD], claims[K.APPLICATION],
                                       claims[K.RECIPIENT])
    names, seen = [], set()
    for i, (cert_hash, signature) in enumerate(claims[K.SUPERVISORS], 1):
        sup = bundle.by_hash(cert_hash.hex())
        why = _enrolled_as(sup, "supervisor", at)
        if cert_hash in seen or cert_hash == claims[K.OFFICER]:
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
    out["checks"] = {"bundle": bundle.signature_ok, "station": claims[K.STATION] == bundle.station_id,
                     "signature": signed}
    out["bundle_tree_size"] = (bundle.head or {}).get("size")
    out["problems"] = problems
    out["valid"] = not problems
    out["trust_note"] = TRUST_NOTE
    return out
