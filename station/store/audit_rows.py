"""The audit log's rows (``audit``), its daily counts, its frontier and the signed heads.

Only storage lives here: what an entry says, how leaves and roots are computed and how
the log is verified is :mod:`station.audit`. Filters read indexed columns that are
written beside each entry; statistics read ``audit_daily`` (one row per day, unit and
kind), so neither ever scans the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

from station.model import AuditRow, TreeHead
from station.store.db import Store

__all__ = ["AuditRows", "AuditFilter", "FRONTIER_KEY"]

FRONTIER_KEY = "audit_frontier"


@dataclass(frozen=True)
class AuditFilter:
    """What ``audit show`` narrows the log to; empty fields do not narrow."""

    start: str = ""  # ISO time or date, inclusive
    end: str = ""  # ISO time or date, inclusive (a date includes its whole day)
    action: str = ""
    actor: str = ""
    unit: str = ""
    outcome: str = ""
    after_seq: int = 0

    def where(self) -> tuple[str, list]:
        clauses, params = [], []
        if self.start:
            clauses.append("time >= ?")
            params.append(self.start)
        if self.end:
            clauses.append("time <= ?")
            params.append(self.end + ("T99" if len(self.end) <= 10 else ""))
        for column in ("action", "actor", "unit", "outcome"):
            value = getattr(self, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.after_seq:
            clauses.append("seq > ?")
            params.append(self.after_seq)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class AuditRows:
    """Log rows in sequence order, and tree heads in (size, time) order."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def leaves(self) -> list[tuple[int, bytes]]:
        """(seq, leaf hash) of every row: what rebuilding the tree needs."""
        return [(r[0], bytes(r[1])) for r in self.store.all("SELECT seq, leaf FROM audit ORDER BY seq")]

    def leaf_hashes(self, size: int) -> list[bytes]:
        """The first ``size`` leaf hashes (an older root or a consistency proof)."""
        return [bytes(r[0]) for r in self.store.all("SELECT leaf FROM audit ORDER BY seq LIMIT ?", (size,))]

    def root_after(self, size: int) -> bytes | None:
        """The root the ``size``-th row stored, if that row exists."""
        row = self.store.one("SELECT root FROM audit ORDER BY seq LIMIT 1 OFFSET ?", (size - 1,))
        return None if row is None else bytes(row[0])

    def root_of(self, seq: int) -> bytes | None:
        """The root stored with entry ``seq`` (one indexed lookup), if that row exists."""
        row = self.store.one("SELECT root FROM audit WHERE seq = ?", (seq,))
        return None if row is None else bytes(row[0])

    def last(self) -> tuple[int, bytes] | None:
        """(seq, root) of the newest row, or None for an empty log."""
        row = self.store.one("SELECT seq, root FROM audit ORDER BY seq DESC LIMIT 1")
        return None if row is None else (row[0], bytes(row[1]))

    def frontier(self) -> tuple[int, int, list[bytes]] | None:
        """(size, last seq, frontier hashes) as stored with the newest append, if any."""
        row = self.store.one("SELECT value FROM meta WHERE key = ?", (FRONTIER_KEY,))
        if row is None:
            return None
        try:
            data = json.loads(row[0])
            return int(data["size"]), int(data["seq"]), [bytes.fromhex(h) for h in data["frontier"]]
        except (ValueError, KeyError, TypeError):
            return None

    def put_frontier(self, size: int, seq: int, frontier: tuple[bytes, ...]) -> None:
        value = json.dumps({"size": size, "seq": seq, "frontier": [h.hex() for h in frontier]})
        self.store.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (FRONTIER_KEY, value))

    def add(self, row: AuditRow, columns: dict[str, str] | None = None, kinds: tuple[str, ...] = ()) -> None:
        """One row with its filter columns, and its place in the daily counts."""
        c = columns or {}
        self.store.execute(
            "INSERT INTO audit (seq, entry, leaf, root, time, action, actor, outcome, unit)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.seq, row.entry, row.leaf, row.root, c.get("time"), c.get("action"), c.get("actor"),
             c.get("outcome"), c.get("unit")))
        for kind in kinds:
            self.store.execute(
                "INSERT INTO audit_daily (day, unit, kind, n) VALUES (?, ?, ?, 1)"
                " ON CONFLICT (day, unit, kind) DO UPDATE SET n = n + 1",
                ((c.get("time") or "")[:10], c.get("unit") or "", kind))

    def add_many(self, rows: list[tuple], daily: dict[tuple[str, str, str], int]) -> None:
        """Many rows at once (seq, entry, leaf, root, time, action, actor, outcome, unit) and
        their daily counts: an import, or a benchmark's log of a million entries."""
        self.store.executemany(
            "INSERT INTO audit (seq, entry, leaf, root, time, action, actor, outcome, unit)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.store.executemany(
            "INSERT INTO audit_daily (day, unit, kind, n) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (day, unit, kind) DO UPDATE SET n = n + excluded.n",
            [(d, u, k, n) for (d, u, k), n in daily.items()])

    def unit_of(self, obj: str) -> str | None:
        """The unit a seal belongs to, when an entry's object is an esID."""
        row = self.store.one("SELECT unit FROM seals WHERE esid = ?", (obj,))
        return None if row is None else str(row[0])

    def texts(self) -> list[str]:
        """The entries' canonical JSON, in sequence order."""
        return [r[0] for r in self.store.all("SELECT entry FROM audit ORDER BY seq")]

    def rows(self) -> list[AuditRow]:
        return [AuditRow(r[0], r[1], bytes(r[2]), bytes(r[3]))
                for r in self.store.all("SELECT seq, entry, leaf, root FROM audit ORDER BY seq")]

    def entry_batches(self, size: int = 2048) -> Iterator[list[bytes]]:
        """The entries as UTF-8 bytes in sequence order, ``size`` at a time: all the fast
        verification pass reads of each row. The entry comes as a BLOB, never decoded and
        encoded again; the other columns stay on disk, unread and uncopied."""
        cursor = self.store.execute("SELECT CAST(entry AS BLOB) FROM audit ORDER BY seq")
        while batch := cursor.fetchmany(size):
            yield [r[0] for r in batch]

    def seq_range(self) -> tuple[int, int] | None:
        """(first, last) seq, or None for an empty log: two lookups in the table's key."""
        first = self.store.one("SELECT seq FROM audit ORDER BY seq LIMIT 1")
        last = self.store.one("SELECT seq FROM audit ORDER BY seq DESC LIMIT 1")
        return None if first is None or last is None else (int(first[0]), int(last[0]))

    def stream(self) -> Iterator[tuple[int, bytes, bytes, bytes]]:
        """(seq, entry as UTF-8 bytes, leaf, root) in sequence order, streamed: a million rows never sit
        in memory, and verification starts hashing at the first row."""
        return iter(self.store.execute("SELECT seq, CAST(entry AS BLOB), leaf, root FROM audit ORDER BY seq"))

    def select(self, where: AuditFilter, limit: int = 0) -> list[str]:
        """Entry texts that match, oldest first (``limit`` keeps the newest)."""
        clause, params = where.where()
        if limit:
            rows = self.store.all(f"SELECT entry FROM audit{clause} ORDER BY seq DESC LIMIT ?", (*params, limit))
            return [r[0] for r in reversed(rows)]
        return [r[0] for r in self.store.all(f"SELECT entry FROM audit{clause} ORDER BY seq", tuple(params))]

    def count(self, where: AuditFilter) -> int:
        clause, params = where.where()
        return int(self.store.one(f"SELECT count(*) FROM audit{clause}", tuple(params))[0])

    def daily(self, start: str = "", end: str = "") -> list[tuple[str, str, str, int]]:
        """(day, unit, kind, count) between two dates (inclusive)."""
        rows = self.store.all("SELECT day, unit, kind, n FROM audit_daily WHERE day >= ? AND day <= ?"
                              " ORDER BY day, unit, kind", (start[:10], (end or "9999")[:10]))
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    def last_seq_of(self, actor: str, action: str, before: int = 0) -> int:
        """The newest seq at which ``actor`` did ``action`` (before seq ``before``, if given)."""
        row = self.store.one("SELECT max(seq) FROM audit WHERE actor = ? AND action = ? AND outcome = 'ok'"
                             + (" AND seq < ?" if before else ""),
                             (actor, action, before) if before else (actor, action))
        return int(row[0] or 0)

    def last_time_of(self, actor: str, action: str) -> str | None:
        row = self.store.one("SELECT time FROM audit WHERE actor = ? AND action = ? AND outcome = 'ok'"
                             " ORDER BY time DESC LIMIT 1", (actor, action))
        return None if row is None else row[0]

    def add_head(self, head: TreeHead) -> None:
        self.store.execute(
            "INSERT INTO tree_heads (size, root, time, signer_cert_sha256, algorithm, signature)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (head.size, head.root, head.time, head.signer_cert_sha256, head.algorithm, head.signature))

    def heads(self) -> list[TreeHead]:
        rows = self.store.all("SELECT size, root, time, signer_cert_sha256, algorithm, signature"
                              " FROM tree_heads ORDER BY size, time")
        return [TreeHead(r[0], bytes(r[1]), r[2], r[3], r[4], bytes(r[5])) for r in rows]
