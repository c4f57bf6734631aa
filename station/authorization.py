"""Authorization of use: who may use a seal, and for which of its functions.

A personal seal belongs to its holder: the ceremony authorizes the holder for the seal's
functions without being asked (:func:`grant_holder`). A unit seal is authorized by the
officer to named people (name and a GB 11643-checked ID number) or to roles, each with
its functions chosen explicitly — never more than the seal itself carries. Every grant
and removal is audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from station.errors import InputError, PolicyError
from station.model import Authorization, Role
from station.vocabulary import SealFunction, SealState
from station.clock import now
from station.store.authorizations import Authorizations
from station.store.lifecycle import SealRegistry
from station.validation import PERSONAL_SEAL_KINDS, check_resident_id

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["FUNCTIONS", "parse_functions", "authorize", "deauthorize", "grant_holder", "current"]

FUNCTIONS = tuple(f.value for f in SealFunction)
_MAX_NAME = 64


def parse_functions(value: str | Sequence[str]) -> tuple[str, ...]:
    """Functions from "office,web" or a list; at least one, each known, no repeats."""
    items = [f.strip() for f in (value.split(",") if isinstance(value, str) else value) if f.strip()]
    bad = [f for f in items if f not in FUNCTIONS]
    if bad or not items:
        raise InputError(f"functions must be chosen from {', '.join(FUNCTIONS)} (got {', '.join(bad) or 'none'})")
    return tuple(f for f in FUNCTIONS if f in items)


def _text(value: str | None, what: str) -> str:
    text = " ".join(str(value or "").split())
    if not text or len(text) > _MAX_NAME or any(not c.isprintable() for c in text):
        raise InputError(f"the {what} must be 1-{_MAX_NAME} printable characters")
    return text


def current(session: Session, esid: str) -> list[Authorization]:
    return Authorizations(session.store).current(esid)


def authorize(session: Session, esid: str, functions: str | Sequence[str], *, person: str | None = None,
              person_id: str | None = None, role: str | None = None) -> int:
    """Authorize a person (name + resident ID) or a role; returns the authorization id."""
    if (role is None) == (person is None and person_id is None):
        raise InputError("authorize either a person (--person and --person-id) or a role (--role)")
    if role is None and (person is None or person_id is None):
        raise InputError("a person is named with both --person and --person-id")
    chosen = parse_functions(functions)
    if role is not None:
        role = _text(role, "role")
    else:
        person = _text(person, "person's name")
        person_id = check_resident_id(str(person_id))
    seal = SealRegistry(session.store).get(esid)
    if seal is None:
        raise InputError(f"no seal {esid} was made at this station")
    who = role or person or ""
    if session.actor.role is not Role.OFFICER:
        session.log("authorize", esid, "refused", reason="not-officer", to=who)
        raise PolicyError("only a seal officer authorizes the use of a seal", reason="not-officer")
    if seal.state == SealState.REVOKED.value:
        session.log("authorize", esid, "refused", reason="revoked-is-final", to=who)
        raise PolicyError(f"seal {esid} is revoked", reason="revoked-is-final")
    beyond = [f for f in chosen if f not in seal.functions]
    if beyond:
        session.log("authorize", esid, "refused", reason="function-not-in-seal", functions=beyond, to=who)
        raise PolicyError(f"seal {esid} carries only {', '.join(seal.functions)}; it cannot be authorized for "
                          f"{', '.join(beyond)}", reason="function-not-in-seal")
    with session.store.transaction():
        auth_id = Authorizations(session.store).add(esid, person=person, person_id=person_id, role=role,
                                                    functions=chosen, at=now().replace(microsecond=0).isoformat(), by=session.actor.name)
        session.log("authorize", esid, "ok", authorization=auth_id, person=person, role=role,
                    functions=list(chosen))
    return auth_id


def deauthorize(session: Session, esid: str, auth_id: int) -> None:
    if session.actor.role is not Role.OFFICER:
        session.log("deauthorize", esid, "refused", reason="not-officer", authorization=auth_id)
        raise PolicyError("only a seal officer withdraws an authorization", reason="not-officer")
    with session.store.transaction():
        if not Authorizations(session.store).remove(esid, int(auth_id), now().replace(microsecond=0).isoformat(), session.actor.name):
            raise InputError(f"seal {esid} has no current authorization {auth_id}",
                             hint="`seal-station seal status ESID` lists them")
        session.log("deauthorize", esid, "ok", authorization=int(auth_id))


def grant_holder(session: Session, esid: str, app: Any, functions: Sequence[str]) -> int | None:
    """A personal seal is authorized to its holder at making, in the ceremony's transaction."""
    if app.seal_kind not in PERSONAL_SEAL_KINDS or not app.holder_name:
        return None
    auth_id = Authorizations(session.store).add(
        esid, person=app.holder_name, person_id=app.holder_id, role=None,
        functions=[f for f in FUNCTIONS if f in functions], at=now().replace(microsecond=0).isoformat(), by=session.actor.name, automatic=True)
    session.log("authorize", esid, "ok", authorization=auth_id, person=app.holder_name, automatic=True,
                functions=list(functions))
    return auth_id
