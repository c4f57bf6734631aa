"""Authorizations of use (table ``authorizations``): who may use a seal, for what.

A removed authorization stays in the table with its removal time, so the registry can
say who was allowed to use a seal on a given day.
"""

from __future__ import annotations

from typing import Any, Sequence

from station.model import Authorization
from station.store.db import Store

__all__ = ["Authorizations"]


def _auth(row: Sequence[Any]) -> Authorization:
    return Authorization(int(row[0]), row[1], row[2], row[3], row[4],
                         tuple(f for f in row[5].split(",") if f), row[6], row[7], bool(row[8]))


class Authorizations:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, esid: str, *, person: str | None, person_id: str | None, role: str | None,
            functions: Sequence[str], at: str, by: str, automatic: bool = False) -> int:
        cur = self.store.execute(
            "INSERT INTO authorizations (esid, person, person_id, role, functions, granted_at, granted_by,"
            " automatic) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (esid, person, person_id, role, ",".join(functions), at, by, int(automatic)))
        return int(cur.lastrowid)

    def current(self, esid: str) -> list[Authorization]:
        rows = self.store.all("SELECT id, esid, person, person_id, role, functions, granted_at, granted_by,"
                              " automatic FROM authorizations WHERE esid = ? AND removed_at IS NULL ORDER BY id",
                              (esid,))
        return [_auth(r) for r in rows]

    def remove(self, esid: str, auth_id: int, at: str, by: str) -> bool:
        """True when a current authorization of this seal was removed."""
        cur = self.store.execute("UPDATE authorizations SET removed_at = ?, removed_by = ?"
                                 " WHERE id = ? AND esid = ? AND removed_at IS NULL", (at, by, auth_id, esid))
        return cur.rowcount == 1
