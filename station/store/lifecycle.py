"""The seal registry, its state events and renewal links (tables ``seals``, ``seal_events``,
``renewals``).

A registry search reads only the covering indexes of migration 4 while it filters, so it
never walks the pages of a seal's DER (and its picture) to find a line; only the lines
shown are read in full.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from station.model import RegistrySeal, SealEvent
from station.store.db import Store

__all__ = ["SealRegistry", "SealEvents", "Renewals", "MAX_LINES", "enrolled_rows"]

MAX_LINES = 500

_LINE = ("s.esid, s.unit, s.name, s.seal_kind, s.card_serial, s.state, s.made_at, s.valid_end,"
         " COALESCE((SELECT i.recipient FROM issuances i WHERE i.esid = s.esid ORDER BY i.id LIMIT 1), ''),"
         " s.renews, s.renewed_by, s.state_reason, s.state_at, s.functions, s.application_id")


def _line(row: Sequence[Any]) -> RegistrySeal:
    return RegistrySeal(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                        row[11], row[12], tuple(f for f in (row[13] or "").split(",") if f), int(row[14]))


def _prefix(text: str) -> tuple[str, str]:
    """A range that holds exactly the strings starting with ``text`` (BINARY collation)."""
    return text, text + "\U0010ffff"


class SealRegistry:
    """Seals made here, as the registry shows them, and their current state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def search(self, *, text: str = "", unit: str = "", name: str = "", esid: str = "", card: str = "",
               state: str = "", limit: int = 200) -> list[RegistrySeal]:
        """Newest first. ``text`` is found in the unit or the seal name, or starts the esID or
        the card serial; ``unit`` and ``name`` are contained; ``esid`` and ``card`` are prefixes."""
        where: list[str] = []
        params: list[Any] = []
        index = "seals_registry_made"
        if state:
            where.append("s.state = ?")
            params.append(state)
            index = "seals_registry_state"
        if card:
            where.append("s.card_serial >= ? AND s.card_serial < ?")
            params += _prefix(card)
            index = "seals_registry_card"
        if esid:
            where.append("s.esid >= ? AND s.esid < ?")
            params += _prefix(esid)
            index = ""
        if unit:
            where.append("instr(s.unit, ?) > 0")
            params.append(unit)
        if name:
            where.append("instr(s.name, ?) > 0")
            params.append(name)
        if text:
            where.append("(instr(s.unit, ?) > 0 OR instr(s.name, ?) > 0 OR substr(s.esid, 1, ?) = ?"
                         " OR substr(s.card_serial, 1, ?) = ?)")
            params += [text, text, len(text), text, len(text), text]
        sql = (f"SELECT {_LINE} FROM seals s" + (f" INDEXED BY {index}" if index else "")
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY s.made_at DESC, s.esid DESC LIMIT ?")
        params.append(max(1, min(int(limit), MAX_LINES)))
        return [_line(r) for r in self.store.all(sql, tuple(params))]

    def get(self, esid: str) -> RegistrySeal | None:
        row = self.store.one(f"SELECT {_LINE} FROM seals s WHERE s.esid = ?", (esid,))
        return _line(row) if row else None

    def by_card(self, serial: str) -> list[RegistrySeal]:
        return self.search(card=serial, limit=MAX_LINES)

    def set_state(self, esid: str, state: str, reason: str | None, at: str) -> None:
        self.store.execute("UPDATE seals SET state = ?, state_reason = ?, state_at = ? WHERE esid = ?",
                           (state, reason, at, esid))

    def link(self, old: str, new: str) -> None:
        """``new`` renews ``old``: both directions, in the caller's transaction."""
        self.store.execute("UPDATE seals SET renewed_by = ? WHERE esid = ?", (new, old))
        self.store.execute("UPDATE seals SET renews = ? WHERE esid = ?", (old, new))

    def active_named(self, unit: str, name: str) -> list[str]:
        """esIDs of the active seals of one unit and seal name."""
        rows = self.store.all("SELECT esid FROM seals WHERE unit = ? AND name = ? AND state = 'active'",
                              (unit, name))
        return [r[0] for r in rows]

    def not_active(self) -> list[tuple[str, str, str, str]]:
        """(esid, state, reason, time) of every seal that is not active, for the status list."""
        rows = self.store.all("SELECT esid, state, COALESCE(state_reason, ''), COALESCE(state_at, made_at)"
                              " FROM seals INDEXED BY seals_registry_state WHERE state != 'active'"
                              " ORDER BY esid")
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def count(self) -> int:
        return int(self.store.one("SELECT count(*) FROM seals")[0])


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

    def unsigned(self) -> list[int]:
        """Events whose receipt the card could not sign yet."""
        return [int(r[0]) for r in self.store.all("SELECT id FROM seal_events WHERE receipt IS NULL ORDER BY id")]


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
