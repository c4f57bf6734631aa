"""Applications (申请单): entered at the counter, approved or returned, then made.

A seal can only be made from an approved application's impression. The form differs by
seal type (DOMAIN.md): a unit seal names the unit, its unified social credit code (check
digit per GB 32100-2015), the seal name and its purpose; a personal seal names the
holder and an identity document (GB 11643-1999 check digit for a resident ID).

Separation of duties: an officer enters the application (the card that entered it is
recorded); a supervisor approves it or returns it with a reason, and nobody decides on
what they entered themselves. Each refusal is an audit entry, like each state change.

The impression travels with the application, already normalised and **encrypted** (its
own data key under the library key, like the library itself). On approval it is
imported into the library (:mod:`station.impressions`) and the application's copy is
erased; a returned application's copy is erased at once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from station import impressions
from station.clock import now_text
from station.errors import InputError, StateError
from station.images import MAX_FILE_BYTES, ImpressionImage, normalise_impression
from station.inputs import check_regular
from station.model import Application, Impression, Role
from station.store.applications import Applications
from station.vocabulary import ApplicationState
from station.validation import (PERSONAL_SEAL_KINDS, check_credit_code, check_identity, check_seal_kind,
                                check_seal_name)

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["Application", "ApplicationForm", "Approval", "check_form", "load_impression",
           "parse_size", "submit", "approve", "reject", "get", "list_", "mark_made", "pending_picture",
           "may_enter", "may_decide"]

_BAD = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class ApplicationForm:
    """A checked, normalised form: what :func:`submit` stores."""

    seal_kind: str
    unit: str
    credit_code: str | None
    seal_name: str
    purpose: str
    holder_name: str | None
    holder_id_type: str | None
    holder_id: str | None


@dataclass(frozen=True)
class Approval:
    application: Application
    impression: Impression
    replaced: Impression | None  # the unit's previous active impression, now disabled


def may_enter(role: Role) -> bool:
    return role is Role.OFFICER


def may_decide(role: Role) -> bool:
    return role is Role.SUPERVISOR


def _text(value: Any, what: str, *, max_len: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(f"the {what} must be text")
    norm = unicodedata.normalize("NFC", value).strip()
    if required and not norm:
        raise InputError(f"the {what} is missing")
    if len(norm) > max_len:
        raise InputError(f"the {what} has {len(norm)} characters, at most {max_len} are allowed")
    if any(unicodedata.category(c) in _BAD for c in norm):
        raise InputError(f"the {what} contains an invisible or control character")
    return norm


def _field(what: str, check: Callable[..., str], *values: str) -> str:
    """Run a validator; its error names the field, so the officer knows which box to fix."""
    try:
        return check(*values)
    except InputError as exc:
        raise InputError(f"{what}: {exc.message}", hint=exc.hint) from None


def check_form(*, seal_kind: str, unit: str | None = None, credit_code: str | None = None,
               seal_name: str | None = None, purpose: str | None = None, holder_name: str | None = None,
               holder_id_type: str | None = None, holder_id: str | None = None) -> ApplicationForm:
    """Check every field with its national rules; the first problem is an InputError."""
    kind = check_seal_kind(seal_kind)
    personal = kind in PERSONAL_SEAL_KINDS
    holder = _text(holder_name, "holder's name", max_len=64, required=personal) or None
    number_text = (holder_id or "").strip() if isinstance(holder_id, str) else ""
    if personal and not number_text:
        raise InputError("a personal seal needs the holder's identity number")
    doc_type = (holder_id_type or "resident-id") if number_text else None
    number = _field("identity number", check_identity, doc_type, number_text) if doc_type else None
    unit_name = _text(unit, "unit name", max_len=100, required=not personal) or (holder or "")
    code = (credit_code or "").strip()
    if not personal and not code:
        raise InputError("a unit seal needs the unit's unified social credit code (统一社会信用代码)")
    return ApplicationForm(
        seal_kind=kind, unit=unit_name,
        credit_code=_field("unified social credit code", check_credit_code, code) if code else None,
        seal_name=check_seal_name(seal_name if seal_name else (holder or "")),
        purpose=_text(purpose, "purpose", max_len=200, required=False),
        holder_name=holder, holder_id_type=doc_type, holder_id=number)


def parse_size(text: str | None) -> tuple[int, int] | None:
    """'42x42' (mm) -> (42, 42); None or '' -> None (the default for the seal kind)."""
    if not text or not text.strip():
        return None
    parts = text.lower().replace("×", "x").replace("mm", "").split("x")
    try:
        width, height = (int(p) for p in parts)
    except ValueError:
        raise InputError(f"size {text!r} is not WIDTHxHEIGHT in millimetres, e.g. 42x42") from None
    return width, height


def load_impression(path: str | Path, seal_kind: str, size_mm: tuple[int, int] | None = None) -> ImpressionImage:
    """Read and normalise an impression file; every problem is one InputError naming the file."""
    p = Path(path)
    try:
        if check_regular(p, "impression").st_size > MAX_FILE_BYTES:
            raise InputError(f"{p.name}: file is larger than 10 MB", hint="scan at a lower resolution")
        with p.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        return normalise_impression(data, seal_kind=seal_kind, size_mm=size_mm)
    except InputError as exc:
        raise InputError(f"{p.name}: {exc.message}", hint=exc.hint) from None


# -- reading -----------------------------------------------------------------------------
def get(session: Session, app_id: int) -> Application:
    app = Applications(session.store).get(app_id)
    if app is None:
        raise InputError(f"there is no application {app_id}", hint="list them with `seal-station applications`")
    return app


def list_(session: Session, state: str | None = None, unit: str | None = None,
          limit: int | None = None) -> list[Application]:
    """Oldest first (the approval queue's order); ``unit`` matches exactly."""
    if state and state not in {s.value for s in ApplicationState}:
        raise InputError(f"unknown application state {state!r}", hint="use submitted, approved, rejected or made")
    return Applications(session.store).list(state or None, unicodedata.normalize("NFC", unit).strip() if unit
                                            else None, limit)


def pending_picture(session: Session, app_id: int) -> bytes:
    """The submitted impression (PNG) while the application waits for a decision."""
    app = get(session, app_id)
    if session.actor.role not in impressions.VIEWERS:
        raise impressions.refusal(session, "application-view", str(app.id), "role",
                                  f"{session.actor.role.value}s may not view impressions")
    png = impressions.decrypt(session, "application", app.id, *Applications(session.store).upload(app.id),
                              app.png_sha256)
    session.log("application-view", str(app.id), "ok")
    return png


# -- changes -----------------------------------------------------------------------------
def submit(session: Session, form: ApplicationForm, image: ImpressionImage) -> Application:
    """An officer enters a checked form with its normalised impression (encrypted here)."""
    if not may_enter(session.actor.role):
        raise impressions.refusal(session, "application-submit", "", "role",
                                  f"{session.actor.role.value}s may not enter applications",
                                  hint="an officer enters applications at the counter")
    actor = session.actor
    repo = Applications(session.store)
    with session.store.transaction():
        app_id = repo.add(Application(
            id=0, seal_kind=form.seal_kind, unit=form.unit, credit_code=form.credit_code, seal_name=form.seal_name,
            purpose=form.purpose, holder_name=form.holder_name, holder_id_type=form.holder_id_type,
            holder_id=form.holder_id, state=ApplicationState.SUBMITTED.value, impression_id=None,
            entered_by=actor.cert_sha256, entered_by_name=actor.name, submitted_at=now_text(),
            width_mm=image.width_mm, height_mm=image.height_mm, original_sha256=image.original_sha256,
            png_sha256=image.png_sha256, width_px=image.width_px, height_px=image.height_px,
            source_format=image.source_format))
        repo.set_upload(app_id, *impressions.encrypt(session, "application", app_id, image.png))
        session.log("application-submit", str(app_id), "ok", seal_kind=form.seal_kind, unit=form.unit,
                    seal_name=form.seal_name, original_sha256=image.original_sha256, png_sha256=image.png_sha256)
    return get(session, app_id)


def _decidable(session: Session, app_id: int, action: str) -> Application:
    """The checks every decision makes, each refusal audited before it is raised."""
    if not may_decide(session.actor.role):
        raise impressions.refusal(session, action, str(app_id), "role",
                                  f"{session.actor.role.value}s may not decide on applications",
                                  hint="a supervisor approves or returns applications")
    app = get(session, app_id)
    if app.state is not ApplicationState.SUBMITTED:
        raise impressions.refusal(session, action, str(app.id), "not-submitted",
                                  f"application {app.id} is {app.state}, not waiting for a decision")
    if app.entered_by == session.actor.cert_sha256:
        raise impressions.refusal(session, action, str(app.id), "own-application",
                                  f"application {app.id} was entered by you; nobody decides on what they entered",
                                  hint="another supervisor must decide")
    return app


def _decide(session: Session, app: Application, state: ApplicationState, **extra: Any) -> None:
    repo = Applications(session.store)
    if not repo.decide(app.id, state, session.actor.cert_sha256, session.actor.name, now_text(), **extra):
        raise StateError(f"application {app.id} was decided by someone else meanwhile")
    repo.shred_upload(app.id)


def approve(session: Session, app_id: int) -> Approval:
    """审批通过: import the impression as the active one (disabling the previous one)."""
    app = _decidable(session, app_id, "application-approve")
    png = impressions.decrypt(session, "application", app.id, *Applications(session.store).upload(app.id),
                              app.png_sha256)
    image = ImpressionImage(png, app.original_sha256, app.source_format, app.width_px, app.height_px,
                            app.width_mm, app.height_mm)
    with session.store.transaction():
        imp, replaced = impressions.import_approved(session, app, image)
        _decide(session, app, ApplicationState.APPROVED, impression_id=imp.id)
        session.log("application-approve", str(app.id), "ok", impression=imp.id,
                    replaced=replaced.id if replaced else None, entered_by=app.entered_by_name)
    return Approval(get(session, app.id), imp, replaced)


def reject(session: Session, app_id: int, reason: str) -> Application:
    """退回: returned with a reason; the submitted impression is erased."""
    why = _text(reason, "reason for returning the application", max_len=200, required=True)
    app = _decidable(session, app_id, "application-reject")
    with session.store.transaction():
        _decide(session, app, ApplicationState.REJECTED, reason=why)
        session.log("application-reject", str(app.id), "ok", reason=why, entered_by=app.entered_by_name)
    return get(session, app.id)


def mark_made(session: Session, app_id: int, esid: str) -> None:
    """approved -> made; called by the making ceremony inside its own transaction."""
    if not Applications(session.store).mark_made(app_id, esid, now_text()):
        raise StateError(f"application {app_id} is not approved, so it cannot be marked as made")
    session.log("application-made", str(app_id), "ok", esid=esid)
