"""The impression library (``impressions`` metadata, ``impression_blobs`` ciphertext).

Metadata and ciphertext live in separate tables so that a search never reads a page of
ciphertext. Substring search is built for 100,000 impressions: the words index
(:mod:`station.store.impression_words`: character pairs, state, import day) names the
newest candidates, and each is confirmed by the exact comparison on its row, so about
``limit`` rows are read whatever the library's size.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from station.model import Impression, ImpressionState
from station.store import impression_words
from station.store.db import Store
from station.store.impression_words import contains

__all__ = ["Impressions", "ImpressionQuery"]

_FIELDS = tuple(f.name for f in fields(Impression))
_MOST, _COMMON = 3, 500  # words a long text is searched by; impressions that make a word common
_COLUMNS = ", ".join(_FIELDS)


@dataclass(frozen=True)
class ImpressionQuery:
    """A library search: substrings of unit and name, a state, import-time bounds (stored text)."""

    unit: str | None = None
    name: str | None = None
    state: str | None = None
    since: str | None = None  # imported_at >= since
    until: str | None = None  # imported_at < until


def _where(conditions: list[tuple[str, object]], lead: str = " WHERE ") -> str:
    return lead + " AND ".join(c for c, _ in conditions) if conditions else ""


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

    def search(self, query: ImpressionQuery, limit: int) -> list[Impression]:
        """Newest first: the words index names the candidates, each row confirms its own."""
        impression_words.catch_up(self.store)
        rows: list[tuple[str, object]] = [(c, v) for c, v in (("i.state = ?", query.state),
                                                             ("i.imported_at >= ?", query.since),
                                                             ("i.imported_at < ?", query.until)) if v]
        match: list[str] = []
        for column, text in (("unit", query.unit), ("seal_name", query.name)):
            words = impression_words.text_words(text) if text else []
            if words:
                rows.append(contains(f"i.{column}", text))  # type: ignore[arg-type]
                match += self._rarest(words)
        if query.since or query.until:
            first = self.store.one("SELECT min(imported_at) FROM impressions")[0]
            last = self.store.one("SELECT max(imported_at) FROM impressions")[0]
            period = impression_words.period_query(query.since, query.until, first, last)
            match += [period] if period else []
        params = tuple(v for _, v in rows)
        if not match:
            sql = f"SELECT i.id FROM impressions i{_where(rows)} ORDER BY i.id DESC LIMIT ?"
            return self._by_ids([int(r[0]) for r in self.store.all(sql, (*params, limit))])
        if query.state:
            match.append(f"s{query.state}")
        sql = ("SELECT i.id FROM impression_words w CROSS JOIN impressions i ON i.id = -w.rowid"
               f" WHERE impression_words MATCH ?{_where(rows, ' AND ')} ORDER BY w.rowid LIMIT ?")
        return self._by_ids([int(r[0]) for r in self.store.all(sql, (" AND ".join(match), *params, limit))])

    def _rarest(self, words: list[str]) -> list[str]:
        """The few words of a long text that name the fewest impressions: an index walk
        costs about the same for each word it holds, rare or common, and a common pair
        ("有限", "公司") rules out few candidates."""
        if len(words) <= _MOST:
            return words
        counts = {w: self.store.one("SELECT count(*) FROM (SELECT 1 FROM impression_words"
                                    " WHERE impression_words MATCH ? LIMIT ?)", (w, _COMMON))[0] for w in words}
        return sorted(words, key=lambda w: counts[w])[:_MOST]

    def _by_ids(self, ids: list[int]) -> list[Impression]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.store.all(f"SELECT {_COLUMNS} FROM impressions WHERE id IN ({marks}) ORDER BY id DESC",
                              tuple(ids))
        return [Impression(*r) for r in rows]

    def add(self, imp: Impression) -> int:
        """Store an impression's metadata (its ``id`` is ignored) and index its words;
        returns the id it got.

        The picture follows with :meth:`add_picture`: it is encrypted under that id.
        """
        names = [n for n in _FIELDS if n != "id"]
        cur = self.store.execute(
            f"INSERT INTO impressions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            tuple(getattr(imp, n) for n in names))
        impression_words.catch_up(self.store)
        return int(cur.lastrowid)

    def add_picture(self, impression_id: int, wrapped: bytes, blob: bytes) -> None:
        self.store.execute("INSERT INTO impression_blobs (impression_id, wrapped_key, blob) VALUES (?, ?, ?)",
                           (int(impression_id), wrapped, blob))

    def set_state(self, imp: Impression, state: ImpressionState, reason: str | None, when: str, by: str) -> bool:
        """Change the state the caller read; False if another session changed it meanwhile."""
        cur = self.store.execute(
            "UPDATE impressions SET state = ?, changed_at = ?, changed_by = ?, reason = ? WHERE id = ? AND state = ?",
            (state.value, when, by, reason, imp.id, imp.state))
        if cur.rowcount != 1:
            return False
        impression_words.reindex(self.store, imp.id)  # the state is one of its words
        return True

    def shred_picture(self, impression_id: int) -> None:
        """Overwrite the data key and ciphertext in place, then drop them (crypto-shredding)."""
        self.store.execute("UPDATE impression_blobs SET wrapped_key = zeroblob(length(wrapped_key)),"
                           " blob = zeroblob(length(blob)) WHERE impression_id = ?", (int(impression_id),))
        self.store.execute("UPDATE impression_blobs SET wrapped_key = NULL, blob = NULL"
                           " WHERE impression_id = ?", (int(impression_id),))
