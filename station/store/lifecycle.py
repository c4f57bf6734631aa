"""The seal registry, its state events and renewal links (tables ``registry``,
``registry_words``, ``seal_events``, ``renewals``).

The registry is a narrow projection of ``seals`` — everything a line of the registry
shows, and the state with its reason — so listing and searching never read a seal's DER
and picture. Its words index (FTS5) holds each unit and seal name as overlapping pairs
of characters (hex-encoded, so the tokenizer keeps them whole), under the line's id
negated so that the index's natural order is newest first: a substring of any length
is a phrase of consecutive pairs, or a prefix of one pair for a single character, which
makes "contains" searches answer from the index instead of scanning 100,000 names. The
seal's state is written to both tables in one place (:meth:`SealRegistry.set_state`); a
seal recorded by any other path gets its line at the next search.
"""

from __future__ import annotations

import json
import unicodedata
import weakref
from typing import Any, Sequence

from station.model import RegistrySeal, SealEvent
from station.store.db import Store

__all__ = ["SealRegistry", "SealEvents", "Renewals", "MAX_LINES", "enrolled_rows", "words"]

MAX_LINES = 500
_LINE = ("r.esid, r.unit, r.name, r.seal_kind, r.card_serial, r.state, r.made_at, r.valid_end, r.recipient,"
         " r.renews, r.renewed_by, r.state_reason, r.state_at, r.functions, r.application_id, r.id")
_FROM_SEALS = ("INSERT INTO registry (esid, unit, name, seal_kind, card_serial, state, made_at, valid_end,"
               " recipient, state_reason, state_at, functions, application_id)"
               " SELECT s.esid, s.unit, s.name, s.seal_kind, s.card_serial, s.state, s.made_at, s.valid_end,"
               " COALESCE((SELECT i.recipient FROM issuances i WHERE i.esid = s.esid ORDER BY i.id LIMIT 1), ''),"
               " NULL, NULL, s.functions, s.application_id FROM seals s")
_CURRENT: "weakref.WeakKeyDictionary[Store, int]" = weakref.WeakKeyDictionary()


def _line(row: Sequence[Any]) -> RegistrySeal:
    return RegistrySeal(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                        row[11], row[12], tuple(f for f in (row[13] or "").split(",") if f), int(row[14]))


def _prefix(text: str) -> tuple[str, str]:
    """A range that holds exactly the strings starting with ``text`` (BINARY collation)."""
    return text, text + "\U0010ffff"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _norm(text: str) -> str:
    return _nfc(text).lower()


def _hex(text: str) -> str:
    return text.encode("utf-8").hex()


def words(text: str) -> str:
    """The indexed form of a unit or seal name: its character pairs, then its last character."""
    t = _norm(text)
    return " ".join([_hex(t[i:i + 2]) for i in range(len(t) - 1)] + ([_hex(t[-1])] if t else []))


def _phrase(text: str, column: str | None) -> str | None:
    """An FTS5 query that matches the rows whose column contains ``text``."""
    t = _norm(text)
    if not t:
        return None
    query = f'"{_hex(t)}" *' if len(t) == 1 else '"' + " ".join(_hex(t[i:i + 2]) for i in range(len(t) - 1)) + '"'
    return f"{column} : {query}" if column else query


class SealRegistry:
    """Seals made here, as the registry shows them, and their current state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- keeping the projection whole ------------------------------------------------------------
    def add(self, esid: str) -> None:
        """The registry line of a seal just recorded (in the ceremony's transaction)."""
        self.store.execute(_FROM_SEALS + " WHERE s.esid = ?", (esid,))
        self._index("esid = ?", (esid,))

    def _index(self, where: str, params: tuple) -> None:
        rows = self.store.all(f"SELECT id, unit, name FROM registry WHERE indexed = 0 AND {where}", params)
        self.store.executemany("INSERT INTO registry_words (rowid, unit, name) VALUES (?, ?, ?)",
                               [(-rid, words(unit), words(name)) for rid, unit, name in rows])
        self.store.execute(f"UPDATE registry SET indexed = 1 WHERE indexed = 0 AND {where}", params)
        if len(rows) > 1000:  # one merged index after a bulk catch-up
            self.store.execute("INSERT INTO registry_words (registry_words) VALUES ('optimize')")

    def catch_up(self) -> int:
        """Lines for seals recorded without one (another path, an older station); how many."""
        seals = int(self.store.one("SELECT count(*) FROM seals")[0])
        if _CURRENT.get(self.store) == seals:
            return 0
        lines = int(self.store.one("SELECT count(*) FROM registry")[0])
        added = 0
        if lines != seals or self.store.one("SELECT id FROM registry WHERE indexed = 0 LIMIT 1"):
            with self.store.transaction():
                added = self.store.execute(_FROM_SEALS + " WHERE NOT EXISTS (SELECT 1 FROM registry r"
                                           " WHERE r.esid = s.esid) ORDER BY s.rowid").rowcount
                self._index("1", ())
        _CURRENT[self.store] = seals
        return max(added, 0)

    # -- reading ------------------------------------------------------------------------------
    def search(self, *, text: str = "", unit: str = "", name: str = "", esid: str = "", card: str = "",
               state: str = "", limit: int = 200) -> list[RegistrySeal]:
        """Newest first. ``text`` is found in the unit or the seal name, or starts the esID or
        the card serial; ``unit`` and ``name`` are contained; ``esid`` and ``card`` are prefixes."""
        self.catch_up()
        limit = max(1, min(int(limit), MAX_LINES))
        where: list[str] = []
        params: list[Any] = []
        if state:
            where.append("r.state = ?")
            params.append(state)
        for column, value in (("card_serial", card), ("esid", esid)):
            if value:
                where.append(f"r.{column} >= ? AND r.{column} < ?")
                params += _prefix(value)
        if state and state != "active":  # few seals leave "active": their state index drives
            return self._in_state(where, params, text, unit, name, limit)
        match = [q for q in (_phrase(unit, "unit"), _phrase(name, "name")) if q]
        if not text.strip():
            return [_line(r) for r in self._query(match, where, params, limit)]
        found = {}
        for row in self._query(match + [q for q in [_phrase(text, None)] if q], where, params, limit):
            found[row[15]] = row
        for column in (("esid", "card_serial") if text.strip().isascii() else ()):  # both are ASCII
            for row in self._query(match, where + [f"r.{column} >= ? AND r.{column} < ?"],
                                   params + list(_prefix(text.strip())), limit):
                found[row[15]] = row
        return [_line(found[k]) for k in sorted(found, reverse=True)[:limit]]

    def _in_state(self, where: list[str], params: list[Any], text: str, unit: str, name: str,
                  limit: int) -> list[RegistrySeal]:
        """A search within a rare state: the text is matched on the state's rows themselves
        (exact characters: SQLite's lower() costs thirty times the match on CJK text)."""
        where, params = list(where), list(params)
        for column, value in (("unit", unit), ("name", name)):
            if _nfc(value):
                where.append(f"instr(r.{column}, ?) > 0")
                params.append(_nfc(value))
        if _nfc(text):
            t = _nfc(text)
            where.append("(instr(r.unit, ?) > 0 OR instr(r.name, ?) > 0"
                         " OR substr(r.esid, 1, ?) = ? OR substr(r.card_serial, 1, ?) = ?)")
            params += [t, t, len(t), t, len(t), t]
        sql = (f"SELECT {_LINE} FROM registry r INDEXED BY registry_state WHERE {' AND '.join(where)}"
               " ORDER BY r.id DESC LIMIT ?")
        return [_line(r) for r in self.store.all(sql, (*params, limit))]

    def _query(self, match: list[str], where: list[str], params: list[Any], limit: int) -> list[Any]:
        clause = " AND ".join(where)
        if match:
            sql = (f"SELECT {_LINE} FROM registry_words w CROSS JOIN registry r ON r.id = -w.rowid"
                   f" WHERE registry_words MATCH ?{' AND ' + clause if clause else ''} ORDER BY w.rowid LIMIT ?")
            return self.store.all(sql, (" AND ".join(f"({m})" for m in match), *params, limit))
        sql = f"SELECT {_LINE} FROM registry r{' WHERE ' + clause if clause else ''} ORDER BY r.id DESC LIMIT ?"
        return self.store.all(sql, (*params, limit))

    def get(self, esid: str) -> RegistrySeal | None:
        self.catch_up()
        row = self.store.one(f"SELECT {_LINE} FROM registry r WHERE r.esid = ?", (esid,))
        return _line(row) if row else None

    def by_card(self, serial: str) -> list[RegistrySeal]:
        self.catch_up()
        return [_line(r) for r in self.store.all(f"SELECT {_LINE} FROM registry r WHERE r.card_serial = ?"
                                                 " ORDER BY r.id DESC", (serial,))]

    def active_named(self, unit: str, name: str) -> list[str]:
        """esIDs of the active seals of one unit and seal name."""
        self.catch_up()
        rows = self.store.all("SELECT esid FROM registry WHERE unit = ? AND name = ? AND state = 'active'",
                              (unit, name))
        return [r[0] for r in rows]

    def not_active(self) -> list[tuple[str, str, str, str]]:
        """(esid, state, reason, time) of every seal that is not active, for the status list."""
        self.catch_up()
        rows = self.store.all("SELECT esid, state, COALESCE(state_reason, ''), COALESCE(state_at, made_at)"
                              " FROM registry WHERE state IN ('frozen', 'lost', 'revoked') ORDER BY esid")
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # -- changing -----------------------------------------------------------------------------
    def set_state(self, esid: str, state: str, reason: str | None, at: str) -> None:
        self.store.execute("UPDATE seals SET state = ? WHERE esid = ?", (state, esid))
        self.store.execute("UPDATE registry SET state = ?, state_reason = ?, state_at = ? WHERE esid = ?",
                           (state, reason, at, esid))

    def link(self, old: str, new: str) -> None:
        """``new`` renews ``old``: both directions, in the caller's transaction."""
        self.store.execute("UPDATE registry SET renewed_by = ? WHERE esid = ?", (new, old))
        self.store.execute("UPDATE registry SET renews = ? WHERE esid = ?", (old, new))


_EVENT = ("SELECT id, esid, action, from_state, to_state, reason_code, reason, time, actor_cert_sha256,"
          " actor_name, supervisors, receipt FROM seal_events")


def _event(r: Sequence[Any]) -> SealEvent:
    return SealEvent(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                     tuple(json.loads(r[10] or "[]")), r[11])


class SealEvents:
    """The history of each seal's state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, esid: str, action: str, from_state: str, to_state: str, reason_code: str, reason: str,
            time: str, actor_cert_sha256: str, actor_name: str, supervisors: Sequence[dict] = ()) -> int:
        cur = self.store.execute(
            "INSERT INTO seal_events (esid, action, from_state, to_state, reason_code, reason, time,"
            " actor_cert_sha256, actor_name, supervisors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (esid, action, from_state, to_state, reason_code, reason, time, actor_cert_sha256, actor_name,
             json.dumps(list(supervisors))))
        return int(cur.lastrowid)

    def set_receipt(self, event_id: int, text: str) -> None:
        self.store.execute("UPDATE seal_events SET receipt = ? WHERE id = ?", (text, event_id))

    def of(self, esid: str) -> list[SealEvent]:
        return [_event(r) for r in self.store.all(_EVENT + " WHERE esid = ? ORDER BY id", (esid,))]

    def get(self, event_id: int) -> SealEvent | None:
        row = self.store.one(_EVENT + " WHERE id = ?", (int(event_id),))
        return _event(row) if row else None

    def unsigned(self, actor_cert_sha256: str) -> list[int]:
        """This officer's events whose receipt the card could not sign yet."""
        return [int(r[0]) for r in self.store.all("SELECT id FROM seal_events WHERE receipt IS NULL"
                                                  " AND actor_cert_sha256 = ? ORDER BY id", (actor_cert_sha256,))]


class Renewals:
    """A renewal is an application made from the old seal's; it names the seal it renews."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def pending(self, old_esid: str) -> int | None:
        """The renewal application of ``old_esid`` not made yet, if one was started."""
        row = self.store.one("SELECT application_id FROM renewals WHERE old_esid = ? AND new_esid IS NULL",
                             (old_esid,))
        return int(row[0]) if row else None

    def renews(self, application_id: int) -> str | None:
        row = self.store.one("SELECT old_esid FROM renewals WHERE application_id = ?", (application_id,))
        return None if row is None else str(row[0])

    def start(self, old_esid: str, impression_id: int, officer: tuple[str, str], at: str) -> int:
        """A copy of the old seal's application, approved, on the active impression of its name."""
        cur = self.store.execute(
            "INSERT INTO applications (seal_kind, unit, credit_code, seal_name, purpose, holder_name,"
            " holder_id_type, holder_id, state, impression_id, entered_by, entered_by_name, submitted_at,"
            " decided_by, decided_by_name, decided_at, reason, width_mm, height_mm, width_px, height_px,"
            " original_sha256, png_sha256, source_format)"
            " SELECT a.seal_kind, a.unit, a.credit_code, a.seal_name, a.purpose, a.holder_name,"
            " a.holder_id_type, a.holder_id, 'approved', m.id, ?, ?, ?, ?, ?, ?, ?, m.width_mm, m.height_mm,"
            " m.width_px, m.height_px, m.original_sha256, m.png_sha256, m.source_format"
            " FROM seals s JOIN applications a ON a.id = s.application_id JOIN impressions m ON m.id = ?"
            " WHERE s.esid = ?",
            (officer[0], officer[1], at, officer[0], officer[1], at, f"renewal of {old_esid}", impression_id,
             old_esid))
        app_id = int(cur.lastrowid)
        self.store.execute("INSERT INTO renewals (application_id, old_esid) VALUES (?, ?)", (app_id, old_esid))
        return app_id

    def finish(self, application_id: int, new_esid: str) -> None:
        self.store.execute("UPDATE renewals SET new_esid = ? WHERE application_id = ?", (new_esid, application_id))

    def active_impression(self, unit: str, name: str) -> int | None:
        row = self.store.one("SELECT id FROM impressions WHERE unit = ? AND seal_name = ? AND state = 'active'",
                             (unit, name))
        return None if row is None else int(row[0])


def enrolled_rows(store: Store) -> list[tuple]:
    """Every enrollment, removed ones too (cert_sha256, serial, role, name, certificate,
    enrolled_at, removed_at): what a bundle built inside the station holds."""
    return [tuple(r) for r in store.all("SELECT cert_sha256, serial, role, name, certificate, enrolled_at,"
                                        " removed_at FROM enrollments ORDER BY enrolled_at, cert_sha256")]
