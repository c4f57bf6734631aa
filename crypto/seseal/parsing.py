"""Reading v1, v4 and v5 seals into :class:`.model.ParsedSeal`.

The layout decides the version: v1 (GM/T 0031-2014) has two top-level elements, v4
and v5 (GB/T 38540-2020) four or five. A plain v4/v5 seal is read by the fast
reader (:func:`_read_v4`); anything else, and anything the fast reader refuses,
goes through asn1crypto (:func:`_parse_v4`, :func:`_parse_v1`), which gives the same
value or the same error. Any malformation surfaces as :class:`SealFormatError` and
nothing else: a verifier that crashes on hostile bytes cannot say why a seal is bad.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import core

from .asn1 import _AnyList, _CertDigests, _SESealV1, _SESealV4
from .der import (
    _Unusual,
    _bits,
    _children,
    _der_length,
    _int,
    _kids,
    _oid,
    _prim,
    _text,
    _time,
    _tlv,
    _when,
    _whole_bits,
)
from .errors import SealFormatError
from .model import ParsedSeal

__all__ = ["parse"]


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
    others = 0
    if list_type == 1:
        certs, others = _cert_entries(prop["certList"])
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
        cert_list_others=others,
    )


def _cert_entries(cert_list: core.Any) -> tuple[list[bytes], int]:
    """The certificates of a certList (``SEQUENCE OF OCTET STRING``), and how many
    entries are something else. Vendors put other values there (an IA5String, for
    one); the maker signed them as they are, so they are counted and reported, not
    a reason to refuse the whole seal. The list itself must still be a SEQUENCE."""
    listed = _AnyList.load(cert_list.dump(), strict=True)
    certs, others = [], 0
    for entry in listed:
        der = entry.dump()
        if der[:1] in (b"\x04", b"\x24"):  # OCTET STRING, primitive or constructed
            certs.append(bytes(core.OctetString.load(der, strict=True).native))
        else:
            others += 1
    return certs, others


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
    certs, others = _cert_entries(info["property"]["certList"])
    return ParsedSeal(
        **_common(info, 1),
        cert_list_type=1,
        certs=certs,
        cert_list_others=others,
        cert_digests=[],
        maker_cert=bytes(sign["cert"].native),
        algorithm=sign["signatureAlgorithm"].dotted,
        signature=_bits(sign["signData"]),
        signed_bytes=b"\x30" + _der_length(len(inner)) + inner,
    )
