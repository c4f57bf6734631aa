"""Certificates in seals: loading, names, summaries and chains to trust anchors.

A seal carries the maker's certificate and (usually) a certList; a verification
reads each of them several times (well-formedness, validity at signing, the report,
the chain). :class:`_Cert` loads one once and keeps what was read, and
:func:`_load_cert` decides what counts as well formed so that a broken certificate is
a reported problem rather than a crash half-way through the report.

Seals share certificates: every seal one officer makes carries the same maker
certificate, and a registry checks thousands of them. A :class:`CertificateCache`,
owned by the caller, keeps the loaded certificates (and with them the key, the
summary and the chain verdicts each one gives) for the next seal, keyed by the exact
DER bytes: the same bytes give the same answers, so a verdict cannot depend on
whether the cache had them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Sequence

from asn1crypto import x509

from ..certs import load as load_certificate
from ..algorithms import VerifyKey
from .der import _Part, _Unusual, _bits, _tlv
from .errors import SealFormatError
from .names import _COMMON_NAME, _PLAIN_LABELS, _dn, _plain_dn, _plain_text, _tolerant_dn

__all__ = ["certificate_summary", "CertificateCache"]


def _iso(value: Any) -> str | None:
    if not isinstance(value, datetime):
        return None if value is None else str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    elif value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    if value.year >= 1000:  # what strftime gives, quicker (it does not pad smaller years)
        return value.isoformat()[:19] + "Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Cert:
    """A well-formed certificate, loaded once per verification and passed along.

    ``rust`` is the ``cryptography`` certificate (its Rust parser has checked the
    whole DER, and gives the dates quickly, SM2 ones included); names and serial are
    read from the DER (:func:`_plain_name`, :func:`_serial`) and kept here; ``asn1``
    is the asn1crypto view, made on first use, for the rest (the exact TBS bytes and
    names for chains, names outside the plain cases of :func:`_plain_name`).
    """

    __slots__ = ("der", "rust", "_asn1", "names", "spans", "odd_names", "keys", "summary", "issuers")

    def __init__(self, der: bytes, rust: Any) -> None:
        self.der, self.rust = der, rust
        self.odd_names = False  # a name attribute asn1crypto cannot read (see _load_cert)
        self._asn1: x509.Certificate | None = None
        self.names: list[Any] = [False, False]  # issuer, subject: False until _plain_name reads them
        self.spans: tuple[_Part, _Part, _Part, _Part] | None = None  # serial, issuer, subject, key
        self.keys: dict[str, VerifyKey] = {}  # signature algorithm OID -> the key, read once
        self.summary: dict[str, Any] | None = None  # _summary's answer, computed once
        self.issuers: dict[bytes, bool] = {}  # anchor DER -> _issued_by's answer

    @property
    def asn1(self) -> x509.Certificate:
        # Cannot fail once the Rust parser took the DER (one strict SEQUENCE, no trailing
        # bytes), which is all asn1crypto checks before reading lazily.
        if self._asn1 is None:
            self._asn1 = x509.Certificate.load(self.der, strict=True)
        return self._asn1


class CertificateCache:
    """Certificates loaded for one seal, kept for the next (a bounded LRU, thread-safe).

    The caller owns it (``crypto`` keeps no state of its own) and passes it to
    :func:`.verify` or :func:`.verify_signature_document`. Certificates larger than
    ``largest`` bytes are read each time and never kept, so hostile input cannot fill
    memory with a few giant "certificates".
    """

    def __init__(self, size: int = 512, largest: int = 16 * 1024) -> None:
        self.size, self._largest = size, largest
        self._items: OrderedDict[bytes, _Cert | None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def load(self, der: bytes) -> _Cert | None:
        """:func:`_read_cert` of ``der`` read tolerantly, from the cache when it is there."""
        if len(der) > self._largest:
            return _read_cert(der, tolerant=True)
        with self._lock:
            if der in self._items:
                self._items.move_to_end(der)
                return self._items[der]
        cert = _read_cert(der, tolerant=True)
        with self._lock:
            self._items[der] = cert
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return cert


def _load_cert(der: bytes, *, tolerant: bool = False, cache: CertificateCache | None = None) -> _Cert | None:
    """:func:`_read_cert`, through ``cache`` when there is one.

    The cache keeps the tolerant reading; the strict one is the same certificate when
    its names are plain, and None when they are odd (exactly what :func:`_read_cert`
    without ``tolerant`` decides).
    """
    if cache is None:
        return _read_cert(der, tolerant=tolerant)
    cert = cache.load(der)
    if cert is not None and cert.odd_names and not tolerant:
        return None
    return cert


def _read_cert(der: bytes, *, tolerant: bool = False) -> _Cert | None:
    """A certificate that is well formed, or None.

    Well formed: the Rust parser takes the DER, and the issuer and subject can be
    read. The Rust parser does not decode name strings, so a CN that is not UTF-8
    (one flipped byte) would pass it and then break the report; reading the names
    here (the plain way when it applies, kept for the report) catches that.

    ``tolerant``: for a certificate whose bytes a verified signature covers (a seal's
    certList): a name attribute in a string type asn1crypto does not expect (an
    e-mail address as UTF8String, say) marks it ``odd_names`` instead of refusing it;
    its names are then shown as :func:`.names._tolerant_dn` reads them.
    """
    try:
        cert = _Cert(der, load_certificate(der))
    except Exception:
        return None
    for which in (0, 1):
        if _plain_name(cert, which) is None:
            try:
                _dn(cert.asn1.subject if which else cert.asn1.issuer)
            except Exception:
                if not tolerant:
                    return None
                cert.odd_names = True
    return cert


def _tbs_spans(der: bytes) -> tuple[_Part, _Part, _Part, _Part]:
    """The serialNumber, issuer, subject and subjectPublicKeyInfo elements of a
    certificate's DER."""
    _, pos, stop = _tlv(der, 0, len(der))
    tag, pos, stop = _tlv(der, pos, stop)  # tbsCertificate
    if tag != 0x30:
        raise _Unusual
    if der[pos] == 0xA0:  # [0] version
        pos = _tlv(der, pos, stop)[2]
    serial = _tlv(der, pos, stop)
    issuer = _tlv(der, _tlv(der, serial[2], stop)[2], stop)  # after the signature algorithm
    subject = _tlv(der, _tlv(der, issuer[2], stop)[2], stop)  # after validity
    return serial, issuer, subject, _tlv(der, subject[2], stop)


def _spans(cert: _Cert) -> tuple[_Part, _Part, _Part, _Part]:
    if cert.spans is None:
        cert.spans = _tbs_spans(cert.der)
    return cert.spans


def _serial(cert: _Cert) -> int:
    """asn1crypto's ``serial_number`` (read from the DER: cryptography warns on
    access to a serial that is not positive)."""
    try:
        tag, start, end = _spans(cert)[0]
        if tag == 0x02 and end > start:
            return int.from_bytes(cert.der[start:end], "big", signed=True)
    except (_Unusual, SealFormatError, IndexError):
        pass
    return cert.asn1.serial_number


def _plain_name(cert: _Cert, which: int) -> list[list[tuple[bytes, str]]] | None:
    """The issuer (``which`` 0) or subject (1) of a certificate as RDNs of (OID
    contents, text), read from its DER; None unless every attribute is one of
    ``_PLAIN_LABELS`` with a value :func:`_plain_text` takes - then the callers use
    asn1crypto's reading.

    Only for certificates that ``cryptography`` has loaded (so the DER is sound);
    the values are what asn1crypto's ``.native`` gives for them.
    """
    if cert.names[which] is not False:
        return cert.names[which]
    der = cert.der
    rdns: list[list[tuple[bytes, str]]] | None = []
    try:
        tag, start, end = _spans(cert)[1 + which]
        if tag != 0x30:
            raise _Unusual
        while start < end:
            # RDN SET { SEQUENCE { OID, value } ... }; every element here is short (< 128
            # bytes) in the names this reads, so lengths are one byte (else: asn1crypto)
            if der[start] != 0x31 or der[start + 1] & 0x80 or der[start + 1] == 0:
                raise _Unusual
            at, rdn_end = start + 2, start + 2 + der[start + 1]
            start = rdn_end
            atoms = []
            while at < rdn_end:
                atv_end = at + 2 + der[at + 1]
                oid_end = at + 4 + der[at + 3]
                value_tag, value_start, value_end = der[oid_end], oid_end + 2, oid_end + 2 + der[oid_end + 1]
                kind = der[at + 4 : oid_end]
                if (der[at] != 0x30 or der[at + 2] != 0x06 or (der[at + 1] | der[at + 3] | der[oid_end + 1]) & 0x80
                        or value_end != atv_end or atv_end > rdn_end or kind not in _PLAIN_LABELS):
                    raise _Unusual
                atoms.append((kind, _plain_text(kind, value_tag, der[value_start:value_end])))
                at = atv_end
            rdns.append(atoms)  # type: ignore[union-attr]
        if start != end:
            raise _Unusual
    except (_Unusual, SealFormatError, ValueError, IndexError):
        rdns = None
    cert.names[which] = rdns
    return rdns


def _public_key(cert: _Cert) -> bytes:
    """The DER SubjectPublicKeyInfo, sliced from the certificate (which the Rust parser
    has checked) rather than parsed out of it a second time."""
    try:
        spans = _spans(cert)
        if spans[3][0] == 0x30:
            return cert.der[spans[2][2] : spans[3][2]]  # from the end of the subject
    except (_Unusual, SealFormatError, IndexError):
        pass
    return cert.asn1["tbs_certificate"]["subject_public_key_info"].dump()


def _name(cert: _Cert, which: int) -> str:
    """RFC 4514 string of the issuer (0) or subject (1)."""
    rdns = _plain_name(cert, which)
    if rdns is not None:
        return _plain_dn(rdns)
    if cert.odd_names:
        try:
            return _dn(cert.asn1.subject if which else cert.asn1.issuer)
        except Exception:
            return _tolerant_dn(cert.der, _spans(cert)[1 + which])
    return _dn(cert.asn1.subject if which else cert.asn1.issuer)


def _validity(cert: _Cert) -> tuple[datetime, datetime] | None:
    try:
        return cert.rust.not_valid_before_utc, cert.rust.not_valid_after_utc
    except Exception:
        pass
    v = cert.asn1["tbs_certificate"]["validity"]
    nb, na = v["not_before"].native, v["not_after"].native
    if isinstance(nb, datetime) and isinstance(na, datetime):
        return nb, na
    return None


def _summary(cert: _Cert) -> dict[str, Any]:
    """{subject, issuer, serial, not_before, not_after}: a new dict each time, read once."""
    if cert.summary is None:
        cert.summary = _read_summary(cert)
    return dict(cert.summary)


def _read_summary(cert: _Cert) -> dict[str, Any]:
    subject, issuer = _name(cert, 1), _name(cert, 0)
    period = _validity(cert)
    if period is not None:
        not_before, not_after = _iso(period[0]), _iso(period[1])
    else:
        v = cert.asn1["tbs_certificate"]["validity"]
        not_before, not_after = _iso(v["not_before"].native), _iso(v["not_after"].native)
    return {
        "subject": subject,
        "issuer": issuer,
        "serial": format(_serial(cert), "X"),
        "not_before": not_before,
        "not_after": not_after,
    }


def certificate_summary(der: bytes) -> dict[str, Any]:
    """{subject, issuer, serial (hex), not_before, not_after} of a DER certificate."""
    cert = _load_cert(der)
    if cert is None:
        raise ValueError("malformed certificate")
    return _summary(cert)


def _common_name(cert: _Cert) -> str:
    rdns = _plain_name(cert, 1)
    if rdns is not None:
        for rdn in reversed(rdns):
            for kind, text in rdn:
                if kind == _COMMON_NAME:
                    return text
        return _plain_dn(rdns)
    if cert.odd_names:
        return _name(cert, 1)
    for rdn in reversed(list(cert.asn1.subject.chosen)):
        for atv in rdn:
            if atv["type"].native == "common_name" and isinstance(atv["value"].native, str):
                return atv["value"].native
    return _dn(cert.asn1.subject)


def _public_key_for(cert: _Cert, algorithm_oid: str) -> VerifyKey:
    """The certificate's key for ``algorithm_oid``, read once (raises
    ``UnsupportedAlgorithm`` for an algorithm the station does not speak)."""
    key = cert.keys.get(algorithm_oid)
    if key is None:
        key = cert.keys[algorithm_oid] = VerifyKey(_public_key(cert), algorithm_oid)
    return key


def _anchors(trust_anchors: Sequence[bytes], cache: CertificateCache | None = None) -> list[_Cert]:
    from asn1crypto import pem

    out = []
    for anchor in trust_anchors:
        der = bytes(anchor)
        if pem.detect(der):
            der = pem.unarmor(der)[2]
        cert = _load_cert(der, cache=cache)
        if cert is None:
            raise ValueError("a trust anchor is not a certificate")
        out.append(cert)
    return out


def _issued_by(cert: _Cert, anchor: _Cert) -> bool:
    """Is ``cert`` the anchor itself, or signed by it under the anchor's name? Asked
    once per certificate and anchor (the answer depends on their bytes alone)."""
    known = cert.issuers.get(anchor.der)
    if known is None:
        known = cert.issuers[anchor.der] = _check_issued_by(cert, anchor)
    return known


def _check_issued_by(cert: _Cert, anchor: _Cert) -> bool:
    if cert.der == anchor.der:
        return True
    try:
        a1 = cert.asn1
        tbs = a1["tbs_certificate"]
        if not _same_name(cert, anchor):
            return False
        if a1["signature_algorithm"].dump() != tbs["signature"].dump():
            return False  # RFC 5280 4.1.1.2: the unsigned copy must match the signed one
        algorithm = a1["signature_algorithm"]["algorithm"].dotted
        return _public_key_for(anchor, algorithm).verify(tbs.dump(), _bits(a1["signature_value"]))
    except Exception:  # unknown algorithm, odd encodings: not trusted
        return False


def _same_name(cert: _Cert, anchor: _Cert) -> bool:
    """Is the certificate's issuer the anchor's subject? The same bytes are (and need
    no decoding, so odd string types do not get in the way); otherwise asn1crypto's
    comparison (RFC 5280 7.1 preparation) decides."""
    try:
        mine, theirs = _spans(cert)[1], _spans(anchor)[2]
        if cert.der[mine[1] : mine[2]] == anchor.der[theirs[1] : theirs[2]]:
            return True
    except (_Unusual, SealFormatError, IndexError):
        pass
    return bool(cert.asn1.issuer == anchor.asn1.subject)


def _trusted(cert: _Cert | None, anchors: list[_Cert]) -> bool:
    return cert is not None and any(_issued_by(cert, a) for a in anchors)
