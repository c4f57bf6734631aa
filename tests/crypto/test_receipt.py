"""Receipts: COSE_Sign1 round trips with software keys, size in a QR, strict decoding."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import zlib

import base45
import cbor2
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.algorithms import ECDSA_SHA256, RSA_SHA256, SM2_SM3
from crypto.receipt import (
    ALG_ES256,
    ALG_PS256,
    ALG_SM2_SM3,
    PREFIX,
    Receipt,
    ReceiptError,
    canonical_zlib,
    decode,
    encode,
    key_id,
    verify,
)

# --- software signers standing in for cards ---------------------------------------------


def _self_signed(key, common_name: str) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


class SoftSigner:
    """The Signer protocol over a cryptography key: DER for EC, PKCS#1/PSS for RSA."""

    def __init__(self, key, common_name: str = "经办人 张三") -> None:
        self.key = key
        self.certificate = _self_signed(key, common_name)
        self.algorithm = ECDSA_SHA256 if isinstance(key, ec.EllipticCurvePrivateKey) else RSA_SHA256

    def sign(self, data: bytes, *, pss: bool = False) -> bytes:
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            assert not pss
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        pad = (
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            if pss
            else padding.PKCS1v15()
        )
        return self.key.sign(data, pad, hashes.SHA256())


class SM2Signer:
    """SM2-with-SM3 through tongsuopy, with a minimal self-signed SM2 certificate."""

    algorithm = SM2_SM3

    def __init__(self) -> None:
        from tongsuopy.crypto import hashes as sm_hashes
        from tongsuopy.crypto import serialization as sm_ser
        from tongsuopy.crypto.asymciphers import ec as sm_ec

        self._ecdsa = sm_ec.ECDSA(sm_hashes.SM3())
        self.key = sm_ec.generate_private_key(sm_ec.SM2())
        point = self.key.public_key().public_bytes(
            sm_ser.Encoding.X962, sm_ser.PublicFormat.UncompressedPoint
        )
        spki = asn1_keys.PublicKeyInfo(
            {
                "algorithm": {
                    "algorithm": "ec",
                    "parameters": asn1_keys.ECDomainParameters(
                        name="named", value="1.2.156.10197.1.301"
                    ),
                },
                "public_key": point,
            }
        )
        name = asn1_x509.Name.build({"common_name": "经办人 李四"})
        when = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
        tbs = asn1_x509.TbsCertificate(
            {
                "version": "v3",
                "serial_number": 7,
                "signature": {"algorithm": SM2_SM3},
                "issuer": name,
                "validity": {
                    "not_before": asn1_x509.Time(name="utc_time", value=when),
                    "not_after": asn1_x509.Time(name="utc_time", value=when.replace(year=2035)),
                },
                "subject": name,
                "subject_public_key_info": spki,
            }
        )
        cert = asn1_x509.Certificate(
            {
                "tbs_certificate": tbs,
                "signature_algorithm": {"algorithm": SM2_SM3},
                "signature_value": self.key.sign(tbs.dump(), self._ecdsa),
            }
        )
        self.certificate = cert.dump()

    def sign(self, data: bytes, *, pss: bool = False) -> bytes:
        return self.key.sign(data, self._ecdsa)


@functools.cache
def ec_signer() -> SoftSigner:
    return SoftSigner(ec.generate_private_key(ec.SECP256R1()))


@functools.cache
def rsa_signer() -> SoftSigner:
    return SoftSigner(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@functools.cache
def sm2_signer() -> SM2Signer:
    return SM2Signer()


def sha(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def supervisor_signature(n: int) -> bytes:
    """What a supervisor card returns over the issuance digest: DER ECDSA (~71 bytes)."""
    return ec_signer().sign(b"issuance digest %d" % n)


def typical_claims(supervisors: int = 1) -> dict:
    """The claims map station/receipts/issue.py writes (integer keys, see its docstring), with
    long real-world names: the unit and a special-purpose seal named after it."""
    return {
        1: "BJ-HAIDIAN-0001",  # station id
        2: 123456,  # receipt number
        3: "BJ-HAIDIAN-0001-2026-000123",  # seal esID
        4: "contract",  # seal type
        5: "北京市海淀区星河数码科技有限公司",  # unit
        6: "91110108MA01ABCD2X",  # unified social credit code
        7: "北京市海淀区星河数码科技有限公司合同专用章",  # seal name
        8: "A1B2C3D4E5F60718",  # seal card serial
        9: sha("seal card certificate"),
        10: sha("seal DER"),
        11: 1763803865,  # made (UTC seconds)
        12: 1763803912,  # issued
        13: "王建国",  # recipient
        14: 4321,  # application id
        15: sha("officer certificate"),
        16: [[sha(f"supervisor {i}"), supervisor_signature(i)] for i in range(supervisors)],
        17: [48213, sha("audit root")],  # audit tree head
    }


ALL_SIGNERS = [ec_signer, rsa_signer, sm2_signer]


@functools.cache
def sample() -> tuple[str, bytes]:
    signer = ec_signer()
    return encode(typical_claims(), signer), signer.certificate


# --- round trips ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "alg"), [(ec_signer, ALG_ES256), (rsa_signer, ALG_PS256), (sm2_signer, ALG_SM2_SM3)]
)
def test_round_trip(make, alg: int) -> None:
    signer = make()
    claims = typical_claims()
    text = encode(claims, signer)
    assert text.startswith(PREFIX)
    receipt = decode(text)
    assert isinstance(receipt, Receipt)
    assert receipt.claims == claims
    assert receipt.alg == alg
    assert receipt.kid == key_id(signer.certificate) == hashlib.sha256(signer.certificate).digest()[:8]
    assert cbor2.loads(receipt.protected) == {1: alg}
    assert cbor2.loads(receipt.to_be_signed) == ["Signature1", receipt.protected, b"", receipt.payload]
    assert verify(receipt, signer.certificate)
    for other in ALL_SIGNERS:
        if other is not make:
            assert not verify(receipt, other().certificate)


def test_es256_signature_is_raw_r_s() -> None:
    text, cert = sample()
    receipt = decode(text)
    assert len(receipt.signature) == 64
    key = x509.load_der_x509_certificate(cert).public_key()
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    r, s = int.from_bytes(receipt.signature[:32], "big"), int.from_bytes(receipt.signature[32:], "big")
    key.verify(encode_dss_signature(r, s), receipt.to_be_signed, ec.ECDSA(hashes.SHA256()))


def test_cose_layout_is_tagged_sign1() -> None:
    text, _ = sample()
    cose = cbor2.loads(zlib.decompress(base45.b45decode(text[len(PREFIX) :])))
    assert isinstance(cose, cbor2.CBORTag) and cose.tag == 18
    protected, unprotected, payload, signature = cose.value
    assert dict(unprotected) == {4: decode(text).kid}


def test_a_signer_that_does_not_match_its_certificate_is_refused() -> None:
    liar = SoftSigner(ec.generate_private_key(ec.SECP256R1()))
    liar.certificate = ec_signer().certificate
    with pytest.raises(ReceiptError):
        encode(typical_claims(), liar)


def test_encode_refuses_bad_input() -> None:
    unknown = SoftSigner(ec.generate_private_key(ec.SECP256R1()))
    unknown.algorithm = "1.2.3.4"
    with pytest.raises(ReceiptError):
        encode({}, unknown)
    for bad in [{"t": dt.datetime.now(dt.timezone.utc)}, {"s": {1, 2}}, {(1, 2): 3}, {True: 1}, {"s": "\ud800"}]:
        with pytest.raises(ReceiptError):
            encode(bad, ec_signer())
    with pytest.raises(ReceiptError):
        encode({"big": b"\x00" * (70 * 1024)}, ec_signer())


# --- size: one QR code ---------------------------------------------------------------------


def qr_version(text: str) -> int:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.version


def test_typical_receipt_fits_one_qr_code() -> None:
    text, _ = sample()
    assert qr_version(text) <= 21, len(text)  # room to spare for a second supervisor


@pytest.mark.parametrize("make", ALL_SIGNERS)
def test_every_algorithm_with_two_supervisors_fits(make) -> None:
    text = encode(typical_claims(supervisors=2), make())
    assert qr_version(text) <= 25, len(text)


# --- strict decoding -----------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_flipping_any_character_fails(data: st.DataObject) -> None:
    text, cert = sample()
    i = data.draw(st.integers(min_value=0, max_value=len(text) - 1), label="index")
    c = data.draw(
        st.one_of(st.sampled_from(base45.BASE45_CHARSET), st.characters()).filter(lambda ch: ch != text[i]),
        label="char",
    )
    flipped = text[:i] + c + text[i + 1 :]
    try:
        receipt = decode(flipped)
    except ReceiptError:
        return
    assert not verify(receipt, cert)


def test_every_single_character_substitution_fails() -> None:
    """Exhaustive over the base45 alphabet for the sample receipt (~45 x 900 decodes)."""
    text, cert = sample()
    for i in range(len(PREFIX), len(text)):
        for c in base45.BASE45_CHARSET:
            if c == text[i]:
                continue
            try:
                receipt = decode(text[:i] + c + text[i + 1 :])
            except ReceiptError:
                continue
            assert not verify(receipt, cert), (i, c)


def _text_of(cose_bytes: bytes) -> str:
    return PREFIX + base45.b45encode(canonical_zlib(cose_bytes)).decode()


def _cose(protected=None, unprotected=None, payload=None, signature=None, tag=18) -> bytes:
    text, _ = sample()
    r = decode(text)
    parts = [
        r.protected if protected is None else protected,
        {4: r.kid} if unprotected is None else unprotected,
        r.payload if payload is None else payload,
        r.signature if signature is None else signature,
    ]
    return cbor2.dumps(cbor2.CBORTag(tag, parts) if tag is not None else parts)


def test_structure_errors() -> None:
    text, cert = sample()
    assert verify(decode(_text_of(_cose())), cert)
    bad = [
        _text_of(_cose(tag=None)),  # untagged: a second text for the same receipt
        _text_of(_cose(unprotected={})),  # no key id: a third
        "",
        "SSR1:",
        "SSR2:" + text[5:],
        "ssr1:" + text[5:],
        text + "\n",
        " " + text,
        text.replace(PREFIX, PREFIX + " "),
        PREFIX + base45.b45encode(b"not zlib").decode(),
        PREFIX + base45.b45encode(canonical_zlib(b"\xff")).decode(),
        PREFIX + base45.b45encode(canonical_zlib(b"\x01\x02")).decode(),  # trailing CBOR
        PREFIX + base45.b45encode(zlib.compress(b"\x00" * 10)[:-1]).decode(),  # truncated
        PREFIX + base45.b45encode(zlib.compress(b"\x00") + b"x").decode(),  # trailing data
        PREFIX + base45.b45encode(zlib.compress(b"\x00" * (65 * 1024))).decode(),  # bomb
        _text_of(_cose(tag=17)),
        _text_of(cbor2.dumps([1, 2, 3])),
        _text_of(cbor2.dumps({"a": 1})),
        _text_of(_cose(protected=cbor2.dumps({1: -8}))),
        _text_of(_cose(protected=cbor2.dumps({1: -7, 4: b"x"}))),
        _text_of(_cose(protected=cbor2.dumps({1: -7.0}))),
        _text_of(_cose(protected=b"")),
        _text_of(_cose(unprotected={5: b"x"})),
        _text_of(_cose(unprotected={4: "kid"})),
        _text_of(_cose(payload=cbor2.dumps([1, 2]))),
        _text_of(_cose(payload=cbor2.dumps({"t": cbor2.CBORTag(1, 0)}))),
        _text_of(_cose(payload=cbor2.dumps({"t": cbor2.CBORTag(999, 0)}))),
        _text_of(_cose(payload=b"\xa1\x61a\x01\x00")),  # trailing byte in claims
        _text_of(_cose(payload=b"\xa2\x61a\x01\x61a\x02")),  # duplicate key
        _text_of(_cose(payload=b"\xbf\x61a\x01\xff")),  # indefinite length
        _text_of(_cose(signature=b"\x00" * 63)),
    ]
    for t in bad:
        with pytest.raises(ReceiptError):
            decode(t)


def test_unsigned_kid_is_checked_against_the_certificate() -> None:
    text, cert = sample()
    other_kid = _text_of(_cose(unprotected={4: b"\x00" * 8}))
    assert not verify(decode(other_kid), cert)
    no_kid = Receipt(**{**decode(text).__dict__, "kid": None})
    assert not verify(no_kid, cert)


def test_verify_with_broken_certificates_is_false() -> None:
    receipt = decode(sample()[0])
    no_kid = Receipt(**{**receipt.__dict__, "kid": None})
    for cert in [b"", b"\x30\x03\x02\x01\x01", b"garbage" * 10, rsa_signer().certificate]:
        assert not verify(no_kid, cert)


_cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.integers() | st.text(), children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(),
        st.text().map(lambda t: PREFIX + t),
        st.text(alphabet=base45.BASE45_CHARSET).map(lambda t: PREFIX + t),
        st.binary().map(lambda b: PREFIX + base45.b45encode(b).decode()),
        st.binary().map(lambda b: PREFIX + base45.b45encode(zlib.compress(b)).decode()),
        _cbor_values.map(lambda v: _text_of(cbor2.dumps(v))),
        st.tuples(st.binary(), _cbor_values, st.binary(), st.binary()).map(
            lambda p: _text_of(cbor2.dumps(cbor2.CBORTag(18, list(p))))
        ),
        st.tuples(_cbor_values, _cbor_values).map(
            lambda p: _text_of(_cose(protected=cbor2.dumps(p[0]), payload=cbor2.dumps(p[1])))
        ),
    )
)
def test_arbitrary_text_only_raises_receipt_error(text: str) -> None:
    try:
        receipt = decode(text)
    except ReceiptError:
        return
    assert isinstance(receipt.claims, dict)
    assert verify(receipt, sample()[1]) in (True, False)


def test_receipt_error_is_a_value_error() -> None:
    assert issubclass(ReceiptError, ValueError)
