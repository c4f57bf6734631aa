"""GB/T 38540-2020 electronic seals (SESeal v4, read also GM/T 0031-2014 v1 and v5).

The station writes v4 and reads v1, v4 and v5, because seals from other vendors come
to it for verification. Two rules shape this module:

* The maker's signature is checked over the **original bytes** sliced from the input
  (a small TLV walker finds them), never over a re-encoding: vendors emit BER-ish
  DER (an explicit ``critical FALSE``, for one), and a re-encoding would fail their
  honest seals or - worse - pass a tampered one.
* Malformed input raises :class:`SealFormatError` and nothing else; a verifier that
  crashes on hostile bytes cannot report why a seal is bad.

The ASN.1 is in DESIGN.md §4. The reader of the v4 document signature
(``SES_Signature``, a signature that embeds a seal) is at the end of this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, Sequence

from asn1crypto import core, x509
from cryptography import x509 as _rust_x509

from .algorithms import (
    ECDSA_SHA256,
    RSA_SHA256,
    SM2_SM3,
    Signer,
    UnsupportedAlgorithm,
    der_to_raw,
    raw_to_der,
    verify_signature,
)

__all__ = [
    "SealFormatError",
    "SealBuildError",
    "ParsedSeal",
    "SealReport",
    "ParsedSignature",
    "SignatureReport",
    "build_v4",
    "parse",
    "verify",
    "parse_signature",
    "verify_signature_document",
    "certificate_summary",
]


class SealFormatError(ValueError):
    """The bytes are not a well-formed seal (or seal signature) we can read."""


class SealBuildError(ValueError):
    """A seal just built does not verify: wrong certificate for the key, bad card."""


# --- ASN.1 -------------------------------------------------------------------------


class _Header(core.Sequence):
    _fields = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class _Certs(core.SequenceOf):
    _child_spec = core.OctetString


class _CertDigest(core.Sequence):
    _fields = [("type", core.PrintableString), ("value", core.OctetString)]


class _CertDigests(core.SequenceOf):
    _child_spec = _CertDigest


class _PropertyV4(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("certListType", core.Integer),
        ("certList", core.Any),  # CHOICE of two SEQUENCE OFs: certListType decides
        ("createDate", x509.Time),
        ("validStart", x509.Time),
        ("validEnd", x509.Time),
    ]


class _PropertyV1(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("certList", _Certs),
        ("createDate", x509.Time),
        ("validStart", x509.Time),
        ("validEnd", x509.Time),
    ]


class _Picture(core.Sequence):
    _fields = [
        ("type", core.IA5String),
        ("data", core.OctetString),
        ("width", core.Integer),
        ("height", core.Integer),
    ]


class _ExtData(core.Sequence):
    _fields = [
        ("extnID", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extnValue", core.OctetString),
    ]


class _ExtDatas(core.SequenceOf):
    _child_spec = _ExtData


class _SealInfoV4(core.Sequence):
    _fields = [
        ("header", _Header),
        ("esID", core.IA5String),
        ("property", _PropertyV4),
        ("picture", _Picture),
        ("extDatas", _ExtDatas, {"optional": True}),
    ]


class _SealInfoV1(core.Sequence):
    _fields = [
        ("header", _Header),
        ("esID", core.IA5String),
        ("property", _PropertyV1),
        ("picture", _Picture),
        ("extDatas", _ExtDatas, {"optional": True}),
    ]


class _SESealV4(core.Sequence):
    _fields = [
        ("eSealInfo", _SealInfoV4),
        ("cert", core.OctetString),
        ("signAlgID", core.ObjectIdentifier),
        ("signedValue", core.OctetBitString),
        ("timeStamp", core.OctetBitString, {"explicit": 0, "optional": True}),  # v5
    ]


class _SignInfoV1(core.Sequence):
    _fields = [
        ("cert", core.OctetString),
        ("signatureAlgorithm", core.ObjectIdentifier),
        ("signData", core.OctetBitString),
    ]


class _SESealV1(core.Sequence):
    _fields = [("esealInfo", _SealInfoV1), ("signInfo", _SignInfoV1)]


class _TBSSign(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", core.Any),
        ("timeInfo", x509.Time),
        ("dataHash", core.OctetBitString),
        ("propertyInfo", core.IA5String),
        ("extDatas", _ExtDatas, {"explicit": 0, "optional": True}),
    ]


class _SESSignature(core.Sequence):
    _fields = [
        ("toSign", _TBSSign),
        ("cert", core.OctetString),
        ("signatureAlgID", core.ObjectIdentifier),
        ("signature", core.OctetBitString),
        ("timeStamp", core.OctetBitString, {"explicit": 0, "optional": True}),
    ]


# --- original bytes ----------------------------------------------------------------


def _tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(first tag byte, content start, element end) of the element at ``pos``.

    Definite lengths only: DER is required, and an indefinite length would leave
    "the original bytes" of an element ambiguous.
    """
    if pos >= end:
        raise SealFormatError("truncated element")
    tag = buf[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        while True:
            if pos >= end:
                raise SealFormatError("truncated tag")
            pos += 1
            if not buf[pos - 1] & 0x80:
                break
    if pos >= end:
        raise SealFormatError("truncated length")
    first = buf[pos]
    pos += 1
    if first == 0x80:
        raise SealFormatError("indefinite length is not DER")
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count > 4 or pos + count > end:
            raise SealFormatError("bad length")
        length = int.from_bytes(buf[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise SealFormatError("element runs past its container")
    return tag, pos, pos + length


def _children(buf: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
    """The (tag, start, end) of each child of the SEQUENCE at ``start``."""
    end = len(buf) if end is None else end
    tag, pos, stop = _tlv(buf, start, end)
    if tag != 0x30:
        raise SealFormatError("expected a SEQUENCE")
    out = []
    while pos < stop:
        child_tag, _, child_end = _tlv(buf, pos, stop)
        out.append((child_tag, pos, child_end))
        pos = child_end
    return out


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _bits(value: core.OctetBitString) -> bytes:
    """Bytes of a primitive BIT STRING that has no unused bits (signatures, hashes).

    Unused bits are refused rather than ignored: ignoring them would let one flipped
    byte leave a signature "valid".
    """
    contents = value.contents or b""
    if value.method != 0 or not contents or contents[0] != 0:
        raise SealFormatError("BIT STRING is not whole bytes")
    return bytes(contents[1:])


def _time(value: x509.Time) -> datetime:
    native = value.native
    if not isinstance(native, datetime):
        raise SealFormatError("date out of range")
    if native.tzinfo is None:  # a GeneralizedTime without zone: read it as UTC
        native = native.replace(tzinfo=timezone.utc)
    return native.astimezone(timezone.utc)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(timezone.utc)


# --- parsing -----------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedSeal:
    """What a seal says, plus the exact bytes its maker signed (``signed_bytes``)."""

    version: int
    esid: str
    vid: str
    seal_type: int
    name: str
    cert_list_type: int
    certs: list[bytes] = field(repr=False)
    cert_digests: list[tuple[str, bytes]] = field(repr=False)
    created: datetime
    valid_start: datetime
    valid_end: datetime
    picture_type: str
    picture: bytes = field(repr=False)
    width: int
    height: int
    ext_datas: list[tuple[str, bool, bytes]] = field(repr=False)
    maker_cert: bytes = field(repr=False)
    algorithm: str
    signature: bytes = field(repr=False)
    signed_bytes: bytes = field(repr=False)
    timestamp: bytes | None = field(default=None, repr=False)


def parse(data: bytes) -> ParsedSeal:
    """Read a v1, v4 or v5 SESeal; any malformation raises :class:`SealFormatError`."""
    try:
        return _parse(bytes(data))
    except SealFormatError:
        raise
    except Exception as exc:  # asn1crypto raises ValueError/TypeError/KeyError...
        raise SealFormatError(f"malformed seal: {exc}") from exc


def _parse(data: bytes) -> ParsedSeal:
    top = _children(data)
    if _tlv(data, 0, len(data))[2] != len(data):
        raise SealFormatError("trailing bytes after the seal")
    if len(top) == 2 and top[1][0] == 0x30:
        return _parse_v1(data, top)
    if len(top) in (4, 5) and top[1][0] == 0x04:
        fast = _read_v4(data, top)
        return fast if fast is not None else _parse_v4(data, top)
    raise SealFormatError("not an SESeal (neither the v1 nor the v4 layout)")


def _common(info: core.Sequence, version: int) -> dict[str, Any]:
    header = info["header"]
    if header["id"].native != "ES":
        raise SealFormatError("seal header id is not 'ES'")
    if header["version"].native != version:
        raise SealFormatError(f"unsupported seal version {header['version'].native}")
    prop, pic = info["property"], info["picture"]
    ext = info["extDatas"]
    ext_datas = [] if isinstance(ext, core.Void) else [
        (e["extnID"].dotted, bool(e["critical"].native), bytes(e["extnValue"].native)) for e in ext
    ]
    return dict(
        version=version,
        esid=info["esID"].native,
        vid=header["vid"].native,
        seal_type=int(prop["type"].native),
        name=prop["name"].native,
        created=_time(prop["createDate"]),
        valid_start=_time(prop["validStart"]),
        valid_end=_time(prop["validEnd"]),
        picture_type=pic["type"].native,
        picture=bytes(pic["data"].native),
        width=int(pic["width"].native),
        height=int(pic["height"].native),
        ext_datas=ext_datas,
    )


_Part = tuple[int, int, int]  # (first tag byte, content start, element end)


class _Unusual(Exception):
    """The fast v4 reader met something it leaves to asn1crypto."""


def _kids(buf: bytes, part: _Part, tag: int, counts: Any = None) -> list[_Part]:
    """The children of ``part``, which must be a ``tag`` element, and (if ``counts``
    is given) have a number of children in ``counts``."""
    if part[0] != tag:
        raise _Unusual
    pos, stop = part[1], part[2]
    out = []
    while pos < stop:
        child = _tlv(buf, pos, stop)
        out.append(child)
        pos = child[2]
    if counts is not None and len(out) not in counts:
        raise _Unusual
    return out


def _prim(buf: bytes, part: _Part, tag: int) -> bytes:
    """The contents of a primitive universal element whose one-byte tag is ``tag``."""
    if part[0] != tag:
        raise _Unusual
    return buf[part[1] : part[2]]


def _int(buf: bytes, part: _Part) -> int:
    raw = _prim(buf, part, 0x02)
    if not raw:
        raise _Unusual
    return int.from_bytes(raw, "big", signed=True)


def _text(buf: bytes, part: _Part, tag: int, encoding: str) -> str:
    try:
        return _prim(buf, part, tag).decode(encoding)
    except UnicodeDecodeError:
        raise _Unusual from None


_KNOWN_OIDS = {core.ObjectIdentifier(oid).contents: oid for oid in (SM2_SM3, ECDSA_SHA256, RSA_SHA256)}


def _oid(buf: bytes, part: _Part) -> str:
    raw = _prim(buf, part, 0x06)
    known = _KNOWN_OIDS.get(raw)
    return known if known is not None else core.ObjectIdentifier(contents=raw).dotted


def _when(buf: bytes, part: _Part) -> datetime:
    """A seal date. The DER forms (YYYYMMDDHHMMSSZ, YYMMDDHHMMSSZ) are read here
    exactly as asn1crypto reads them; other forms go through asn1crypto itself."""
    raw = buf[part[1] : part[2]]
    if part[0] == 0x18:
        if len(raw) == 15 and raw[14] == 0x5A and raw[:14].isdigit() and raw[:4] != b"0000":
            return datetime(
                int(raw[0:4]), int(raw[4:6]), int(raw[6:8]),
                int(raw[8:10]), int(raw[10:12]), int(raw[12:14]), tzinfo=timezone.utc,
            )
        value: Any = core.GeneralizedTime(contents=raw)
    elif part[0] == 0x17:
        if len(raw) == 13 and raw[12] == 0x5A and raw[:12].isdigit():
            year = int(raw[0:2])
            return datetime(
                year + (2000 if year < 50 else 1900), int(raw[2:4]), int(raw[4:6]),
                int(raw[6:8]), int(raw[8:10]), int(raw[10:12]), tzinfo=timezone.utc,
            )
        value = core.UTCTime(contents=raw)
    else:
        raise _Unusual
    return _time(value)


def _whole_bits(buf: bytes, part: _Part) -> bytes:
    raw = _prim(buf, part, 0x03)
    if not raw or raw[0] != 0:
        raise _Unusual
    return raw[1:]


def _read_v4(data: bytes, top: list[tuple[int, int, int]]) -> ParsedSeal | None:
    """The v4/v5 seal read straight from its DER, or None to leave it to asn1crypto.

    asn1crypto's lazy parser was most of the cost of a verification. This reader
    takes only the plain layout - exact one-byte tags, primitive strings, definite
    lengths, every element present once and nothing extra - and decodes each value
    as asn1crypto's ``.native`` does (same codecs; its own classes for OIDs and
    times). Anything else, including all that asn1crypto would refuse, gives None
    and :func:`_parse_v4` decides: the same value, or the same error.
    """
    try:
        return _read_v4_layout(data, top)
    except (_Unusual, SealFormatError, ValueError, TypeError, OverflowError, IndexError):
        return None


def _read_v4_layout(data: bytes, elements: list[tuple[int, int, int]]) -> ParsedSeal:
    top = [_tlv(data, start, end) for _, start, end in elements]
    info = _kids(data, top[0], 0x30, (4, 5))
    header = _kids(data, info[0], 0x30, (3,))
    version = _int(data, header[1])
    if _text(data, header[0], 0x16, "ascii") != "ES" or version not in (4, 5):
        raise _Unusual
    prop = _kids(data, info[2], 0x30, (7,))
    list_type = _int(data, prop[2])
    certs: list[bytes] = []
    digests: list[tuple[str, bytes]] = []
    if list_type == 1:
        certs = [_prim(data, e, 0x04) for e in _kids(data, prop[3], 0x30)]
    elif list_type == 2:
        for e in _kids(data, prop[3], 0x30):
            pair = _kids(data, e, 0x30, (2,))
            digests.append((_text(data, pair[0], 0x13, "latin1"), _prim(data, pair[1], 0x04)))
    else:
        raise _Unusual
    pic = _kids(data, info[3], 0x30, (4,))
    ext_datas: list[tuple[str, bool, bytes]] = []
    if len(info) == 5:
        for e in _kids(data, info[4], 0x30):
            ext = _kids(data, e, 0x30, (2, 3))
            # asn1crypto's Boolean: anything but a single zero byte is true
            critical = len(ext) == 3 and _prim(data, ext[1], 0x01) != b"\x00"
            ext_datas.append((_oid(data, ext[0]), critical, _prim(data, ext[-1], 0x04)))
    timestamp = None
    if len(top) == 5:
        timestamp = _whole_bits(data, _kids(data, top[4], 0xA0, (1,))[0])
    return ParsedSeal(
        version=version,
        esid=_text(data, info[1], 0x16, "ascii"),
        vid=_text(data, header[2], 0x16, "ascii"),
        seal_type=_int(data, prop[0]),
        name=_text(data, prop[1], 0x0C, "utf-8"),
        cert_list_type=list_type,
        certs=certs,
        cert_digests=digests,
        created=_when(data, prop[4]),
        valid_start=_when(data, prop[5]),
        valid_end=_when(data, prop[6]),
        picture_type=_text(data, pic[0], 0x16, "ascii"),
        picture=_prim(data, pic[1], 0x04),
        width=_int(data, pic[2]),
        height=_int(data, pic[3]),
        ext_datas=ext_datas,
        maker_cert=_prim(data, top[1], 0x04),
        algorithm=_oid(data, top[2]),
        signature=_whole_bits(data, top[3]),
        signed_bytes=data[elements[0][1] : elements[0][2]],
        timestamp=timestamp,
    )


def _parse_v4(data: bytes, top: list[tuple[int, int, int]]) -> ParsedSeal:
    seal = _SESealV4.load(data, strict=True)
    seal.native  # force the lazy parser over everything now, inside our try
    info = seal["eSealInfo"]
    version = info["header"]["version"].native
    if version not in (4, 5):
        raise SealFormatError(f"unsupported seal version {version} in the v4 layout")
    prop = info["property"]
    list_type = prop["certListType"].native
    certs: list[bytes] = []
    digests: list[tuple[str, bytes]] = []
    if list_type == 1:
        certs = [bytes(c.native) for c in _Certs.load(prop["certList"].dump(), strict=True)]
    elif list_type == 2:
        loaded = _CertDigests.load(prop["certList"].dump(), strict=True)
        digests = [(d["type"].native, bytes(d["value"].native)) for d in loaded]
    else:
        raise SealFormatError(f"unknown certListType {list_type}")
    stamp = seal["timeStamp"]
    return ParsedSeal(
        **_common(info, version),
        cert_list_type=list_type,
        certs=certs,
        cert_digests=digests,
        maker_cert=bytes(seal["cert"].native),
        algorithm=seal["signAlgID"].dotted,
        signature=_bits(seal["signedValue"]),
        signed_bytes=data[top[0][1] : top[0][2]],
        timestamp=None if isinstance(stamp, core.Void) else _bits(stamp),
    )


def _parse_v1(data: bytes, top: list[tuple[int, int, int]]) -> ParsedSeal:
    seal = _SESealV1.load(data, strict=True)
    seal.native
    info, sign = seal["esealInfo"], seal["signInfo"]
    sign_parts = _children(data, top[1][1], top[1][2])
    if len(sign_parts) != 3:
        raise SealFormatError("v1 signInfo must have cert, algorithm and signature")
    # GM/T 0031-2014: the maker signs DER(SEQUENCE{sealInfo, cert, signatureAlgorithm}),
    # assembled here from the original bytes of the three elements.
    inner = b"".join(data[s:e] for _, s, e in (top[0], sign_parts[0], sign_parts[1]))
    return ParsedSeal(
        **_common(info, 1),
        cert_list_type=1,
        certs=[bytes(c.native) for c in info["property"]["certList"]],
        cert_digests=[],
        maker_cert=bytes(sign["cert"].native),
        algorithm=sign["signatureAlgorithm"].dotted,
        signature=_bits(sign["signData"]),
        signed_bytes=b"\x30" + _der_length(len(inner)) + inner,
    )


# --- building ----------------------------------------------------------------------


def _ia5(label: str, value: str) -> str:
    if not isinstance(value, str) or not value.isascii():
        raise ValueError(f"{label} must be an ASCII string")
    return value


def _gtime(value: datetime) -> x509.Time:
    return x509.Time({"general_time": _utc(value).replace(microsecond=0)})


def build_v4(
    *,
    esid: str,
    seal_type: int,
    name: str,
    certs: Sequence[bytes],
    created: datetime,
    valid_start: datetime,
    valid_end: datetime,
    picture: bytes,
    picture_type: str = "png",
    width_mm: int,
    height_mm: int,
    ext_datas: Sequence[tuple[str, bool, bytes]] = (),
    vid: str = "seal-station",
    signer: Signer,
) -> bytes:
    """Make a GB/T 38540 v4 SESeal signed by ``signer`` (the officer's card).

    Dates become GeneralizedTime in UTC to the second (aware datetimes only: a seal's
    period must not depend on the station's time zone). The seal is parsed and its
    maker signature verified before it is returned, so a card that signs with a key
    other than its certificate's is caught here, not by the seal's first reader.
    """
    if not certs:
        raise ValueError("certList needs at least the seal card's certificate")
    start, end = _utc(valid_start), _utc(valid_end)
    if start > end:
        raise ValueError("valid_start is after valid_end")
    if not isinstance(seal_type, int) or not isinstance(width_mm, int) or not isinstance(height_mm, int):
        raise ValueError("seal_type, width_mm and height_mm must be integers")
    info = _SealInfoV4(
        {
            "header": {"id": "ES", "version": 4, "vid": _ia5("vid", vid)},
            "esID": _ia5("esid", esid),
            "property": {
                "type": seal_type,
                "name": name,
                "certListType": 1,
                "certList": _Certs([bytes(c) for c in certs]),
                "createDate": _gtime(created),
                "validStart": _gtime(start),
                "validEnd": _gtime(end),
            },
            "picture": {
                "type": _ia5("picture_type", picture_type),
                "data": bytes(picture),
                "width": width_mm,
                "height": height_mm,
            },
        }
    )
    if ext_datas:
        info["extDatas"] = [
            {"extnID": oid, "critical": bool(critical), "extnValue": bytes(value)}
            for oid, critical, value in ext_datas
        ]
    info_der = info.dump()
    signature = bytes(signer.sign(info_der))
    if signer.algorithm != RSA_SHA256:
        # The Signer contract says DER, but a raw-r||s card must not make a raw seal:
        # we write DER (DESIGN.md §4), whatever we are handed.
        try:
            der_to_raw(signature, 66)
        except ValueError:
            try:
                signature = raw_to_der(signature)
            except ValueError as exc:
                raise SealBuildError(f"the signer returned no EC signature: {exc}") from exc
    body = (
        info_der
        + core.OctetString(bytes(signer.certificate)).dump()
        + core.ObjectIdentifier(signer.algorithm).dump()
        + core.OctetBitString(bytes(signature)).dump()
    )
    seal = b"\x30" + _der_length(len(body)) + body
    try:
        report = verify(seal, at=start)
    except SealFormatError as exc:
        raise SealBuildError(f"the seal just built does not parse: {exc}") from exc
    if not report.intact or report.parsed.signed_bytes != info_der:
        raise SealBuildError("the seal just built does not verify: " + ", ".join(report.problems))
    return seal


# --- certificates ------------------------------------------------------------------

_SHORT_NAMES = {
    "common_name": "CN",
    "country_name": "C",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "street_address": "STREET",
    "domain_component": "DC",
    "email_address": "emailAddress",
    "serial_number": "serialNumber",
    "organization_identifier": "organizationIdentifier",
}


_ESCAPES = str.maketrans({ch: "\\" + ch for ch in ',+"\\<>;'})
_SPECIAL = re.compile(r'[,+"\\<>;]')


def _escape(value: str) -> str:
    out = value.translate(_ESCAPES) if _SPECIAL.search(value) else value
    if out.startswith(("#", " ")):
        out = "\\" + out
    if out.endswith(" ") and not out.endswith("\\ "):
        out = out[:-1] + "\\ "
    return out


def _dn(name: x509.Name) -> str:
    """RFC 4514 string of a name (most specific first), for people and JSON."""
    parts = []
    for rdn in reversed(list(name.chosen)):
        atoms = []
        for atv in rdn:
            kind = atv["type"]
            label = _SHORT_NAMES.get(kind.native, kind.dotted)
            value = atv["value"].native
            text = _escape(value) if isinstance(value, str) else "#" + atv["value"].dump().hex()
            atoms.append(f"{label}={text}")
        parts.append("+".join(atoms))
    return ",".join(parts)


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

    __slots__ = ("der", "rust", "_asn1", "names", "spans")

    def __init__(self, der: bytes, rust: Any) -> None:
        self.der, self.rust = der, rust
        self._asn1: x509.Certificate | None = None
        self.names: list[Any] = [False, False]  # issuer, subject: False until _plain_name reads them
        self.spans: tuple[_Part, _Part, _Part] | None = None  # serial, issuer, subject in the DER

    @property
    def asn1(self) -> x509.Certificate:
        # Cannot fail once the Rust parser took the DER (one strict SEQUENCE, no trailing
        # bytes), which is all asn1crypto checks before reading lazily.
        if self._asn1 is None:
            self._asn1 = x509.Certificate.load(self.der, strict=True)
        return self._asn1


def _load_cert(der: bytes) -> _Cert | None:
    """A certificate that is well formed, or None.

    Well formed: the Rust parser takes the DER, and the issuer and subject can be
    read. The Rust parser does not decode name strings, so a CN that is not UTF-8
    (one flipped byte) would pass it and then break the report; reading the names
    here (the plain way when it applies, kept for the report) catches that.
    """
    try:
        cert = _Cert(der, _rust_x509.load_der_x509_certificate(der))
    except Exception:
        return None
    for which in (0, 1):
        if _plain_name(cert, which) is None:
            try:
                _dn(cert.asn1.subject if which else cert.asn1.issuer)
            except Exception:
                return None
    return cert


def _plain_labels() -> dict[bytes, tuple[str, bool]]:
    """OID contents -> (label, IA5 kind) for the name attributes that
    :func:`_plain_name` reads: those of ``_SHORT_NAMES`` that asn1crypto reads as a
    DirectoryString, or (IA5 kind) as an EmailAddress or DNSName."""
    out = {}
    for dotted, name in x509.NameType._map.items():
        spec = x509.NameTypeAndValue._oid_specs.get(name)
        if name in _SHORT_NAMES and spec in (x509.DirectoryString, x509.EmailAddress, x509.DNSName):
            out[core.ObjectIdentifier(dotted).contents] = (_SHORT_NAMES[name], spec is not x509.DirectoryString)
    return out


_PLAIN_LABELS = _plain_labels()
_PLAIN_STRINGS = {0x0C: "utf-8", 0x13: "latin1"}  # UTF8String, PrintableString: asn1crypto's codecs
_IA5_TAGS = (0x16, 0x0C, 0x13)  # IA5String, and the UTF8/PrintableString asn1crypto takes for it
_COMMON_NAME = core.ObjectIdentifier("2.5.4.3").contents


def _plain_text(kind: bytes, tag: int, raw: bytes) -> str:
    """An attribute's text as asn1crypto's ``.native`` gives it, for the plain cases."""
    ia5 = _PLAIN_LABELS[kind][1]
    if not ia5:
        encoding = _PLAIN_STRINGS.get(tag)
        if encoding is None:
            raise _Unusual
        return raw.decode(encoding)
    # asn1crypto reads e-mail addresses (cp1252 @ IDNA) and DNS names (IDNA) through
    # codecs that leave printable ASCII without an "xn--" label as it is; only that here
    text = raw.decode("ascii")
    if tag not in _IA5_TAGS or not text.isprintable() or "xn--" in text.lower():
        raise _Unusual
    return text


def _tbs_spans(der: bytes) -> tuple[_Part, _Part, _Part]:
    """The serialNumber, issuer and subject elements of a certificate's DER."""
    _, pos, stop = _tlv(der, 0, len(der))
    tag, pos, stop = _tlv(der, pos, stop)  # tbsCertificate
    if tag != 0x30:
        raise _Unusual
    if der[pos] == 0xA0:  # [0] version
        pos = _tlv(der, pos, stop)[2]
    serial = _tlv(der, pos, stop)
    issuer = _tlv(der, _tlv(der, serial[2], stop)[2], stop)  # after the signature algorithm
    subject = _tlv(der, _tlv(der, issuer[2], stop)[2], stop)  # after validity
    return serial, issuer, subject


def _spans(cert: _Cert) -> tuple[_Part, _Part, _Part]:
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
            tag, at, rdn_end = _tlv(der, start, end)
            start = rdn_end
            if tag != 0x31 or at == rdn_end:
                raise _Unusual
            atoms = []
            while at < rdn_end:
                tag, inner, atv_end = _tlv(der, at, rdn_end)
                at = atv_end
                oid_tag, oid_start, oid_end = _tlv(der, inner, atv_end)
                value_tag, value_start, value_end = _tlv(der, oid_end, atv_end)
                kind = der[oid_start:oid_end]
                if tag != 0x30 or oid_tag != 0x06 or value_end != atv_end or kind not in _PLAIN_LABELS:
                    raise _Unusual
                atoms.append((kind, _plain_text(kind, value_tag, der[value_start:value_end])))
            rdns.append(atoms)  # type: ignore[union-attr]
    except (_Unusual, SealFormatError, ValueError, IndexError):
        rdns = None
    cert.names[which] = rdns
    return rdns


def _plain_dn(rdns: list[list[tuple[bytes, str]]]) -> str:
    """:func:`_dn` of a name :func:`_plain_name` read."""
    parts = []
    for rdn in reversed(rdns):
        if len(rdn) == 1:
            kind, text = rdn[0]
            parts.append(_PLAIN_LABELS[kind][0] + "=" + _escape(text))
        else:
            parts.append("+".join(_PLAIN_LABELS[kind][0] + "=" + _escape(text) for kind, text in rdn))
    return ",".join(parts)


def _name(cert: _Cert, which: int) -> str:
    """RFC 4514 string of the issuer (0) or subject (1)."""
    rdns = _plain_name(cert, which)
    if rdns is not None:
        return _plain_dn(rdns)
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
    for rdn in reversed(list(cert.asn1.subject.chosen)):
        for atv in rdn:
            if atv["type"].native == "common_name" and isinstance(atv["value"].native, str):
                return atv["value"].native
    return _dn(cert.asn1.subject)


def _anchors(trust_anchors: Sequence[bytes]) -> list[_Cert]:
    from asn1crypto import pem

    out = []
    for anchor in trust_anchors:
        der = bytes(anchor)
        if pem.detect(der):
            der = pem.unarmor(der)[2]
        cert = _load_cert(der)
        if cert is None:
            raise ValueError("a trust anchor is not a certificate")
        out.append(cert)
    return out


def _issued_by(cert: _Cert, anchor: _Cert) -> bool:
    """Is ``cert`` the anchor itself, or signed by it under the anchor's name?"""
    if cert.der == anchor.der:
        return True
    try:
        a1 = cert.asn1
        tbs = a1["tbs_certificate"]
        if a1.issuer != anchor.asn1.subject:
            return False
        if a1["signature_algorithm"].dump() != tbs["signature"].dump():
            return False  # RFC 5280 4.1.1.2: the unsigned copy must match the signed one
        algorithm = a1["signature_algorithm"]["algorithm"].dotted
        return verify_signature(anchor.der, algorithm, tbs.dump(), _bits(a1["signature_value"]))
    except Exception:  # unknown algorithm, odd encodings: not trusted
        return False


def _trusted(cert: _Cert | None, anchors: list[_Cert]) -> bool:
    return cert is not None and any(_issued_by(cert, a) for a in anchors)


# --- verification ------------------------------------------------------------------

Chain = Literal["ok", "untrusted", "unchecked"]


@dataclass(frozen=True)
class SealReport:
    """The verdict on one seal, each reason a named problem code.

    ``intact``: well formed, the maker signature verifies over the original bytes and
    the certList is usable. ``in_period``: validStart <= ``at`` <= validEnd. ``chain``:
    every certificate (maker and certList) issued by, or equal to, a trust anchor;
    "unchecked" without anchors. Some problems are findings that do not by themselves
    make a seal invalid (e.g. "maker-cert-expired-at-signing").
    """

    parsed: ParsedSeal
    intact: bool
    in_period: bool
    chain: Chain
    problems: tuple[str, ...]
    at: datetime
    # (maker, certList) certificates as _assess loaded them, so to_json needs no re-load
    _certs: tuple[_Cert | None, tuple[_Cert | None, ...]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def valid(self) -> bool:
        return self.intact and self.in_period and self.chain != "untrusted"

    def to_json(self) -> dict[str, Any]:
        """The CLI.md ``seal verify --json`` document (a JSON-ready dict)."""
        p = self.parsed
        if self._certs is not None:
            maker, listed = self._certs
        else:
            maker, listed = _load_cert(p.maker_cert), tuple(_load_cert(der) for der in p.certs)
        certs = []
        for cert in listed:
            if cert is None:
                continue  # reported as "cert-list-malformed"
            try:
                certs.append(_summary(cert))
            except ValueError:
                continue
        return {
            "valid": self.valid,
            "intact": self.intact,
            "in_period": self.in_period,
            "chain": self.chain,
            "version": p.version,
            "esID": p.esid,
            "name": p.name,
            "type": p.seal_type,
            "maker": _common_name(maker) if maker is not None else None,
            "algorithm": p.algorithm,
            "valid_start": _iso(p.valid_start),
            "valid_end": _iso(p.valid_end),
            "certs": certs,
            "problems": list(self.problems),
        }


def _check_maker_signature(p: ParsedSeal, problems: list[str]) -> bool:
    try:
        ok = verify_signature(p.maker_cert, p.algorithm, p.signed_bytes, p.signature)
    except UnsupportedAlgorithm:
        problems.append("unsupported-algorithm")
        return False
    if not ok:
        problems.append("maker-signature-invalid")
    return ok


def _at_signing(cert: _Cert | None, when: datetime, who: str, problems: list[str]) -> None:
    period = _validity(cert) if cert is not None else None
    if period is None:
        return
    if when > period[1]:
        problems.append(f"{who}-cert-expired-at-signing")
    elif when < period[0]:
        problems.append(f"{who}-cert-not-yet-valid-at-signing")


def _assess(p: ParsedSeal, at: datetime | None, trust_anchors: Sequence[bytes]) -> SealReport:
    at = datetime.now(timezone.utc) if at is None else (
        at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
    )
    anchors = _anchors(trust_anchors) if trust_anchors else []
    problems: list[str] = []
    maker = _load_cert(p.maker_cert)
    if maker is None:
        problems.append("maker-cert-malformed")
    intact = _check_maker_signature(p, problems) and maker is not None
    listed = tuple(_load_cert(der) for der in p.certs)
    if any(cert is None for cert in listed):
        problems.append("cert-list-malformed")
        intact = False
    if not p.certs and not p.cert_digests:
        problems.append("cert-list-empty")
        intact = False
    in_period = p.valid_start <= at <= p.valid_end
    if not in_period:
        problems.append("out-of-period")
        problems.append("not-yet-valid" if at < p.valid_start else "expired")
    _at_signing(maker, p.created, "maker", problems)
    chain: Chain = "unchecked"
    if anchors:
        chain = "ok"
        if not _trusted(maker, anchors):
            problems.append("maker-cert-untrusted")
            chain = "untrusted"
        if not all(_trusted(cert, anchors) for cert in listed):
            problems.append("cert-untrusted")
            chain = "untrusted"
    return SealReport(p, intact, in_period, chain, tuple(problems), at, (maker, listed))


def verify(
    data: bytes, *, at: datetime | None = None, trust_anchors: Sequence[bytes] = ()
) -> SealReport:
    """Verify a seal at ``at`` (default now, UTC) against optional trust anchors.

    Malformed seals raise :class:`SealFormatError`; everything else is a report.
    ``trust_anchors`` are DER (or PEM) certificates; a malformed anchor is the
    caller's configuration error and raises ``ValueError``.
    """
    return _assess(parse(data), at, trust_anchors)


# --- document signatures (v4 SES_Signature) ----------------------------------------


@dataclass(frozen=True)
class ParsedSignature:
    """A v4 SES_Signature: who signed what, when, with which embedded seal."""

    version: int
    seal: ParsedSeal
    seal_bytes: bytes = field(repr=False)
    time: datetime
    data_hash: bytes
    property_info: str
    ext_datas: list[tuple[str, bool, bytes]] = field(repr=False)
    signer_cert: bytes = field(repr=False)
    algorithm: str
    signature: bytes = field(repr=False)
    signed_bytes: bytes = field(repr=False)
    timestamp: bytes | None = field(default=None, repr=False)


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


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on a document signature and the seal inside it.

    The embedded seal is judged at the signing time unless ``at`` is given: a
    document signed while its seal was valid stays validly sealed. ``signer_listed``
    is None when the seal lists certificate digests instead of certificates.
    """

    parsed: ParsedSignature
    signature_ok: bool
    seal: SealReport
    signer_listed: bool | None
    chain: Chain
    problems: tuple[str, ...]
    _signer: _Cert | None = field(default=None, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        return (
            self.signature_ok
            and self.seal.valid
            and self.signer_listed is not False
            and self.chain != "untrusted"
        )

    def to_json(self) -> dict[str, Any]:
        p = self.parsed
        signer = self._signer if self._signer is not None else _load_cert(p.signer_cert)
        return {
            "valid": self.valid,
            "signature_ok": self.signature_ok,
            "chain": self.chain,
            "signer": _common_name(signer) if signer is not None else None,
            "time": _iso(p.time),
            "algorithm": p.algorithm,
            "property_info": p.property_info,
            "data_hash": p.data_hash.hex(),
            "seal": self.seal.to_json(),
            "problems": list(self.problems),
        }


def verify_signature_document(
    data: bytes, at: datetime | None = None, *, trust_anchors: Sequence[bytes] = ()
) -> SignatureReport:
    """Verify a v4 SES_Signature: signer's signature over the original TBS_Sign bytes,
    the embedded seal (at ``at``, default the signing time), the signer being one of
    the seal's certificates, and optionally the chains to ``trust_anchors``.

    It does not check ``data_hash`` against the document: that needs the document.
    """
    p = parse_signature(data)
    problems: list[str] = []
    signer = _load_cert(p.signer_cert)
    if signer is None:
        problems.append("signer-cert-malformed")
    try:
        ok = verify_signature(p.signer_cert, p.algorithm, p.signed_bytes, p.signature)
        if not ok:
            problems.append("signature-invalid")
    except UnsupportedAlgorithm:
        ok = False
        problems.append("unsupported-algorithm")
    ok = ok and signer is not None
    seal = _assess(p.seal, p.time if at is None else at, trust_anchors)
    if not seal.valid:
        problems.append("seal-invalid")
    listed: bool | None = None
    if p.seal.cert_list_type == 1:
        listed = p.signer_cert in p.seal.certs
        if not listed:
            problems.append("signer-not-in-cert-list")
    _at_signing(signer, p.time, "signer", problems)
    chain: Chain = "unchecked"
    if trust_anchors:
        chain = "ok" if _trusted(signer, _anchors(trust_anchors)) else "untrusted"
        if chain == "untrusted":
            problems.append("signer-cert-untrusted")
    return SignatureReport(p, ok, seal, listed, chain, tuple(problems), signer)
