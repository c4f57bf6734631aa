"""Cards reserved for a seal being written (the ``reservations`` table).

A ceremony reserves the seal card, in a write transaction, before it writes the seal;
the partial unique indexes let only one ceremony per card and per application hold a
reservation in state ``writing``. The row keeps the seal and everything the record of
it needs, so a card written but never recorded (a crash, a busy store) is settled from
it later: recorded (``recorded``) or wiped (``released``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlcipher3

from station.store.db import Store

__all__ = ["Reservation", "Reservations"]

_COLUMNS = "id, card_serial, application_id, state, esid, seal_der, record, started_at, started_by"


@dataclass(frozen=True)
class Reservation:
    """One ceremony's hold on a card; ``record`` is the JSON the seal's record is built from."""

    id: int
    card_serial: str
    application_id: int
    state: str
    esid: str
    seal_der: bytes = field(repr=False)
    record: str = field(repr=False)
    started_at: str = ""
    started_by: str = ""


def _row(r: tuple) -> Reservation:
    return Reservation(int(r[0]), r[1], int(r[2]), r[3], r[4], bytes(r[5]), r[6], r[7], r[8])


class Reservations:
    """Reserve, look up and end reservations; the indexes arbitrate between processes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def reserve(self, card_serial: str, application_id: int, esid: str, seal_der: bytes, record: str,
                started_at: str, started_by: str) -> int | None:
        """The new reservation's id, or None when the card or the application is already held."""
        try:
            cur = self.store.execute(
                "INSERT INTO reservations (card_serial, application_id, state, esid, seal_der, record,"
                " started_at, started_by) VALUES (?, ?, 'writing', ?, ?, ?, ?, ?)",
                (card_serial, int(application_id), esid, seal_der, record, started_at, started_by))
        except sqlcipher3.IntegrityError:
            return None
        return int(cur.lastrowid)

    def writing_for_card(self, card_serial: str) -> Reservation | None:
        row = self.store.one(f"SELECT {_COLUMNS} FROM reservations WHERE card_serial = ? AND state = 'writing'",
                             (card_serial,))
        return _row(row) if row else None

    def writing_for_application(self, application_id: int) -> Reservation | None:
        row = self.store.one(f"SELECT {_COLUMNS} FROM reservations WHERE application_id = ? AND state = 'writing'",
                             (int(application_id),))
        return _row(row) if row else None

    def writing(self) -> list[Reservation]:
        """Every card held now (flagged, or a ceremony in flight)."""
        return [_row(r) for r in self.store.all(
            f"SELECT {_COLUMNS} FROM reservations WHERE state = 'writing' ORDER BY id")]

    def end(self, reservation_id: int, state: str, outcome: str, at: str) -> bool:
        """writing -> ``state`` (recorded or released); False if it had already ended."""
        cur = self.store.execute("UPDATE reservations SET state = ?, outcome = ?, ended_at = ?"
                                 " WHERE id = ? AND state = 'writing'", (state, outcome, at, int(reservation_id)))
        return cur.rowcount == 1

    def active_seal_on_card(self, card_serial: str) -> str | None:
        """The esID of a seal the store records on this card and has not revoked, if any."""
        row = self.store.one("SELECT esid FROM seals WHERE card_serial = ? AND state != 'revoked'"
                             " ORDER BY made_at DESC LIMIT 1", (card_serial,))
        return None if row is None else str(row[0])
