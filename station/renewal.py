"""Renewal: a new seal for the same unit and seal name, made through the one making path.

The renewal is an application made from the old seal's (same unit, credit code, holder,
seal name) on the active impression of that name, approved by the ceremony's own
supervisors, and remembered as renewing the old seal. The ceremony's record step
(:func:`station.registering.record_made`) then links both seals and revokes the old one
with reason "renewed" in the same transaction that records the new seal — so a crash
leaves either the old seal active and no new one recorded, or both linked and the old
one revoked. Every binding rule of making (the card belongs to the applicant, one seal
per card) applies unchanged. A change of name is a new application, not a renewal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from station import faults
from station.errors import InputError, PolicyError
from station.registering import now_iso
from station.model import Role
from station.vocabulary import SealState
from station.store.lifecycle import Renewals, SealRegistry

if TYPE_CHECKING:  # pragma: no cover
    from station.making import MadeSeal
    from station.session import Session

__all__ = ["renew", "renewal_application"]


def _refuse(session: Session, esid: str, reason: str, message: str, hint: str = "") -> PolicyError:
    session.log("renew", esid, "refused", reason=reason, message=message)
    return PolicyError(message, reason=reason, hint=hint)


def renewal_application(session: Session, old_esid: str) -> int:
    """The approved application that renews ``old_esid`` (started now, or the one a
    ceremony cut short left behind)."""
    seal = SealRegistry(session.store).get(old_esid)
    if seal is None:
        raise InputError(f"no seal {old_esid} was made at this station")
    if session.actor.role is not Role.OFFICER:
        raise _refuse(session, old_esid, "not-officer", "only a seal officer renews a seal")
    renewals = Renewals(session.store)
    pending = renewals.pending(old_esid)
    if pending is not None:
        return pending
    if seal.renewed_by:
        raise _refuse(session, old_esid, "already-renewed", f"seal {old_esid} was renewed by {seal.renewed_by}")
    if seal.state == SealState.REVOKED.value:
        raise _refuse(session, old_esid, "revoked-is-final", f"seal {old_esid} is revoked",
                      "a new seal for this unit goes through a new application")
    impression = renewals.active_impression(seal.unit, seal.name)
    if impression is None:
        raise _refuse(session, old_esid, "no-active-impression", f"no active impression of {seal.name} "
                      f"({seal.unit})", "a changed name or impression goes through a new application")
    with session.store.transaction():
        app_id = renewals.start(old_esid, impression, (session.actor.cert_sha256, session.actor.name), now_iso())
        session.log("renew", old_esid, "ok", application=app_id, impression=impression)
    faults.checkpoint("renew-start")
    return app_id


def renew(session: Session, old_esid: str, *, seal_card: str, seal_pin: str,
          supervisors: Sequence[tuple[str, Callable[[], str]]], recipient: str,
          functions: Sequence[str] | None = None, progress: Callable[[str], None] | None = None,
          new_pin: str | None = None) -> MadeSeal:
    """Make the successor of ``old_esid``; the old seal ends revoked ("renewed"). ``new_pin``:
    the recipient's PIN for the new seal card, as in :func:`station.making.make_seal`."""
    from station.lifecycle import sign_pending_receipts
    from station.making import make_seal

    app_id = renewal_application(session, old_esid)
    old = SealRegistry(session.store).get(old_esid)
    chosen = tuple(functions) if functions else (old.functions if old and old.functions else ("office",))
    made = make_seal(session, application_id=app_id, seal_card=seal_card, seal_pin=seal_pin,
                     supervisors=supervisors, recipient=recipient, functions=chosen, progress=progress,
                     new_pin=new_pin)
    sign_pending_receipts(session)
    return made
