"""Counters and station facts kept in the ``meta`` table, and the store's own secrets.

Every number the station hands out (esID sequence per year, receipt numbers, status-list
sequence) comes from :meth:`Counters.next_value`: incremented inside a transaction, never
reused, so an aborted ceremony leaves a visible gap rather than a second seal with the
same number. A counter's key contains ``-seq`` (``esid-seq-2026``, ``receipt-seq``,
``status-seq``): :meth:`Counters.all` finds every counter by it, so the cards' witnesses
(station/witness.py) cover counters added later without being told about them.
"""

from __future__ import annotations

from station.store.db import Store

__all__ = ["Counters", "Meta", "Secrets"]


class Meta:
    """Named text values of the station (its id, the counters)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, key: str) -> str | None:
        row = self.store.one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def put(self, key: str, value: str) -> None:
        self.store.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


class Counters:
    """Monotonic counters: one ``next_value`` for all of them."""

    def __init__(self, store: Store) -> None:
        self.meta = Meta(store)

    def all(self) -> dict[str, int]:
        """Every counter's current value, by key."""
        rows = self.meta.store.all("SELECT key, value FROM meta WHERE key LIKE '%-seq%'")
        return {str(k): int(v) for k, v in rows if str(v).isdigit()}

    def next_value(self, key: str) -> int:
        """The counter's next value (1 for a new one), recorded before it is returned.

        ``key`` must contain ``-seq`` (see the module's docstring)."""
        with self.meta.store.transaction():
            current = self.meta.get(key)
            value = int(current) + 1 if current is not None else 1
            self.meta.put(key, str(value))
        return value


class Secrets:
    """Secret values that exist only inside the encrypted store (the audit inbox key)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, name: str) -> bytes | None:
        row = self.store.one("SELECT value FROM secrets WHERE name = ?", (name,))
        return None if row is None else bytes(row[0])

    def add(self, name: str, value: bytes) -> None:
        self.store.execute("INSERT INTO secrets (name, value) VALUES (?, ?)", (name, value))
