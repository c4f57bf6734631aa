"""验章: verify any seal — a file (v1, v4, v5 or a v4 signed value) or the seal on a card.

The verdict says the signer (maker), the seal name, the times, the method and whether
all of it is valid; each reason for "not valid" is a named problem, and findings that do
not make a seal invalid (an odd certList entry, a certificate expired at signing) are
named warnings: `valid` is true exactly when `problems` is empty.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

from crypto import certs, seseal
from crypto.errors import CryptoError
from station.cards import device_errors, module_for
from station.errors import CardError, InputError, crypto_errors
from station.home import Home
from station.inputs import read_file

__all__ = ["verify_bytes", "verify_file", "verify_card", "parse_time", "load_anchors"]

# Certificates met in this process, kept for the next seal: a registry's batch meets the
# same maker certificate in every seal one officer made (see seseal.CertificateCache).
_CERTIFICATES = seseal.CertificateCache()


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--at {text!r} is not an ISO date or time (e.g. 2024-05-01 or 2024-05-01T12:00Z)") from None
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:  # the edge of time: a day either side must still be a time the station can compare
        value = value.astimezone(timezone.utc)
        (value - timedelta(days=1), value + timedelta(days=1))
    except (ValueError, OverflowError):
        raise InputError(f"--at {text!r} is at the edge of time: give a date between years 0002 and 9998") from None
    return value


def load_anchors(paths: Sequence[Path]) -> list[bytes]:
    out = []
    for path in paths:
        try:
            out += certs.der_certificates(read_file(path, "certificate", 1024 * 1024))
        except CryptoError as exc:
            raise InputError(f"{path}: not a certificate ({exc})") from None
    return out


def verify_bytes(data: bytes, *, at: datetime | None = None, anchors: Sequence[bytes] = ()) -> dict[str, Any]:
    """The CLI.md verdict for a seal or a v4 signed value (its embedded seal is judged)."""
    try:
        report = seseal.verify(data, at=at, trust_anchors=anchors, certificates=_CERTIFICATES)
    except CryptoError as first:
        with crypto_errors(InputError, f"not an electronic seal: {first}", opaque=True):
            doc = seseal.verify_signature_document(data, at=at, trust_anchors=anchors,
                                                   certificates=_CERTIFICATES)
        out = doc.seal.to_json()
        out["signature"] = doc.to_json()
        out["valid"] = doc.valid
        out["problems"] = sorted(set(out["problems"]) | set(doc.problems))
        out["warnings"] = sorted(set(out["warnings"]) | set(doc.warnings))
        return out
    return report.to_json()


def verify_file(path: Path, *, at: datetime | None = None, anchors: Sequence[bytes] = ()) -> dict[str, Any]:
    data = read_file(path, "seal file")
    return verify_bytes(data, at=at, anchors=anchors)


def verify_card(home: Home, serial: str, pin: str, *, at: datetime | None = None,
                anchors: Sequence[bytes] = ()) -> dict[str, Any]:
    """Read the SESeal object from a seal card (its PIN opens the private object).
    Wrong PINs count as at every other card login, and are sealed to the audit inbox."""
    from station.session import unlock_card

    module = module_for(home)
    card = unlock_card(home, home.config(), module, serial, pin, action="seal-verify")
    try:
        with device_errors(serial):
            data = card.read_data("SESeal")
    finally:
        module.forget(serial)
    if data is None:
        raise CardError(f"card {serial} holds no seal", hint="is this a blank card?")
    return verify_bytes(data, at=at, anchors=anchors or home.trust_anchors())
