"""Signing the receipt PDF by the officer's card, without a general-purpose PDF library.

The receipt PDF is our own (station/receipts/pdfdoc.py): a classic cross-reference
table, one page, no form. So the signature is one small incremental update appended to it: a signature
dictionary whose ``/Contents`` is a fixed-width hole, an invisible widget naming it, the
page and the catalog written again to point at them, and a cross-reference section for
those four objects. Then everything but the hole is hashed and the card signs a CMS
SignedData (adbe.pkcs7.detached, SHA-256; signed attributes: content type, signing time,
message digest) that goes into the hole. Loading pyHanko for this took longer than
drawing the whole receipt.

SM2 has no CMS profile PDF readers accept, so an SM2 officer card leaves the PDF
unsigned (:func:`signable`); the receipt inside it is signed either way.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from typing import Any, Sequence

from crypto.algorithms import ECDSA_SHA256, RSA_SHA256
from station.errors import StateError
from station.receipts.pdfdoc import text_string as _text

__all__ = ["signable", "sign"]

_MECHANISMS = {ECDSA_SHA256: "sha256_ecdsa", RSA_SHA256: "sha256_rsa"}
_HOLE = 0x4000  # hex digits: room for 8 KiB of CMS (the card's certificate and a short chain)
_RANGE = b"[0000000000 0000000000 0000000000 0000000000]"
_LOCKED_AND_PRINTED = 4 | 128


def signable(card_signer: Any) -> bool:
    """Whether PDF readers can check a signature of this card (ECDSA or RSA, not SM2)."""
    return card_signer.algorithm in _MECHANISMS


def _refuse(what: str) -> StateError:
    return StateError(f"the receipt PDF cannot be signed: {what}", title="PDF")


def _last(pattern: bytes, pdf: bytes, what: str) -> re.Match[bytes]:
    found = list(re.finditer(pattern, pdf))
    if not found:
        raise _refuse(f"no {what}")
    return found[-1]


def _dictionary(pdf: bytes, num: int) -> bytes:
    """The dictionary of object ``num`` as last written (an object without a stream)."""
    start = _last(rb"(?:^|[\r\n])%d 0 obj\s*" % num, pdf, f"object {num}").end()
    body = pdf[start:pdf.find(b"endobj", start)].strip()
    if not (body.startswith(b"<<") and body.endswith(b">>")) or b"stream" in body:
        raise _refuse(f"object {num} is not a plain dictionary")
    return body


def _cms(digest: bytes, card_signer: Any, chain: Sequence[bytes], when: datetime) -> bytes:
    from asn1crypto import algos, cms, core, x509

    cert = x509.Certificate.load(card_signer.certificate)
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(when)})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
    ]
    signed_attrs = cms.CMSAttributes(sorted(attrs, key=lambda a: a.dump()))  # DER sorts a SET OF
    sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
    info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number})}),
        "digest_algorithm": sha256,
        "signed_attrs": signed_attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": _MECHANISMS[card_signer.algorithm]}),
        "signature": card_signer.sign(signed_attrs.dump()),
    })
    others = [x509.Certificate.load(der) for der in chain if der != card_signer.certificate]
    data = cms.SignedData({
        "version": "v1", "digest_algorithms": [sha256], "encap_content_info": {"content_type": "data"},
        "certificates": [cert, *others], "signer_infos": [info]})
    return cms.ContentInfo({"content_type": "signed_data", "content": data}).dump()


def sign(pdf: bytes, card_signer: Any, chain: Sequence[bytes], *, reason: str, location: str,
         field: str = "Officer", when: datetime | None = None) -> bytes:
    """The PDF with an incremental update carrying the card's signature over all of it."""
    when = when or datetime.now(timezone.utc)
    trailer = _last(rb"(?s)trailer\s*<<(.*?)>>\s*startxref\s+(\d+)\s+%%EOF\s*$", pdf, "trailer")
    fields = trailer.group(1)
    size = int(_last(rb"/Size (\d+)", fields, "/Size").group(1))
    root = int(_last(rb"/Root (\d+) 0 R", fields, "/Root").group(1))
    pages = int(_last(rb"/Pages (\d+) 0 R", _dictionary(pdf, root), "/Pages").group(1))
    page = int(_last(rb"/Kids \[(\d+) 0 R", _dictionary(pdf, pages), "page").group(1))
    page_dict, catalog = _dictionary(pdf, page), _dictionary(pdf, root)
    if b"/Annots" in page_dict or b"/AcroForm" in catalog:
        raise _refuse("it already has annotations or a form")
    sig, widget = size, size + 1
    stamp = when.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'").encode()
    objects = {
        sig: b"<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /M (" + stamp
             + b") /Reason " + _text(reason) + b" /Location " + _text(location)
             + b" /ByteRange " + _RANGE + b" /Contents <" + b"0" * _HOLE + b">>>",
        widget: b"<</Type /Annot /Subtype /Widget /FT /Sig /T " + _text(field) + b" /Rect [0 0 0 0] /F %d"
                % _LOCKED_AND_PRINTED + b" /P %d 0 R /V %d 0 R>>" % (page, sig),
        page: page_dict[:-2] + b" /Annots [%d 0 R]>>" % widget,
        root: catalog[:-2] + b" /AcroForm <</Fields [%d 0 R] /SigFlags 3>>>>" % widget,
    }
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for num, body in objects.items():
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    kept = b"".join(m.group(0) + b" " for m in re.finditer(rb"/(?:Info \d+ 0 R|ID\s*\[[^\]]*\])", fields))
    out += b"trailer\n<</Size %d /Root %d 0 R " % (size + 2, root) + kept
    out += b"/Prev %s>>\nstartxref\n%d\n%%%%EOF\n" % (trailer.group(2), xref)
    return _fill(bytes(out), offsets[sig], card_signer, chain, when)


def _fill(pdf: bytes, sig_at: int, card_signer: Any, chain: Sequence[bytes], when: datetime) -> bytes:
    """Write the byte ranges and the CMS signature into the signature dictionary at ``sig_at``."""
    start = pdf.index(b"/Contents <", sig_at) + len(b"/Contents ")  # the hole: "<" hex digits ">"
    end = start + _HOLE + 2
    at_range = pdf.index(b"/ByteRange " + _RANGE, sig_at) + len(b"/ByteRange ")
    ranges = b"[%010d %010d %010d %010d]" % (0, start, end, len(pdf) - end)
    out = bytearray(pdf)
    out[at_range:at_range + len(_RANGE)] = ranges
    digest = hashlib.sha256(bytes(out[:start]) + bytes(out[end:])).digest()
    signature = _cms(digest, card_signer, chain, when).hex().upper().encode()
    if len(signature) > _HOLE:
        raise _refuse(f"its signature ({len(signature) // 2} bytes) does not fit the field")
    out[start + 1:start + 1 + len(signature)] = signature
    return bytes(out)
