"""Applications (the ``applications`` table) and the encrypted impression each carries.

The submitted picture (wrapped data key and ciphertext) is never part of an
:class:`~station.model.Application`: it is read with :meth:`Applications.upload` and
shredded in place once the application is decided.
"""

from __future__ import annotations

from dataclasses import fields

from station.model import Application, ApplicationState
from station.store.db import Store

__all__ = ["Applications"]

_FIELDS = tuple(f.name for f in fields(Application))
_COLUMNS = ", ".join(_FIELDS)
_DECISION = frozenset({"impression_id", "reason"})  # what a decision may set besides its state


class Applications:
    """Applications as entered, decided and made."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, app_id: int) -> Application | None:
        row = self.store.one(f"SELECT {_COLUMNS} FROM applications WHERE id = ?", (int(app_id),))
        return Application(*row) if row else None

    def list(self, state: str | None = None, unit: str | None = None, limit: int | None = None
             ) -> list[Application]:
        """Oldest first (the approval queue's order); ``unit`` matches exactly."""
        where, params = [], []
        if state:
            where.append("state = ?")
            params.append(state)
        if unit is not None:
            where.append("unit = ?")
            params.append(unit)
        sql = f"SELECT {_COLUMNS} FROM applications {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [Application(*r) for r in self.store.all(sql, tuple(params))]

    def add(self, app: Application) -> int:
        """Store a new application (its ``id`` is ignored); returns the id it got."""
        names = [n for n in _FIELDS if n != "id"]
        cur = self.store.execute(
            f"INSERT INTO applications ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            tuple(getattr(app, n) for n in names))
        return int(cur.lastrowid)

    def set_upload(self, app_id: int, wrapped: bytes, blob: bytes) -> None:
        self.store.execute("UPDATE applications SET upload_key = ?, upload = ? WHERE id = ?",
                           (wrapped, blob, int(app_id)))

    def upload(self, app_id: int) -> tuple[bytes | None, bytes | None]:
        """(wrapped data key, ciphertext) of the submitted picture; (None, None) once shredded."""
        row = self.store.one("SELECT upload_key, upload FROM applications WHERE id = ?", (int(app_id),))
        if row is None:
            return None, None
        return (None if row[0] is None else bytes(row[0])), (None if row[1] is None else bytes(row[1]))

    def shred_upload(self, app_id: int) -> None:
        """Overwrite the picture in place, then drop it (secure_delete zeroes the free pages)."""
        self.store.execute("UPDATE applications SET upload_key = zeroblob(length(upload_key)),"
                           " upload = zeroblob(length(upload)) WHERE id = ?", (int(app_id),))
        self.store.execute("UPDATE applications SET upload_key = NULL, upload = NULL WHERE id = ?", (int(app_id),))

    def decide(self, app_id: int, state: ApplicationState, by: str, by_name: str, at: str,
               **extra: object) -> bool:
        """submitted -> ``state``; False if the application was no longer waiting."""
        unknown = set(extra) - _DECISION
        if unknown:
            raise ValueError(f"a decision cannot set {sorted(unknown)}")
        sets = "".join(f", {k} = ?" for k in extra)
        cur = self.store.execute(
            f"UPDATE applications SET state = ?, decided_by = ?, decided_by_name = ?, decided_at = ?{sets}"
            " WHERE id = ? AND state = 'submitted'", (state.value, by, by_name, at, *extra.values(), int(app_id)))
        return cur.rowcount == 1

    def mark_made(self, app_id: int, esid: str, at: str) -> bool:
        """approved -> made; False if the application was not approved."""
        cur = self.store.execute("UPDATE applications SET state = 'made', esid = ?, made_at = ?"
                                 " WHERE id = ? AND state = 'approved'", (esid, at, int(app_id)))
        return cur.rowcount == 1
