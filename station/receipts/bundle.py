"""The station's public enrollment bundle: what an offline verifier needs to trust.

``seal-station bundle export`` writes one JSON file: the station id, its trust anchors,
every enrolled certificate with its role and enrollment period (removed cards stay in,
with their removal time, so old receipts still verify), the supervisor quorum and a
fresh audit tree head — all signed by an **administrator's** card (the one role that
manages enrollments). The file is self-contained: its signature is checked against an
administrator certificate listed in the file itself. That proves it is whole and was
made by this station's administrator, not that it came from this station — so a
verifier must obtain it through a trusted channel (handed over at the counter,
published by the bureau) and says so in every answer.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station.errors import InputError, PolicyError
from station.inputs import read_file
from station.model import Role

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["FORMAT", "TRUST_NOTE", "Enrolled", "Bundle", "export_bundle", "load_bundle", "canonical"]

FORMAT = "seal-station enrollment bundle v1"
TRUST_NOTE = ("the enrollment bundle proves itself only: obtain it through a trusted channel "
              "(from the bureau, not with the receipt)")


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Enrolled:
    role: str
    name: str
    serial: str
    cert_sha256: str
    certificate: bytes
    enrolled_at: str
    removed_at: str | None


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle; ``signature_ok`` says whether its admin signature verified."""

    station_id: str
    anchors: tuple[bytes, ...]
    enrolled: tuple[Enrolled, ...]
    quorum: int
    head: dict[str, Any] | None
    signer: str
    signature_ok: bool
    problems: tuple[str, ...]

    def by_hash(self, digest: str) -> Enrolled | None:
        return next((e for e in self.enrolled if e.cert_sha256 == digest), None)


def _pem(der: bytes) -> str:
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(
        base64.b64encode(der).decode()[i:i + 64] for i in range(0, len(base64.b64encode(der)), 64))
        + "\n-----END CERTIFICATE-----\n")


def export_bundle(session: Session, path: Path) -> dict[str, Any]:
    """Write the bundle signed by the session's card, which must be an administrator's."""
    from station.cards import device_errors
    from station.home import atomic_write
    from station.store.enrollments import Enrollments

    if session.actor.role is not Role.ADMIN:
        session.log("bundle-export", str(path), "refused", reason="not-admin")
        raise PolicyError("only an administrator's card signs the enrollment bundle", reason="not-admin",
                          hint="log in with an administrator card")
    rows = Enrollments(session.store).all()
    with device_errors(session.card.serial):
        head = session.audit.sign_head(session.signer, session.actor.cert_sha256)
    body = {
        "format": FORMAT,
        "station_id": session.config.station_id,
        "quorum": session.config.quorum,
        "trust_anchors": [_pem(der) for der in session.home.trust_anchors()],
        "enrolled": [{"cert_sha256": e.cert_sha256, "serial": e.serial, "role": e.role.value, "name": e.name,
                      "certificate": _pem(e.certificate), "enrolled_at": e.enrolled_at, "removed_at": e.removed_at}
                     for e in rows],
        "tree_head": {"size": head.size, "root": head.root.hex(), "time": head.time,
                      "signer": head.signer_cert_sha256, "algorithm": head.algorithm,
                      "signature": head.signature.hex()},
    }
    with device_errors(session.card.serial):
        value = session.signer.sign(canonical(body))
    doc = {**body, "signature": {"signer": session.actor.cert_sha256, "algorithm": session.signer.algorithm,
                                 "value": base64.b64encode(value).decode()}}
    try:
        atomic_write(Path(path), (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode())
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    session.log("bundle-export", str(path), "ok", enrolled=len(rows), tree_size=head.size)
    return doc


def _der(pem: Any) -> bytes:
    from crypto import certs

    found = certs.der_certificates(str(pem).encode())
    if len(found) != 1:
        raise ValueError("one PEM certificate expected")
    return found[0]


def load_bundle(path: Path) -> Bundle:
    """Parse and check a bundle file; malformed -> InputError (exit 2), bad signature -> problems."""
    from crypto import certs
    from crypto.algorithms import verify_signature
    from crypto.errors import CryptoError

    try:
        doc = json.loads(read_file(path, "bundle").decode("utf-8"))
        if doc.get("format") != FORMAT:
            raise ValueError("not an enrollment bundle")
        sig = doc["signature"]
        body = {k: v for k, v in doc.items() if k != "signature"}
        anchors = tuple(_der(p) for p in doc["trust_anchors"])
        enrolled = tuple(Enrolled(str(e["role"]), str(e["name"]), str(e["serial"]), str(e["cert_sha256"]),
                                  _der(e["certificate"]), str(e["enrolled_at"]),
                                  None if e.get("removed_at") is None else str(e["removed_at"]))
                         for e in doc["enrolled"])
        for e in enrolled:  # times a verifier compares with: they must parse
            datetime.fromisoformat(e.enrolled_at.replace("Z", "+00:00"))
            if e.removed_at is not None:
                datetime.fromisoformat(e.removed_at.replace("Z", "+00:00"))
        value = base64.b64decode(sig["value"], validate=True)
        station_id, quorum, signer = str(doc["station_id"]), int(doc.get("quorum", 1)), str(sig["signer"])
        head = doc.get("tree_head")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: not a seal-station enrollment bundle ({type(exc).__name__})") from None
    problems = [f"certificate hash of {e.serial} does not match" for e in enrolled
                if certs.fingerprint(e.certificate) != e.cert_sha256]
    admin = next((e for e in enrolled if e.cert_sha256 == signer and e.role == Role.ADMIN.value), None)
    ok = False
    if admin is None:
        problems.append("the bundle is not signed by an administrator it lists")
    else:
        try:
            ok = verify_signature(admin.certificate, str(sig.get("algorithm")), canonical(body), value)
        except CryptoError:
            ok = False
        if not ok:
            problems.append("the bundle's signature does not verify (altered or not signed by its administrator)")
        elif not certs.issued_by(admin.certificate, anchors):
            ok = False
            problems.append("the bundle's administrator is not certified by the bundle's trust anchors")
    return Bundle(station_id, anchors, enrolled, quorum, head if isinstance(head, dict) else None, signer,
                  ok and not problems, tuple(problems))
