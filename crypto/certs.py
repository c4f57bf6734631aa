"""X.509 certificates as the station asks about them: pure, no I/O, DER in.

Login, enrollment, the seal card check, receipts and bundles all ask the same few
questions of a certificate - its fingerprint, its name, whether it is valid now,
whether it may sign, whether a trust anchor issued it. They are answered here once, so
two callers cannot disagree on, say, what counts as "may sign".

A certificate that does not parse raises :class:`CertificateError` (a
:class:`~crypto.errors.CryptoError`), never a library's own exception.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from crypto.errors import CryptoError

__all__ = [
    "CertificateError",
    "CertificateFacts",
    "load",
    "subject_attributes",
    "read",
    "fingerprint",
    "common_name",
    "subject",
    "validity",
    "valid_at",
    "may_sign",
    "issued_by",
    "der_certificates",
    "issuer_common_name",
]


class CertificateError(CryptoError):
    """The bytes are not a certificate we can read."""


@dataclass(frozen=True)
class CertificateFacts:
    """What the station shows and checks of one certificate, read in one pass."""

    sha256: str
    subject: str
    issuer: str
    common_name: str
    serial: str  # hexadecimal, as a person compares it with the card's printout
    not_before: datetime
    not_after: datetime
    may_sign: bool
    der: bytes = field(repr=False)


def load(der: bytes) -> x509.Certificate:
    """The parsed certificate; :class:`CertificateError` when it is not one."""
    try:
        return x509.load_der_x509_certificate(bytes(der))
    except ValueError as exc:
        raise CertificateError(f"not a DER certificate: {exc}") from None


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER in hex: how the station names an enrolled certificate."""
    return hashlib.sha256(der).hexdigest()


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _may_sign(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(usage.digital_signature or usage.content_commitment)


def read(der: bytes) -> CertificateFacts:
    cert = load(der)
    return CertificateFacts(
        sha256=fingerprint(der), subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        common_name=_common_name(cert), serial=f"{cert.serial_number:x}", not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc, may_sign=_may_sign(cert), der=bytes(der))


def common_name(der: bytes) -> str:
    """The subject's CN, or the whole subject when it has none."""
    return _common_name(load(der))


def issuer_common_name(der: bytes) -> str:
    """The issuer's CN, or the whole issuer name when it has none."""
    issuer = load(der).issuer
    names = issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else issuer.rfc4514_string()


_NAMED = {NameOID.SERIAL_NUMBER: "serialNumber", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
          NameOID.ORGANIZATION_NAME: "O", NameOID.COMMON_NAME: "CN"}


def subject_attributes(der: bytes) -> list[tuple[str, str]]:
    """The subject's serialNumber, OU, O and CN values as (name, value), in subject order:
    the attributes that may name who a card belongs to."""
    return [(_NAMED[a.oid], str(a.value)) for a in load(der).subject if a.oid in _NAMED]


def subject(der: bytes) -> str:
    """The subject as RFC 4514 text."""
    return load(der).subject.rfc4514_string()


def validity(der: bytes) -> tuple[datetime, datetime]:
    """(not before, not after), aware UTC datetimes."""
    cert = load(der)
    return cert.not_valid_before_utc, cert.not_valid_after_utc


def valid_at(der: bytes, at: datetime) -> bool:
    start, end = validity(der)
    return start <= at <= end


def may_sign(der: bytes) -> bool:
    """Key usage allows digitalSignature or nonRepudiation (absent key usage: no)."""
    return _may_sign(load(der))


def issued_by(der: bytes, anchors: Sequence[bytes]) -> bool:
    """True when the certificate is one of the anchors or is directly issued by one."""
    cert = load(der)
    for anchor in anchors:
        if bytes(anchor) == bytes(der):
            return True
        try:
            cert.verify_directly_issued_by(load(anchor))
            return True
        except Exception:  # a wrong name, key type or signature (InvalidSignature is no ValueError): not this one
            continue
    return False


def der_certificates(data: bytes) -> list[bytes]:
    """Every certificate in ``data`` (PEM, one or more, or a single DER) as DER."""
    try:
        if b"-----BEGIN" in data:
            return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
        return [x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)]
    except ValueError as exc:
        raise CertificateError(str(exc)) from None
