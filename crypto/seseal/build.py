"""Making a v4 seal (GB/T 38540-2020), the only version the station writes.

The seal is verified before it is returned, so a card that signs with a key other
than its certificate's is caught at the station rather than by the seal's first
reader. Dates are written in UTC to the second, so a seal's period never depends on
the station's time zone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence

from asn1crypto import core, x509

from ..algorithms import RSA_SHA256, Signer, der_to_raw, raw_to_der
from .asn1 import _Certs, _SealInfoV4
from .der import _der_length
from .errors import SealBuildError, SealFormatError
from .verification import verify

__all__ = ["build_v4"]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise SealBuildError("datetimes must be timezone-aware")
    return value.astimezone(timezone.utc)


def _ia5(label: str, value: str) -> str:
    if not isinstance(value, str) or not value.isascii():
        raise SealBuildError(f"{label} must be an ASCII string")
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
        raise SealBuildError("certList needs at least the seal card's certificate")
    start, end = _utc(valid_start), _utc(valid_end)
    if start > end:
        raise SealBuildError("valid_start is after valid_end")
    if not isinstance(seal_type, int) or not isinstance(width_mm, int) or not isinstance(height_mm, int):
        raise SealBuildError("seal_type, width_mm and height_mm must be integers")
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
