"""What a seal or a document signature says, and the verdicts on them.

These frozen records are what the station keeps and shows: the ``Parsed*`` classes
hold every field plus the exact bytes that were signed (so verification never needs
the input again), the ``*Report`` classes a verdict with named problem codes and the
CLI.md ``--json`` document. Reports keep the certificates the verification loaded,
so that ``to_json`` does not read them a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .certs import _Cert, _common_name, _iso, _load_cert, _summary

__all__ = ["Chain", "ParsedSeal", "ParsedSignature", "SealReport", "SignatureReport"]


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
    # certList entries that are not OCTET STRINGs (a vendor's habit): counted, not read
    cert_list_others: int = 0


Chain = Literal["ok", "untrusted", "unchecked"]


@dataclass(frozen=True)
class SealReport:
    """The verdict on one seal, each reason a named problem code.

    ``intact``: well formed, the maker signature verifies over the original bytes and
    the certList is usable. ``in_period``: validStart <= ``at`` <= validEnd. ``chain``:
    every certificate (maker and certList) issued by, or equal to, a trust anchor;
    "unchecked" without anchors. ``problems`` name what makes the seal invalid, so it
    is valid exactly when there are none; ``warnings`` name findings that do not (e.g.
    "maker-cert-expired-at-signing", a certList entry that is not a certificate).
    """

    parsed: ParsedSeal
    intact: bool
    in_period: bool
    chain: Chain
    problems: tuple[str, ...]
    at: datetime
    warnings: tuple[str, ...] = ()
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
            maker, listed = _load_cert(p.maker_cert), tuple(_load_cert(der, tolerant=True) for der in p.certs)
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
            "warnings": list(self.warnings),
        }


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
    warnings: tuple[str, ...] = ()

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
            "warnings": list(self.warnings),
        }
