"""Signature algorithms of the station: SM2-with-SM3, ECDSA P-256/SHA-256, RSA/SHA-256.

Crypto that needs a card takes a :class:`Signer`, so this package stays pure: the card
adapter in ``devices/`` and the software signer used by tests both satisfy it.

Verification is deliberately forgiving about *encodings* and strict about *results*:
vendors write EC/SM2 signatures either as DER ``SEQUENCE{r, s}`` or as raw ``r||s``,
so both are read; but any garbage (bad DER, a key of the wrong type, a malformed
certificate) simply makes :func:`verify_signature` answer ``False`` - a verifier that
crashes on hostile input is a verifier that can be switched off.

SM2 goes through tongsuopy (Tongsuo). Its ``EVP_DigestSign``/``EVP_DigestVerify`` with
an SM2 key and SM3 computes ``e = SM3(Z || M)`` itself, with
``Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)`` and the default user ID
``"1234567812345678"`` (GB/T 32918.2 / GM/T 0009) - the ID every seal vendor uses. The
tests check this against ``openssl pkeyutl -pkeyopt distid:1234567812345678`` and
against real seals signed by BouncyCastle, so the ID is pinned by evidence, not hope.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from asn1crypto import core, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from crypto.errors import CryptoError

__all__ = [
    "SM2_SM3",
    "ECDSA_SHA256",
    "RSA_SHA256",
    "SM2_USER_ID",
    "Signer",
    "UnsupportedAlgorithm",
    "SoftwareSigner",
    "verify_signature",
    "verify_with_public_key",
    "VerifyKey",
    "raw_to_der",
    "der_to_raw",
    "algorithm_for_certificate",
]

SM2_SM3 = "1.2.156.10197.1.501"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
RSA_SHA256 = "1.2.840.113549.1.1.11"
SM2_USER_ID = b"1234567812345678"

_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
_SM2_CURVE = "1.2.156.10197.1.301"
_P256_CURVE = "1.2.840.10045.3.1.7"


@runtime_checkable
class Signer(Protocol):
    """Something that signs with a private key it never shows.

    ``algorithm`` is the signature algorithm OID (one of the constants above),
    ``certificate`` the DER certificate of the key. ``sign`` takes the whole message
    (the signer hashes) and returns DER ``SEQUENCE{r, s}`` for EC/SM2 and the PKCS#1 v1.5
    signature for RSA. ``sign(data, pss=True)`` gives RSASSA-PSS/SHA-256 (RSA only).
    """

    algorithm: str
    certificate: bytes

    def sign(self, data: bytes, *, pss: bool = False) -> bytes: ...


class UnsupportedAlgorithm(CryptoError):
    """An algorithm OID or key type the station does not speak.

    A ``ValueError`` so callers that treat bad input uniformly still catch it, but its
    own type so a verifier can say "unknown algorithm" instead of "bad signature".
    """


# --- signature encodings ---------------------------------------------------------


def raw_to_der(sig: bytes) -> bytes:
    """Raw ``r||s`` (two equal halves) -> DER ``SEQUENCE{r, s}``.

    Cards and some vendors give raw; X.509, CMS and our seals want DER.
    """
    if not isinstance(sig, (bytes, bytearray)) or not sig or len(sig) % 2:
        raise ValueError("a raw EC signature is two equal non-empty halves r||s")
    half = len(sig) // 2
    r = int.from_bytes(sig[:half], "big")
    s = int.from_bytes(sig[half:], "big")
    return encode_dss_signature(r, s)


def der_to_raw(sig: bytes, size: int = 32) -> bytes:
    """DER ``SEQUENCE{r, s}`` -> raw ``r||s`` with each half ``size`` bytes.

    Strict DER only (what cryptography's parser accepts); raises ``ValueError`` for
    anything else, including integers too large for ``size``.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    try:
        r, s = decode_dss_signature(bytes(sig))
    except Exception as exc:  # the Rust parser raises ValueError; be safe anyway
        raise ValueError(f"not a DER EC signature: {exc}") from None
    limit = 1 << (8 * size)
    if not (0 <= r < limit and 0 <= s < limit):
        raise ValueError(f"EC signature integers do not fit in {size} bytes")
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _normalised_der(sig: bytes, size: int) -> bytes | None:
    """The signature as canonical DER, whichever of the two encodings it came in.

    Re-encoding after a strict decode means the backend never sees a lenient BER
    form, so one flipped byte cannot yield an "equivalent" signature.
    """
    try:
        r, s = decode_dss_signature(bytes(sig))
        return encode_dss_signature(r, s)
    except Exception:
        pass
    if len(sig) == 2 * size:
        return raw_to_der(bytes(sig))
    return None


# --- keys from certificates ------------------------------------------------------


class _AlgorithmIdentifier(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class _SubjectPublicKeyInfo(core.Sequence):
    _fields = [("algorithm", _AlgorithmIdentifier), ("public_key", core.OctetBitString)]


def _spki(cert_der: bytes) -> tuple[bytes, str, str | None, bytes]:
    """(SPKI DER, key algorithm OID, curve OID or None, public key bits) of a cert.

    Read by position with a minimal schema, so a certificate whose other parts an
    X.509 library dislikes (SM2 OIDs, odd extensions) still yields its key.
    """
    cert = x509.Certificate.load(bytes(cert_der), strict=True)
    spki_der = cert["tbs_certificate"]["subject_public_key_info"].dump()
    return (spki_der, *_spki_fields(spki_der))


# The AlgorithmIdentifier of the three keys the station meets, as DER: a key whose
# SPKI starts with one of these is read without a parser (the common case, and the
# one a registry verifying thousands of seals pays for each time).
_KNOWN_KEY_ALGORITHMS = {
    bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107"): (_EC_PUBLIC_KEY, _P256_CURVE),
    bytes.fromhex("301306072a8648ce3d020106082a811ccf5501822d"): (_EC_PUBLIC_KEY, _SM2_CURVE),
    bytes.fromhex("300d06092a864886f70d0101010500"): (_RSA_ENCRYPTION, None),
}


def _der_header(buf: bytes, pos: int, tag: int) -> tuple[int, int] | None:
    """(content start, content end) of the ``tag`` element at ``pos``; None when the
    element is not that plain (a short or one/two-byte length)."""
    if pos + 2 > len(buf) or buf[pos] != tag:
        return None
    first = buf[pos + 1]
    if first < 0x80:
        return pos + 2, pos + 2 + first
    if first not in (0x81, 0x82) or pos + 2 + (first & 0x7F) > len(buf):
        return None
    start = pos + 2 + (first & 0x7F)
    return start, start + int.from_bytes(buf[pos + 2 : start], "big")


def _spki_fields(spki_der: bytes) -> tuple[str, str | None, bytes]:
    """(key algorithm OID, curve OID or None, public key bits) of a DER SPKI.

    A P-256, SM2 or RSA key in the plain layout is read from its bytes; anything else
    goes through asn1crypto, which gives the same answer or the same error.
    """
    outer = _der_header(spki_der, 0, 0x30)
    if outer is not None and outer[1] == len(spki_der):
        for algid, (alg, curve) in _KNOWN_KEY_ALGORITHMS.items():
            if spki_der.startswith(algid, outer[0]):
                bits = _der_header(spki_der, outer[0] + len(algid), 0x03)
                if bits is not None and bits[1] == len(spki_der) and bits[1] > bits[0] \
                        and spki_der[bits[0]] == 0:
                    return alg, curve, spki_der[bits[0] + 1 : bits[1]]
                break
    spki = _SubjectPublicKeyInfo.load(spki_der, strict=True)
    alg = spki["algorithm"]["algorithm"].dotted
    params = spki["algorithm"]["parameters"]
    curve = None
    if params is not None and params.contents is not None:
        parsed = params.parsed
        if isinstance(parsed, core.ObjectIdentifier):
            curve = parsed.dotted
    raw = spki["public_key"].contents
    if not raw or raw[0] != 0:
        raise ValueError("public key BIT STRING has unused bits")
    return alg, curve, raw[1:]


def _is_sm2(alg: str, curve: str | None) -> bool:
    return alg == _SM2_CURVE or (alg == _EC_PUBLIC_KEY and curve == _SM2_CURVE)


def algorithm_for_certificate(cert_der: bytes) -> str:
    """The signature algorithm OID the certificate's key makes: the key decides.

    SM2 curve -> SM2_SM3, P-256 -> ECDSA_SHA256, RSA -> RSA_SHA256. Raises
    ``UnsupportedAlgorithm`` for other keys and ``ValueError`` for a malformed cert.
    """
    try:
        _, alg, curve, _ = _spki(cert_der)
    except Exception as exc:
        raise ValueError(f"malformed certificate: {exc}") from None
    if _is_sm2(alg, curve):
        return SM2_SM3
    if alg == _EC_PUBLIC_KEY and curve == _P256_CURVE:
        return ECDSA_SHA256
    if alg == _RSA_ENCRYPTION:
        return RSA_SHA256
    raise UnsupportedAlgorithm(f"unsupported public key {alg} (curve {curve})")


def _sm2_public_key(point: bytes) -> Any:
    from tongsuopy.crypto.asymciphers import ec as sm_ec

    return sm_ec.EllipticCurvePublicKey.from_encoded_point(sm_ec.SM2(), point)


def _sm2_key(spki_der: bytes) -> Any:
    alg, curve, point = _spki_fields(spki_der)
    return _sm2_public_key(point) if _is_sm2(alg, curve) else None


def _ecdsa_key(spki_der: bytes) -> Any:
    alg, curve, _ = _spki_fields(spki_der)
    if alg != _EC_PUBLIC_KEY or curve == _SM2_CURVE:
        return None
    key = serialization.load_der_public_key(spki_der)
    return key if isinstance(key, ec.EllipticCurvePublicKey) else None


def _rsa_key(spki_der: bytes) -> Any:
    alg, _, _ = _spki_fields(spki_der)
    if alg != _RSA_ENCRYPTION:
        return None
    key = serialization.load_der_public_key(spki_der)
    return key if isinstance(key, rsa.RSAPublicKey) else None


def _verify_sm2(key: Any, data: bytes, signature: bytes) -> bool:
    from tongsuopy.crypto import hashes as sm_hashes
    from tongsuopy.crypto.asymciphers import ec as sm_ec

    der = _normalised_der(signature, 32)
    if der is None:
        return False
    try:
        key.verify(der, bytes(data), sm_ec.ECDSA(sm_hashes.SM3()))
    except Exception:
        return False
    return True


def _verify_ecdsa(key: Any, data: bytes, signature: bytes) -> bool:
    der = _normalised_der(signature, (key.curve.key_size + 7) // 8)
    if der is None:
        return False
    try:
        key.verify(der, bytes(data), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _verify_rsa(key: Any, data: bytes, signature: bytes, pss: bool) -> bool:
    pad = _pss() if pss else padding.PKCS1v15()
    try:
        key.verify(bytes(signature), bytes(data), pad, hashes.SHA256())
    except InvalidSignature:
        return False
    return True


_KEY_READERS = {SM2_SM3: _sm2_key, ECDSA_SHA256: _ecdsa_key, RSA_SHA256: _rsa_key}


class VerifyKey:
    """A public key read once for one signature algorithm, to check many signatures.

    A verifier that meets the same certificate again (a registry checking every seal
    one officer made) keeps this instead of reading the key out of its DER each time.
    A key that cannot make that algorithm's signatures (an SM2 key for ECDSA, a
    malformed one) is kept too, as one that verifies nothing.
    """

    __slots__ = ("algorithm", "_key")

    def __init__(self, spki_der: bytes, algorithm_oid: str) -> None:
        _check_algorithm(algorithm_oid)
        self.algorithm = algorithm_oid
        try:
            self._key = _KEY_READERS[algorithm_oid](spki_der)
        except Exception:
            self._key = None

    def verify(self, data: bytes, signature: bytes, *, pss: bool = False) -> bool:
        """:func:`verify_signature`'s answer for this key: garbage of any kind is False."""
        key = self._key
        if key is None:
            return False
        try:
            if self.algorithm == SM2_SM3:
                return _verify_sm2(key, data, signature)
            if self.algorithm == ECDSA_SHA256:
                return _verify_ecdsa(key, data, signature)
            return _verify_rsa(key, data, signature, pss)
        except Exception:
            return False


def verify_signature(
    cert_der: bytes, algorithm_oid: str, data: bytes, signature: bytes, *, pss: bool = False
) -> bool:
    """Does ``signature`` over ``data`` verify with the key of ``cert_der``?

    Only an unknown ``algorithm_oid`` raises (``UnsupportedAlgorithm``): that is a
    question the caller must answer differently. Everything else that is wrong -
    garbage signature, wrong key type, malformed certificate - is ``False``.
    ``pss=True`` checks RSASSA-PSS/SHA-256 (salt 32) instead of PKCS#1 v1.5.
    """
    _check_algorithm(algorithm_oid)
    try:
        spki_der = _spki(cert_der)[0]
    except Exception:
        return False
    return verify_with_public_key(spki_der, algorithm_oid, data, signature, pss=pss)


def verify_with_public_key(
    spki_der: bytes, algorithm_oid: str, data: bytes, signature: bytes, *, pss: bool = False
) -> bool:
    """:func:`verify_signature` with the key given as its DER SubjectPublicKeyInfo.

    For callers that have already parsed the certificate (a seal verifier reads its
    maker's certificate anyway): the key is taken as it is, without a second parse of
    the certificate around it. Same answers, same single exception.
    """
    return VerifyKey(spki_der, algorithm_oid).verify(data, signature, pss=pss)


def _check_algorithm(algorithm_oid: str) -> None:
    if algorithm_oid not in (SM2_SM3, ECDSA_SHA256, RSA_SHA256):
        raise UnsupportedAlgorithm(f"unsupported signature algorithm {algorithm_oid}")


# --- software keys ---------------------------------------------------------------


def _is_tongsuo_key(key: Any) -> bool:
    return type(key).__module__.startswith("tongsuopy.")


def _private_key_algorithm(key: Any) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP256R1):
            return ECDSA_SHA256
        raise UnsupportedAlgorithm(f"unsupported EC curve {key.curve.name}")
    if isinstance(key, rsa.RSAPrivateKey):
        return RSA_SHA256
    if _is_tongsuo_key(key) and getattr(getattr(key, "curve", None), "name", "") == "SM2":
        return SM2_SM3
    raise UnsupportedAlgorithm(f"unsupported private key {type(key).__name__}")


def _public_bits(key: Any) -> bytes:
    """The subjectPublicKey bits of a private key, to compare with a certificate."""
    spki_der = key.public_key().public_bytes(
        _serialization_module(key).Encoding.DER,
        _serialization_module(key).PublicFormat.SubjectPublicKeyInfo,
    )
    spki = _SubjectPublicKeyInfo.load(spki_der)
    return spki["public_key"].contents[1:]


def _serialization_module(key: Any) -> Any:
    if _is_tongsuo_key(key):
        from tongsuopy.crypto import serialization as sm_serialization

        return sm_serialization
    return serialization


class SoftwareSigner:
    """A :class:`Signer` over a private key held in memory.

    For tests, the demo and software keys; production keys live on cards. The key
    decides the algorithm, and the certificate must carry the same public key -
    checked here, because a seal signed by one key under another's certificate is
    a seal nobody can verify.
    """

    __slots__ = ("_key", "algorithm", "certificate")

    def __init__(self, private_key: Any, certificate_der: bytes) -> None:
        self._key = private_key
        self.algorithm: str = _private_key_algorithm(private_key)
        self.certificate: bytes = bytes(certificate_der)
        if algorithm_for_certificate(self.certificate) != self.algorithm:
            raise ValueError("certificate key type does not match the private key")
        if _spki(self.certificate)[3] != _public_bits(private_key):
            raise ValueError("certificate public key does not match the private key")

    def __repr__(self) -> str:
        return f"SoftwareSigner(algorithm={self.algorithm!r})"

    def sign(self, data: bytes, *, pss: bool = False) -> bytes:
        """Sign the whole message; DER ``SEQUENCE{r, s}`` for EC/SM2."""
        data = bytes(data)
        if pss and self.algorithm != RSA_SHA256:
            raise ValueError("PSS is an RSA padding")
        if self.algorithm == ECDSA_SHA256:
            return self._key.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.algorithm == RSA_SHA256:
            pad = _pss() if pss else padding.PKCS1v15()
            return self._key.sign(data, pad, hashes.SHA256())
        from tongsuopy.crypto import hashes as sm_hashes
        from tongsuopy.crypto.asymciphers import ec as sm_ec

        return bytes(self._key.sign(data, sm_ec.ECDSA(sm_hashes.SM3())))
