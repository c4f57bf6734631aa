"""Throw-away keys and certificates for tests and the demo world.

Certificates are built with asn1crypto rather than cryptography's builder because
the builder cannot sign with (or certify) SM2 keys and tongsuopy has no X.509
support; one code path for P-256, RSA and SM2 keeps the three honest with each
other, and lets a P-256 CA certify an SM2 card or the reverse.

Nothing here is for production keys: keys are generated in memory and returned.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Literal

from asn1crypto import core, keys, x509

from .algorithms import (
    ECDSA_SHA256,
    RSA_SHA256,
    SM2_SM3,
    SoftwareSigner,
    _private_key_algorithm,
    _public_bits,
    _serialization_module,
)

__all__ = ["KeyKind", "Identity", "generate_key", "make_certificate", "make_ca", "issue"]

KeyKind = Literal["ec", "rsa", "sm2"]

_DEFAULT_USAGE = frozenset({"digital_signature", "non_repudiation"})
_CA_USAGE = frozenset({"key_cert_sign", "crl_sign", "digital_signature"})


@dataclass(frozen=True)
class Identity:
    """A private key with its certificate: what a card would hold."""

    key: Any
    certificate: bytes

    @property
    def signer(self) -> SoftwareSigner:
        return SoftwareSigner(self.key, self.certificate)

    @property
    def name(self) -> x509.Name:
        return x509.Certificate.load(self.certificate).subject


def generate_key(kind: KeyKind) -> Any:
    """A fresh private key: EC P-256 / RSA-2048 (cryptography) or SM2 (tongsuopy)."""
    if kind == "ec":
        from cryptography.hazmat.primitives.asymmetric import ec

        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        from cryptography.hazmat.primitives.asymmetric import rsa

        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "sm2":
        from tongsuopy.crypto.asymciphers import ec as sm_ec

        return sm_ec.generate_private_key(sm_ec.SM2())
    raise ValueError(f"unknown key kind {kind!r}")


def _spki(key: Any) -> keys.PublicKeyInfo:
    ser = _serialization_module(key)
    der = key.public_key().public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
    return keys.PublicKeyInfo.load(der)


def _time(value: datetime) -> x509.Time:
    value = value.astimezone(timezone.utc).replace(microsecond=0)
    return x509.Time({"utc_time" if 1950 <= value.year < 2050 else "general_time": value})


def _name(subject: str | dict[str, str]) -> x509.Name:
    attrs = {"common_name": subject} if isinstance(subject, str) else dict(subject)
    return x509.Name.build(attrs, use_printable=False)


def make_certificate(
    key: Any,
    subject: str | dict[str, str],
    *,
    issuer: Identity | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_usage: Iterable[str] = _DEFAULT_USAGE,
    ca: bool = False,
    serial: int | None = None,
) -> bytes:
    """A DER X.509 v3 certificate for ``key``; self-signed when ``issuer`` is None.

    ``subject`` is a common name or an asn1crypto name dict. ``key_usage`` names
    asn1crypto KeyUsage bits (``digital_signature``, ``non_repudiation``,
    ``key_cert_sign``...). Dates default to one day ago .. one year ahead.
    """
    now = datetime.now(timezone.utc)
    not_before = not_before or now - timedelta(days=1)
    not_after = not_after or now + timedelta(days=365)
    signing_key = key if issuer is None else issuer.key
    issuer_name = _name(subject) if issuer is None else issuer.name
    algorithm = _private_key_algorithm(signing_key)
    sig_alg: dict[str, Any] = {"algorithm": algorithm}
    if algorithm == RSA_SHA256:
        sig_alg["parameters"] = core.Null()
    spki = _spki(key)
    ski = hashlib.sha1(_public_bits(key)).digest()
    extensions = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
        {"extn_id": "key_usage", "critical": True, "extn_value": set(key_usage)},
        {"extn_id": "key_identifier", "critical": False, "extn_value": ski},
    ]
    if issuer is not None:
        aki = hashlib.sha1(_public_bits(issuer.key)).digest()
        extensions.append(
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": aki},
            }
        )
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial if serial is not None else secrets.randbits(63) + 1,
            "signature": sig_alg,
            "issuer": issuer_name,
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": _name(subject),
            "subject_public_key_info": spki,
            "extensions": extensions,
        }
    )
    tbs_der = tbs.dump()
    signature = _sign_raw(signing_key, algorithm, tbs_der)
    cert = x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": sig_alg,
            "signature_value": signature,
        }
    )
    return cert.dump()


def _sign_raw(key: Any, algorithm: str, data: bytes) -> bytes:
    """Sign without a certificate (the certificate is what is being made)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    if algorithm == ECDSA_SHA256:
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if algorithm == RSA_SHA256:
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    assert algorithm == SM2_SM3
    from tongsuopy.crypto import hashes as sm_hashes
    from tongsuopy.crypto.asymciphers import ec as sm_ec

    return bytes(key.sign(data, sm_ec.ECDSA(sm_hashes.SM3())))


def make_ca(
    kind: KeyKind = "ec",
    common_name: str = "Seal Station Test CA",
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Identity:
    """A self-signed CA: the trust anchor of a test world."""
    key = generate_key(kind)
    cert = make_certificate(
        key,
        common_name,
        not_before=not_before,
        not_after=not_after or datetime.now(timezone.utc) + timedelta(days=3650),
        key_usage=_CA_USAGE,
        ca=True,
    )
    return Identity(key, cert)


def issue(
    ca: Identity,
    kind: KeyKind = "ec",
    subject: str | dict[str, str] = "Seal Station Test Card",
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_usage: Iterable[str] = _DEFAULT_USAGE,
    key: Any = None,
) -> Identity:
    """An end-entity key and certificate issued by ``ca`` (a fresh key unless given)."""
    key = key if key is not None else generate_key(kind)
    cert = make_certificate(
        key,
        subject,
        issuer=ca,
        not_before=not_before,
        not_after=not_after,
        key_usage=key_usage,
    )
    return Identity(key, cert)
