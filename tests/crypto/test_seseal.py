"""crypto.seseal: real seals from other vendors, seals we make, and hostile bytes."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from asn1crypto import core, pem, x509
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crypto import seseal
from crypto.algorithms import ECDSA_SHA256, RSA_SHA256, SM2_SM3, der_to_raw
from crypto.seseal import SealBuildError, SealFormatError, build_v4, parse, verify
# the private helpers under test, from the modules of the package that hold them
from crypto.seseal.asn1 import _CertDigests, _SealInfoV4, _SESealV4
from crypto.seseal.certs import _common_name, _iso, _load_cert, _plain_name, _summary, _validity
from crypto.seseal.der import _children, _der_length, _time, _tlv, _when
from crypto.seseal.names import _PLAIN_LABELS, _dn, _plain_text
from crypto.seseal.parsing import _parse_v4, _read_v4

from .conftest import KINDS, load_fixture

UTC = timezone.utc
NOW = datetime.now(UTC).replace(microsecond=0)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
FLIPS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SEALS = ("UserV1.esl", "UserV4.esl", "UserV5.esl", "HebeiGede-bad-maker-signature.der")
GOOD = ("UserV1.esl", "UserV4.esl", "UserV5.esl")


def make_seal(world, kind: str, **overrides) -> bytes:
    args = dict(
        esid="11010000000001",
        seal_type=1,
        name="测试单位公章",
        certs=[world[kind]["card"].certificate],
        created=NOW,
        valid_start=NOW,
        valid_end=NOW + timedelta(days=365),
        picture=PNG,
        width_mm=40,
        height_mm=40,
        ext_datas=[("2.25.1234", False, b"office"), ("2.25.5678", True, b"web")],
        signer=world[kind]["officer"].signer,
    )
    args.update(overrides)
    return build_v4(**args)


# --- real seals --------------------------------------------------------------------


@pytest.mark.parametrize("name", SEALS)
def test_fixture_seals_intact_and_valid_inside_their_period(name: str) -> None:
    data = load_fixture(name)
    parsed = parse(data)
    inside = parsed.valid_start + (parsed.valid_end - parsed.valid_start) / 2
    report = verify(data, at=inside)
    assert report.in_period
    assert report.chain == "unchecked"
    if name in GOOD:
        assert report.intact and report.valid, report.problems
        assert "maker-signature-invalid" not in report.problems
    else:
        assert not report.intact and not report.valid
        assert "maker-signature-invalid" in report.problems
        assert "maker-cert-expired-at-signing" in report.warnings  # cert ended 2019


@pytest.mark.parametrize("name", ("UserV1.esl", "UserV4.esl", "HebeiGede-bad-maker-signature.der"))
def test_expired_fixture_seals_are_out_of_period_today(name: str) -> None:
    report = verify(load_fixture(name))
    assert not report.in_period and not report.valid
    assert {"out-of-period", "expired"} <= set(report.problems)
    assert report.intact == (name != "HebeiGede-bad-maker-signature.der")


def test_fixture_fields() -> None:
    v1, v4, v5 = (parse(load_fixture(n)) for n in GOOD)
    assert (v1.version, v4.version, v5.version) == (1, 4, 5)
    assert v4.esid == "51f044b76510434e9bc67a1185c2fba5"
    assert v4.name == "OFD R&W 测试用印章" and v4.seal_type == 3 and v4.vid == "OFDR&WTest"
    assert v4.created == datetime(2020, 4, 22, 2, 9, tzinfo=UTC)
    assert v1.valid_end == datetime(2022, 4, 22, 2, 18, 7, tzinfo=UTC)  # UTCTime in v1
    for p in (v1, v4, v5):
        assert p.algorithm == SM2_SM3 and p.cert_list_type == 1 and len(p.certs) == 1
        assert p.picture_type == "PNG" and p.picture.startswith(b"\x89PNG")
        assert (p.width, p.height) == (40, 40)
        assert p.timestamp is None
    hebei = parse(load_fixture("HebeiGede-bad-maker-signature.der"))
    assert [e[0] for e in hebei.ext_datas] == ["1.2.156.112600.7.1", "1.2.156.112600.7.2", "1.2.156.112600.7.3"]
    assert [e[1] for e in hebei.ext_datas] == [False, True, False]
    assert hebei.ext_datas[2][2] == b"HeBeiBaoDingShiCeShiDanWeiMingCheng"


def test_signed_bytes_are_the_original_bytes() -> None:
    for name in ("UserV4.esl", "UserV5.esl"):
        data = load_fixture(name)
        p = parse(data)
        assert data.index(p.signed_bytes) == 4  # SES_SealInfo right after the outer header
    data = load_fixture("UserV1.esl")
    p = parse(data)
    # v1: SEQUENCE{sealInfo, cert, algorithm} assembled from original elements
    inner = core.Sequence.load(p.signed_bytes)
    assert inner[0].dump() == core.Sequence.load(data)[0].dump()
    assert inner[1].native == p.maker_cert
    assert p.signed_bytes[4:].startswith(data[4 : 4 + len(inner[0].dump())])


@pytest.mark.parametrize("name", GOOD)
def test_fixture_sm2_signatures_verify_in_openssl(name: str, tmp_path: Path) -> None:
    """An independent SM2 implementation agrees with ours on the real seals."""
    p = parse(load_fixture(name))
    spki = x509.Certificate.load(p.maker_cert)["tbs_certificate"]["subject_public_key_info"]
    (tmp_path / "pub.pem").write_bytes(pem.armor("PUBLIC KEY", spki.dump()))
    (tmp_path / "data").write_bytes(p.signed_bytes)
    (tmp_path / "sig").write_bytes(p.signature)
    done = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin",
         "-inkey", str(tmp_path / "pub.pem"), "-sigfile", str(tmp_path / "sig"),
         "-in", str(tmp_path / "data"), "-pkeyopt", "distid:1234567812345678"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_fixture_chain() -> None:
    data = load_fixture("UserV4.esl")
    p = parse(data)
    at = datetime(2021, 1, 1, tzinfo=UTC)
    trusted = verify(data, at=at, trust_anchors=[p.maker_cert, *p.certs])
    assert trusted.chain == "ok" and trusted.valid
    as_pem = [pem.armor("CERTIFICATE", c) for c in (p.maker_cert, *p.certs)]
    assert verify(data, at=at, trust_anchors=as_pem).chain == "ok"
    other = verify(data, at=at, trust_anchors=[p.maker_cert])
    assert other.chain == "untrusted" and "cert-untrusted" in other.problems and not other.valid


def test_json_shape() -> None:
    report = verify(load_fixture("UserV4.esl"), at=datetime(2021, 1, 1, tzinfo=UTC))
    doc = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    assert list(doc) == ["valid", "intact", "in_period", "chain", "version", "esID", "name",
                         "type", "maker", "algorithm", "valid_start", "valid_end", "certs",
                         "problems", "warnings"]
    assert doc["valid"] is True and doc["maker"] == "Test Certificate"
    assert doc["valid_start"] == "2020-04-22T02:09:00Z"
    assert doc["certs"] == [{
        "subject": "CN=Test Certificate,L=Hangzhou,ST=Zhejiang,O=OFD R&W,C=CN",
        "issuer": "CN=OFD Reader and WriterROOT Certificate,L=Hangzhou,ST=Zhejiang,O=OFD R&W,C=CN",
        "serial": "1719D2DAB60",
        "not_before": "2020-04-21T14:39:08Z",
        "not_after": "2022-04-21T14:39:08Z",
    }]


# --- document signature ------------------------------------------------------------


def test_signature_document() -> None:
    data = load_fixture("SignedValueV4.dat")
    sig = seseal.parse_signature(data)
    assert sig.version == 4 and sig.algorithm == SM2_SM3
    assert sig.time == datetime(2020, 10, 12, 11, 14, 3, tzinfo=UTC)
    assert sig.property_info == "/Doc_0/Signs/Sign_0/Signature.xml"
    assert len(sig.data_hash) == 32
    assert sig.seal.esid == parse(load_fixture("UserV4.esl")).esid
    assert data.index(sig.signed_bytes) == 4
    report = seseal.verify_signature_document(data)
    assert report.signature_ok and report.signer_listed and report.valid, report.problems
    assert report.seal.valid and report.seal.at == sig.time  # judged at signing time
    doc = report.to_json()
    assert doc["signer"] == "Test Certificate" and doc["time"] == "2020-10-12T11:14:03Z"
    late = seseal.verify_signature_document(data, NOW)
    assert not late.valid and "seal-invalid" in late.problems
    bad = bytearray(data)
    bad[-5] ^= 0x01  # inside the signature value
    broken = seseal.verify_signature_document(bytes(bad))
    assert not broken.signature_ok and "signature-invalid" in broken.problems
    with pytest.raises(SealFormatError):
        seseal.parse_signature(load_fixture("UserV4.esl"))


# --- seals we make -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_build_round_trip(world, kind: str) -> None:
    seal = make_seal(world, kind)
    p = parse(seal)
    assert p.version == 4 and p.esid == "11010000000001" and p.vid == "seal-station"
    assert p.name == "测试单位公章" and p.seal_type == 1 and p.cert_list_type == 1
    assert p.certs == [world[kind]["card"].certificate]
    assert p.maker_cert == world[kind]["officer"].certificate
    assert p.algorithm == {"ec": ECDSA_SHA256, "rsa": RSA_SHA256, "sm2": SM2_SM3}[kind]
    assert (p.created, p.valid_start) == (NOW, NOW)
    assert p.picture == PNG and p.picture_type == "png" and (p.width, p.height) == (40, 40)
    assert p.ext_datas == [("2.25.1234", False, b"office"), ("2.25.5678", True, b"web")]
    assert NOW.strftime("%Y%m%d%H%M%SZ").encode() in seal  # GeneralizedTime, UTC, 'Z'
    assert seal.index(p.signed_bytes) == 4
    assert _SESealV4.load(seal).dump(force=True) == seal  # canonical DER
    if kind != "rsa":
        assert p.signature[0] == 0x30  # DER SEQUENCE{r, s} in the BIT STRING
    anchors = [world[kind]["ca"].certificate]
    ok = verify(seal, at=NOW + timedelta(days=1), trust_anchors=anchors)
    assert ok.valid and ok.chain == "ok" and ok.problems == (), ok.problems
    assert verify(seal, trust_anchors=anchors).valid  # at defaults to now
    stranger = verify(seal, at=NOW, trust_anchors=[world[kind]["stranger"].certificate])
    assert stranger.chain == "untrusted" and not stranger.valid
    assert {"maker-cert-untrusted", "cert-untrusted"} <= set(stranger.problems)


def test_cross_kind_chain(world) -> None:
    """An SM2 officer and a P-256 card under their own CAs: both anchors are needed."""
    seal = make_seal(world, "sm2", certs=[world["ec"]["card"].certificate])
    both = [world["sm2"]["ca"].certificate, world["ec"]["ca"].certificate]
    assert verify(seal, at=NOW, trust_anchors=both).chain == "ok"
    only_sm2 = verify(seal, at=NOW, trust_anchors=both[:1])
    assert only_sm2.problems == ("cert-untrusted",)


def test_period_edges(world) -> None:
    end = NOW + timedelta(days=10)
    seal = make_seal(world, "ec", valid_end=end)
    assert verify(seal, at=NOW).in_period and verify(seal, at=end).in_period
    early = verify(seal, at=NOW - timedelta(seconds=1))
    assert not early.in_period and early.problems == ("out-of-period", "not-yet-valid")
    late = verify(seal, at=end + timedelta(seconds=1))
    assert late.problems == ("out-of-period", "expired") and late.intact
    naive = verify(seal, at=(NOW + timedelta(days=1)).replace(tzinfo=None))
    assert naive.in_period  # a naive instant is read as UTC


def test_maker_cert_expired_at_signing_is_reported(world) -> None:
    old = world["ec"]["old_officer"]
    seal = make_seal(world, "ec", signer=old.signer)
    report = verify(seal, at=NOW)
    assert report.intact and "maker-cert-expired-at-signing" in report.warnings
    assert report.valid and report.problems == ()  # a finding, not a reason to be invalid


def test_ecdsa_seal_verifies_in_openssl(world, tmp_path: Path) -> None:
    seal = make_seal(world, "ec")
    p = parse(seal)
    spki = x509.Certificate.load(p.maker_cert)["tbs_certificate"]["subject_public_key_info"]
    (tmp_path / "pub.pem").write_bytes(pem.armor("PUBLIC KEY", spki.dump()))
    (tmp_path / "sig.der").write_bytes(p.signature)
    (tmp_path / "data.bin").write_bytes(p.signed_bytes)

    def openssl() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "data.bin"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    done = openssl()
    assert done.returncode == 0 and "Verified OK" in done.stdout
    (tmp_path / "data.bin").write_bytes(p.signed_bytes[:-1] + bytes([p.signed_bytes[-1] ^ 1]))
    assert openssl().returncode != 0


def _assemble(info: bytes, cert: bytes, algorithm: str, signature: bytes) -> bytes:
    body = (
        info
        + core.OctetString(cert).dump()
        + core.ObjectIdentifier(algorithm).dump()
        + core.OctetBitString(signature).dump()
    )
    return core.Sequence.load(b"\x30" + _der_length(len(body)) + body).dump()


def test_raw_signature_in_bit_string_is_read(world) -> None:
    seal = make_seal(world, "sm2")
    p = parse(seal)
    raw = _assemble(p.signed_bytes, p.maker_cert, p.algorithm, der_to_raw(p.signature))
    assert len(parse(raw).signature) == 64
    assert verify(raw, at=NOW).intact


def test_cert_digest_list(world) -> None:
    officer = world["ec"]["officer"]
    seal = parse(make_seal(world, "ec"))
    info = _SealInfoV4.load(seal.signed_bytes)
    info["property"]["certListType"] = 2
    info["property"]["certList"] = _CertDigests([{"type": "sha256", "value": b"\x01" * 32}])
    info_der = info.dump(force=True)
    data = _assemble(info_der, officer.certificate, ECDSA_SHA256, officer.signer.sign(info_der))
    p = parse(data)
    assert p.cert_list_type == 2 and p.certs == [] and p.cert_digests == [("sha256", b"\x01" * 32)]
    report = verify(data, at=NOW, trust_anchors=[world["ec"]["ca"].certificate])
    assert report.valid and report.to_json()["certs"] == []


def test_build_refuses_bad_input_and_liars(world) -> None:
    with pytest.raises(ValueError):
        make_seal(world, "ec", certs=[])
    with pytest.raises(ValueError):
        make_seal(world, "ec", created=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        make_seal(world, "ec", valid_end=NOW - timedelta(days=1))
    with pytest.raises(ValueError):
        make_seal(world, "ec", esid="印章")

    class Liar:  # signs with the card's key under the officer's certificate
        algorithm = ECDSA_SHA256
        certificate = world["ec"]["officer"].certificate

        def sign(self, data: bytes, *, pss: bool = False) -> bytes:
            return world["ec"]["card"].signer.sign(data)

    with pytest.raises(SealBuildError):
        make_seal(world, "ec", signer=Liar())


def test_build_writes_der_even_from_a_raw_signer(world) -> None:
    officer = world["sm2"]["officer"]

    class RawCard:  # a card that hands back r||s despite the Signer contract
        algorithm = officer.signer.algorithm
        certificate = officer.certificate

        def sign(self, data: bytes, *, pss: bool = False) -> bytes:
            return der_to_raw(officer.signer.sign(data))

    p = parse(make_seal(world, "sm2", signer=RawCard()))
    assert p.signature[0] == 0x30 and len(p.signature) > 64


def test_malformed_inputs() -> None:
    data = load_fixture("UserV4.esl")
    for bad in (b"", b"\x30\x00", data[:-1], data + b"\x00", b"\x30\x80" + data[2:], b"\x04\x00"):
        with pytest.raises(SealFormatError):
            parse(bad)
    with pytest.raises(SealFormatError):
        parse(load_fixture("SignedValueV4.dat"))
    with pytest.raises(SealFormatError):
        parse("not bytes")  # type: ignore[arg-type]


# --- hostile bytes -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ("ec", "sm2"))
def test_one_flipped_byte_never_passes(world, kind: str) -> None:
    seal = make_seal(world, kind)
    anchors = [world[kind]["ca"].certificate]
    assert verify(seal, at=NOW, trust_anchors=anchors).valid

    @FLIPS
    @given(st.integers(0, len(seal) - 1), st.integers(1, 255))
    def flip(position: int, mask: int) -> None:
        bad = bytearray(seal)
        bad[position] ^= mask
        try:
            report = verify(bytes(bad), at=NOW, trust_anchors=anchors)
        except SealFormatError:
            return
        assert not report.valid, (position, mask)

    flip()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_only_raise_seal_format_error(data: bytes) -> None:
    for reader in (parse, verify, seseal.parse_signature, seseal.verify_signature_document):
        try:
            reader(data)
        except SealFormatError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mangled_fixture_never_passes(data: st.DataObject) -> None:
    seal = load_fixture("UserV4.esl")
    p = parse(seal)
    cut = data.draw(st.integers(0, len(seal)))
    junk = data.draw(st.binary(max_size=8))
    at = data.draw(st.integers(0, len(seal) - 1))
    mangled = seal[:at] + junk + seal[at + len(junk) : cut] if cut > at else seal[:cut]
    assume(mangled != seal)
    try:
        report = verify(mangled, at=datetime(2021, 1, 1, tzinfo=UTC), trust_anchors=[p.maker_cert, *p.certs])
    except SealFormatError:
        return
    assert not report.valid


# --- the fast readers say what asn1crypto says -------------------------------------
#
# verify() reads plain v4 seals and plain certificate names straight from the DER
# (asn1crypto's lazy parser was most of its cost) and leaves everything else to
# asn1crypto. Each fast reader must give asn1crypto's value or step aside (None).

V4_LAYOUT = ("UserV4.esl", "UserV5.esl", "HebeiGede-bad-maker-signature.der")


def _both_v4_readers(data: bytes):
    """(fast, slow) readings of ``data``; None for a reader that declines or fails."""
    top = _children(data)
    # what parse() sends to the v4 readers: one element, the v4 layout
    if _tlv(data, 0, len(data))[2] != len(data) or not (len(top) in (4, 5) and top[1][0] == 0x04):
        raise SealFormatError("not the v4 layout")
    fast = _read_v4(data, top)
    try:
        slow = _parse_v4(data, top)
    except Exception:
        slow = None
    return fast, slow


def _slow_summary(der: bytes) -> dict:
    """certificate_summary as it was, from asn1crypto alone."""
    cert = x509.Certificate.load(der, strict=True)
    v = cert["tbs_certificate"]["validity"]
    return {
        "subject": _dn(cert.subject),
        "issuer": _dn(cert.issuer),
        "serial": format(cert.serial_number, "X"),
        "not_before": _iso(v["not_before"].native),
        "not_after": _iso(v["not_after"].native),
    }


def _slow_common_name(der: bytes) -> str:
    cert = x509.Certificate.load(der, strict=True)
    for rdn in reversed(list(cert.subject.chosen)):
        for atv in rdn:
            if atv["type"].native == "common_name" and isinstance(atv["value"].native, str):
                return atv["value"].native
    return _dn(cert.subject)


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - only whether it failed matters here
        return ("error", type(exc).__name__)


def _all_certs(world) -> list[bytes]:
    out = [ident.certificate for kind in KINDS for ident in world[kind].values()]
    for name in SEALS:
        p = parse(load_fixture(name))
        out += [p.maker_cert, *p.certs]
    out.append(seseal.parse_signature(load_fixture("SignedValueV4.dat")).signer_cert)
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_fast_seal_reader_agrees_with_asn1crypto(world, kind: str) -> None:
    seals = [make_seal(world, kind), make_seal(world, kind, ext_datas=[])]
    seals += [load_fixture(name) for name in V4_LAYOUT]
    for data in seals:
        fast, slow = _both_v4_readers(data)
        assert fast is not None, "the plain layout must take the fast path"
        assert fast == slow


@FLIPS
@given(st.sampled_from(V4_LAYOUT), st.data())
def test_fast_seal_reader_never_disagrees_on_mangled_seals(name: str, data: st.DataObject) -> None:
    seal = bytearray(load_fixture(name))
    for _ in range(data.draw(st.integers(1, 3))):
        seal[data.draw(st.integers(0, len(seal) - 1))] ^= data.draw(st.integers(1, 255))
    try:
        fast, slow = _both_v4_readers(bytes(seal))
    except SealFormatError:
        return
    assert fast is None or fast == slow


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
            lambda d: (0x18, d.strftime("%Y%m%d%H%M%SZ").zfill(15))
        ),
        st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2049, 12, 31)).map(
            lambda d: (0x17, d.strftime("%y%m%d%H%M%SZ"))
        ),
        st.tuples(st.just(0x18), st.from_regex(r"\A[0-9]{14}Z\Z")),
        st.tuples(st.just(0x17), st.from_regex(r"\A[0-9]{12}Z\Z")),
        st.tuples(st.sampled_from([0x17, 0x18]), st.text("0123456789Z+-.,\n", max_size=20)),
    )
)
def test_fast_date_reader_agrees_with_asn1crypto(tagged: tuple[int, str]) -> None:
    tag, text = tagged
    raw = text.encode()
    fast = _outcome(_when, raw, (tag, 0, len(raw)))
    slow = _outcome(lambda: _time(x509.Time.load(bytes([tag, len(raw)]) + raw)))
    assert fast[0] == slow[0]
    if fast[0] == "ok":
        assert fast[1] == slow[1] and fast[1].utcoffset() == slow[1].utcoffset()


def test_fast_certificate_reader_agrees_with_asn1crypto(world) -> None:
    for der in _all_certs(world):
        cert = _load_cert(der)
        assert cert is not None
        assert _summary(cert) == _slow_summary(der)
        assert _common_name(cert) == _slow_common_name(der)
        v = x509.Certificate.load(der)["tbs_certificate"]["validity"]
        assert _validity(cert) == (v["not_before"].native, v["not_after"].native)
    # the station's own certificates and the fixtures' all take the fast path
    for der in _all_certs(world):
        cert = _load_cert(der)
        assert _plain_name(cert, 0) is not None and _plain_name(cert, 1) is not None


@FLIPS
@given(st.data())
def test_fast_certificate_reader_never_disagrees_on_mangled_names(world, data: st.DataObject) -> None:
    der = data.draw(st.sampled_from(_all_certs(world)))
    # flip bytes inside the issuer/subject so that cryptography still loads most results
    tbs = _children(der, _children(der)[0][1])
    first = 1 if tbs[0][0] == 0xA0 else 0
    spans = [tbs[first + 2][1:], tbs[first + 4][1:]]
    start, end = data.draw(st.sampled_from(spans))
    mangled = bytearray(der)
    for _ in range(data.draw(st.integers(1, 2))):
        mangled[data.draw(st.integers(start, end - 1))] ^= data.draw(st.integers(1, 255))
    cert = _load_cert(bytes(mangled))
    if cert is None:
        return
    fast = _outcome(_summary, cert), _outcome(_common_name, cert)
    slow = _outcome(_slow_summary, bytes(mangled)), _outcome(_slow_common_name, bytes(mangled))
    assert fast == slow


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted(_PLAIN_LABELS)),
    st.sampled_from([0x0C, 0x13, 0x16, 0x14, 0x1E, 0x2C]),
    st.one_of(
        st.binary(max_size=40),
        st.text(max_size=40).map(str.encode),
        st.from_regex(r"\A[ -~]{0,20}(@[ -~]{0,12})?\Z").map(str.encode),
        st.sampled_from([b"a@xn--bcher-kva.example", b"XN--BCHER-KVA.example", b"x@\xe4.de", b" lead", b"a\nb"]),
    ),
)
def test_plain_attribute_text_is_asn1crypto_native(kind: bytes, tag: int, raw: bytes) -> None:
    try:
        fast = _plain_text(kind, tag, raw)
    except Exception:  # noqa: BLE001 - declined: asn1crypto is asked instead
        return
    body = bytes([0x06, len(kind)]) + kind + bytes([tag, len(raw)]) + raw
    atv = x509.NameTypeAndValue.load(bytes([0x30, len(body)]) + body)
    assert atv["value"].native == fast


@pytest.mark.parametrize("bad", [b"\xc6fficer ec", b"Officer e\xff"])
def test_unreadable_maker_name_is_a_malformed_certificate(world, bad: bytes) -> None:
    """The maker certificate is outside what the maker signs: a broken CN there must be
    reported, not crash the report (the Rust parser does not decode name strings)."""
    seal = make_seal(world, "ec")
    assert seal.count(b"Officer ec") == 1
    broken = seal.replace(b"Officer ec", bad)
    report = verify(broken, at=NOW)
    assert "maker-cert-malformed" in report.problems and not report.intact and not report.valid
    doc = report.to_json()
    assert doc["maker"] is None and doc["valid"] is False


def test_name_of_a_tag_asn1crypto_refuses_is_a_malformed_certificate(world) -> None:
    seal = make_seal(world, "ec")
    at = seal.index(b"Officer ec")
    assert seal[at - 2] == 0x0C  # UTF8String
    broken = seal[: at - 2] + b"\x0d" + seal[at - 1 :]  # [UNIVERSAL 13]: not a DirectoryString
    report = verify(broken, at=NOW)
    assert "maker-cert-malformed" in report.problems and not report.intact
    assert report.to_json()["maker"] is None


# --- tolerant where the maker's signature covers it ---------------------------------


def _odd_card(world, kind: str) -> bytes:
    """The seal card's certificate with its CN as [UNIVERSAL 13], a type asn1crypto refuses."""
    card = world[kind]["card"].certificate
    at = card.index(f"Seal card {kind}".encode())
    assert card[at - 2] == 0x0C  # UTF8String
    return card[: at - 2] + b"\x0d" + card[at - 1 :]


@pytest.mark.parametrize("kind", ["ec", "sm2"])
def test_listed_certificate_with_an_odd_name_type_is_a_warning(world, kind: str) -> None:
    seal = make_seal(world, kind, certs=[_odd_card(world, kind)])
    report = verify(seal, at=NOW)
    assert report.intact and report.valid and report.problems == ()
    assert report.warnings == ("cert-name-unusual-encoding",)
    doc = report.to_json()
    assert doc["warnings"] == ["cert-name-unusual-encoding"]
    assert doc["certs"][0]["subject"].startswith("CN=#0d")  # shown, as RFC 4514 hex


def test_odd_listed_certificate_under_a_broken_maker_signature_is_not_intact(world) -> None:
    seal = make_seal(world, "ec", certs=[_odd_card(world, "ec")])
    at = seal.index("测试单位公章".encode())
    broken = seal[:at] + "测试单位私章".encode() + seal[at + len("测试单位公章".encode()):]
    report = verify(broken, at=NOW)
    assert not report.intact and not report.valid
    assert "maker-signature-invalid" in report.problems and "cert-name-unusual-encoding" in report.warnings


def test_odd_listed_certificate_is_still_checked_against_trust_anchors(world) -> None:
    seal = make_seal(world, "ec", certs=[_odd_card(world, "ec")])
    report = verify(seal, at=NOW, trust_anchors=[world["ec"]["ca"].certificate])
    # the odd byte is inside what the CA signed: the chain does not hold
    assert report.chain == "untrusted" and "cert-untrusted" in report.problems and not report.valid


@pytest.mark.parametrize("name", SEALS)
def test_valid_exactly_when_there_are_no_problems(name: str) -> None:
    data = load_fixture(name)
    parsed = parse(data)
    for at in (parsed.valid_start, parsed.valid_start + (parsed.valid_end - parsed.valid_start) / 2,
               parsed.valid_end + timedelta(days=1)):
        report = verify(data, at=at)
        assert report.valid == (report.problems == ()), (at, report.problems)
