"""The impression library (``impressions`` metadata, ``impression_blobs`` ciphertext).

Metadata and ciphertext live in separate tables so that a search never reads a page of
ciphertext. Substring search is built for 100,000 impressions: a broad search is
answered from the newest rows alone; a rare one scans only the covering index
``impressions_search`` and fetches at most ``limit`` rows by id.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields

from station.model import Impression, ImpressionState
from station.store.db import Store

__all__ = ["Impressions", "ImpressionQuery"]

_FIELDS = tuple(f.name for f in fields(Impression))
_COLUMNS = ", ".join(_FIELDS)


@dataclass(frozen=True)
class ImpressionQuery:
    """A library search: substrings of unit and name, a state, import-time bounds (stored text)."""

    unit: str | None = None
    name: str | None = None
    state: str | None = None
    since: str | None = None  # imported_at >= since
    until: str | None = None  # imported_at < until


def _contains(column: str, text: str) -> tuple[str, str]:
    """A substring match, the fastest way SQLite offers for the text at hand.

    Text without Latin letters (Chinese names, digits) has no case to fold: ``instr``
    needs no wildcards and is quicker than LIKE on CJK. Otherwise LIKE (ASCII case
    folded); its ESCAPE clause doubles the cost, so only a literal % or _ pays for it.
    """
    norm = unicodedata.normalize("NFC", text).strip()
    if not any("a" <= c.lower() <= "z" for c in norm):
        return f"instr({column}, ?) > 0", norm
    if not any(c in norm for c in "%_\\"):
        return f"{column} LIKE ?", f"%{norm}%"
    escaped = norm.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{column} LIKE ? ESCAPE '\\'", f"%{escaped}%"


class Impressions:
    """Impressions and their encrypted pictures."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, impression_id: int) -> Impression | None:
        row = self.store.one(f"SELECT {_COLUMNS} FROM impressions WHERE id = ?", (int(impression_id),))
        return Impression(*row) if row else None

    def active_for(self, unit: str, seal_name: str) -> Impression | None:
        row = self.store.one(f"SELECT {_COLUMNS} FROM impressions WHERE unit = ? AND seal_name = ?"
                             " AND state = 'active'", (unit, seal_name))
        return Impression(*row) if row else None

    def picture(self, impression_id: int) -> tuple[bytes | None, bytes | None]:
        """(wrapped data key, ciphertext); (None, None) once destroyed."""
        row = self.store.one("SELECT wrapped_key, blob FROM impression_blobs WHERE impression_id = ?",
                             (int(impression_id),))
        if row is None:
            return None, None
        return (None if row[0] is None else bytes(row[0])), (None if row[1] is None else bytes(row[1]))

    def search(self, query: ImpressionQuery, limit: int, window: int) -> list[Impression]:
        """Newest first; ``window`` is how many newest rows a substring search tries first."""
        where: list[str] = []  # cheap comparisons first: SQLite tests the terms in this order
        params: list[object] = []
        for condition, value in (("state = ?", query.state), ("imported_at >= ?", query.since),
                                 ("imported_at < ?", query.until)):
            if value:
                where.append(condition)
                params.append(value)
        text_filter = False
        for column, text in (("unit", query.unit), ("seal_name", query.name)):
            if text and text.strip():
                condition, pattern = _contains(column, text)
                where.append(condition)
                params.append(pattern)
                text_filter = True
        clause = " AND ".join(where)
        if not text_filter:
            sql = f"SELECT {_COLUMNS} FROM impressions {'WHERE ' + clause if clause else ''} ORDER BY id DESC LIMIT ?"
            return [Impression(*r) for r in self.store.all(sql, (*params, limit))]
        return self._by_ids(self._text_search(clause, params, limit, window))

    def _text_search(self, clause: str, params: list[object], limit: int, window: int) -> list[int]:
        """Ids of the newest ``limit`` matches of a substring search.

        A broad search ("科技") matches thousands: if the newest ``window`` impressions
        hold ``limit`` matches, those are the newest matches overall. Otherwise (a rare
        name, or old rows) the covering index is scanned.
        """
        probe = self.store.all(f"SELECT id FROM (SELECT id, unit, seal_name, state, imported_at FROM impressions"
                               f" ORDER BY id DESC LIMIT ?) WHERE {clause} ORDER BY id DESC LIMIT ?",
                               (window, *params, limit))
        whole = self.store.one("SELECT id FROM impressions ORDER BY id DESC LIMIT 1 OFFSET ?", (window,)) is None
        if len(probe) == limit or whole:
            return [r[0] for r in probe]
        rows = self.store.all(f"SELECT id FROM impressions INDEXED BY impressions_search WHERE {clause}"
                              " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [r[0] for r in rows]

    def _by_ids(self, ids: list[int]) -> list[Impression]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.store.all(f"SELECT {_COLUMNS} FROM impressions WHERE id IN ({marks}) ORDER BY id DESC",
                              tuple(ids))
        return [Impression(*r) for r in rows]

    def add(self, imp: Impression) -> int:
        """Store an impression's metadata (its ``id`` is ignored); returns the id it got.

        The picture follows with :meth:`add_picture`: it is encrypted under that id.
        """
        names = [n for n in _FIELDS if n != "id"]
        cur = self.store.execute(
            f"INSERT INTO impressions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            tuple(getattr(imp, n) for n in names))
        return int(cur.lastrowid)

    def add_picture(self, impression_id: int, wrapped: bytes, blob: bytes) -> None:
        self.store.execute("INSERT INTO impression_blobs (impression_id, wrapped_key, blob) VALUES (?, ?, ?)",
                           (int(impression_id), wrapped, blob))

    def set_state(self, imp: Impression, state: ImpressionState, reason: str | None, when: str, by: str) -> bool:
        """Change the state the caller read; False if another session changed it meanwhile."""
        cur = self.store.execute(
            "UPDATE impressions SET state = ?, changed_at = ?, changed_by = ?, reason = ? WHERE id = ? AND state = ?",
            (state.value, when, by, reason, imp.id, imp.state))
        return cur.rowcount == 1

    def shred_picture(self, impression_id: int) -> None:
        """Overwrite the data key and ciphertext in place, then drop them (crypto-shredding)."""
        self.store.execute("UPDATE impression_blobs SET wrapped_key = zeroblob(length(wrapped_key)),"
                           " blob = zeroblob(length(blob)) WHERE impression_id = ?", (int(impression_id),))
        self.store.execute("UPDATE impression_blobs SET wrapped_key = NULL, blob = NULL"
                           " WHERE impression_id = ?", (int(impression_id),))
