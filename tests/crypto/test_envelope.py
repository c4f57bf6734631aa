"""AES-GCM envelopes, HKDF and key slots, with software keys standing in for cards."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.envelope import (
    RECOVERY_ALPHABET,
    EnvelopeError,
    derive,
    ecdh_unwrap,
    ecdh_wrap,
    normalise_recovery_code,
    open_,
    recovery_code_new,
    recovery_unwrap,
    recovery_wrap,
    rsa_unwrap,
    rsa_wrap,
    seal,
)

OPAQUE = "decryption failed"


def spki(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def ec_card(key: ec.EllipticCurvePrivateKey):
    """What devices/pkcs11 does with CKM_ECDH1_DERIVE: X coordinate of d * epk."""

    def derive_(epk: bytes) -> bytes:
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk)
        return key.exchange(ec.ECDH(), point)

    return derive_


def rsa_card(key: rsa.RSAPrivateKey):
    def decrypt(ciphertext: bytes) -> bytes:
        return key.decrypt(
            ciphertext,
            padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
        )

    return decrypt


def flip(b64: str, i: int = 0) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[i % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def assert_opaque(excinfo: pytest.ExceptionInfo[EnvelopeError]) -> None:
    assert str(excinfo.value) == OPAQUE
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__ or excinfo.value.__context__ is None


@pytest.fixture(scope="module")
def master() -> bytes:
    return os.urandom(32)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# --- seal / open_ ---------------------------------------------------------------------


def test_seal_round_trip_and_layout() -> None:
    key = os.urandom(32)
    blob = seal(key, b"impression png", aad=b"impression/1")
    assert len(blob) == 12 + len(b"impression png") + 16
    assert open_(key, blob, aad=b"impression/1") == b"impression png"
    assert seal(key, b"x") != seal(key, b"x")  # fresh nonce each time
    assert open_(key, seal(key, b"")) == b""


def test_open_fails_opaquely() -> None:
    key = os.urandom(32)
    blob = seal(key, b"secret", aad=b"a")
    cases = [
        (os.urandom(32), blob, b"a"),  # wrong key
        (key, blob, b"b"),  # wrong aad
        (key, blob[:-1], b"a"),  # truncated
        (key, blob[:5], b"a"),
        (key, b"", b"a"),
        (key[:16], blob, b"a"),  # AES-128 key is not accepted either
    ]
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x80
        cases.append((key, bytes(tampered), b"a"))
    for k, b, aad in cases:
        with pytest.raises(EnvelopeError) as excinfo:
            open_(k, b, aad)
        assert_opaque(excinfo)


def test_seal_rejects_short_key() -> None:
    with pytest.raises(EnvelopeError):
        seal(b"short", b"x")


@settings(max_examples=300)
@given(key=st.one_of(st.binary(min_size=32, max_size=32), st.binary()), blob=st.binary(), aad=st.binary())
def test_open_arbitrary_bytes_only_raises_envelope_error(key: bytes, blob: bytes, aad: bytes) -> None:
    with pytest.raises(EnvelopeError) as excinfo:
        open_(key, blob, aad)
    assert str(excinfo.value) == OPAQUE


# --- derive ---------------------------------------------------------------------------


def test_derive_separates_purposes() -> None:
    m = os.urandom(32)
    a, b = derive(m, "sqlcipher"), derive(m, "impressions")
    assert len(a) == len(b) == 32 and a != b
    assert derive(m, "sqlcipher") == a
    assert len(derive(m, "x", length=64)) == 64
    assert derive(os.urandom(32), "sqlcipher") != a
    with pytest.raises(EnvelopeError):
        derive(m, "")


def test_derive_known_answer() -> None:
    # HKDF-SHA256 (RFC 5869) with no salt and info "seal-station/test", computed by hand
    # from the RFC's two HMAC steps so the info prefix is pinned down.
    import hashlib
    import hmac

    ikm = bytes(range(32))
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()
    okm = hmac.new(prk, b"seal-station/test" + b"\x01", hashlib.sha256).digest()
    assert derive(ikm, "test") == okm


# --- EC slots -------------------------------------------------------------------------


def test_ecdh_slot_round_trip(master: bytes, ec_key: ec.EllipticCurvePrivateKey) -> None:
    slot = ecdh_wrap(master, spki(ec_key), card_id="card-0001")
    assert set(slot) == {"kind", "card", "epk", "wrapped"}
    assert slot["kind"] == "ecdh-p256" and slot["card"] == "card-0001"
    assert all(isinstance(v, str) for v in slot.values())
    epk = base64.b64decode(slot["epk"])
    assert len(epk) == 65 and epk[0] == 4
    assert master.hex() not in json.dumps(slot)
    again = json.loads(json.dumps(slot))  # slots travel as JSON
    assert ecdh_unwrap(again, ec_card(ec_key)) == master
    assert ecdh_wrap(master, spki(ec_key), card_id="card-0001")["epk"] != slot["epk"]


def test_ecdh_slot_failures(master: bytes, ec_key: ec.EllipticCurvePrivateKey) -> None:
    slot = ecdh_wrap(master, spki(ec_key), card_id="card-0001")
    other = ec.generate_private_key(ec.SECP256R1())
    compressed = ec_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    bad_slots = [
        {**slot, "card": "card-0002"},  # moved to another card: AAD and HKDF info differ
        {**slot, "wrapped": flip(slot["wrapped"], 5)},
        {**slot, "wrapped": flip(slot["wrapped"], -1)},
        {**slot, "epk": flip(slot["epk"], 20)},  # no longer on the curve
        {**slot, "epk": base64.b64encode(compressed).decode()},
        {**slot, "epk": "not base64!"},
        {**slot, "kind": "rsa-oaep-sha256"},
        {k: v for k, v in slot.items() if k != "wrapped"},
        {},
    ]
    for bad in bad_slots:
        with pytest.raises(EnvelopeError) as excinfo:
            ecdh_unwrap(bad, ec_card(ec_key))
        assert_opaque(excinfo)
    with pytest.raises(EnvelopeError) as excinfo:
        ecdh_unwrap(slot, ec_card(other))  # wrong card
    assert_opaque(excinfo)
    with pytest.raises(EnvelopeError) as excinfo:
        ecdh_unwrap(slot, lambda epk: b"\x00" * 16)  # card returned something odd
    assert_opaque(excinfo)


def test_ecdh_card_errors_propagate(master: bytes, ec_key: ec.EllipticCurvePrivateKey) -> None:
    """A pulled card must say so, not pose as a wrong key."""
    slot = ecdh_wrap(master, spki(ec_key), card_id="c")

    class CardRemoved(Exception):
        pass

    def gone(epk: bytes) -> bytes:
        raise CardRemoved

    with pytest.raises(CardRemoved):
        ecdh_unwrap(slot, gone)


def test_ecdh_wrap_refuses_other_keys(master: bytes, rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(EnvelopeError):
        ecdh_wrap(master, spki(rsa_key), card_id="c")
    with pytest.raises(EnvelopeError):
        ecdh_wrap(master, spki(ec.generate_private_key(ec.SECP384R1())), card_id="c")
    with pytest.raises(EnvelopeError):
        ecdh_wrap(master[:16], spki(ec.generate_private_key(ec.SECP256R1())), card_id="c")
    with pytest.raises(EnvelopeError):
        ecdh_wrap(master, b"not a key", card_id="c")
    with pytest.raises(EnvelopeError):
        rsa_wrap(master, b"not a key", card_id="c")


# --- RSA slots ------------------------------------------------------------------------


def test_rsa_slot_round_trip_and_failures(master: bytes, rsa_key: rsa.RSAPrivateKey) -> None:
    slot = rsa_wrap(master, spki(rsa_key), card_id="card-rsa")
    assert set(slot) == {"kind", "card", "wrapped"}
    assert slot["kind"] == "rsa-oaep-sha256"
    assert all(isinstance(v, str) for v in slot.values())
    assert rsa_unwrap(json.loads(json.dumps(slot)), rsa_card(rsa_key)) == master

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad, card in [
        (slot, rsa_card(other)),
        ({**slot, "wrapped": flip(slot["wrapped"], 7)}, rsa_card(rsa_key)),
        ({**slot, "wrapped": "%%%"}, rsa_card(rsa_key)),
        ({**slot, "kind": "ecdh-p256"}, rsa_card(rsa_key)),
        (slot, lambda c: b"short"),
    ]:
        with pytest.raises(EnvelopeError) as excinfo:
            rsa_unwrap(bad, card)
        assert_opaque(excinfo)


def test_rsa_wrap_refuses_small_or_ec_keys(master: bytes, ec_key: ec.EllipticCurvePrivateKey) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(EnvelopeError):
        rsa_wrap(master, spki(small), card_id="c")
    with pytest.raises(EnvelopeError):
        rsa_wrap(master, spki(ec_key), card_id="c")


# --- recovery -------------------------------------------------------------------------


def test_recovery_code_shape() -> None:
    code = recovery_code_new()
    groups = code.split("-")
    assert len(groups) == 8 and all(len(g) == 5 for g in groups)
    assert all(c in RECOVERY_ALPHABET for g in groups for c in g)
    assert not set("ILOU") & set(RECOVERY_ALPHABET) and len(set(RECOVERY_ALPHABET)) == 32
    assert recovery_code_new() != code
    assert normalise_recovery_code(code) == code.replace("-", "")


def test_normalise_recovery_code() -> None:
    code = "7Q2KM-0XH4D-1ABCD-EFGHJ-KMNPQ-RSTVW-XYZ01-23456"
    canon = code.replace("-", "")
    assert normalise_recovery_code(code.lower()) == canon
    assert normalise_recovery_code(" 7q2km 0xh4d\t1abcd efghj\nkmnpq rstvw xyz01 23456 ") == canon
    assert normalise_recovery_code(code.replace("0", "O").replace("1", "l")) == canon
    for bad in ["", code[:-1], code + "7", code.replace("7", "U"), code.replace("7", "*")]:
        with pytest.raises(EnvelopeError) as excinfo:
            normalise_recovery_code(bad)
        assert str(excinfo.value) == OPAQUE


def test_recovery_slot(master: bytes) -> None:
    code = recovery_code_new()
    slot = recovery_wrap(master, code)
    assert slot["kind"] == "recovery-argon2id"
    assert (slot["t"], slot["m"], slot["p"]) == ("3", str(64 * 1024), "2")
    assert len(base64.b64decode(slot["salt"])) == 16
    assert all(isinstance(v, str) for v in slot.values())
    stored = json.loads(json.dumps(slot))
    typed = " ".join(code.replace("-", "").lower()[i : i + 4] for i in range(0, 40, 4))
    assert recovery_unwrap(stored, typed) == master

    wrong = recovery_code_new()
    for bad_slot, bad_code in [
        (slot, wrong),
        (slot, "not a code"),
        ({**slot, "salt": flip(slot["salt"])}, code),
        ({**slot, "wrapped": flip(slot["wrapped"], 3)}, code),
        ({**slot, "t": "2"}, code),
        ({**slot, "m": "99999999999"}, code),  # refuse absurd costs from a tampered slot
        ({**slot, "p": "0"}, code),
        ({**slot, "t": "three"}, code),
        ({**slot, "kind": "ecdh-p256"}, code),
    ]:
        with pytest.raises(EnvelopeError) as excinfo:
            recovery_unwrap(bad_slot, bad_code)
        assert_opaque(excinfo)


def test_messages_are_the_same_everywhere(master: bytes, ec_key: ec.EllipticCurvePrivateKey) -> None:
    messages = set()
    for call in [
        lambda: open_(os.urandom(32), os.urandom(60)),
        lambda: ecdh_unwrap({"kind": "ecdh-p256"}, ec_card(ec_key)),
        lambda: rsa_unwrap({"kind": "nope"}, lambda c: c),
        lambda: recovery_unwrap({}, "x"),
    ]:
        with pytest.raises(EnvelopeError) as excinfo:
            call()
        messages.add(str(excinfo.value))
    assert messages == {OPAQUE}
    assert issubclass(EnvelopeError, ValueError)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["kind", "card", "epk", "wrapped", "salt", "t", "m", "p", "x"]),
        st.one_of(st.text(max_size=120), st.sampled_from(["ecdh-p256", "rsa-oaep-sha256"])),
    )
)
def test_arbitrary_slots_only_raise_envelope_error(slot: dict[str, str]) -> None:
    key = ec.derive_private_key(12345, ec.SECP256R1())
    for call in [
        lambda: ecdh_unwrap(slot, ec_card(key)),
        lambda: rsa_unwrap(slot, lambda c: c),
    ]:
        with pytest.raises(EnvelopeError) as excinfo:
            call()
        assert str(excinfo.value) == OPAQUE
