"""RFC 9162 Merkle tree: tree heads, inclusion and consistency proofs.

The audit log (DESIGN.md §4) makes every entry a leaf of this tree and puts the tree
head (size, root) into every receipt that leaves the station. Anyone holding two heads
can then ask for an O(log n) consistency proof and find any edit, deletion, insertion
or reordering of entries between them. The algorithms are those of RFC 9162 §2.1
word for word, so that a third-party checker written from the RFC agrees with us.

Hashes: ``leaf = SHA-256(0x00 || data)``, ``node = SHA-256(0x01 || left || right)``;
the empty tree's root is ``SHA-256("")``. Functions here take *leaf hashes*, not
entries, so the caller decides how an entry is canonicalised (once, in station/audit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from crypto.errors import CryptoError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleLog",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(CryptoError):
    """A proof was asked for that cannot exist (index or size out of range)."""


def leaf_hash(data: bytes) -> bytes:
    """Hash of one leaf; the 0x00 prefix keeps leaves and nodes from colliding."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node from its two children."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n > 1): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) without copying slices; recursion depth is log2(n)."""
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[lo]
    k = _split(n)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of the whole list (RFC 9162 §2.1.1)."""
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1, leaf side first."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise ProofError(f"leaf index {index} is outside a tree of size {n}")
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_mth(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(leaf_hashes, lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()  # built from the root down; the RFC lists it from the leaf up
    return path


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``leaf_hash`` sit at ``index`` of the tree ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1.

    The RFC defines it for 0 < m < n; for m == 0 and m == n the proof is empty, as in
    the transparency-dev verifier (every tree extends the empty one and itself).
    """
    n = len(leaf_hashes)
    if not 0 <= old_size <= n:
        raise ProofError(f"old size {old_size} is outside 0..{n}")
    if old_size in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, m, whole = 0, n, old_size, True
    while m != hi - lo:  # SUBPROOF(m, D[lo:hi], whole)
        k = _split(hi - lo)
        if m <= k:
            proof.append(_mth(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_mth(leaf_hashes, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(_mth(leaf_hashes, lo, hi))
    proof.reverse()
    return proof


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree ``new_root`` an append-only extension of ``old_root``?"""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class MerkleLog:
    """An append-only tree that keeps only its frontier: one root per perfect subtree.

    The audit log appends an entry per action, so recomputing the tree from every leaf
    would cost O(n) each time. The frontier has one hash per set bit of ``size``
    (largest subtree first), so an append is amortised O(1) and the root O(log n),
    both in O(log n) memory. ``size`` and ``frontier`` are all the state there is: the
    store may keep them and rebuild the log with ``MerkleLog(size, frontier)``.
    """

    __slots__ = ("_size", "_frontier")

    def __init__(self, size: int = 0, frontier: Iterable[bytes] = ()) -> None:
        stack = [bytes(h) for h in frontier]
        if size < 0 or len(stack) != size.bit_count():
            raise ProofError("a frontier needs one hash per set bit of the size")
        if any(len(h) != HASH_SIZE for h in stack):
            raise ProofError("frontier hashes must be 32 bytes")
        self._size = size
        self._frontier = stack

    @classmethod
    def from_leaves(cls, leaf_hashes: Iterable[bytes]) -> MerkleLog:
        """Build a log by appending each leaf hash in order."""
        log = cls()
        for h in leaf_hashes:
            log.append(h)
        return log

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """Roots of the perfect subtrees, largest (leftmost) first."""
        return tuple(self._frontier)

    def append(self, leaf: bytes) -> int:
        """Add one leaf hash; returns its index. Merges equal-sized subtrees like a carry."""
        if len(leaf) != HASH_SIZE:
            raise ProofError("a leaf hash must be 32 bytes")
        index = self._size
        h = bytes(leaf)
        carries = index
        while carries & 1:  # each trailing 1 bit of the old size is a subtree to merge
            h = node_hash(self._frontier.pop(), h)
            carries >>= 1
        self._frontier.append(h)
        self._size = index + 1
        return index

    def root(self) -> bytes:
        """Root of the tree so far: the frontier folded from the right."""
        if not self._frontier:
            return EMPTY_ROOT
        r = self._frontier[-1]
        for h in reversed(self._frontier[:-1]):
            r = node_hash(h, r)
        return r

    def __repr__(self) -> str:
        return f"MerkleLog(size={self._size}, root={self.root().hex()})"
