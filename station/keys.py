"""The station master key and its slots (DESIGN.md §3).

A random 256-bit master key, never on disk in clear. Each enrolled card has a slot in
the public ``keyslots.json``: ECDH-ES with the card's EC key (the card derives through
CKM_ECDH1_DERIVE) or RSA-OAEP with its RSA key. One recovery slot opens with the code
the administrator is shown once at ``init`` (Argon2id). Keys for the store and the
impression library are derived from the master key with HKDF.

An *audit inbox* key pair lets the station record events that happen before any store
is open (a wrong PIN at the lock screen): they are sealed to the inbox public key and
moved into the log at the next login, when its private key (kept in the store) opens them.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from crypto import certs, envelope
from devices.pkcs11 import Card
from station.cards import device_errors
from station.errors import CardError, StateError, crypto_errors
from station.home import Home

__all__ = ["new_master", "wrap_for_card", "unwrap_with_card", "unwrap_with_recovery",
           "store_key", "library_key", "seal_to_inbox", "open_inbox", "new_inbox_key", "INBOX_SECRET"]

INBOX_SECRET = "audit-inbox"  # the store's secret holding the inbox's private key


def new_master() -> bytearray:
    return bytearray(os.urandom(32))


def store_key(master: bytes) -> bytes:
    return envelope.derive(bytes(master), "sqlcipher")


def library_key(master: bytes) -> bytes:
    return envelope.derive(bytes(master), "impression-library")


def _public_key_der(cert_der: bytes) -> tuple[bytes, str]:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = certs.load(cert_der).public_key()
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1":
        return spki, "ec"
    if isinstance(key, rsa.RSAPublicKey):
        return spki, "rsa"
    raise CardError("the card's key type cannot hold a key slot (P-256 or RSA needed)")


def wrap_for_card(master: bytes, cert_der: bytes) -> dict[str, Any]:
    spki, kind = _public_key_der(cert_der)
    card_id = certs.fingerprint(cert_der)
    if kind == "ec":
        return envelope.ecdh_wrap(bytes(master), spki, card_id=card_id)
    return envelope.rsa_wrap(bytes(master), spki, card_id=card_id)


def unwrap_with_card(slot: dict[str, Any], card: Card) -> bytearray:
    """The card does the private-key half; a slot that does not open says nothing more."""
    with crypto_errors(StateError, f"the key slot of card {card.serial} does not open", opaque=True,
                       hint="enroll the card again"), device_errors(card.serial):
        if slot.get("kind", "").startswith("ecdh"):
            return bytearray(envelope.ecdh_unwrap(slot, card.ecdh_derive))
        return bytearray(envelope.rsa_unwrap(slot, card.rsa_decrypt))


def unwrap_with_recovery(home: Home, code: str) -> bytearray:
    slot = home.keyslots().recovery
    if not slot:
        raise StateError("this station has no recovery slot")
    with crypto_errors(StateError, "the recovery code does not open this station",
                       hint="type the code exactly as printed at init", opaque=True):
        return bytearray(envelope.recovery_unwrap(slot, code))


# -- audit inbox ------------------------------------------------------------------------
def new_inbox_key() -> tuple[bytes, str]:
    """(private key PKCS#8 DER for the store, public SPKI as base64 for keyslots.json)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption,
                                                              PrivateFormat, PublicFormat)

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    public = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


def seal_to_inbox(home: Home, entry: dict[str, Any]) -> None:
    inbox = home.keyslots().inbox
    if not inbox:
        return
    payload = json.dumps(entry, ensure_ascii=False).encode()
    data_key = os.urandom(32)
    with crypto_errors(StateError, "keyslots.json in the station home is damaged (its audit inbox key)",
                       hint="restore the station home from a backup (`seal-station backup restore`)"):
        try:
            public = base64.b64decode(inbox, validate=True)
        except ValueError:
            public = b""
        sealed = envelope.ecdh_wrap(data_key, public, card_id="audit-inbox")
    sealed["payload"] = base64.b64encode(envelope.seal(data_key, payload, b"audit-inbox")).decode()
    home.append_inbox(sealed)


def open_inbox(home: Home, private_der: bytes) -> list[dict[str, Any]]:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    key = load_der_private_key(private_der, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)

    def derive(point: bytes) -> bytes:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        return key.exchange(ec.ECDH(), peer)

    out = []
    for sealed in home.read_inbox():
        try:
            data_key = envelope.ecdh_unwrap(sealed, derive)
            payload = envelope.open_(data_key, base64.b64decode(sealed["payload"]), b"audit-inbox")
            out.append(json.loads(payload))
        except (ValueError, KeyError, TypeError, AttributeError):  # CryptoError is a ValueError
            out.append({"action": "inbox-entry-unreadable", "outcome": "failed"})
    return out
