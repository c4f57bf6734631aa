"""Document signatures: the v4 ``SES_Signature``, a signature that embeds a seal.

The signer signs the original ``TBS_Sign`` bytes, which include the whole seal; the
verdict covers the signer's signature, the embedded seal (judged at the signing
time unless told otherwise, so a document signed while its seal was valid stays
validly sealed), the signer being one of the seal's certificates, and optionally the
chain. The document's own hash is not checked here: that needs the document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from asn1crypto import core

from ..algorithms import UnsupportedAlgorithm, verify_signature
from .asn1 import _SESSignature
from .certs import CertificateCache, _anchors, _load_cert, _public_key_for, _trusted
from .der import _bits, _children, _time, _tlv
from .errors import SealFormatError
from .model import Chain, ParsedSignature, SignatureReport
from .parsing import parse
from .verification import _assess, _at_signing

__all__ = ["parse_signature", "verify_signature_document"]


def parse_signature(data: bytes) -> ParsedSignature:
    """Read a v4 SES_Signature; malformed input raises :class:`SealFormatError`."""
    try:
        return _parse_signature(bytes(data))
    except SealFormatError:
        raise
    except Exception as exc:
        raise SealFormatError(f"malformed seal signature: {exc}") from exc


def _parse_signature(data: bytes) -> ParsedSignature:
    top = _children(data)
    if _tlv(data, 0, len(data))[2] != len(data):
        raise SealFormatError("trailing bytes after the signature")
    if len(top) not in (4, 5) or top[0][0] != 0x30 or top[1][0] != 0x04:
        raise SealFormatError("not an SES_Signature")
    parts = _children(data, top[0][1], top[0][2])
    if len(parts) < 5:
        raise SealFormatError("TBS_Sign is too short")
    sig = _SESSignature.load(data, strict=True)
    tbs = sig["toSign"]
    version = tbs["version"].native
    if version not in (4, 5):
        raise SealFormatError(f"unsupported signature version {version}")
    seal_bytes = data[parts[1][1] : parts[1][2]]
    ext = tbs["extDatas"]
    stamp = sig["timeStamp"]
    return ParsedSignature(
        version=version,
        seal=parse(seal_bytes),
        seal_bytes=seal_bytes,
        time=_time(tbs["timeInfo"]),
        data_hash=_bits(tbs["dataHash"]),
        property_info=tbs["propertyInfo"].native,
        ext_datas=[] if isinstance(ext, core.Void) else [
            (e["extnID"].dotted, bool(e["critical"].native), bytes(e["extnValue"].native)) for e in ext
        ],
        signer_cert=bytes(sig["cert"].native),
        algorithm=sig["signatureAlgID"].dotted,
        signature=_bits(sig["signature"]),
        signed_bytes=data[top[0][1] : top[0][2]],
        timestamp=None if isinstance(stamp, core.Void) else _bits(stamp),
    )


def verify_signature_document(
    data: bytes, at: datetime | None = None, *, trust_anchors: Sequence[bytes] = (),
    certificates: CertificateCache | None = None,
) -> SignatureReport:
    """Verify a v4 SES_Signature: signer's signature over the original TBS_Sign bytes,
    the embedded seal (at ``at``, default the signing time), the signer being one of
    the seal's certificates, and optionally the chains to ``trust_anchors``.

    It does not check ``data_hash`` against the document: that needs the document.
    ``certificates``: the caller's cache of certificates met before (as for :func:`.verify`).
    """
    p = parse_signature(data)
    problems: list[str] = []
    warnings: list[str] = []
    # A signer certificate that the seal lists is covered by the maker's signature:
    # read as tolerantly as the certList itself (see .verification._assess).
    signer = _load_cert(p.signer_cert, tolerant=p.signer_cert in p.seal.certs, cache=certificates)
    if signer is None:
        problems.append("signer-cert-malformed")
    try:
        if signer is not None:  # its key as loaded (or met before), as for the maker's
            ok = _public_key_for(signer, p.algorithm).verify(p.signed_bytes, p.signature)
        else:
            ok = verify_signature(p.signer_cert, p.algorithm, p.signed_bytes, p.signature)
        if not ok:
            problems.append("signature-invalid")
    except UnsupportedAlgorithm:
        ok = False
        problems.append("unsupported-algorithm")
    ok = ok and signer is not None
    seal = _assess(p.seal, p.time if at is None else at, trust_anchors, certificates)
    if not seal.valid:
        problems.append("seal-invalid")
    listed: bool | None = None
    if p.seal.cert_list_type == 1:
        listed = p.signer_cert in p.seal.certs
        if not listed:
            problems.append("signer-not-in-cert-list")
    _at_signing(signer, p.time, "signer", warnings)
    chain: Chain = "unchecked"
    if trust_anchors:
        chain = "ok" if _trusted(signer, _anchors(trust_anchors, certificates)) else "untrusted"
        if chain == "untrusted":
            problems.append("signer-cert-untrusted")
    return SignatureReport(p, ok, seal, listed, chain, tuple(problems), signer, tuple(warnings))
