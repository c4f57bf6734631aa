"""Verifying a seal: the maker's signature, the period, and the chains.

Everything but a malformed seal is a report, never an exception: the station must
be able to say *why* a seal is bad. Some problems are findings that do not by
themselves make a seal invalid (a maker certificate expired at signing, say); the
document-signature verifier in :mod:`.document` reuses :func:`_assess` to judge the
embedded seal at the signing time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence

from ..algorithms import UnsupportedAlgorithm, verify_signature
from .certs import CertificateCache, _Cert, _anchors, _load_cert, _public_key_for, _trusted, _validity
from .model import Chain, ParsedSeal, SealReport
from .parsing import parse

__all__ = ["verify"]


def _check_maker_signature(p: ParsedSeal, maker: _Cert | None, problems: list[str]) -> bool:
    """The maker's signature over the original bytes; with the key of the certificate
    already loaded when there is one (no second parse of it, and none at all when a
    cache has met the certificate before)."""
    try:
        if maker is not None:
            ok = _public_key_for(maker, p.algorithm).verify(p.signed_bytes, p.signature)
        else:
            ok = verify_signature(p.maker_cert, p.algorithm, p.signed_bytes, p.signature)
    except UnsupportedAlgorithm:
        problems.append("unsupported-algorithm")
        return False
    if not ok:
        problems.append("maker-signature-invalid")
    return ok


def _at_signing(cert: _Cert | None, when: datetime, who: str, warnings: list[str]) -> None:
    """A certificate outside its own validity when the seal (or document) was signed:
    worth telling, but a finding, not a reason the seal is invalid (a warning)."""
    period = _validity(cert) if cert is not None else None
    if period is None:
        return
    if when > period[1]:
        warnings.append(f"{who}-cert-expired-at-signing")
    elif when < period[0]:
        warnings.append(f"{who}-cert-not-yet-valid-at-signing")


def _assess(p: ParsedSeal, at: datetime | None, trust_anchors: Sequence[bytes],
            cache: CertificateCache | None = None) -> SealReport:
    """The verdict: ``problems`` are what make the seal invalid, ``warnings`` the rest.

    Strict in what the station signs, tolerant in what it reads where the signature is
    untouched: the certList is inside what the maker signed, so when that signature
    verifies, entries that are not certificates and listed certificates with names in
    unexpected string types are warnings. The maker's certificate is outside it, so a
    maker certificate that cannot be read stays a problem.
    """
    at = datetime.now(timezone.utc) if at is None else (
        at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
    )
    anchors = _anchors(trust_anchors, cache) if trust_anchors else []
    problems: list[str] = []
    warnings: list[str] = []
    maker = _load_cert(p.maker_cert, cache=cache)
    if maker is None:
        problems.append("maker-cert-malformed")
    intact = _check_maker_signature(p, maker, problems) and maker is not None
    listed = tuple(_load_cert(der, tolerant=True, cache=cache) for der in p.certs)
    if any(cert is None for cert in listed):
        warnings.append("cert-list-malformed")
    if p.cert_list_others:
        warnings.append("cert-list-entry-not-a-certificate")
    if any(cert is not None and cert.odd_names for cert in listed):
        warnings.append("cert-name-unusual-encoding")
    if not p.certs and not p.cert_digests and not p.cert_list_others:
        problems.append("cert-list-empty")
        intact = False
    in_period = p.valid_start <= at <= p.valid_end
    if not in_period:
        problems.append("out-of-period")
        problems.append("not-yet-valid" if at < p.valid_start else "expired")
    _at_signing(maker, p.created, "maker", warnings)
    chain: Chain = "unchecked"
    if anchors:
        chain = "ok"
        if not _trusted(maker, anchors):
            problems.append("maker-cert-untrusted")
            chain = "untrusted"
        if not all(_trusted(cert, anchors) for cert in listed):
            problems.append("cert-untrusted")
            chain = "untrusted"
    return SealReport(p, intact, in_period, chain, tuple(problems), at, tuple(warnings), (maker, listed))


def verify(
    data: bytes, *, at: datetime | None = None, trust_anchors: Sequence[bytes] = (),
    certificates: CertificateCache | None = None,
) -> SealReport:
    """Verify a seal at ``at`` (default now, UTC) against optional trust anchors.

    Malformed seals raise :class:`SealFormatError`; everything else is a report.
    ``trust_anchors`` are DER (or PEM) certificates; a malformed anchor is the
    caller's configuration error and raises ``ValueError``. ``certificates``: the
    caller's cache of certificates met before (the same verdict, sooner).
    """
    return _assess(parse(data), at, trust_anchors, certificates)
