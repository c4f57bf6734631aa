"""crypto.algorithms: signature encodings, verification, software signers, test certs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from asn1crypto import pem, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.algorithms import (
    ECDSA_SHA256,
    RSA_SHA256,
    SM2_SM3,
    Signer,
    SoftwareSigner,
    UnsupportedAlgorithm,
    algorithm_for_certificate,
    der_to_raw,
    raw_to_der,
    verify_signature,
)
from crypto.testkeys import issue, make_certificate

from .conftest import KINDS, load_fixture

EXPECTED = {"ec": ECDSA_SHA256, "rsa": RSA_SHA256, "sm2": SM2_SM3}
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- encodings ---------------------------------------------------------------------


@FAST
@given(st.integers(1, 66).flatmap(lambda n: st.binary(min_size=2 * n, max_size=2 * n)))
def test_raw_der_round_trip(raw: bytes) -> None:
    der = raw_to_der(raw)
    assert der_to_raw(der, len(raw) // 2) == raw
    assert raw_to_der(der_to_raw(der, len(raw) // 2)) == der


@FAST
@given(st.binary(max_size=80))
def test_der_to_raw_only_raises_value_error(data: bytes) -> None:
    try:
        raw = der_to_raw(data)
    except ValueError:
        return
    assert len(raw) == 64 and raw_to_der(raw) == data  # accepted means strict DER


def test_encoding_errors() -> None:
    with pytest.raises(ValueError):
        raw_to_der(b"")
    with pytest.raises(ValueError):
        raw_to_der(b"\x01\x02\x03")
    big = raw_to_der(b"\xff" * 33 + b"\x01" * 33)
    with pytest.raises(ValueError):
        der_to_raw(big, 32)
    assert der_to_raw(raw_to_der(b"\x00" * 63 + b"\x01"), 32) == b"\x00" * 63 + b"\x01"


# --- signers and verification --------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_sign_and_verify(world, kind: str) -> None:
    card = world[kind]["card"]
    signer = card.signer
    assert isinstance(signer, Signer)
    assert signer.algorithm == EXPECTED[kind] == algorithm_for_certificate(card.certificate)
    assert repr(signer) == f"SoftwareSigner(algorithm={signer.algorithm!r})"  # no key material
    data = b"seal-station \x00 data" * 10
    sig = signer.sign(data)
    assert verify_signature(card.certificate, signer.algorithm, data, sig)
    assert not verify_signature(card.certificate, signer.algorithm, data + b"!", sig)
    other = world[kind]["officer"].certificate
    assert not verify_signature(other, signer.algorithm, data, sig)
    if kind == "rsa":
        pss = signer.sign(data, pss=True)
        assert verify_signature(card.certificate, RSA_SHA256, data, pss, pss=True)
        assert not verify_signature(card.certificate, RSA_SHA256, data, pss)
        assert not verify_signature(card.certificate, RSA_SHA256, data, sig, pss=True)
    else:
        raw = der_to_raw(sig)  # vendors store raw r||s: both must verify
        assert len(raw) == 64
        assert verify_signature(card.certificate, signer.algorithm, data, raw)
        with pytest.raises(ValueError):
            signer.sign(data, pss=True)


def test_wrong_key_types_are_false_not_errors(world) -> None:
    sm2, p256, rsa = (world[k]["card"] for k in ("sm2", "ec", "rsa"))
    data = b"x"
    assert not verify_signature(sm2.certificate, ECDSA_SHA256, data, sm2.signer.sign(data))
    assert not verify_signature(p256.certificate, SM2_SM3, data, p256.signer.sign(data))
    assert not verify_signature(rsa.certificate, ECDSA_SHA256, data, rsa.signer.sign(data))
    assert not verify_signature(p256.certificate, RSA_SHA256, data, p256.signer.sign(data))
    assert not verify_signature(b"not a certificate", ECDSA_SHA256, data, b"\x30\x00")


def test_unknown_algorithm_raises(world) -> None:
    cert = world["ec"]["card"].certificate
    with pytest.raises(UnsupportedAlgorithm):
        verify_signature(cert, "1.2.840.10045.4.3.3", b"x", b"sig")
    assert issubclass(UnsupportedAlgorithm, ValueError)


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(KINDS), sig=st.binary(max_size=300), data=st.binary(max_size=40))
def test_garbage_signatures_are_false(world, kind: str, sig: bytes, data: bytes) -> None:
    card = world[kind]["card"]
    assert verify_signature(card.certificate, EXPECTED[kind], data, sig) is False


def test_software_signer_refuses_mismatched_certificate(world) -> None:
    with pytest.raises(ValueError):
        SoftwareSigner(world["ec"]["card"].key, world["ec"]["officer"].certificate)
    with pytest.raises(ValueError):
        SoftwareSigner(world["sm2"]["card"].key, world["ec"]["card"].certificate)


def test_algorithm_for_certificate(world) -> None:
    fixture_cert = x509.Certificate.load(_fixture_maker_cert())
    assert algorithm_for_certificate(fixture_cert.dump()) == SM2_SM3
    p384 = ec.generate_private_key(ec.SECP384R1())
    cert = make_certificate(p384, "P-384 key", issuer=world["ec"]["ca"])
    with pytest.raises(UnsupportedAlgorithm):
        algorithm_for_certificate(cert)
    with pytest.raises(ValueError):
        algorithm_for_certificate(b"\x30\x03\x02\x01\x00")


def _fixture_maker_cert() -> bytes:
    from crypto.seseal import parse

    return parse(load_fixture("UserV4.esl")).maker_cert


# --- certificates and independent checkers -----------------------------------------


@pytest.mark.parametrize("kind", ("ec", "rsa"))
def test_test_certificates_chain_in_openssl(world, kind: str, tmp_path: Path) -> None:
    ca, card = world[kind]["ca"], world[kind]["card"]
    (tmp_path / "ca.pem").write_bytes(pem.armor("CERTIFICATE", ca.certificate))
    (tmp_path / "card.pem").write_bytes(pem.armor("CERTIFICATE", card.certificate))
    done = subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "card.pem")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    parsed = cx509.load_der_x509_certificate(card.certificate)
    usage = parsed.extensions.get_extension_for_class(cx509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign


@pytest.mark.parametrize("ca_kind", KINDS)
@pytest.mark.parametrize("kind", KINDS)
def test_any_kind_certifies_any_kind(world, ca_kind: str, kind: str) -> None:
    ca = world[ca_kind]["ca"]
    card = issue(ca, kind, key=world[kind]["card"].key)
    cert = x509.Certificate.load(card.certificate)
    tbs = cert["tbs_certificate"]
    assert cert["signature_algorithm"]["algorithm"].dotted == EXPECTED[ca_kind]
    sig = cert["signature_value"].contents[1:]
    assert verify_signature(ca.certificate, EXPECTED[ca_kind], tbs.dump(), sig)
    assert cert.issuer == x509.Certificate.load(ca.certificate).subject


def _pub_pem(cert_der: bytes, path: Path) -> Path:
    spki = x509.Certificate.load(cert_der)["tbs_certificate"]["subject_public_key_info"]
    path.write_bytes(pem.armor("PUBLIC KEY", spki.dump()))
    return path


def test_sm2_user_id_matches_openssl(world, tmp_path: Path) -> None:
    """Both directions against OpenSSL with the explicit default ID: pins Z's user ID."""
    card = world["sm2"]["card"]
    data = b"GB/T 32918 user id check"
    pub = _pub_pem(card.certificate, tmp_path / "pub.pem")
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "ours.sig").write_bytes(card.signer.sign(data))
    base = ["openssl", "pkeyutl", "-rawin", "-digest", "sm3", "-in", str(tmp_path / "data")]
    opt = ["-pkeyopt", "distid:1234567812345678"]
    check = subprocess.run(
        base + ["-verify", "-pubin", "-inkey", str(pub), "-sigfile", str(tmp_path / "ours.sig")] + opt,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    from tongsuopy.crypto import serialization as sm_ser

    key_pem = card.key.private_bytes(
        sm_ser.Encoding.PEM, sm_ser.PrivateFormat.PKCS8, sm_ser.NoEncryption()
    )
    (tmp_path / "key.pem").write_bytes(key_pem)
    made = subprocess.run(
        base + ["-sign", "-inkey", str(tmp_path / "key.pem"), "-out", str(tmp_path / "theirs.sig")] + opt,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    theirs = (tmp_path / "theirs.sig").read_bytes()
    assert verify_signature(card.certificate, SM2_SM3, data, theirs)
    assert not verify_signature(card.certificate, SM2_SM3, data + b"x", theirs)


def test_ecdsa_matches_openssl(world, tmp_path: Path) -> None:
    card = world["ec"]["card"]
    data = b"ecdsa check"
    pub = card.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "pub.pem").write_bytes(pub)
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig").write_bytes(card.signer.sign(data))
    done = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"), "-signature",
         str(tmp_path / "sig"), str(tmp_path / "data")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Verified OK" in done.stdout
