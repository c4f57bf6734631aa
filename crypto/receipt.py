"""Signed receipts: CBOR claims -> COSE_Sign1 -> zlib -> base45 -> ``SSR1:`` text.

DESIGN.md §4 "Receipt": the chain of the EU digital COVID certificate, chosen because
it is proven to make one QR code (version <= 25, ECC M) that anyone can check offline
with the station's enrollment bundle. The officer's card signs; this module only sees
a :class:`~crypto.algorithms.Signer`.

COSE (RFC 9052): protected header ``{1: alg}`` as a bstr, unprotected ``{4: kid}``
where kid is the first 8 bytes of SHA-256 of the signer certificate (a lookup hint
only: it is not signed, so :func:`verify` also checks it against the certificate),
and ``Sig_structure = ["Signature1", protected, b"", payload]``. Algorithms:

- ES256 (-7) and SM2-with-SM3 (:data:`ALG_SM2_SM3` = -65600, from the COSE private-use
  range below -65536, as no SM2 identifier is registered): signature raw ``r || s``,
  32 bytes each; cards return DER, so it is converted here.
- PS256 (-37): RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 (RFC 8230).

Decoding is strict: one text has exactly one reading (the COSE_Sign1 tag and the key id
are required, the zlib stream canonical), so a receipt cannot be altered in transit and
still decode; every malformation is a :class:`ReceiptError`.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import base45
import cbor2

from crypto.algorithms import (
    ECDSA_SHA256,
    RSA_SHA256,
    SM2_SM3,
    Signer,
    der_to_raw,
    raw_to_der,
    verify_signature,
)
from crypto.errors import CryptoError

__all__ = [
    "canonical_zlib",
    "ALG_ES256",
    "ALG_PS256",
    "ALG_SM2_SM3",
    "MAX_PAYLOAD",
    "PREFIX",
    "Receipt",
    "ReceiptError",
    "decode",
    "encode",
    "key_id",
    "verify",
]

PREFIX = "SSR1:"
ALG_ES256 = -7
ALG_PS256 = -37
ALG_SM2_SM3 = -65600
MAX_PAYLOAD = 64 * 1024  # decompressed COSE bytes: a receipt is ~1 KiB; stops zip bombs
_MAX_TEXT = 4296  # the most any QR code holds in alphanumeric mode (version 40-L)
_MAX_DEPTH = 16
_ALG_BY_OID = {ECDSA_SHA256: ALG_ES256, RSA_SHA256: ALG_PS256, SM2_SM3: ALG_SM2_SM3}
_OID_BY_ALG = {alg: oid for oid, alg in _ALG_BY_OID.items()}
_RAW_EC = (ALG_ES256, ALG_SM2_SM3)
_COSE_SIGN1_TAG = 18
_BASE45 = frozenset(base45.BASE45_CHARSET)


class ReceiptError(CryptoError):
    """The receipt text or its contents are malformed (or cannot be made)."""


@dataclass(frozen=True)
class Receipt:
    """A decoded, not yet verified receipt. ``to_be_signed`` is the Sig_structure."""

    claims: dict[Any, Any]
    alg: int
    protected: bytes
    payload: bytes
    signature: bytes
    kid: bytes | None
    to_be_signed: bytes


def key_id(cert_der: bytes) -> bytes:
    """The COSE kid of a certificate: first 8 bytes of its SHA-256."""
    return hashlib.sha256(cert_der).digest()[:8]


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _plain(value: Any, depth: int = 0) -> Any:
    """Check claims are plain data (what any CBOR reader understands), as dicts/lists.

    Semantic tags (dates, decimals, regexes, shared references...) are refused both
    ways, so what is signed is what every verifier reads back.
    """
    if depth > _MAX_DEPTH:
        raise ReceiptError("claims are nested too deeply")
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, int | str):
                raise ReceiptError("claim keys must be integers or strings")
            out[k] = _plain(v, depth + 1)
        return out
    raise ReceiptError(f"a claim cannot be a {type(value).__name__}")


def _der_to_raw(der: bytes) -> bytes:
    try:
        return der_to_raw(der, 32)
    except ValueError:
        raise ReceiptError("the card returned a malformed EC signature") from None


def encode(claims: Mapping[Any, Any], signer: Signer) -> str:
    """Sign ``claims`` with the card and return the ``SSR1:`` text for the QR code.

    The result is decoded and verified against the signer's own certificate before it
    is returned: a card whose key does not match its certificate is caught here, not
    by whoever scans the receipt.
    """
    alg = _ALG_BY_OID.get(signer.algorithm)
    if alg is None:
        raise ReceiptError(f"no receipt algorithm for {signer.algorithm}")
    if not isinstance(claims, Mapping):
        raise ReceiptError("claims must be a map")
    protected = cbor2.dumps({1: alg})
    try:
        payload = cbor2.dumps(_plain(claims), canonical=True)
    except (cbor2.CBOREncodeError, UnicodeEncodeError):  # e.g. a lone surrogate in a str
        raise ReceiptError("the claims cannot be encoded as CBOR") from None
    tbs = _sig_structure(protected, payload)
    if alg == ALG_PS256:
        signature = signer.sign(tbs, pss=True)
    else:
        signature = _der_to_raw(signer.sign(tbs))
    unprotected = {4: key_id(signer.certificate)}
    cose = cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1_TAG, [protected, unprotected, payload, signature]))
    if len(cose) > MAX_PAYLOAD:
        raise ReceiptError("the receipt is too large")
    text = PREFIX + base45.b45encode(canonical_zlib(cose)).decode("ascii")
    if not verify(decode(text), signer.certificate):
        raise ReceiptError("the card's signature does not verify with its certificate")
    return text


# --- decoding ---------------------------------------------------------------------------


def _inflate_once(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_PAYLOAD + 1)
    except zlib.error:
        raise ReceiptError("not a zlib stream") from None
    if len(out) > MAX_PAYLOAD or inflater.unconsumed_tail:
        raise ReceiptError("the receipt is too large")
    if not inflater.eof or inflater.unused_data:
        raise ReceiptError("not a complete zlib stream")
    return out


def canonical_zlib(data: bytes) -> bytes:
    """The one zlib stream a receipt may be written as: header 78 01, one final stored
    block, Adler-32.

    Deflate can write the same bytes in many ways (block types, Huffman tables, padding
    bits, the header's FLEVEL), and a text re-encoded that way would still verify: the
    signature covers the COSE bytes, not the text. Stored deflate has exactly one form,
    any zlib inflates it, and it costs little here — signatures and hashes do not
    compress (a receipt grows ~7%, one QR version). The encoder writes this; the decoder
    accepts nothing else, so one receipt has one text.
    """
    if len(data) > 0xFFFF:
        raise ReceiptError("the receipt is too large")
    size = len(data).to_bytes(2, "little")
    inverse = (len(data) ^ 0xFFFF).to_bytes(2, "little")
    return b"\x78\x01\x01" + size + inverse + data + zlib.adler32(data).to_bytes(4, "big")


def _inflate(data: bytes) -> bytes:
    """Decompress (refusing bombs), then insist on the canonical form of the output."""
    out = _inflate_once(data)
    if data != canonical_zlib(out):
        raise ReceiptError("not the canonical zlib stream of a receipt")
    return out


def _cbor(data: bytes, what: str) -> Any:
    """Decode exactly one CBOR item filling ``data``; definite lengths, unique keys."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(
            stream, allow_indefinite=False, allow_duplicate_keys=False, max_depth=_MAX_DEPTH + 4
        ).decode()
    except Exception:  # cbor2 raises many kinds on hostile input; all mean "malformed"
        raise ReceiptError(f"malformed CBOR in the {what}") from None
    if stream.tell() != len(data):
        raise ReceiptError(f"trailing bytes after the {what}")
    return value


def decode(text: str) -> Receipt:
    """Parse the ``SSR1:`` text (exactly as scanned, no whitespace) without verifying."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise ReceiptError("not a seal-station receipt")
    body = text[len(PREFIX) :]
    if len(body) > _MAX_TEXT or not _BASE45.issuperset(body):
        raise ReceiptError("the receipt is not base45 text")
    try:
        compressed = base45.b45decode(body)
    except ValueError:
        raise ReceiptError("the receipt is not base45 text") from None
    cose = _cbor(_inflate(compressed), "COSE structure")
    if not isinstance(cose, cbor2.CBORTag) or cose.tag != _COSE_SIGN1_TAG:
        raise ReceiptError("not a tagged COSE_Sign1 structure")
    cose = cose.value
    if not isinstance(cose, list | tuple) or len(cose) != 4:
        raise ReceiptError("not a COSE_Sign1 structure")
    protected, unprotected, payload, signature = cose
    if not (
        isinstance(protected, bytes)
        and isinstance(unprotected, Mapping)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise ReceiptError("not a COSE_Sign1 structure")

    header = _cbor(protected, "protected header")
    if not isinstance(header, Mapping) or [(type(k), k) for k in header] != [(int, 1)]:
        raise ReceiptError("the protected header must hold exactly the algorithm")
    alg = header[1]
    if type(alg) is not int or alg not in _ALG_BY_OID.values():
        raise ReceiptError("unknown signature algorithm")
    if any(type(k) is not int or k != 4 for k in unprotected):
        raise ReceiptError("unknown unprotected header")
    kid = unprotected.get(4)
    if not isinstance(kid, bytes) or len(kid) != 8:
        raise ReceiptError("malformed key id")
    if alg in _RAW_EC and len(signature) != 64:
        raise ReceiptError("malformed signature")
    if alg == ALG_PS256 and not 128 <= len(signature) <= 1024:
        raise ReceiptError("malformed signature")

    claims = _cbor(payload, "claims")
    if not isinstance(claims, Mapping):
        raise ReceiptError("the claims are not a map")
    return Receipt(
        claims=_plain(claims),
        alg=alg,
        protected=protected,
        payload=payload,
        signature=signature,
        kid=kid,
        to_be_signed=_sig_structure(protected, payload),
    )


# --- verification -------------------------------------------------------------------


def verify(receipt: Receipt, cert_der: bytes) -> bool:
    """Does the receipt's COSE signature verify with this certificate's public key?

    Only the signature: whether the certificate is enrolled, has the officer role and
    was valid at the receipt's time is for the caller (station/verify.py) to decide.
    The kid is not signed, so one that names another certificate is a failure too.
    """
    if receipt.kid != key_id(cert_der):
        return False
    oid = _OID_BY_ALG.get(receipt.alg)
    if oid is None:
        return False
    signature = receipt.signature
    if receipt.alg in _RAW_EC:
        if len(signature) != 64:
            return False
        signature = raw_to_der(signature)
    return verify_signature(
        cert_der, oid, receipt.to_be_signed, signature, pss=receipt.alg == ALG_PS256
    )
