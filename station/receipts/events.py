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
from datetime import datetime
from typing import TYPE_CHECKING, Any

from station.errors import InputError, PolicyError, StateError
from station.model import Role

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["EVENT", "event_digest", "sign_event_receipt"]

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
