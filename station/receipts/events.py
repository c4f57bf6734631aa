"""Receipts of a seal's life events: the issuance receipt's claims, and an event claim beside them.

An event receipt carries the seal's issuance claims exactly as its issuance receipt was
signed (so every check of the issuance still holds), plus claim 18:

====  ==============================================================================
18    event: [receipt number (uint), action (text), reason code (text), reason (text),
      time (uint, Unix seconds UTC), SHA-256 of the acting officer's certificate (32
      bytes), supervisors [[certificate SHA-256, signature over :func:`event_digest`]...]
      (a revocation needs the quorum), audit tree head [size, root] signed at the event]
====  ==============================================================================

The whole text is signed by the acting officer's card; the event number comes from the
same counter as issuance receipt numbers, so a number names one receipt.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from station.errors import InputError, PolicyError, StateError
from station.model import Role
from station.receipts.bundle import Bundle

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["EVENT", "event_digest", "sign_event_receipt", "check_event"]

EVENT = 18


def event_digest(esid: str, action: str, code: str, reason: str, at: str) -> bytes:
    """What each supervisor signs for a revocation (and a verifier recomputes)."""
    seconds = int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())
    text = f"seal-station event v1\n{esid}\n{action}\n{code}\n{reason}\n{seconds}\n"
    return hashlib.sha256(text.encode()).digest()


def _raw(sig: dict[str, Any]) -> bytes:
    from crypto.algorithms import RSA_SHA256, der_to_raw

    value = bytes.fromhex(sig["signature"])
    return value if sig.get("algorithm") == RSA_SHA256 else der_to_raw(value, 32)


def sign_event_receipt(session: Session, event_id: int) -> str:
    """Sign (once) the receipt of one event with the acting officer's card."""
    from crypto import receipt as cose
    from station.cards import device_errors
    from station.receipts import qr
    from station.receipts.issue import epoch, issue_receipt
    from station.store.counters import Counters
    from station.store.lifecycle import SealEvents

    events = SealEvents(session.store)
    event = events.get(event_id)
    if event is None:
        raise InputError(f"no event {event_id}")
    if event.receipt:
        return event.receipt
    if session.actor.role is not Role.OFFICER or session.actor.cert_sha256 != event.actor_cert_sha256:
        raise PolicyError("only the officer who recorded the event signs its receipt", reason="not-the-actor")
    issuance = issue_receipt(session, event.esid)
    claims = dict(cose.decode(issuance).claims)
    with device_errors(session.card.serial):
        head = session.audit.sign_head(session.signer, session.actor.cert_sha256)
    with session.store.transaction():
        number = Counters(session.store).next_value("receipt-seq")
        claims[EVENT] = [number, event.action, event.reason_code, event.reason, epoch(event.time),
                         bytes.fromhex(event.actor_cert_sha256),
                         [[bytes.fromhex(s["cert_sha256"]), _raw(s)] for s in event.supervisors],
                         [head.size, head.root]]
        try:
            with device_errors(session.card.serial):
                text = cose.encode(claims, session.signer)
        except cose.ReceiptError as exc:
            raise StateError(f"the event receipt cannot be signed: {exc}") from None
        version = qr.version_of(text)
        events.set_receipt(event_id, text)
        session.log("receipt", event.esid, "ok", number=number, event=event_id, event_action=event.action,
                    chars=len(text), qr_version=version, tree_size=head.size)
    return text


def check_event(claims: dict[Any, Any], bundle: Bundle) -> tuple[dict[str, Any], bytes | None, list[str]]:
    """(summary, signer certificate, problems) of an event claim; InputError when malformed."""
    from crypto.algorithms import UnsupportedAlgorithm, algorithm_for_certificate, verify_signature
    from station.receipts.verify import _enrolled_as, _iso

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
            except (UnsupportedAlgorithm, ValueError):
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
