"""The seal-making ceremony (DESIGN.md §2), read top to bottom.

1. The officer's session is open (login proved the card). A supervisor card never
   acts as the officer.
2. The seal card is inspected: chains to a trust anchor, valid now, may sign, proves it
   holds the key, holds no seal yet. Each refusal names its reason.
3. The approved application's active impression is decrypted in memory.
4. The SESeal v4 is built, signed by the officer's card, re-parsed and verified.
5. Supervisors co-authorize (quorum from station.toml): each signs the issuance digest.
6. The seal is written onto the card, read back and compared.
7. One store transaction records seal, issuance, application state and audit entries.
8. The officer's card signs the receipt and a tree head (station/receipts/issue.py), so
   every front end ends the ceremony with the receipt in hand.

Before the card is written the station notes the card as "needs-inspection" in its
public ledger, so a crash or a pulled card can never leave an unnoticed half-made seal:
after a failure the object is removed if the card is still there, and the mark is
cleared; otherwise the mark stays and ``cards`` shows it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from crypto import seseal
from devices.pkcs11 import Card
from station import applications, faults, impressions, lifecycle
from station.cards import cert_sha256, device_errors, now
from station.errors import PolicyError, StateError, StationError
from station.model import Role
from station.receipts.claims import issuance_digest_from_hash
from station.receipts.issue import issue_receipt
from station.session import Session, common_name, prove_possession, unlock_card
from station.setup import check_chain

__all__ = ["STEPS", "SealCardCheck", "CoSignature", "MadeSeal", "inspect_seal_card", "co_authorize",
           "make_seal", "check_supervisor", "review", "Review", "next_application", "issuance_digest",
           "FUNCTIONS_OID", "FUNCTIONS"]

STEPS = ("officer", "seal-card", "impression", "sign", "co-authorize", "write", "read-back", "record")
FUNCTIONS = ("office", "web", "login")
# 2.25.<uuid>: the seal's authorized functions (office documents, web forms, login).
FUNCTIONS_OID = "2.25." + str(uuid.UUID("6f1c2a9e-5b37-4d1e-9c1a-53a1e7c0de01").int)
SEAL_LABEL = "SESeal"
SEAL_APPLICATION = "GB/T 38540-2020"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SealCardCheck:
    """What the review shows of the seal card's certificate."""

    serial: str
    label: str
    subject: str
    issuer: str
    cert_serial: str
    not_before: datetime
    not_after: datetime
    certificate: bytes = field(repr=False)


@dataclass(frozen=True)
class CoSignature:
    serial: str
    cert_sha256: str
    name: str
    algorithm: str
    signature: bytes = field(repr=False)


@dataclass(frozen=True)
class MadeSeal:
    esid: str
    card_serial: str
    application_id: int
    seal_der: bytes = field(repr=False)
    seal_sha256: str
    card_cert_sha256: str
    made_at: str
    valid_start: datetime
    valid_end: datetime
    recipient: str
    supervisors: tuple[CoSignature, ...]
    receipt: str | None = None  # the signed ``SSR1:`` text; None when the card could not sign it
    receipt_error: StationError | None = field(default=None, repr=False, compare=False)


def _refuse(session: Session, reason: str, message: str, obj: str, hint: str = "") -> PolicyError:
    session.log("make", obj, "refused", reason=reason, message=message)
    return PolicyError(message, reason=reason, hint=hint)


def _check_officer(session: Session) -> None:
    if session.actor.role is not Role.OFFICER:
        raise _refuse(session, "not-officer", f"only a seal officer makes seals; this card is enrolled as "
                      f"{session.actor.role.value}", session.actor.serial, "log in with an officer card")


def inspect_seal_card(session: Session, serial: str, pin: str) -> tuple[Card, SealCardCheck]:
    """Log in to the seal card and check it; each refusal names its reason."""
    from cryptography import x509

    if serial in {s["serial"] for s in session.home.keyslots().get("slots", {}).values()}:
        raise _refuse(session, "card-is-authorization", f"card {serial} is an authorization card of this "
                      "station, not a seal card", serial)
    card = _unlock(session, serial, pin)
    der = card.certificate
    cert = x509.load_der_x509_certificate(der)
    if not check_chain(der, session.home.trust_anchors()):
        raise _refuse(session, "issuer-not-trusted", f"the certificate on card {serial} is not issued by a "
                      f"CA this station trusts ({cert.issuer.rfc4514_string()})", serial)
    if now() > cert.not_valid_after_utc:
        raise _refuse(session, "certificate-expired", f"the certificate on card {serial} expired on "
                      f"{cert.not_valid_after_utc:%Y-%m-%d}", serial, "renew the card's certificate first")
    if now() < cert.not_valid_before_utc:
        raise _refuse(session, "certificate-not-yet-valid", f"the certificate on card {serial} is valid only "
                      f"from {cert.not_valid_before_utc:%Y-%m-%d}", serial)
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        may_sign = usage.digital_signature or usage.content_commitment
    except x509.ExtensionNotFound:
        may_sign = False
    if not may_sign:
        raise _refuse(session, "wrong-key-usage", f"the certificate on card {serial} does not allow "
                      "digitalSignature or nonRepudiation", serial)
    try:
        prove_possession(card, session.config)
    except PolicyError as exc:
        raise _refuse(session, "no-possession", exc.message, serial) from None
    with device_errors(serial):
        existing = card.read_data(SEAL_LABEL)
    if existing is not None or session.home.card_marks().get(serial) == "sealed":
        raise _refuse(session, "card-already-sealed", f"card {serial} already holds a seal", serial,
                      "use a blank seal card; revoke the old seal first to reuse a card")
    return card, SealCardCheck(
        serial=serial, label=card.label, subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(), cert_serial=f"{cert.serial_number:x}",
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, certificate=der)


@dataclass(frozen=True)
class Review:
    """Everything the officer sees before signing: what will be signed, and onto what."""

    application: Any
    impression: Any
    picture: bytes = field(repr=False)
    card: SealCardCheck = field(repr=False)
    valid_start: datetime
    valid_end: datetime


def review(session: Session, application_id: int, seal_card: str, seal_pin: str) -> Review:
    """Run the checks of steps 1-3 without signing anything (the wizard's review)."""
    _check_officer(session)
    app = applications.get(session, application_id)
    if app.state != "approved" or app.impression_id is None:
        raise _refuse(session, "application-not-approved", f"application {application_id} is {app.state}, "
                      "not approved", str(application_id))
    try:
        _, check = inspect_seal_card(session, seal_card, seal_pin)
    finally:
        session.module.forget(seal_card)
    imp = impressions.get(session, app.impression_id)
    picture = impressions.plaintext(session, imp.id)
    start = now().replace(microsecond=0)
    return Review(app, imp, picture, check, start, check.not_after)


def next_application(session: Session, unit: str) -> Any | None:
    """Batch making: the next approved application of the same unit, if any."""
    pending = applications.list_(session, state="approved", unit=unit)
    return pending[0] if pending else None


def issuance_digest(seal_der: bytes, card_serial: str, application_id: int, recipient: str) -> bytes:
    """What every supervisor signs (DESIGN.md §2 step 6)."""
    return issuance_digest_from_hash(hashlib.sha256(seal_der).hexdigest(), card_serial, application_id,
                                     recipient)


def _unlock(session: Session, serial: str, pin: str) -> Card:
    """Card login with the station's wrong-PIN count; refusals go to the audit log."""
    return unlock_card(session.home, session.config, session.module, serial, pin,
                       lambda reason: session.log("card-login", serial, "refused", reason=reason))


def _supervisor_card(session: Session, serial: str, pin: str, already: Sequence[str]) -> Card:
    """The supervisor's card, logged in, after every separation-of-duties check."""
    if serial == session.card.serial:
        raise _refuse(session, "officer-as-supervisor", "the officer cannot co-authorize their own seal",
                      serial, "a different supervisor must insert their card")
    if serial in already:
        raise _refuse(session, "supervisor-twice", f"card {serial} has already co-authorized", serial)
    card = _unlock(session, serial, pin)
    der = card.certificate
    row = session.store.one("SELECT role FROM enrollments WHERE cert_sha256 = ? AND removed_at IS NULL",
                            (cert_sha256(der),))
    if row is None or row[0] != Role.SUPERVISOR.value:
        session.module.forget(serial)
        raise _refuse(session, "not-supervisor", f"card {serial} is not enrolled as a supervisor", serial)
    if cert_sha256(der) == session.actor.cert_sha256:
        session.module.forget(serial)
        raise _refuse(session, "officer-as-supervisor", "the officer cannot co-authorize", serial)
    return card


def check_supervisor(session: Session, serial: str, pin: str, already: Sequence[str] = ()) -> str:
    """Check a supervisor's card and PIN now (the wizard asks before signing); their name."""
    card = _supervisor_card(session, serial, pin, already)
    try:
        return common_name(card.certificate)
    finally:
        session.module.forget(serial)


def co_authorize(session: Session, serial: str, pin: str, digest: bytes,
                 already: Sequence[CoSignature] = ()) -> CoSignature:
    """One supervisor's card signs the issuance digest; separation of duties enforced."""
    from crypto.algorithms import verify_signature

    card = _supervisor_card(session, serial, pin, [c.serial for c in already])
    try:
        der = card.certificate
        with device_errors(serial):
            signer = card.signer(session.config.sm2_mechanism)
            signature = signer.sign(digest)
        if not verify_signature(der, signer.algorithm, digest, signature):
            raise _refuse(session, "no-possession", f"card {serial} cannot prove it holds its key", serial)
        return CoSignature(serial, cert_sha256(der), common_name(der), signer.algorithm, signature)
    finally:
        session.module.forget(serial)


def _esid(session: Session) -> str:
    """Station id + year + sequence: unique, stable, never reused (a gap after an abort)."""
    year = datetime.now(timezone.utc).year
    key = f"esid-seq-{year}"
    with session.store.transaction():
        row = session.store.one("SELECT value FROM meta WHERE key = ?", (key,))
        seq = int(row[0]) + 1 if row else 1
        session.store.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(seq)))
    return f"{session.config.station_id}-{year}-{seq:06d}"


def seal_type_code(kind: str) -> int:
    """GB/T 38540 type: 1 unit seal, 2 personal seal (name seal or signature)."""
    return 2 if kind.startswith("personal") else 1


def make_seal(session: Session, *, application_id: int, seal_card: str, seal_pin: str,
              supervisors: Sequence[tuple[str, Callable[[], str]]], recipient: str,
              functions: Sequence[str] = FUNCTIONS, progress: Progress | None = None) -> MadeSeal:
    """Run the whole ceremony; on any failure nothing is recorded as made."""
    step = "officer"

    def at(name: str) -> None:
        nonlocal step
        step = name
        if progress:
            progress(name)
        faults.checkpoint(name)

    recipient = recipient.strip()
    bad = [f for f in functions if f not in FUNCTIONS]
    if bad or not functions:
        raise PolicyError(f"unknown seal functions {bad}; choose from {', '.join(FUNCTIONS)}", reason="bad-input")
    if not recipient:
        raise PolicyError("the recipient (领用人) must be named", reason="bad-input")
    written = False
    recorded = False  # once the store says "made", an error must not wipe the card
    card: Card | None = None
    try:
        at("officer")
        _check_officer(session)
        app = applications.get(session, application_id)
        if app.state != "approved" or app.impression_id is None:
            raise _refuse(session, "application-not-approved", f"application {application_id} is {app.state}, "
                          "not approved", str(application_id))
        at("seal-card")
        card, check = inspect_seal_card(session, seal_card, seal_pin)
        at("impression")
        imp = impressions.get(session, app.impression_id)
        picture = impressions.plaintext(session, imp.id)
        at("sign")
        made = now().replace(microsecond=0)
        esid = _esid(session)
        ext = [(FUNCTIONS_OID, False, ",".join(functions).encode())]
        with device_errors(session.card.serial):
            der = seseal.build_v4(
                esid=esid, seal_type=seal_type_code(app.seal_kind), name=app.seal_name,
                certs=[check.certificate], created=made, valid_start=made, valid_end=check.not_after,
                picture=picture, width_mm=imp.width_mm, height_mm=imp.height_mm, ext_datas=ext,
                signer=session.signer)
        report = seseal.verify(der, trust_anchors=session.home.trust_anchors())
        if not report.valid:
            raise StateError(f"the new seal does not verify: {', '.join(report.problems)}")
        at("co-authorize")
        digest = issuance_digest(der, seal_card, application_id, recipient)
        sigs: list[CoSignature] = []
        for serial, pin in supervisors:
            sigs.append(co_authorize(session, serial, pin(), digest, sigs))
        if len(sigs) < session.config.quorum:
            raise _refuse(session, "quorum", f"{len(sigs)} of {session.config.quorum} supervisors have "
                          "co-authorized", str(application_id))
        at("write")
        session.home.mark_card(seal_card, "needs-inspection")
        written = True
        with device_errors(seal_card):
            card.write_data(SEAL_LABEL, SEAL_APPLICATION, der, private=True, modifiable=False)
            at("read-back")
            if card.read_data(SEAL_LABEL) != der:
                raise StateError(f"card {seal_card} did not return the seal as written")
        at("record")
        result = MadeSeal(esid, seal_card, application_id, der, hashlib.sha256(der).hexdigest(),
                          cert_sha256(check.certificate), made.isoformat(), made, check.not_after,
                          recipient, tuple(sigs))
        _record(session, result, app, functions)
        recorded = True
        session.home.mark_card(seal_card, "sealed")
        return _with_receipt(session, result)
    except BaseException as exc:
        if not recorded:
            _abort(session, card, seal_card, step, exc, written)
        raise
    finally:
        session.module.forget(seal_card)


def _with_receipt(session: Session, made: MadeSeal) -> MadeSeal:
    """The ceremony's last step: the officer's card signs the receipt and a tree head.

    The seal is made whatever happens here, so a failure does not undo it: the result
    carries the error for the front end to show, and the receipt is signed at its next
    export instead (:func:`station.receipts.export.export_receipt`).
    """
    try:
        return replace(made, receipt=issue_receipt(session, made.esid))
    except StationError as exc:
        if not isinstance(exc, PolicyError):  # a refusal is already in the log
            session.log("receipt", made.esid, "failed", reason=exc.message)
        return replace(made, receipt_error=exc)


def _record(session: Session, m: MadeSeal, app: Any, functions: Sequence[str]) -> None:
    sup = [{"serial": s.serial, "cert_sha256": s.cert_sha256, "name": s.name, "algorithm": s.algorithm,
            "signature": s.signature.hex()} for s in m.supervisors]
    with session.store.transaction():
        session.store.execute(
            "INSERT INTO seals (esid, application_id, seal_der, seal_sha256, card_serial, card_cert_sha256,"
            " name, unit, seal_kind, valid_start, valid_end, made_at, officer_cert_sha256, functions, state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active')",
            (m.esid, m.application_id, m.seal_der, m.seal_sha256, m.card_serial, m.card_cert_sha256,
             app.seal_name, app.unit, app.seal_kind, m.valid_start.isoformat(), m.valid_end.isoformat(),
             m.made_at, session.actor.cert_sha256, ",".join(functions)))
        session.store.execute(
            "INSERT INTO issuances (esid, recipient, issued_at, officer_cert_sha256, supervisors, digest)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (m.esid, m.recipient, now().isoformat(), session.actor.cert_sha256, json.dumps(sup),
             issuance_digest(m.seal_der, m.card_serial, m.application_id, m.recipient).hex()))
        applications.mark_made(session, m.application_id, m.esid)
        lifecycle.record_made(session, m.esid, app, functions)
        session.log("make", m.esid, "ok", card=m.card_serial, application=m.application_id,
                    seal_sha256=m.seal_sha256)
        session.log("issue", m.esid, "ok", recipient=m.recipient, supervisors=[s["name"] for s in sup])


def _abort(session: Session, card: Card | None, serial: str, step: str, exc: BaseException,
           written: bool) -> None:
    """Leave no half-made seal: remove the object, or flag the card if it is gone."""
    outcome = "refused" if isinstance(exc, PolicyError) else "failed"
    reason = exc.message if isinstance(exc, StationError) else type(exc).__name__
    if written:
        removed = False
        if card is not None and card.probe():
            try:
                with device_errors(serial):
                    card.delete_data(SEAL_LABEL)
                removed = True
            except StationError:
                removed = False
        session.home.mark_card(serial, None if removed else "needs-inspection")
        reason += "; seal object removed from the card" if removed else "; card flagged for inspection"
    if outcome == "failed" or written:
        try:
            session.log("make-aborted", serial, outcome, step=step, reason=reason)
        except Exception:  # the store itself may be what failed; the exception says it
            pass
