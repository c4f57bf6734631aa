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
8. The recipient's PIN goes onto the card, or it keeps its initial PIN (station/seal_pins.py).
9. The officer's card signs the receipt and a tree head (station/receipts/issue.py), so
   every front end ends the ceremony with the receipt in hand; then it witnesses the
   store (station/witness.py).

Before the card is written the station reserves it in the store (one write transaction;
a unique index lets one ceremony per card and per application hold a reservation) and
checks the card again under the reservation, so two ceremonies racing for one card
cannot both write: the loser is refused ``card-busy`` or ``card-already-sealed``. The
reservation keeps the seal and all its record needs, and the card is noted as
"needs-inspection" in the public ledger, so a crash, a pulled card or a busy store can
never leave an unnoticed half-made seal: after a failure the object is removed if the
card is still there and the reservation released; otherwise the card stays flagged and
``seal-station card inspect`` settles it (station/settle.py). A written card always ends
recorded or flagged.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Sequence

from crypto import certs, seseal
from devices.pkcs11 import Card
from station import applications, faults, impressions, witness
from station.binding import applicant_match
from station.cards import device_errors
from station.clock import now
from station.errors import CardError, PolicyError, StateError, StationError, StoreError, crypto_errors
from station.model import Application, CoSignature, Impression, Role
from station.receipts.claims import issuance_claims
from station.receipts.claims import issuance_digest as claims_digest
from station.receipts.issue import epoch, issue_receipt
from station.reserving import (SEAL_LABEL, MadeSeal, check_application_free, check_card_free, made_from,
                               recheck, record_reserved, refuse, release, reserve)
from station.seal_pins import check_recipient_pin, set_at_issue
from station.session import Session, prove_possession, unlock_card
from station.store.counters import Counters
from station.store.enrollments import Enrollments
from station.store.reservations import Reservation
from station.vocabulary import ApplicationState, SealFunction, SealKind, values

__all__ = ["STEPS", "SealCardCheck", "CoSignature", "MadeSeal", "inspect_seal_card", "precheck_seal_card",
           "expected_esid", "co_authorize",
           "make_seal", "check_supervisor", "review", "Review", "next_application", "issuance_digest",
           "FUNCTIONS_OID", "FUNCTIONS", "SEAL_LABEL", "made_from", "record_reserved"]

STEPS = ("officer", "seal-card", "impression", "sign", "co-authorize", "write", "read-back", "record", "pin")
FUNCTIONS: tuple[str, ...] = tuple(values(SealFunction))
# 2.25.<uuid>: the seal's authorized functions (office documents, web forms, login).
FUNCTIONS_OID = "2.25." + str(uuid.UUID("6f1c2a9e-5b37-4d1e-9c1a-53a1e7c0de01").int)
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
    matched: str = ""  # what in the certificate names the applicant (station/binding.py)


def _check_officer(session: Session) -> None:
    if session.actor.role is not Role.OFFICER:
        raise refuse(session, "not-officer", f"only a seal officer makes seals; this card is enrolled as "
                     f"{session.actor.role.value}", session.actor.serial, "log in with an officer card")


def inspect_seal_card(session: Session, serial: str, pin: str,
                      app: Application | None = None) -> tuple[Card, SealCardCheck]:
    """Log in to the seal card and check it (for ``app``'s applicant); each refusal names its reason."""
    if serial in session.home.keyslots().serials():
        raise refuse(session, "card-is-authorization", f"card {serial} is an authorization card of this "
                     "station, not a seal card", serial)
    card = _unlock(session, serial, pin)
    cert = _check_certificate(session, serial, card.certificate)
    matched = _applicant(session, serial, cert.der, cert.subject, app)
    try:
        prove_possession(card, session.config)
    except PolicyError as exc:
        raise refuse(session, "no-possession", exc.message, serial) from None
    check_card_free(session, serial)
    with device_errors(serial):
        existing = card.read_data(SEAL_LABEL)
    if existing is not None or session.home.card_marks().get(serial) == "sealed":
        raise refuse(session, "card-already-sealed", f"card {serial} already holds a seal", serial,
                     "use a blank seal card; revoke the old seal first to reuse a card")
    return card, SealCardCheck(
        serial=serial, label=card.label, subject=cert.subject, issuer=cert.issuer, cert_serial=cert.serial,
        not_before=cert.not_before, not_after=cert.not_after, certificate=cert.der, matched=matched)


def _applicant(session: Session, serial: str, der: bytes, subject: str, app: Application | None) -> str:
    """The card must belong to the applicant (station/binding.py): what matched, or refusal."""
    if app is None:
        return ""
    found = applicant_match(der, app)
    if found is None:
        who = (f"{app.holder_name} (ID {app.holder_id})" if SealKind(app.seal_kind).personal
               else f"{app.unit} ({app.credit_code or 'no credit code'})")
        raise refuse(session, "card-not-applicants", f"card {serial} does not belong to the applicant "
                     f"{who}: its certificate names {subject}", serial,
                      "use a seal card whose certificate names the applying unit or person")
    return str(found)


def _check_certificate(session: Session, serial: str, der: bytes) -> certs.CertificateFacts:
    """The seal card's certificate: trusted, valid now, allowed to sign."""
    with crypto_errors(CardError, f"the certificate on card {serial} cannot be read"):
        cert = certs.read(der)
    if not certs.issued_by(cert.der, session.home.trust_anchors()):
        raise refuse(session, "issuer-not-trusted", f"the certificate on card {serial} is not issued by a "
                      f"CA this station trusts ({cert.issuer})", serial)
    if now() > cert.not_after:
        raise refuse(session, "certificate-expired", f"the certificate on card {serial} expired on "
                      f"{cert.not_after:%Y-%m-%d}", serial, "renew the card's certificate first")
    if now() < cert.not_before:
        raise refuse(session, "certificate-not-yet-valid", f"the certificate on card {serial} is valid only "
                      f"from {cert.not_before:%Y-%m-%d}", serial)
    if not cert.may_sign:
        raise refuse(session, "wrong-key-usage", f"the certificate on card {serial} does not allow "
                      "digitalSignature or nonRepudiation", serial)
    return cert


def precheck_seal_card(session: Session, serial: str, application_id: int | None = None) -> None:
    """Every refusal known before the seal card's PIN is asked: the certificate is public,
    the approved applications are in the store. :func:`review` repeats them with the PIN."""
    _check_officer(session)
    if serial in session.home.keyslots().serials():
        raise refuse(session, "card-is-authorization", f"card {serial} is an authorization card of this "
                      "station, not a seal card", serial)
    if application_id is not None:
        app = applications.get(session, application_id)
        if app.state is not ApplicationState.APPROVED:
            raise refuse(session, "application-not-approved", f"application {application_id} is {app.state}, "
                          "not approved", str(application_id))
    elif not applications.list_(session, state="approved"):
        raise refuse(session, "no-approved-application", "no approved application is waiting to be made",
                      serial, "a supervisor approves an application first")
    with device_errors(serial):
        info = session.module.info(serial)
    if info.certificate is None:
        raise CardError(f"card {serial} holds no certificate", hint="use a seal card issued by the CA")
    cert = _check_certificate(session, serial, info.certificate)
    if application_id is not None:
        _applicant(session, serial, cert.der, cert.subject, app)
    if SEAL_LABEL in info.data_labels or session.home.card_marks().get(serial) == "sealed":
        raise refuse(session, "card-already-sealed", f"card {serial} already holds a seal", serial,
                      "use a blank seal card; revoke the old seal first to reuse a card")


@dataclass(frozen=True)
class Review:
    """Everything the officer sees before signing: what will be signed, and onto what."""

    application: Application
    impression: Impression
    picture: bytes = field(repr=False)
    card: SealCardCheck = field(repr=False)
    valid_start: datetime
    valid_end: datetime
    esid: str = ""  # the esID the seal will get unless another is made first


def expected_esid(session: Session) -> str:
    """The esID the next seal gets (read, not taken: :func:`_esid` takes it when signing)."""
    from station.store.counters import Meta

    year = now().year
    current = Meta(session.store).get(f"esid-seq-{year}")
    return f"{session.config.station_id}-{year}-{int(current or 0) + 1:06d}"


def review(session: Session, application_id: int, seal_card: str, seal_pin: str) -> Review:
    """Run the checks of steps 1-3 without signing anything (the wizard's review)."""
    _check_officer(session)
    app = applications.get(session, application_id)
    if app.state is not ApplicationState.APPROVED or app.impression_id is None:
        raise refuse(session, "application-not-approved", f"application {application_id} is {app.state}, "
                     "not approved", str(application_id))
    check_application_free(session, application_id)
    try:
        _, check = inspect_seal_card(session, seal_card, seal_pin, app)
    finally:
        session.module.forget(seal_card)
    imp = impressions.get(session, app.impression_id)
    picture = impressions.plaintext(session, imp.id)
    start = now().replace(microsecond=0)
    return Review(app, imp, picture, check, start, check.not_after, expected_esid(session))


def next_application(session: Session, unit: str) -> Application | None:
    """Batch making: the next approved application of the same unit, if any."""
    pending = applications.list_(session, state="approved", unit=unit)
    return pending[0] if pending else None


def issuance_digest(session: Session, app: Application, *, number: int, esid: str, seal_der: bytes,
                    card_serial: str, card_cert_sha256: str, made: datetime, issued: datetime,
                    recipient: str) -> bytes:
    """What every supervisor signs (DESIGN.md §2 step 6): the receipt's claims 1-15."""
    return claims_digest(issuance_claims(
        station=session.config.station_id, number=number, esid=esid, kind=app.seal_kind, unit=app.unit,
        credit_code=app.credit_code, name=app.seal_name, card=card_serial, card_cert_sha256=card_cert_sha256,
        seal_sha256=hashlib.sha256(seal_der).hexdigest(), made=epoch(made.isoformat()),
        issued=epoch(issued.isoformat()), recipient=recipient, application_id=app.id,
        officer_cert_sha256=session.actor.cert_sha256))


def _unlock(session: Session, serial: str, pin: str) -> Card:
    """Card login with the station's wrong-PIN count; refusals go to the audit log."""
    return unlock_card(session.home, session.config, session.module, serial, pin,
                       lambda reason: session.log("card-login", serial, "refused", reason=reason))


def _supervisor_card(session: Session, serial: str, pin: str, already: Sequence[str]) -> Card:
    """The supervisor's card, logged in, after every separation-of-duties check."""
    if serial == session.card.serial:
        raise refuse(session, "officer-as-supervisor", "the officer cannot co-authorize their own seal",
                     serial, "a different supervisor must insert their card")
    if serial in already:
        raise refuse(session, "supervisor-twice", f"card {serial} has already co-authorized", serial)
    card = _unlock(session, serial, pin)
    der = card.certificate
    enrollment = Enrollments(session.store).active(certs.fingerprint(der))
    if enrollment is None or enrollment.role is not Role.SUPERVISOR:
        session.module.forget(serial)
        raise refuse(session, "not-supervisor", f"card {serial} is not enrolled as a supervisor", serial)
    if certs.fingerprint(der) == session.actor.cert_sha256:
        session.module.forget(serial)
        raise refuse(session, "officer-as-supervisor", "the officer cannot co-authorize", serial)
    return card


def check_supervisor(session: Session, serial: str, pin: str, already: Sequence[str] = ()) -> str:
    """Check a supervisor's card and PIN now (the wizard asks before signing); their name."""
    card = _supervisor_card(session, serial, pin, already)
    try:
        return certs.common_name(card.certificate)
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
            raise refuse(session, "no-possession", f"card {serial} cannot prove it holds its key", serial)
        return CoSignature(serial, certs.fingerprint(der), certs.common_name(der), signer.algorithm, signature)
    finally:
        session.module.forget(serial)


def _esid(session: Session) -> str:
    """Station id + year + sequence: unique, stable, never reused (a gap after an abort)."""
    year = now().year
    seq = Counters(session.store).next_value(f"esid-seq-{year}")
    return f"{session.config.station_id}-{year}-{seq:06d}"


def make_seal(session: Session, *, application_id: int, seal_card: str, seal_pin: str,
              supervisors: Sequence[tuple[str, Callable[[], str]]], recipient: str,
              functions: Sequence[str] = FUNCTIONS, progress: Progress | None = None,
              new_pin: str | None = None) -> MadeSeal:
    """Run the whole ceremony; on any failure nothing is recorded as made.

    ``new_pin`` is the PIN the recipient chose for the seal card (None: it keeps its
    initial PIN); a weak one stops the ceremony before anything is done."""
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
    check_recipient_pin(new_pin, seal_pin)
    written = False
    reservation: Reservation | None = None
    esid = ""
    recorded = False  # once the store says "made", an error must not wipe the card
    card: Card | None = None
    try:
        at("officer")
        _check_officer(session)
        app = applications.get(session, application_id)
        if app.state is not ApplicationState.APPROVED or app.impression_id is None:
            raise refuse(session, "application-not-approved", f"application {application_id} is {app.state}, "
                         "not approved", str(application_id))
        check_application_free(session, application_id)
        at("seal-card")
        card, check = inspect_seal_card(session, seal_card, seal_pin, app)
        at("impression")
        imp = impressions.get(session, app.impression_id)
        picture = impressions.plaintext(session, imp.id)
        at("sign")
        made = now().replace(microsecond=0)
        with session.store.transaction():  # one commit: the esID and the receipt number it will carry
            esid = _esid(session)
            number = Counters(session.store).next_value("receipt-seq")  # a gap if aborted, never reused
        ext = [(FUNCTIONS_OID, False, ",".join(functions).encode())]
        with crypto_errors(StateError, "the new seal cannot be made"), device_errors(session.card.serial):
            der = seseal.build_v4(
                esid=esid, seal_type=int(SealKind(app.seal_kind).seal_type), name=app.seal_name,
                certs=[check.certificate], created=made, valid_start=made, valid_end=check.not_after,
                picture=picture, width_mm=imp.width_mm, height_mm=imp.height_mm, ext_datas=ext,
                signer=session.signer)
        report = seseal.verify(der, trust_anchors=session.home.trust_anchors())
        if not report.valid:
            raise StateError(f"the new seal does not verify: {', '.join(report.problems)}")
        at("co-authorize")
        issued = now().replace(microsecond=0)
        digest = issuance_digest(session, app, number=number, esid=esid, seal_der=der, card_serial=seal_card,
                                 card_cert_sha256=certs.fingerprint(check.certificate), made=made,
                                 issued=issued, recipient=recipient)
        sigs: list[CoSignature] = []
        for serial, pin in supervisors:
            sigs.append(co_authorize(session, serial, pin(), digest, sigs))
        if len(sigs) < session.config.quorum:
            raise refuse(session, "quorum", f"{len(sigs)} of {session.config.quorum} supervisors have "
                         "co-authorized", str(application_id))
        at("write")
        result = MadeSeal(esid, seal_card, application_id, der, hashlib.sha256(der).hexdigest(),
                          certs.fingerprint(check.certificate), made.isoformat(), made, check.not_after,
                          recipient, tuple(sigs), number=number, issued_at=issued.isoformat(), digest=digest)
        reservation = reserve(session, result, functions)
        recheck(session, card, reservation)
        session.home.mark_card(seal_card, "needs-inspection")
        written = True
        with device_errors(seal_card):
            card.write_data(SEAL_LABEL, SEAL_APPLICATION, der, private=True, modifiable=False)
            at("read-back")
            if card.read_data(SEAL_LABEL) != der:
                raise StateError(f"card {seal_card} did not return the seal as written")
        at("record")
        record_reserved(session, reservation, app)
        recorded = True
        session.home.mark_card(seal_card, "sealed")
        at("pin")
        pin_error = set_at_issue(session, card, seal_card, seal_pin, new_pin)
        result = replace(result, pin_set=bool(new_pin) and pin_error is None, pin_error=pin_error)
        made_seal = _with_receipt(session, result)
        _witness(session)
        return made_seal
    except BaseException as exc:
        if not recorded:
            _abort(session, card, seal_card, step, exc, written, reservation)
            if written and isinstance(exc, StoreError):
                raise type(exc)(f"{exc.message}; seal {esid} is on card {seal_card} but not recorded, and the "
                                "card is flagged", title=exc.title,
                                hint=f"settle it when the station is free: `seal-station card inspect "
                                     f"{seal_card} --by SERIAL`") from None
        raise
    finally:
        session.module.forget(seal_card)


def _witness(session: Session) -> None:
    """The officer's card witnesses the store with the new seal in it (station/witness.py);
    if the card cannot, its logout witness covers the seal."""
    try:
        witness.record(session)
    except StationError:
        pass


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


def _abort(session: Session, card: Card | None, serial: str, step: str, exc: BaseException,
           written: bool, reservation: Reservation | None) -> None:
    """Leave no half-made seal: remove the object and release the card, or flag it.

    When the store is what failed (busy, damaged) the seal stays on the card, flagged:
    the reservation in the store already holds all its record needs, so ``card inspect``
    records it once the store answers again.
    """
    outcome = "refused" if isinstance(exc, PolicyError) else "failed"
    reason = exc.message if isinstance(exc, StationError) else type(exc).__name__
    if reservation is not None and not written and not isinstance(exc, PolicyError):
        # reserved, not written: release the card, unless it left the reader (then who knows)
        present = card is not None and card.probe()
        if present:
            present = release(session, reservation, "aborted")
        if not present:
            session.home.mark_card(serial, "needs-inspection")
            reason += "; card flagged for inspection"
    if written:
        removed = False
        if isinstance(exc, StoreError):
            pass
        elif card is not None and card.probe():
            try:
                with device_errors(serial):
                    card.delete_data(SEAL_LABEL)
                removed = True
            except StationError:
                removed = False
        if removed and reservation is not None:
            removed = release(session, reservation, "aborted")
        session.home.mark_card(serial, None if removed else "needs-inspection")
        reason += "; seal object removed from the card" if removed else "; card flagged for inspection"
    if outcome == "failed" or written or reservation is not None:
        try:
            session.log("make-aborted", serial, outcome, step=step, reason=reason)
        except Exception:  # the store itself may be what failed; the exception says it
            pass
