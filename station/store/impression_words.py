"""The impression library's words index (FTS5 table ``impression_words``).

A search for "contains 财务" over 100,000 impressions cannot afford to read every unit
and seal name. So each impression is indexed as a bag of words: every character and
every pair of adjacent characters of its unit and seal name (hex-encoded, so the
tokenizer keeps them whole), its state, and the year, month and day it was imported.
A text contained in a name has all its characters and pairs in that bag; an import
time in a period has one of the period's years, months or days. So the index yields a small superset of the matches, newest first, and the store
confirms each candidate with the exact comparison the search has always made
(:func:`contains`): the index changes how fast a search is, never what it finds.

The index lives in the SQLCipher database (encrypted at rest like the names it comes
from) and holds no picture. Rows written by any other path than the repository are
picked up at the next search: ``meta`` remembers the highest impression id indexed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any, Iterable

__all__ = ["CREATE", "WATERMARK", "document", "text_words", "period_query", "contains", "norm", "index_after",
           "catch_up", "reindex"]

CREATE = ("CREATE VIRTUAL TABLE impression_words USING fts5(words, content='', contentless_delete=1,"
          " detail=none, tokenize='ascii')")
WATERMARK = "impression_words"  # meta key: the highest impression id in the index
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_DAY = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_UNDATED = "dateother"  # an import time that is not a calendar day: in every period
_BATCH = 5000


def norm(text: str) -> str:
    """The searched text as the search has always compared it: NFC, outer blanks removed."""
    return unicodedata.normalize("NFC", text).strip()


def _hex(text: str) -> str:
    return text.encode("utf-8").hex()


def _pairs(text: str) -> set[str]:
    """The characters and pairs of a name, ASCII letters folded (LIKE folds ASCII only)."""
    t = text.translate(_FOLD)
    return {_hex(c) for c in t} | {_hex(t[i:i + 2]) for i in range(len(t) - 1)}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if _DAY.match(text[:10]) else None
    except ValueError:  # 2026-02-30
        return None


def _dated(imported_at: str) -> list[str]:
    day = _day(imported_at)
    if day is None:
        return [_UNDATED]
    return [f"y{day:%Y}", f"m{day:%Y%m}", f"d{day:%Y%m%d}"]


def document(unit: str, seal_name: str, state: str, imported_at: str) -> str:
    """The indexed form of one impression (the names as stored, not normalised: a
    superset of what the exact comparison accepts)."""
    return " ".join(sorted(_pairs(unit) | _pairs(seal_name) | {"s" + state, *_dated(imported_at)}))


def text_words(text: str) -> list[str]:
    """Words every unit or seal name containing ``text`` has: its one character, or the
    pairs that cover it (every other one, and the last)."""
    t = norm(text).translate(_FOLD)
    if len(t) <= 1:
        return [_hex(t)] if t else []
    return [_hex(t[i:i + 2]) for i in sorted(set(range(0, len(t) - 1, 2)) | {len(t) - 2})]


def period_query(since: str | None, until: str | None, first: str | None, last: str | None) -> str | None:
    """An FTS5 query every import time in [since, until) matches: the whole years, months
    and days between, within the library's own first and last import; None when the
    bounds are not calendar days (the dates are then checked on each row only)."""
    low, high = (since or first or ""), (until or last or "")
    start, end = _day(low), _day(high)
    if start is None or end is None:
        return None
    start = max(start, _day(first or "") or start)
    end = min(end, _day(last or "") or end)
    try:
        return "(" + " OR ".join([_UNDATED, *_calendar(start, end)]) + ")"
    except ValueError:  # beyond year 9999
        return None


def _calendar(start: date, end: date) -> Iterable[str]:
    """The fewest whole years, months and days that make up [start, end]."""
    day = start
    while day <= end:
        if day.month == 1 and day.day == 1 and date(day.year, 12, 31) <= end:
            yield f"y{day:%Y}"
            day = date(day.year + 1, 1, 1)
            continue
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        if day.day == 1 and following - timedelta(days=1) <= end:
            yield f"m{day:%Y%m}"
            day = following
            continue
        yield f"d{day:%Y%m%d}"
        day += timedelta(days=1)


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


def _insert(store: Any, rows: Iterable[tuple[int, str, str, str, str]]) -> None:
    store.executemany("INSERT INTO impression_words (rowid, words) VALUES (?, ?)",
                      [(-int(i), document(u, n, s, t)) for i, u, n, s, t in rows])


def _set_watermark(store: Any, last: int) -> None:
    store.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  (WATERMARK, str(last)))


def index_after(store: Any, after: int) -> int:
    """Index every impression above id ``after`` (in the caller's transaction); how many."""
    count = 0
    while True:
        rows = store.all("SELECT id, unit, seal_name, state, imported_at FROM impressions WHERE id > ? ORDER BY id LIMIT ?",
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
    _insert(store, store.all("SELECT id, unit, seal_name, state, imported_at FROM impressions WHERE id = ?",
                             (int(impression_id),)))
