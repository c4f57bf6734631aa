"""crypto.seseal.CertificateCache: certificates met before give the same verdicts.

A registry verifying thousands of seals keeps the certificates it has read (every
seal of one officer carries the same maker certificate). What the cache keeps must
never change a verdict: the same seal gives the same report with no cache, with a
cache that has never seen its certificates, and with one that has - including a
certificate first met where it is read tolerantly (a certList entry with an odd name
type) and then met where it must be strict (as a maker's certificate).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crypto import seseal
from crypto.seseal import CertificateCache, verify

from .conftest import load_fixture
from .test_seseal import NOW, _odd_card, make_seal

FIXTURES = ("UserV1.esl", "UserV4.esl", "UserV5.esl", "HebeiGede-bad-maker-signature.der")
SIGNED = ("SignedValueV4.dat",)


def _docs(data: bytes, cache: CertificateCache | None, anchors: tuple[bytes, ...] = ()) -> list[dict]:
    """The --json documents of a seal inside its period, after it, and with anchors."""
    p = seseal.parse(data)
    middle = p.valid_start + (p.valid_end - p.valid_start) / 2
    return [verify(data, at=at, trust_anchors=trust, certificates=cache).to_json()
            for at in (middle, p.valid_end + timedelta(days=1)) for trust in ((), anchors)]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_verdicts_are_the_same_with_no_cache_a_new_one_and_a_warm_one(name: str) -> None:
    data = load_fixture(name)
    anchors = (seseal.parse(data).maker_cert,)
    plain = _docs(data, None, anchors)
    cache = CertificateCache()
    assert _docs(data, cache, anchors) == plain  # a new cache: every certificate read now
    assert len(cache) > 0
    assert _docs(data, cache, anchors) == plain  # a warm one: every certificate met before


@pytest.mark.parametrize("name", SIGNED)
def test_signed_value_verdicts_are_the_same_with_and_without_a_cache(name: str) -> None:
    data = load_fixture(name)
    p = seseal.parse_signature(data)
    anchors = (p.seal.maker_cert,)
    cache = CertificateCache()
    plain = seseal.verify_signature_document(data, trust_anchors=anchors).to_json()
    for _ in range(2):
        doc = seseal.verify_signature_document(data, trust_anchors=anchors, certificates=cache)
        assert doc.to_json() == plain


def test_a_certificate_met_tolerantly_is_still_refused_as_a_maker(world) -> None:
    """The odd card first comes as a listed certificate (a warning), then as the maker's
    certificate of another seal (a problem): the cache must not turn the second into
    a warning."""
    odd = _odd_card(world, "ec")
    normal = world["ec"]["card"].certificate
    listed = make_seal(world, "ec", certs=[odd])
    # signed by the card itself: its certificate is the maker's, the same length as the odd one
    by_card = make_seal(world, "ec", certs=[odd], signer=world["ec"]["card"].signer)
    assert by_card.count(normal) == 1 and len(odd) == len(normal)
    odd_maker = by_card.replace(normal, odd)  # outside what the maker signed

    expected = [verify(seal, at=NOW).to_json() for seal in (listed, odd_maker)]
    assert "cert-name-unusual-encoding" in expected[0]["warnings"] and expected[0]["valid"]
    assert "maker-cert-malformed" in expected[1]["problems"] and expected[1]["maker"] is None
    cache = CertificateCache()
    assert [verify(seal, at=NOW, certificates=cache).to_json() for seal in (listed, odd_maker)] == expected
    assert [verify(seal, at=NOW, certificates=cache).to_json() for seal in (odd_maker, listed)] == expected[::-1]


def test_the_cache_keeps_at_most_its_size_and_no_giant_certificate(world) -> None:
    cache = CertificateCache(size=2, largest=4096)
    for kind in ("ec", "rsa", "sm2"):
        verify(make_seal(world, kind), at=NOW, certificates=cache)  # a maker and a card each
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0
    small = CertificateCache(largest=16)
    report = verify(make_seal(world, "ec"), at=NOW, certificates=small)
    assert report.valid and len(small) == 0  # read each time, never kept
