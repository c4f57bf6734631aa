"""The impression library (印模库): encrypted at rest, one active impression per seal.

Impressions are the most sensitive thing the station holds: with one, anybody could
forge the seal's picture. So each impression has its own random AES-256-GCM data key;
the picture is sealed under that key (AAD binds it to the impression id, so blobs cannot
be swapped between rows) and the data key is sealed under the library key-encryption
key, derived from the station master key (DESIGN.md §3). The plaintext PNG exists only
in memory. **Destroying** an impression erases its wrapped data key and its ciphertext
(crypto-shredding, with ``secure_delete`` zeroing the freed pages): nobody, not even
someone holding the master key, can bring it back.

States: active → disabled → destroyed (active → destroyed is allowed, and audited as
such). At most one impression per (unit, seal name) is active — the store enforces it
with a partial unique index — and only an active one can be made into a seal.

Metadata and ciphertext live in separate tables so that a search reads index pages only.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Iterable

from crypto import envelope
from station import keys
from station.clock import now_text
from station.errors import InputError, PolicyError, StateError, StoreError, crypto_errors
from station.images import ImpressionImage
from station.model import Impression, Role
from station.store.impressions import ImpressionQuery, Impressions
from station.vocabulary import ImpressionState

if TYPE_CHECKING:  # pragma: no cover
    from station.model import Application
    from station.session import Session

__all__ = ["Impression", "ImpressionState", "VIEWERS", "MANAGERS", "get", "plaintext", "preview",
           "search", "active_for", "disable", "destroy", "may_manage", "may_view", "refusal",
           "encrypt", "decrypt", "import_approved"]

VIEWERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})  # query the library
MANAGERS = frozenset({Role.OFFICER, Role.SUPERVISOR})  # disable and destroy (DOMAIN.md)
MAX_LIMIT = 10_000

def may_view(role: Role) -> bool:
    return role in VIEWERS


def may_manage(role: Role) -> bool:
    return role in MANAGERS


def refusal(session: Session, action: str, obj: str, reason: str, message: str, hint: str = "") -> PolicyError:
    """Record a refusal in the audit log (its own transaction) and return the error to raise."""
    session.log(action, obj, "refused", reason=reason, message=message)
    return PolicyError(message, reason=reason, hint=hint)


def _require(session: Session, roles: Iterable[Role], action: str, obj: str) -> None:
    role = session.actor.role
    if role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise refusal(session, action, obj, "role", f"{role.value}s may not do this ({action})",
                      hint=f"only: {allowed}")


# -- encryption --------------------------------------------------------------------------
def _aad(kind: str, ident: int) -> bytes:
    return f"seal-station/{kind}/{ident}".encode()


def encrypt(session: Session, kind: str, ident: int, png: bytes) -> tuple[bytes, bytes]:
    """(wrapped data key, ciphertext) for one picture; a fresh data key every time."""
    data_key = os.urandom(envelope.KEY_SIZE)
    wrapped = envelope.seal(keys.library_key(session.master), data_key, _aad(f"{kind}-key", ident))
    return wrapped, envelope.seal(data_key, png, _aad(kind, ident))


def decrypt(session: Session, kind: str, ident: int, wrapped: bytes | None, blob: bytes | None,
            sha256: str) -> bytes:
    """The picture back, checked against its recorded digest. Failures are opaque."""
    if wrapped is None or blob is None:
        raise PolicyError(f"the {kind} picture {ident} has been destroyed", reason="impression-destroyed")
    with crypto_errors(StoreError, f"the {kind} picture {ident} cannot be decrypted",
                       hint="the store may be damaged: restore a backup", opaque=True):
        data_key = envelope.open_(keys.library_key(session.master), bytes(wrapped), _aad(f"{kind}-key", ident))
        png = envelope.open_(data_key, bytes(blob), _aad(kind, ident))
    if hashlib.sha256(png).hexdigest() != sha256:
        raise StoreError(f"the {kind} picture {ident} does not match its recorded digest",
                         hint="the store may be damaged: restore a backup")
    return png


# -- reading -----------------------------------------------------------------------------
def get(session: Session, impression_id: int) -> Impression:
    imp = Impressions(session.store).get(impression_id)
    if imp is None:
        raise InputError(f"there is no impression {impression_id}", hint="list them with `seal-station impressions`")
    return imp


def active_for(session: Session, unit: str, seal_name: str) -> Impression | None:
    return Impressions(session.store).active_for(unit, seal_name)


def _picture(session: Session, imp: Impression) -> bytes:
    wrapped, blob = Impressions(session.store).picture(imp.id)
    return decrypt(session, "impression", imp.id, wrapped, blob, imp.png_sha256)


def plaintext(session: Session, impression_id: int) -> bytes:
    """The PNG of an **active** impression, for making a seal. Anything else is refused."""
    imp = get(session, impression_id)
    if imp.state is not ImpressionState.ACTIVE:
        raise refusal(session, "impression-use", str(imp.id), "impression-not-active",
                      f"impression {imp.id} is {imp.state}: only an active impression can make a seal",
                      hint="choose the unit's active impression, or approve a new application")
    return _picture(session, imp)


def preview(session: Session, impression_id: int) -> bytes:
    """The PNG for showing on screen (active or disabled); every view is audited."""
    _require(session, VIEWERS, "impression-view", str(impression_id))
    imp = get(session, impression_id)
    if imp.state is ImpressionState.DESTROYED:
        raise refusal(session, "impression-view", str(imp.id), "impression-destroyed",
                      f"impression {imp.id} has been destroyed; nothing is left to show")
    png = _picture(session, imp)
    session.log("impression-view", str(imp.id), "ok")
    return png


def _bound(value: str, what: str, end: bool) -> str:
    """A date or date-time as the text stored in imported_at (UTC, ISO, 'Z')."""
    text = str(value).strip()
    try:
        if len(text) == 10:  # a whole day: `until` includes it
            day = datetime.strptime(text, "%Y-%m-%d")
            return (day + timedelta(days=1 if end else 0)).strftime("%Y-%m-%d")
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} {text!r} is not a date (YYYY-MM-DD) or an ISO date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def search(session: Session, unit: str | None = None, name: str | None = None, state: str | None = None,
           since: str | None = None, until: str | None = None, limit: int = 200) -> list[Impression]:
    """Newest first. ``unit`` and ``name`` match anywhere in the text; dates bound the import.

    Text and dates are answered from the library's words index (pairs of characters,
    state, import day), each candidate confirmed on its row; at most ``limit`` rows are
    fetched whole.
    """
    _require(session, VIEWERS, "impression-search", "")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"the limit must be 1 to {MAX_LIMIT}")
    if state and state not in {s.value for s in ImpressionState}:
        raise InputError(f"unknown impression state {state!r}", hint="use active, disabled or destroyed")
    query = ImpressionQuery(unit=unit, name=name, state=state or None,
                            since=_bound(since, "since", end=False) if since else None,
                            until=_bound(until, "until", end=True) if until else None)
    return Impressions(session.store).search(query, limit)


# -- changes -----------------------------------------------------------------------------
def _set_state(session: Session, imp: Impression, state: ImpressionState, reason: str, when: str) -> None:
    """Change the state the caller read, or fail if another session changed it meanwhile."""
    if not Impressions(session.store).set_state(imp, state, reason or None, when, session.actor.cert_sha256):
        raise StateError(f"impression {imp.id} was changed by someone else meanwhile", hint="search again")


def import_approved(session: Session, app: Application, image: ImpressionImage
                    ) -> tuple[Impression, Impression | None]:
    """Put an approved application's picture into the library as the active impression.

    Runs inside the caller's transaction. The previous active impression of the same
    (unit, seal name), if any, is disabled first, so the unique index never sees two.
    The import time is the impression's effective start; its validity is unlimited.
    """
    when = now_text()
    previous = active_for(session, app.unit, app.seal_name)
    with session.store.transaction():
        if previous is not None:
            _set_state(session, previous, ImpressionState.DISABLED, f"replaced (application {app.id})", when)
            session.log("impression-disable", str(previous.id), "ok", reason="replaced", application=app.id,
                        unit=app.unit, seal_name=app.seal_name)
        repo = Impressions(session.store)
        new_id = repo.add(Impression(
            id=0, unit=app.unit, seal_name=app.seal_name, seal_kind=app.seal_kind, state=ImpressionState.ACTIVE.value,
            width_mm=image.width_mm, height_mm=image.height_mm, original_sha256=image.original_sha256,
            png_sha256=image.png_sha256, imported_at=when, application_id=app.id, width_px=image.width_px,
            height_px=image.height_px, source_format=image.source_format, imported_by=session.actor.cert_sha256))
        repo.add_picture(new_id, *encrypt(session, "impression", new_id, image.png))
        session.log("impression-import", str(new_id), "ok", application=app.id, unit=app.unit,
                    seal_name=app.seal_name, seal_kind=app.seal_kind, png_sha256=image.png_sha256,
                    original_sha256=image.original_sha256, replaces=previous.id if previous else None)
    return get(session, new_id), (get(session, previous.id) if previous else None)


def disable(session: Session, impression_id: int, reason: str = "") -> Impression:
    """停用: the impression stays in the library but can never make a seal again."""
    _require(session, MANAGERS, "impression-disable", str(impression_id))
    imp = get(session, impression_id)
    if imp.state is not ImpressionState.ACTIVE:
        raise refusal(session, "impression-disable", str(imp.id), "not-active",
                      f"impression {imp.id} is {imp.state}, not active")
    with session.store.transaction():
        _set_state(session, imp, ImpressionState.DISABLED, reason.strip(), now_text())
        session.log("impression-disable", str(imp.id), "ok", reason=reason.strip(), unit=imp.unit,
                    seal_name=imp.seal_name)
    return get(session, imp.id)


def destroy(session: Session, impression_id: int, reason: str = "") -> Impression:
    """销毁: erase the data key and the ciphertext for good; the metadata row remains."""
    _require(session, MANAGERS, "impression-destroy", str(impression_id))
    imp = get(session, impression_id)
    if imp.state is ImpressionState.DESTROYED:
        raise refusal(session, "impression-destroy", str(imp.id), "already-destroyed",
                      f"impression {imp.id} is already destroyed")
    with session.store.transaction():
        Impressions(session.store).shred_picture(imp.id)
        _set_state(session, imp, ImpressionState.DESTROYED, reason.strip(), now_text())
        session.log("impression-destroy", str(imp.id), "ok", reason=reason.strip(), was=imp.state,
                    unit=imp.unit, seal_name=imp.seal_name)
    return get(session, imp.id)
