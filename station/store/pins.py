"""``card_pins``: when each card's PIN was last changed, and whether it must be changed.

A fact about a card, not a secret: no PIN and no hash of one is ever stored.
"""

from __future__ import annotations

from station.store.db import Store

__all__ = ["PinFacts"]


class PinFacts:
    """One row per card the station has set or seen a PIN for."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, serial: str, changed_at: str, must_change: bool) -> None:
        self.store.execute("INSERT OR REPLACE INTO card_pins (serial, changed_at, must_change) VALUES (?, ?, ?)",
                           (serial, changed_at, int(must_change)))

    def get(self, serial: str) -> tuple[str, bool] | None:
        """(changed_at, must_change) for the card, or None when nothing is recorded."""
        row = self.store.one("SELECT changed_at, must_change FROM card_pins WHERE serial = ?", (serial,))
        return None if row is None else (str(row[0]), bool(row[1]))

    def all(self) -> dict[str, tuple[str, bool]]:
        return {r[0]: (str(r[1]), bool(r[2]))
                for r in self.store.all("SELECT serial, changed_at, must_change FROM card_pins")}

    def changed_later(self) -> dict[str, str]:
        """The newest ``card change-pin`` of each card, by serial, from the audit log (a seal
        card's change reaches the log through the inbox; the store keeps no row for it)."""
        rows = self.store.all("SELECT actor, max(time) FROM audit WHERE action = 'change-pin' AND outcome = 'ok'"
                              " GROUP BY actor")
        return {str(r[0]): str(r[1]) for r in rows if r[0]}
