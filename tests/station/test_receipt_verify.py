"""Receipt verification rules with software keys, and property tests: whatever the text
or the signed claims, verification answers (valid / invalid) or raises InputError."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import receipt as cose
from crypto.algorithms import SoftwareSigner, der_to_raw
from station.errors import InputError
from station.receipts.bundle import Bundle, Enrolled
from station.receipts.claims import Claim, issuance_digest
from station.receipts.verify import verify_receipt

NOW = int(datetime(2026, 5, 1, 12, tzinfo=timezone.utc).timestamp())


@functools.cache
def people() -> dict[str, SoftwareSigner]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from station.demo import issue_certificate, make_ca

    ca_key, ca_der = make_ca("Test CA")
    out = {"ca": ca_der}
    for who in ("admin", "officer", "sup1", "sup2"):
        key = ec.generate_private_key(ec.SECP256R1())
        pub = key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        out[who] = SoftwareSigner(key, issue_certificate(ca_key, ca_der, pub, cn=who, org="t", not_before=start,
                                                         not_after=start + timedelta(days=365)))
    return out


def _sha(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def bundle(**changes) -> Bundle:
    p = people()
    roles = {"admin": "admin", "officer": "officer", "sup1": "supervisor", "sup2": "supervisor"}
    enrolled = tuple(Enrolled(role, who, who, _sha(p[who].certificate), p[who].certificate,
                              "2026-01-02T00:00:00+00:00", None) for who, role in roles.items())
    b = Bundle("ST-1", (p["ca"],), enrolled, 2, None, _sha(p["admin"].certificate), True, ())
    return replace(b, **changes)


def claims(sups=("sup1", "sup2")) -> dict:
    p = people()
    seal = hashlib.sha256(b"seal").digest()
    c = {Claim.STATION: "ST-1", Claim.NUMBER: 7, Claim.ESID: "ST-1-2026-000007", Claim.TYPE: "official",
         Claim.UNIT: "示例有限公司", Claim.CREDIT_CODE: None, Claim.NAME: "示例有限公司", Claim.CARD: "abcd",
         Claim.CARD_CERT: bytes(32), Claim.SEAL: seal,
         Claim.MADE: NOW, Claim.ISSUED: NOW, Claim.RECIPIENT: "张三", Claim.APPLICATION: 3,
         Claim.OFFICER: bytes.fromhex(_sha(p["officer"].certificate)), Claim.HEAD: [5, bytes(32)]}
    digest = issuance_digest(c)
    c[Claim.SUPERVISORS] = [[bytes.fromhex(_sha(p[s].certificate)), der_to_raw(p[s].sign(digest))] for s in sups]
    return c


def test_a_good_receipt_verifies():
    result = verify_receipt(cose.encode(claims(), people()["officer"]), bundle())
    assert result["valid"], result["problems"]
    assert result["supervisor_names"] == ["sup1", "sup2"]


def test_the_pin_claim_is_shown_and_an_older_receipt_without_it_still_verifies():
    """Claim 19 (the seal card's PIN at issue) is the officer's, outside what supervisors
    co-sign: receipts signed before it existed verify as they did, and say nothing."""
    officer = people()["officer"]
    older = verify_receipt(cose.encode(claims(), officer), bundle())
    assert older["valid"] and older["pin"] is None
    for pin_set, said in ((False, "initial PIN, change at first use"), (True, "PIN set by the recipient")):
        result = verify_receipt(cose.encode({**claims(), Claim.PIN: pin_set}, officer), bundle())
        assert result["valid"], result["problems"]
        assert result["pin"] == said
    with pytest.raises(InputError, match="claim 19"):
        verify_receipt(cose.encode({**claims(), Claim.PIN: "yes"}, officer), bundle())


@pytest.mark.parametrize("case, words", [
    ("signed-by-a-supervisor", "signature does not verify"),
    ("quorum", "quorum is 2"),
    ("same-supervisor-twice", "twice"),
    ("officer-as-supervisor", "supervisor 2"),
    ("officer-removed-before", "removed"),
    ("officer-is-a-supervisor", "officer: enrolled as supervisor"),
    ("other-recipient", "does not verify"),
    ("bad-bundle", "bundle broken"),
])
def test_each_rule_names_its_problem(case, words):
    p = people()
    c, signer, b = claims(), p["officer"], bundle()
    if case == "signed-by-a-supervisor":
        signer = p["sup1"]
        c[Claim.OFFICER] = bytes.fromhex(_sha(p["officer"].certificate))
    elif case == "quorum":
        c = claims(("sup1",))
    elif case == "same-supervisor-twice":
        c = claims(("sup1", "sup1"))
    elif case == "officer-as-supervisor":
        c[Claim.SUPERVISORS][1][0] = c[Claim.OFFICER]
    elif case == "officer-removed-before":
        b = replace(b, enrolled=tuple(replace(e, removed_at="2026-03-01T00:00:00+00:00") if e.role == "officer"
                                      else e for e in b.enrolled))
    elif case == "officer-is-a-supervisor":
        signer = p["sup1"]
        c[Claim.OFFICER] = bytes.fromhex(_sha(p["sup1"].certificate))
    elif case == "other-recipient":
        c[Claim.RECIPIENT] = "李四"
    elif case == "bad-bundle":
        b = replace(b, signature_ok=False, problems=("bundle broken",))
    try:
        result = verify_receipt(cose.encode(c, signer), b)
    except cose.ReceiptError:  # a kid that names another certificate: encode checks its own signature
        pytest.fail("encode refused")
    assert not result["valid"]
    assert any(words in problem for problem in result["problems"]), result["problems"]


@pytest.mark.parametrize("key, value", [
    (Claim.ESID, "ST-1-2026-000099"), (Claim.UNIT, "别的有限公司"), (Claim.NAME, "别的有限公司合同专用章"),
    (Claim.TYPE, "contract"), (Claim.CREDIT_CODE, "91350100M000100Y43"), (Claim.NUMBER, 8),
    (Claim.MADE, NOW + 60), (Claim.CARD, "ffff")
])
def test_the_officer_alone_cannot_change_a_cosigned_claim(key, value):
    """Every claim the officer signs is co-signed: a receipt re-signed by the officer's
    card with one claim changed fails on each supervisor's signature."""
    c = claims()
    c[key] = value
    result = verify_receipt(cose.encode(c, people()["officer"]), bundle())
    assert not result["valid"]
    assert "supervisor 1: signature over the issuance does not verify" in result["problems"]


def _retagged(text: str, tag: bool, kid: bool) -> str:
    import base45
    import cbor2

    raw = cose.decode(text)
    parts = [raw.protected, {4: raw.kid} if kid else {}, raw.payload, raw.signature]
    body = cbor2.dumps(cbor2.CBORTag(18, parts) if tag else parts)
    return cose.PREFIX + base45.b45encode(cose.canonical_zlib(body)).decode()


@pytest.mark.parametrize("tag, kid", [(False, True), (True, False), (False, False)])
def test_a_receipt_without_its_tag_or_key_id_is_refused(tag, kid):
    """One accepted text per receipt: the COSE tag and the key id are required."""
    text = cose.encode(claims(), people()["officer"])
    assert verify_receipt(text, bundle())["valid"]
    with pytest.raises(InputError):
        verify_receipt(_retagged(text, tag, kid), bundle())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_is_answered_or_malformed(text):
    try:
        assert isinstance(verify_receipt(text, bundle())["valid"], bool)
    except InputError:
        pass


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                    st.text(max_size=20), st.binary(max_size=40),
                    st.lists(st.one_of(st.binary(max_size=40), st.integers(), st.lists(st.binary(max_size=70),
                                                                                        max_size=3)), max_size=3))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(1, 18)), _VALUES, st.booleans())
def test_any_signed_claims_are_answered_or_malformed(key, value, drop):
    c = claims()
    if drop:
        c.pop(key)
    else:
        c[key] = value
    text = cose.encode(c, people()["officer"])
    try:
        result = verify_receipt(text, bundle())
    except InputError:
        return
    assert isinstance(result["valid"], bool)
