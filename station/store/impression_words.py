"""The impression library's words index (FTS5 table ``impression_words``).

A search for "contains 财务" over 100,000 impressions cannot afford to read every unit
and seal name. So each impression is indexed as a bag of words: every character and
every pair of adjacent characters of its unit (tagged ``u``) and of its seal name
(tagged ``n``), hex-encoded so that the tokenizer keeps them whole, plus its state
(``s``). Any text contained in a name has all its pairs in that name's bag, so the
index yields a small superset of the matches — a single character by its own word —
and the store confirms each candidate with the exact comparison the search has always
made (:func:`contains`), so the index changes how fast a search is, never what it finds.

The index lives in the SQLCipher database (encrypted at rest like the names it comes
from); it holds no picture. Under the impression's id negated, its natural order is
newest first. Rows written by any other path than the repository are picked up at the
next search: ``meta`` remembers the highest id indexed.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Iterable

__all__ = ["CREATE", "WATERMARK", "document", "terms", "contains", "norm", "index_after", "catch_up", "reindex"]

CREATE = ("CREATE VIRTUAL TABLE impression_words USING fts5(words, content='', contentless_delete=1,"
          " detail=none, tokenize='ascii')")
WATERMARK = "impression_words"  # meta key: the highest impression id in the index
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_BATCH = 5000


def norm(text: str) -> str:
    """The searched text as the search has always compared it: NFC, outer blanks removed."""
    return unicodedata.normalize("NFC", text).strip()


def _words(tag: str, text: str) -> set[str]:
    """Every character and pair of the text, ASCII letters folded (LIKE folds ASCII only)."""
    t = text.translate(_FOLD)
    return {tag + c.encode("utf-8").hex() for c in t} | {tag + t[i:i + 2].encode("utf-8").hex()
                                                         for i in range(len(t) - 1)}


def document(unit: str, seal_name: str, state: str) -> str:
    """The indexed form of one impression (the names as stored, not normalised: a
    superset of what the exact comparison accepts)."""
    return " ".join(sorted(_words("u", unit) | _words("n", seal_name) | {"s" + state}))


def terms(column: str, text: str) -> list[str]:
    """Words every ``column`` ("unit" or "seal_name") containing ``text`` has: its one
    character, or the pairs that cover it (every other pair, and the last one)."""
    t = norm(text).translate(_FOLD)
    tag = "u" if column == "unit" else "n"
    if len(t) <= 1:
        return [tag + t.encode("utf-8").hex()] if t else []
    starts = sorted(set(range(0, len(t) - 1, 2)) | {len(t) - 2})
    return [tag + t[i:i + 2].encode("utf-8").hex() for i in starts]


def contains(column: str, text: str) -> tuple[str, str]:
    """The exact substring comparison (SQL condition, parameter), the fastest SQLite offers.

    Text without Latin letters (Chinese names, digits) has no case to fold: ``instr``
    needs no wildcards and is quicker than LIKE on CJK. Otherwise LIKE (ASCII case
    folded); its ESCAPE clause doubles the cost, so only a literal % or _ pays for it.
    """
    t = norm(text)
    if not any("a" <= c.lower() <= "z" for c in t):
        return f"instr({column}, ?) > 0", t
    if not any(c in t for c in "%_\\"):
        return f"{column} LIKE ?", f"%{t}%"
    escaped = t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{column} LIKE ? ESCAPE '\\'", f"%{escaped}%"


def _insert(store: Any, rows: Iterable[tuple[int, str, str, str]]) -> None:
    store.executemany("INSERT INTO impression_words (rowid, words) VALUES (?, ?)",
                      [(-int(i), document(u, n, s)) for i, u, n, s in rows])


def _set_watermark(store: Any, last: int) -> None:
    store.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  (WATERMARK, str(last)))


def index_after(store: Any, after: int) -> int:
    """Index every impression above id ``after`` (in the caller's transaction); how many."""
    count = 0
    while True:
        rows = store.all("SELECT id, unit, seal_name, state FROM impressions WHERE id > ? ORDER BY id LIMIT ?",
                         (after, _BATCH))
        if not rows:
            break
        _insert(store, rows)
        after, count = int(rows[-1][0]), count + len(rows)
        _set_watermark(store, after)
    if count > 1000:  # one merged index after a bulk build
        store.execute("INSERT INTO impression_words (impression_words) VALUES ('optimize')")
    return count


def catch_up(store: Any) -> int:
    """Index the impressions not indexed yet (just added, or written by another path);
    how many. Joins the caller's transaction, if any."""
    row = store.one("SELECT value FROM meta WHERE key = ?", (WATERMARK,))
    done = int(row[0]) if row else 0
    top = store.one("SELECT max(id) FROM impressions")[0]
    if top is None or int(top) <= done:
        return 0
    with store.transaction():
        return index_after(store, done)


def reindex(store: Any, impression_id: int) -> None:
    """Replace one impression's words after a change (in the caller's transaction)."""
    store.execute("DELETE FROM impression_words WHERE rowid = ?", (-int(impression_id),))
    _insert(store, store.all("SELECT id, unit, seal_name, state FROM impressions WHERE id = ?",
                             (int(impression_id),)))
