"""Recording a seal's life in the store: the made seal's registry line, an event's row.

The making ceremony's record step calls :func:`record_made` in its transaction (a personal
seal is authorized to its holder; a renewal links both seals and revokes the old one), and
every state change goes through :func:`record_event`. Kept apart from
:mod:`station.lifecycle` so the ceremony can call it without depending on the services
that in turn co-authorize through the ceremony.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from station import faults
from station.authorization import grant_holder
from station.clock import now
from station.model import RegistrySeal
from station.store.lifecycle import Renewals, SealEvents, SealRegistry
from station.vocabulary import SealState

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["now_iso", "record_event", "record_made"]


def now_iso() -> str:
    """The time of an event, to the second: its receipt signs the epoch second."""
    return now().replace(microsecond=0).isoformat()


def record_event(session: Session, seal: RegistrySeal, action: str, target: SealState, code: str, text: str,
                 at: str, sigs: Sequence[dict]) -> int:
    """The change, its event and its audit entry, in the caller's transaction."""
    SealRegistry(session.store).set_state(seal.esid, target.value, None if target is SealState.ACTIVE else text, at)
    event_id = SealEvents(session.store).add(seal.esid, action, seal.state, target.value, code, text, at,
                                             session.actor.cert_sha256, session.actor.name, sigs)
    session.log(action, seal.esid, "ok", reason=code, text=text, state=target.value, event=event_id,
                supervisors=[s["name"] for s in sigs])
    return event_id


def record_made(session: Session, esid: str, app: Any, functions: Sequence[str]) -> None:
    """What the ceremony's record step adds, in its transaction: a personal seal is
    authorized to its holder, and a renewal links both seals and revokes the old one."""
    SealRegistry(session.store).add(esid)
    grant_holder(session, esid, app, functions)
    renewals = Renewals(session.store)
    old = renewals.renews(app.id)
    if old is None:
        return
    renewals.finish(app.id, esid)
    registry_ = SealRegistry(session.store)
    registry_.link(old, esid)
    previous = registry_.get(old)
    if previous is not None and previous.state != SealState.REVOKED.value:
        faults.checkpoint("renew-revoke")
        record_event(session, previous, "revoke", SealState.REVOKED, "renewed", f"renewed: {esid}", now_iso(), [])
    faults.checkpoint("renew-link")
