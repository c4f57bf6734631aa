"""AES-256-GCM envelopes, HKDF sub-keys and the key slots that wrap the master key.

DESIGN.md §3: one random 256-bit station master key opens everything; it is never
stored in clear. Each enrolled card gets a *key slot* that wraps the master key for
that card (ECDH-ES for EC cards, RSA-OAEP for RSA cards), and one recovery slot wraps
it under a printed recovery code (Argon2id). Slots live in ``keyslots.json``, which is
public, so they are plain ``dict[str, str]`` with bytes in base64.

The card's private key never leaves the card: unwrapping takes a callback (the card's
ECDH derive or RSA decrypt) so this module stays pure. Exceptions the callback raises
propagate untouched, except ``ValueError`` (how a software key reports a wrong input):
a pulled card or a locked PIN must say so, not "decryption failed". Every failure of
the cryptography itself is one opaque :class:`EnvelopeError`, so nothing tells an
attacker which check failed.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable, Mapping

from argon2.exceptions import HashingError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import CryptoError

__all__ = [
    "KEY_SIZE",
    "RECOVERY_ALPHABET",
    "EnvelopeError",
    "derive",
    "ecdh_unwrap",
    "ecdh_wrap",
    "normalise_recovery_code",
    "open_",
    "recovery_code_new",
    "recovery_unwrap",
    "recovery_wrap",
    "rsa_unwrap",
    "rsa_wrap",
    "seal",
]

KEY_SIZE = 32
_NONCE = 12
_TAG = 16
_OPAQUE = "decryption failed"

# Recovery codes: Crockford's base32 alphabet (no I, L, O, U), 8 groups of 5 symbols =
# 40 x 5 = 200 bits. Typed back, I/L read as 1 and O as 0, case, spaces and dashes
# do not matter; so a code copied by hand from paper survives the usual misreadings.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_GROUPS, _RECOVERY_GROUP = 8, 5
_RECOVERY_LEN = _RECOVERY_GROUPS * _RECOVERY_GROUP
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Argon2id costs written into new slots (t passes, m KiB = 64 MiB, p lanes); the slot
# stores them, so raising them later leaves old slots readable.
_ARGON2_COSTS = (3, 64 * 1024, 2)
# Bounds on costs read back from a (public, so tamperable) slot: refuse to burn a
# gigabyte or a minute because someone edited keyslots.json.
_ARGON2_MAX = (16, 1024 * 1024, 16)
_RECOVERY_AAD = b"seal-station/keyslot/recovery"


class EnvelopeError(CryptoError):
    """Encryption or a key slot failed. Decryption failures all carry one message."""


def _fail() -> EnvelopeError:
    return EnvelopeError(_OPAQUE)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(slot: Mapping[str, str], key: str) -> bytes:
    """Read one base64 field of a slot; anything odd is the opaque failure."""
    try:
        return base64.b64decode(slot[key], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise _fail() from None


def _card_id(slot: Mapping[str, str], kind: str) -> str:
    """The card id of a slot of the expected kind (opaque failure otherwise)."""
    card_id = slot.get("card")
    if slot.get("kind") != kind or not isinstance(card_id, str):
        raise _fail()
    try:
        card_id.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail() from None
    return card_id


def _load_public(der: bytes) -> object:
    try:
        return serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise EnvelopeError("the card public key cannot be read") from None


def _check_master(master: bytes) -> None:
    if len(master) != KEY_SIZE:
        raise EnvelopeError("the master key must be 32 bytes")


def seal(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt with AES-256-GCM: ``nonce(12) || ciphertext || tag(16)``.

    Nonces are random: every key here either encrypts few messages (slots, data keys)
    or is a fresh data key, far below the 2**32 messages where random 96-bit nonces
    start to risk a collision.
    """
    if len(key) != KEY_SIZE:
        raise EnvelopeError("AES-256-GCM needs a 32-byte key")
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    """Decrypt what :func:`seal` made; any problem is the one opaque ``EnvelopeError``."""
    if len(key) != KEY_SIZE or len(blob) < _NONCE + _TAG:
        raise _fail()
    try:
        return AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], aad)
    except (InvalidTag, ValueError, TypeError, OverflowError):
        raise _fail() from None


def derive(master: bytes, purpose: str, length: int = KEY_SIZE) -> bytes:
    """A sub-key for one purpose (``"sqlcipher"``, ``"impressions"``...): HKDF-SHA256.

    Separate keys per purpose mean that a key leaked from one use (say, the SQLCipher
    key in a crash dump) opens nothing else.
    """
    if not purpose:
        raise EnvelopeError("a derived key needs a purpose")
    return HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=None,
        info=b"seal-station/" + purpose.encode("utf-8"),
    ).derive(master)


# --- EC cards: ECDH-ES with an ephemeral software key -------------------------------


def _ecdh_kek(shared: bytes, epk: bytes, card_id: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_SIZE,
        salt=epk,
        info=b"seal-station/keyslot/" + card_id.encode("utf-8"),
    ).derive(shared)


def ecdh_wrap(master: bytes, card_public_key_der: bytes, *, card_id: str) -> dict[str, str]:
    """Wrap the master key for an EC P-256 card (SubjectPublicKeyInfo DER).

    The card later computes the same X-coordinate secret with CKM_ECDH1_DERIVE (no
    cofactor, KDF NULL); the KDF runs here, bound to the ephemeral point and the card,
    and ``card_id`` is the AAD so a slot cannot be passed off as another card's.
    """
    _check_master(master)
    card_key = _load_public(card_public_key_der)
    if not isinstance(card_key, ec.EllipticCurvePublicKey) or not isinstance(
        card_key.curve, ec.SECP256R1
    ):
        raise EnvelopeError("the card key is not an EC P-256 key")
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    epk = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    kek = _ecdh_kek(ephemeral.exchange(ec.ECDH(), card_key), epk, card_id)
    wrapped = seal(kek, master, aad=card_id.encode("utf-8"))
    return {"kind": "ecdh-p256", "card": card_id, "epk": _b64(epk), "wrapped": _b64(wrapped)}


def ecdh_unwrap(slot: Mapping[str, str], derive: Callable[[bytes], bytes]) -> bytes:
    """Unwrap an ``ecdh-p256`` slot; ``derive(epk)`` is the card's ECDH derive.

    The ephemeral point is checked to be on P-256 before the card sees it, so a
    tampered slot cannot use the card as an invalid-curve oracle.
    """
    card_id = _card_id(slot, "ecdh-p256")
    epk = _unb64(slot, "epk")
    wrapped = _unb64(slot, "wrapped")
    if len(epk) != 65:  # uncompressed only, as written by ecdh_wrap
        raise _fail()
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk)
    except ValueError:
        raise _fail() from None
    try:
        shared = derive(epk)
    except ValueError:
        raise _fail() from None
    if not isinstance(shared, bytes | bytearray) or len(shared) != 32:
        raise _fail()
    master = open_(_ecdh_kek(bytes(shared), epk, card_id), wrapped, aad=card_id.encode("utf-8"))
    if len(master) != KEY_SIZE:
        raise _fail()
    return master


# --- RSA cards: RSA-OAEP-SHA256 -------------------------------------------------------


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def rsa_wrap(master: bytes, card_public_key_der: bytes, *, card_id: str) -> dict[str, str]:
    """Wrap the master key for an RSA card with OAEP-SHA256 (no label: few tokens take one)."""
    _check_master(master)
    card_key = _load_public(card_public_key_der)
    if not isinstance(card_key, rsa.RSAPublicKey) or card_key.key_size < 2048:
        raise EnvelopeError("the card key is not an RSA key of 2048 bits or more")
    wrapped = card_key.encrypt(master, _oaep())
    return {"kind": "rsa-oaep-sha256", "card": card_id, "wrapped": _b64(wrapped)}


def rsa_unwrap(slot: Mapping[str, str], decrypt: Callable[[bytes], bytes]) -> bytes:
    """Unwrap an ``rsa-oaep-sha256`` slot; ``decrypt`` is the card's OAEP decryption."""
    _card_id(slot, "rsa-oaep-sha256")
    wrapped = _unb64(slot, "wrapped")
    try:
        master = decrypt(wrapped)
    except ValueError:
        raise _fail() from None
    if not isinstance(master, bytes | bytearray) or len(master) != KEY_SIZE:
        raise _fail()
    return bytes(master)


# --- recovery code: Argon2id ----------------------------------------------------------


def recovery_code_new() -> str:
    """A fresh recovery code, e.g. ``7Q2KM-0XH4D-...`` (8 groups of 5, 200 bits)."""
    symbols = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(_RECOVERY_LEN))
    return "-".join(
        symbols[i : i + _RECOVERY_GROUP] for i in range(0, _RECOVERY_LEN, _RECOVERY_GROUP)
    )


def normalise_recovery_code(code: str) -> str:
    """The canonical 40 symbols of a typed code; raises the opaque error if malformed.

    The screen may call this first to tell "mistyped" from "wrong" without running
    Argon2; the message stays the same either way.
    """
    if not isinstance(code, str):
        raise _fail()
    compact = "".join(code.split()).replace("-", "").upper().translate(_READ_AS)
    if len(compact) != _RECOVERY_LEN or any(c not in RECOVERY_ALPHABET for c in compact):
        raise _fail()
    return compact


def _recovery_kek(code: str, salt: bytes, t: int, m: int, p: int) -> bytes:
    secret = normalise_recovery_code(code).encode("ascii")
    try:
        return hash_secret_raw(
            secret=secret,
            salt=salt,
            time_cost=t,
            memory_cost=m,
            parallelism=p,
            hash_len=KEY_SIZE,
            type=Type.ID,
        )
    except HashingError:
        raise _fail() from None


def recovery_wrap(master: bytes, code: str) -> dict[str, str]:
    """Wrap the master key under a recovery code; salt and Argon2 costs go in the slot."""
    _check_master(master)
    salt = os.urandom(16)
    t, m, p = _ARGON2_COSTS
    kek = _recovery_kek(code, salt, t, m, p)
    return {
        "kind": "recovery-argon2id",
        "salt": _b64(salt),
        "t": str(t),
        "m": str(m),
        "p": str(p),
        "wrapped": _b64(seal(kek, master, aad=_RECOVERY_AAD)),
    }


def recovery_unwrap(slot: Mapping[str, str], code: str) -> bytes:
    """Unwrap the recovery slot with a typed code (spaces, dashes and case ignored)."""
    if slot.get("kind") != "recovery-argon2id":
        raise _fail()
    salt = _unb64(slot, "salt")
    wrapped = _unb64(slot, "wrapped")
    try:
        t, m, p = (int(slot[k]) for k in ("t", "m", "p"))
    except (KeyError, TypeError, ValueError):
        raise _fail() from None
    if len(salt) < 8 or not all(1 <= v <= hi for v, hi in zip((t, m, p), _ARGON2_MAX)):
        raise _fail()
    if m < 8 * p:  # Argon2's own floor
        raise _fail()
    kek = _recovery_kek(code, salt, t, m, p)
    master = open_(kek, wrapped, aad=_RECOVERY_AAD)
    if len(master) != KEY_SIZE:
        raise _fail()
    return master
