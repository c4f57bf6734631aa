"""The administrator's desk: who is enrolled, and retiring a card that leaves its post.

A retired card loses its key slot (it can no longer open the store, so it can no longer
log in) and its enrollment is marked removed; the row stays so that the receipts and
signed tree heads it made still verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station.clock import now_text
from station.errors import InputError, PolicyError
from station.model import Role
from station.store.audit_rows import AuditRows
from station.store.enrollments import Enrollments
from station.store.pins import PinFacts

__all__ = ["StaffMember", "staff", "unenroll", "require_role"]


@dataclass(frozen=True)
class StaffMember:
    """One enrollment as the staff list shows it."""

    serial: str
    name: str
    role: str
    enrolled_at: str
    removed_at: str | None
    last_login: str | None
    pin_changed_at: str | None
    must_change_pin: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def require_role(session: Any, action: str, *roles: Role) -> None:
    """Refuse (and audit) an action this card's role may not take."""
    if session.actor.role not in roles:
        session.log(action, "", "refused", reason=f"not allowed for {session.actor.role.value}")
        raise PolicyError(f"{session.actor.role.value} cards may not {action.replace('-', ' ')}",
                          reason="wrong-role", hint=f"use a card enrolled as {' or '.join(r.value for r in roles)}")


def staff(session: Any) -> list[StaffMember]:
    """Every enrollment ever made, with its last login and PIN facts."""
    rows = AuditRows(session.store)
    pins = PinFacts(session.store).all()
    out = []
    for e in Enrollments(session.store).all():
        facts = pins.get(e.serial)
        out.append(StaffMember(e.serial, e.name, e.role.value, e.enrolled_at, e.removed_at,
                               rows.last_time_of(e.serial, "login"), facts[0] if facts else None,
                               bool(facts and facts[1])))
    return out


def unenroll(session: Any, serial: str, reason: str) -> StaffMember:
    """Retire the enrolled card ``serial``: no key slot, enrollment removed; audited."""
    require_role(session, "unenroll", Role.ADMIN)
    if not reason.strip():
        raise InputError("a card is retired with a reason (--reason TEXT)")
    current = [e for e in Enrollments(session.store).all() if e.serial == serial and e.removed_at is None]
    if not current:
        session.log("unenroll", serial, "refused", reason="not enrolled")
        raise PolicyError(f"card {serial} is not enrolled here", reason="not-enrolled")
    enrollment = current[0]
    if serial == session.actor.serial:
        session.log("unenroll", serial, "refused", reason="own card")
        raise PolicyError("an administrator does not retire the card they are logged in with",
                          reason="own-card", hint="log in with another administrator's card")
    home = session.home
    with session.store.transaction():
        Enrollments(session.store).remove(enrollment.cert_sha256, now_text())
        session.log("unenroll", serial, "ok", reason=reason.strip(), role=enrollment.role.value,
                    name=enrollment.name, cert_sha256=enrollment.cert_sha256)
        home.save_keyslots(home.keyslots().without(enrollment.cert_sha256))
    return next(m for m in staff(session) if m.serial == serial and m.removed_at)
