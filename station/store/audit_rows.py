"""The audit log's rows (``audit``) and the signed tree heads (``tree_heads``).

Only storage lives here: what an entry says, how leaves and roots are computed and how
the log is verified is :mod:`station.audit`.
"""

from __future__ import annotations

from station.model import AuditRow, TreeHead
from station.store.db import Store

__all__ = ["AuditRows"]


class AuditRows:
    """Log rows in sequence order, and tree heads in (size, time) order."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def leaves(self) -> list[tuple[int, bytes]]:
        """(seq, leaf hash) of every row: what rebuilding the tree needs."""
        return [(r[0], bytes(r[1])) for r in self.store.all("SELECT seq, leaf FROM audit ORDER BY seq")]

    def last(self) -> tuple[int, bytes] | None:
        """(seq, root) of the newest row, or None for an empty log."""
        row = self.store.one("SELECT seq, root FROM audit ORDER BY seq DESC LIMIT 1")
        return None if row is None else (row[0], bytes(row[1]))

    def add(self, row: AuditRow) -> None:
        self.store.execute("INSERT INTO audit (seq, entry, leaf, root) VALUES (?, ?, ?, ?)",
                           (row.seq, row.entry, row.leaf, row.root))

    def texts(self) -> list[str]:
        """The entries' canonical JSON, in sequence order."""
        return [r[0] for r in self.store.all("SELECT entry FROM audit ORDER BY seq")]

    def rows(self) -> list[AuditRow]:
        return [AuditRow(r[0], r[1], bytes(r[2]), bytes(r[3]))
                for r in self.store.all("SELECT seq, entry, leaf, root FROM audit ORDER BY seq")]

    def add_head(self, head: TreeHead) -> None:
        self.store.execute(
            "INSERT INTO tree_heads (size, root, time, signer_cert_sha256, algorithm, signature)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (head.size, head.root, head.time, head.signer_cert_sha256, head.algorithm, head.signature))

    def heads(self) -> list[TreeHead]:
        rows = self.store.all("SELECT size, root, time, signer_cert_sha256, algorithm, signature"
                              " FROM tree_heads ORDER BY size, time")
        return [TreeHead(r[0], bytes(r[1]), r[2], r[3], r[4], bytes(r[5])) for r in rows]
