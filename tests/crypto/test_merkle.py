"""RFC 9162 Merkle tree: against the RFC's recursive definitions and known vectors."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.merkle import (
    EMPTY_ROOT,
    MerkleLog,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# --- the RFC 9162 §2.1 definitions, transcribed literally with slices -------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return naive_path(m, d[:k]) + [naive_mth(d[k:])]
    return naive_path(m - k, d[k:]) + [naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = _k(n)
    if m <= k:
        return naive_subproof(m, d[:k], b) + [naive_mth(d[k:])]
    return naive_subproof(m - k, d[k:], False) + [naive_mth(d[:k])]


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


# Known answers from the RFC 6962 test data (certificate-transparency merkle tests).
CT_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_known_roots() -> None:
    hashes = [leaf_hash(x) for x in CT_INPUTS]
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for n, expected in enumerate(CT_ROOTS, start=1):
        assert root(hashes[:n]).hex() == expected
        assert MerkleLog.from_leaves(hashes[:n]).root().hex() == expected


def test_known_proofs() -> None:
    hashes = [leaf_hash(x) for x in CT_INPUTS]
    assert [p.hex() for p in inclusion_proof(hashes, 0)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert [p.hex() for p in consistency_proof(hashes, 6)] == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]


def test_hash_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=200))
def test_root_and_log_match_naive(n: int) -> None:
    d = leaves(n)
    assert root(d) == naive_mth(d)
    log = MerkleLog()
    for i, h in enumerate(d):
        assert log.append(h) == i
        assert log.root() == naive_mth(d[: i + 1])
    assert log.size == n
    assert len(log.frontier) == n.bit_count()
    restored = MerkleLog(log.size, log.frontier)
    extra = leaf_hash(b"next")
    restored.append(extra)
    assert restored.root() == naive_mth(d + [extra])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_inclusion_matches_naive_and_verifies(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=200))
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    d = leaves(n)
    proof = inclusion_proof(d, i)
    assert proof == naive_path(i, d)
    r = root(d)
    assert verify_inclusion(d[i], i, n, proof, r)
    # tampering: any proof element, the leaf, the index, the size, the root
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        assert not verify_inclusion(d[i], i, n, bad, r)
    assert not verify_inclusion(leaf_hash(b"other"), i, n, proof, r)
    assert not verify_inclusion(d[i], i, n, proof + [r], r)
    if proof:
        assert not verify_inclusion(d[i], i, n, proof[:-1], r)
    assert not verify_inclusion(d[i], i, n, proof, node_hash(r, r))
    assert not verify_inclusion(d[i], n, n, proof, r)
    bigger = d + [leaf_hash(b"appended")]
    assert not verify_inclusion(d[i], i, n + 1, proof, root(bigger))
    if n > 1:
        other = (i + 1) % n
        assert not verify_inclusion(d[i], other, n, proof, r)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_consistency_matches_naive_and_verifies(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=0, max_value=200))
    m = data.draw(st.integers(min_value=0, max_value=n))
    d = leaves(n)
    proof = consistency_proof(d, m)
    if 0 < m < n:
        assert proof == naive_subproof(m, d, True)
    else:
        assert proof == []
    old, new = root(d[:m]), root(d)
    assert verify_consistency(m, n, old, new, proof)
    # tampering
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        assert not verify_consistency(m, n, old, new, bad)
    assert not verify_consistency(m, n, leaf_hash(b"x"), new, proof)
    if m > 0:  # every tree extends the empty tree, whatever its root
        assert not verify_consistency(m, n, old, leaf_hash(b"x"), proof)
    assert not verify_consistency(m, n, old, new, proof + [new])
    if proof:
        assert not verify_consistency(m, n, old, new, proof[:-1])
    if 0 < m < n:
        # an old tree with a changed entry is not extended by the new one
        changed = list(d)
        changed[m - 1] = leaf_hash(b"edited")
        assert not verify_consistency(m, n, root(changed[:m]), new, proof)
        assert not verify_consistency(m, n, old, root(changed), proof)
    assert not verify_consistency(n, m, new, old, proof) or m == n


def test_reordering_is_found() -> None:
    d = leaves(10)
    swapped = list(d)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    proof = consistency_proof(swapped, 5)
    assert not verify_consistency(5, 10, root(d[:5]), root(swapped), proof)


def test_out_of_range() -> None:
    d = leaves(5)
    with pytest.raises(ProofError):
        inclusion_proof(d, 5)
    with pytest.raises(ProofError):
        inclusion_proof(d, -1)
    with pytest.raises(ProofError):
        consistency_proof(d, 6)
    with pytest.raises(ProofError):
        consistency_proof(d, -1)
    assert not verify_inclusion(d[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_consistency(0, 5, root(d), root(d), [])  # old root must be the empty root
    assert not verify_consistency(3, 5, root(d[:3]), root(d), [])
    assert issubclass(ProofError, ValueError)


def test_log_rejects_bad_state() -> None:
    with pytest.raises(ProofError):
        MerkleLog(3, [leaf_hash(b"a")])
    with pytest.raises(ProofError):
        MerkleLog(1, [b"short"])
    with pytest.raises(ProofError):
        MerkleLog().append(b"short")
    assert MerkleLog().root() == EMPTY_ROOT
