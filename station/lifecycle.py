"""The life of a seal after it is made: freeze, unfreeze, report lost, revoke (DOMAIN.md).

The state machine is one table, :data:`TRANSITIONS`: active → frozen → active; active or
frozen → lost → active (found, by ``unfreeze``) or revoked; anything → revoked, which is
final. Every request is audited — a refusal names its reason — and every change gets a
signed receipt (:mod:`station.receipts.events`): the seal's issuance claims with an event
claim beside them, verifiable offline by ``receipt verify``. Revoking needs the
supervisor quorum, as making does: the supervisors sign the event digest.

The receipt is signed after the change is committed: a card pulled at that moment leaves
the change made and its receipt unsigned, and the same officer's next event signs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from station.errors import InputError, PolicyError, StationError
from station.model import Authorization, RegistrySeal, Role, SealEvent
from station.seal_pins import SealPin, pin_state, pin_states
from station.vocabulary import SealState
from station.store.authorizations import Authorizations
from station.registering import now_iso, record_event
from station.store.lifecycle import SealEvents, SealRegistry

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["ACTIONS", "TRANSITIONS", "REASONS", "SealStatus", "check_reason", "change_state", "search",
           "status", "registry", "sign_pending_receipts", "revoked_card_seal", "wipe_revoked"]

A, F, L, R = SealState.ACTIVE, SealState.FROZEN, SealState.LOST, SealState.REVOKED
TRANSITIONS: dict[str, tuple[frozenset[SealState], SealState]] = {
    "freeze": (frozenset({A}), F),
    "unfreeze": (frozenset({F, L}), A),
    "report-lost": (frozenset({A, F}), L),
    "revoke": (frozenset({A, F, L}), R),
}
ACTIONS = tuple(TRANSITIONS)
# The regulations' reasons; free text goes with "other" (or adds detail to any of them).
REASONS = ("unit-closed", "card-lost", "card-damaged", "certificate-expired", "name-changed", "holder-left",
           "renewed", "other")
_MAX_REASON = 200

Pin = Callable[[], str]


@dataclass(frozen=True)
class SealStatus:
    """A seal as the registry's detail view and ``seal status`` show it."""

    seal: RegistrySeal
    events: tuple[SealEvent, ...]
    authorizations: tuple[Authorization, ...]
    receipt: str | None  # the issuance receipt
    pin: SealPin | None = None  # the seal card's PIN: initial, set by the recipient, changed later


def check_reason(text: str) -> tuple[str, str]:
    """(reason code, text). A code from :data:`REASONS`, a code and detail ("card-lost: 在地铁"),
    or free text (code "other")."""
    text = " ".join(str(text or "").split())
    if not text:
        raise InputError("a reason is required", hint="one of " + ", ".join(REASONS) + ", or free text")
    if len(text) > _MAX_REASON:
        raise InputError(f"the reason is longer than {_MAX_REASON} characters")
    if any(not c.isprintable() for c in text):
        raise InputError("the reason contains a control character")
    head = text.split(":", 1)[0].strip()
    if head == "renewed":
        raise InputError("the reason \"renewed\" is the renewal's own", hint="renew the seal with `seal-station renew`")
    return (head if head in REASONS else "other"), text


def registry(session: Session) -> SealRegistry:
    return SealRegistry(session.store)


def _seal(session: Session, esid: str) -> RegistrySeal:
    seal = SealRegistry(session.store).get(esid)
    if seal is None:
        raise InputError(f"no seal {esid} was made at this station", hint="check the esID (`seal-station seals`)")
    return seal


def search(session: Session, **filters: Any) -> list[RegistrySeal]:
    state = filters.get("state") or ""
    if state and state not in {s.value for s in SealState}:
        raise InputError(f"unknown state {state!r}", hint="active, frozen, lost or revoked")
    return SealRegistry(session.store).search(**filters)


def seal_pins(session: Session, seals: Sequence[RegistrySeal]) -> dict[str, SealPin]:
    """The PIN state of each listed seal's card, by esID (the registry's list)."""
    return pin_states(session.store, [(s.esid, s.card_serial, s.made_at) for s in seals])


def status(session: Session, esid: str) -> SealStatus:
    from station.receipts.issue import issued_seal

    seal = _seal(session, esid)
    try:
        receipt = issued_seal(session, esid).receipt
    except InputError:
        receipt = None
    return SealStatus(seal, tuple(SealEvents(session.store).of(esid)),
                      tuple(Authorizations(session.store).current(esid)), receipt,
                      pin_state(session.store, esid, seal.card_serial, seal.made_at))


def _refuse(session: Session, action: str, esid: str, reason: str, message: str, hint: str = "") -> PolicyError:
    session.log(action, esid, "refused", reason=reason, message=message)
    return PolicyError(message, reason=reason, hint=hint)


def _check_allowed(session: Session, action: str, seal: RegistrySeal) -> SealState:
    if action not in TRANSITIONS:
        raise InputError(f"unknown event {action!r}; one of {', '.join(ACTIONS)}")
    if session.actor.role is not Role.OFFICER:
        raise _refuse(session, action, seal.esid, "not-officer", f"only a seal officer may {action} a seal; this "
                      f"card is enrolled as {session.actor.role.value}", "log in with an officer card")
    allowed, target = TRANSITIONS[action]
    current = SealState(seal.state)
    if current is R:
        raise _refuse(session, action, seal.esid, "revoked-is-final",
                      f"seal {seal.esid} is revoked; nothing changes a revoked seal",
                      "make a new seal (renew) if the unit still needs one")
    if current not in allowed:
        raise _refuse(session, action, seal.esid, f"seal-{current.value}",
                      f"seal {seal.esid} is {current.value}; {action} applies to a seal that is "
                      + " or ".join(s.value for s in sorted(allowed, key=lambda s: s.value)))
    return target


def change_state(session: Session, esid: str, action: str, reason: str, *,
                 supervisors: Sequence[tuple[str, Pin]] = ()) -> SealEvent:
    """Apply one event; audited whatever happens; returns the event with its receipt."""
    from station.receipts.events import event_digest

    seal = _seal(session, esid)
    try:
        code, text = check_reason(reason)
    except InputError as exc:
        session.log(action, esid, "refused", reason="bad-reason", message=exc.message)
        raise
    target = _check_allowed(session, action, seal)
    at = now_iso()
    sigs: list[dict] = []
    if action == "revoke":
        sigs = _quorum(session, esid, event_digest(esid, action, code, text, at), supervisors)
    with session.store.transaction():
        event_id = record_event(session, seal, action, target, code, text, at, sigs)
    return _signed(session, esid, event_id)


def _quorum(session: Session, esid: str, digest: bytes, supervisors: Sequence[tuple[str, Pin]]) -> list[dict]:
    from station.making import co_authorize

    done: list[Any] = []
    for serial, pin in supervisors:
        try:
            done.append(co_authorize(session, serial, pin(), digest, done))
        except PolicyError as exc:  # the supervisor's refusal, recorded against the seal too
            session.log("revoke", esid, "refused", reason=exc.reason, supervisor=serial)
            raise
    if len(done) < session.config.quorum:
        raise _refuse(session, "revoke", esid, "quorum", f"{len(done)} of {session.config.quorum} supervisors "
                      "have co-authorized the revocation", "each supervisor inserts their card (--supervisor)")
    return [{"serial": c.serial, "cert_sha256": c.cert_sha256, "name": c.name, "algorithm": c.algorithm,
             "signature": c.signature.hex()} for c in done]


def _signed(session: Session, esid: str, event_id: int) -> SealEvent:
    """The event with its receipt, signed now by the acting card if it can."""
    from station.receipts.events import sign_event_receipt

    try:
        sign_event_receipt(session, event_id)
        sign_pending_receipts(session)
    except StationError as exc:
        session.log("receipt", esid, "failed", event=event_id, reason=exc.message)
    event = SealEvents(session.store).get(event_id)
    assert event is not None
    return event


def sign_pending_receipts(session: Session) -> int:
    """Sign the receipts a pulled card left unsigned; how many were signed."""
    from station.receipts.events import sign_event_receipt

    done = 0
    for event_id in SealEvents(session.store).unsigned(session.actor.cert_sha256):
        try:
            sign_event_receipt(session, event_id)
            done += 1
        except StationError:
            break
    return done


def revoked_card_seal(session: Session, serial: str) -> RegistrySeal | None:
    """The revoked seal last written on this card, if the card's newest seal is revoked."""
    seals = SealRegistry(session.store).by_card(serial)
    return seals[0] if seals and seals[0].state == R.value else None


def _esid_of(der: bytes) -> str | None:
    from crypto import seseal

    try:
        return seseal.verify(der).to_json().get("esID")
    except seseal.SealFormatError:
        return None


def wipe_revoked(session: Session, serial: str, pin: str) -> str:
    """Delete a revoked seal's SESeal from its card (the station offers it); audited."""
    from station.cards import device_errors
    from station.reserving import SEAL_LABEL
    from station.session import unlock_card

    seal = revoked_card_seal(session, serial)
    if seal is None:
        session.log("wipe", serial, "refused", reason="not-revoked")
        raise PolicyError(f"card {serial} does not hold a revoked seal of this station", reason="not-revoked")
    card = unlock_card(session.home, session.config, session.module, serial, pin,
                       lambda why: session.log("card-login", serial, "refused", reason=why))
    try:
        with device_errors(serial):
            der = card.read_data(SEAL_LABEL)
            on_card = _esid_of(der) if der else None
            if on_card != seal.esid:
                session.log("wipe", serial, "refused", reason="other-seal", esid=seal.esid)
                raise PolicyError(f"card {serial} holds {on_card or 'no seal'}, not the revoked seal {seal.esid}",
                                  reason="other-seal", hint="inspect the card first")
            card.delete_data(SEAL_LABEL)
    finally:
        session.module.forget(serial)
    session.home.mark_card(serial, None)
    session.log("wipe", serial, "ok", esid=seal.esid)
    return seal.esid
