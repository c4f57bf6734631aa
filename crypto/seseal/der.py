"""Original bytes: a small TLV walker, and fast readers of plain DER values.

Signatures are checked over the bytes sliced from the input, never a re-encoding
(vendors emit BER-ish DER that a re-encoding would "fix"), so this walker finds the
element boundaries itself. The fast readers (``_kids``, ``_prim``, ``_when``...) read
values straight from those bytes, exactly as asn1crypto's ``.native`` would, because
asn1crypto's lazy parser was most of the cost of a verification; whatever they do
not take they refuse with :class:`_Unusual`, and the caller asks asn1crypto instead.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from asn1crypto import core, x509

from ..algorithms import ECDSA_SHA256, RSA_SHA256, SM2_SM3
from ..errors import CryptoError
from .errors import SealFormatError

__all__: list[str] = []  # package-internal: the sibling modules import these names explicitly


def _tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(first tag byte, content start, element end) of the element at ``pos``.

    Definite lengths only: DER is required, and an indefinite length would leave
    "the original bytes" of an element ambiguous.
    """
    if pos + 1 < end:  # the common cases first: a one-byte tag, a length in up to 3 bytes
        tag, first = buf[pos], buf[pos + 1]
        if tag & 0x1F != 0x1F:
            if first < 0x80:
                if pos + 2 + first <= end:
                    return tag, pos + 2, pos + 2 + first
            elif first == 0x82:
                stop = pos + 4 + (buf[pos + 2] << 8 | buf[pos + 3]) if pos + 4 <= end else end + 1
                if stop <= end:
                    return tag, pos + 4, stop
            elif first == 0x81:
                stop = pos + 3 + buf[pos + 2] if pos + 3 <= end else end + 1
                if stop <= end:
                    return tag, pos + 3, stop
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


_Part = tuple[int, int, int]  # (first tag byte, content start, element end)


class _Unusual(CryptoError):
    """The fast v4 reader met something it leaves to asn1crypto."""


def _kids(buf: bytes, part: _Part, tag: int, counts: Any = None) -> list[_Part]:
    """The children of ``part``, which must be a ``tag`` element, and (if ``counts``
    is given) have a number of children in ``counts``."""
    if part[0] != tag:
        raise _Unusual
    pos, stop = part[1], part[2]
    out = []
    while pos < stop:
        first = buf[pos + 1] if pos + 1 < stop else 0x80
        if first < 0x80 and buf[pos] & 0x1F != 0x1F and pos + 2 + first <= stop:  # _tlv's common case
            child = (buf[pos], pos + 2, pos + 2 + first)
        else:
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
    if known is not None:
        return known
    if not raw or raw[-1] & 0x80:
        raise _Unusual
    arcs, value = [], 0
    for byte in raw:  # base 128, as asn1crypto's ``dotted`` reads it
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, (first, arcs[0] - 40 * first, *arcs[1:])))


def _when(buf: bytes, part: _Part) -> datetime:
    """A seal date. The DER forms (YYYYMMDDHHMMSSZ, YYMMDDHHMMSSZ) are read here
    exactly as asn1crypto reads them; other forms go through asn1crypto itself."""
    raw = buf[part[1] : part[2]]
    if part[0] == 0x18:
        if len(raw) == 15 and raw[14] == 0x5A and raw[:14].isdigit() and raw[:4] != b"0000":
            n = int(raw[:14])  # YYYYMMDDHHMMSS as one number: one conversion, not six
            return datetime(
                n // 10**10, n // 10**8 % 100, n // 10**6 % 100,
                n // 10**4 % 100, n // 100 % 100, n % 100, tzinfo=timezone.utc,
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
