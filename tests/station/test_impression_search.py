"""Impression search through the words index finds exactly what a plain scan finds.

The words index only makes a search fast: for any names, states, import times, edits
and query (one character, a pair, long text, Latin letters in any case, wildcards,
blanks, composed and decomposed accents, nothing that matches), the library answers
with the same impressions, in the same order, as a scan of every row with the exact
comparison. The index is kept by the repository on add and on every change of state,
catches up with rows written by another path, and is built for an existing library.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.model import Application, ApplicationState, Impression, ImpressionState
from station.store import impression_words
from station.store.applications import Applications
from station.store.db import Store
from station.store.impressions import ImpressionQuery, Impressions
from station.store.migrations import MIGRATIONS

KEY = os.urandom(32)
LETTERS = list("示范科技有限公司财务合同章第号0123aAbBzZ%_\\ .é") + ["e\u0301", "\u212a", "İ", "\U0001f600"]
DAYS = ["2024-12-31", "2025-01-01", "2025-06-15", "2026-01-11", "2026-01-12", "2026-02-13", "2026-02-28"]
TIMES = st.one_of(st.tuples(st.sampled_from(DAYS), st.sampled_from(["T08:00:00.000Z", "T23:59:59.999Z", ""])).map(
    "".join), st.sampled_from(["2026-02-30T08:00:00.000Z", "later", ""]))  # not a calendar day: still found
BOUNDS = st.sampled_from([None, *DAYS, "2026-01-12T08:00:00.000Z", "2026-02-30", "2025", "zz", "2023-01-01",
                          "2028-01-01", "9999-12-31"])
STATES = [s.value for s in ImpressionState]

names = st.lists(st.sampled_from(LETTERS), min_size=1, max_size=9).map("".join)
texts = st.one_of(st.none(), names, st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                                            max_size=4),
                  st.lists(st.sampled_from(LETTERS), min_size=1, max_size=2).map(lambda c: f" {''.join(c)}\t"))


def _library(path: Path) -> Store:
    s = Store.open(path, KEY, create=True)
    Applications(s).add(Application(
        id=0, seal_kind="official", unit="单位", credit_code=None, seal_name="单位", purpose="", holder_name=None,
        holder_id_type=None, holder_id=None, state=ApplicationState.SUBMITTED.value, impression_id=None,
        entered_by="aa" * 32, entered_by_name="Officer", submitted_at="2026-01-01T00:00:00Z", width_mm=42,
        height_mm=42, original_sha256="11" * 32, png_sha256="22" * 32, width_px=320, height_px=320,
        source_format="png"))
    return s


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = _library(tmp_path / "station.db")
    yield s
    s.close()


def _impression(unit: str, name: str, when: str, state: str = "disabled") -> Impression:
    return Impression(id=0, unit=unit, seal_name=name, seal_kind="official", state=state, width_mm=42,
                      height_mm=42, original_sha256="11" * 32, png_sha256="22" * 32, imported_at=when,
                      application_id=1, imported_by="aa" * 32)


def _scan(store: Store, q: ImpressionQuery, limit: int) -> list[int]:
    """The plain scan: every row, the exact comparison, newest first."""
    where, params = ["1"], []
    for condition, value in (("state = ?", q.state), ("imported_at >= ?", q.since), ("imported_at < ?", q.until)):
        if value:
            where.append(condition)
            params.append(value)
    for column, text in (("unit", q.unit), ("seal_name", q.name)):
        if text and text.strip():
            condition, pattern = impression_words.contains(column, text)
            where.append(condition)
            params.append(pattern)
    rows = store.all(f"SELECT id FROM impressions NOT INDEXED WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
                     (*params, limit))
    return [r[0] for r in rows]


def _folded(text: str) -> str:
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


def _expected(rows: dict[int, tuple[str, str, str, str]], q: ImpressionQuery, limit: int) -> list[int]:
    """What a search promises, in words: NFC text, outer blanks ignored, ASCII letters in any case."""
    def has(value: str, text: str | None) -> bool:
        return not (text and text.strip()) or _folded(unicodedata.normalize("NFC", text).strip()) in _folded(value)

    found = [i for i, (unit, name, state, when) in sorted(rows.items(), reverse=True)
             if has(unit, q.unit) and has(name, q.name) and (not q.state or state == q.state)
             and (not q.since or when >= q.since) and (not q.until or when < q.until)]
    return found[:limit]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(library=st.lists(st.tuples(names, names, TIMES, st.sampled_from([None, *STATES]), st.booleans()),
                        min_size=1, max_size=25),
       queries=st.lists(st.tuples(texts, texts, st.sampled_from([None, *STATES]), BOUNDS, BOUNDS, st.integers(1, 6),
                                  st.integers(1, 8), st.integers(0, 50)), min_size=1, max_size=12))
def test_indexed_search_finds_what_a_plain_scan_finds(store: Store, library, queries) -> None:
    repo = Impressions(store)
    rows: dict[int, tuple[str, str, str, str]] = {}
    with pytest.raises(KeyboardInterrupt), store.transaction():  # each example leaves the store as it was
        for unit, name, when, change, raw in library:
            if raw:  # written by another path: indexed at the next search
                new = store.execute("INSERT INTO impressions (application_id, unit, seal_name, seal_kind, state,"
                                    " width_mm, height_mm, width_px, height_px, original_sha256, png_sha256,"
                                    " source_format, imported_at, imported_by) VALUES (1, ?, ?, 'official',"
                                    " 'disabled', 42, 42, 1, 1, 'x', 'x', 'png', ?, 'x')", (unit, name, when)).lastrowid
            else:
                new = repo.add(_impression(unit, name, when))
            rows[new] = (unit, name, "disabled", when)
        active = set()
        for (unit, name, _, change, raw), new in zip(library, list(rows)):
            if change and change != "disabled" and not raw and (unit, name) not in active:
                active |= {(unit, name)} if change == "active" else set()
                assert repo.set_state(repo.get(new), ImpressionState(change), None, "now", "bb" * 32)
                rows[new] = (unit, name, change, rows[new][3])
        for unit, name, state, since, until, use, limit, window in queries:
            if use <= 2 and library:  # a piece of a stored name: the search must find it
                source = library[window % len(library)][use - 1]
                piece = source[window % len(source):][:use + window % 5]
                unit, name = (piece, name) if use == 1 else (unit, piece)
            q = ImpressionQuery(unit=unit, name=name, state=state, since=since, until=until)
            found = [i.id for i in repo.search(q, limit)]
            assert found == _scan(store, q, limit) == _expected(rows, q, limit), q
        raise KeyboardInterrupt  # roll back


def test_the_index_follows_state_changes_and_is_built_for_an_existing_library(tmp_path: Path) -> None:
    store = _library(tmp_path / "station.db")
    repo = Impressions(store)
    first = repo.add(_impression("华东示范科技有限公司", "华东示范科技有限公司财务专用章", "2026-01-02T00:00:00.000Z"))
    second = repo.add(_impression("华东示范科技有限公司", "华东示范科技有限公司合同专用章", "2026-01-03T00:00:00.000Z",
                                      "active"))
    assert repo.set_state(repo.get(first), ImpressionState.DESTROYED, "lost", "now", "bb" * 32)
    assert [i.id for i in repo.search(ImpressionQuery(name="财务", state="destroyed"), 10)] == [first]
    assert repo.search(ImpressionQuery(name="财务", state="active"), 10) == []
    assert [i.id for i in repo.search(ImpressionQuery(unit="华", state="active"), 10)] == [second]
    # a library from before the index: opening the store indexes every impression
    with store.transaction():
        store.execute("DROP TABLE impression_words")
        store.execute("DELETE FROM meta WHERE key = ?", (impression_words.WATERMARK,))
        store.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    store.close()
    store = Store.open(tmp_path / "station.db", KEY)
    try:
        assert store.one("SELECT value FROM meta WHERE key = ?", (impression_words.WATERMARK,))[0] == str(second)
        repo = Impressions(store)
        assert [i.id for i in repo.search(ImpressionQuery(unit="东示"), 10)] == [second, first]
        assert [i.id for i in repo.search(ImpressionQuery(name="章", state="destroyed"), 10)] == [first]
    finally:
        store.close()
