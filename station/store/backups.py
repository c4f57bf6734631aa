"""What backup and restore need of the store: its numbering counters, the audit size,
the time of the last backup, a moment in which no one can write, and the store's
identity: a restored store gets a new instance id and remembers the one it was restored
from, so the cards' witnesses of that older instance (station/witness.py) are accepted
there — a plain copy of an old file keeps its id and records no restore.

The counters are the ``meta`` values from which every number the station hands out is
drawn: ``esid-seq-<year>`` (the esID sequence of each year), ``receipt-seq`` and
``status-seq`` (the signed status list). A restore raises them, never lowers them.
"""

from __future__ import annotations

import json
import secrets
from contextlib import contextmanager
from typing import Any, Iterator

from station.store.counters import Meta
from station.store.db import Store

__all__ = ["Backups", "NUMBER_KEYS", "is_number_key"]

NUMBER_KEYS = ("receipt-seq", "status-seq")
_ESID_PREFIX = "esid-seq-"
_LAST = "last-backup"
_INSTANCE = "instance"
_RESTORED = "restored-from "


def is_number_key(key: str) -> bool:
    """True for the name of a counter that numbers something the station issues."""
    if key in NUMBER_KEYS:
        return True
    return key.startswith(_ESID_PREFIX) and key[len(_ESID_PREFIX):].isdigit()


class Backups:
    """Counters, last-backup time and the write lock, for station.backup."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.meta = Meta(store)

    def numbers(self) -> dict[str, int]:
        """Every numbering counter and its current (highest issued) value."""
        rows = self.store.all("SELECT key, value FROM meta WHERE key IN (?, ?) OR key LIKE ?",
                              (*NUMBER_KEYS, _ESID_PREFIX + "%"))
        out: dict[str, int] = {}
        for key, value in rows:
            if is_number_key(key):
                try:
                    out[key] = int(value)
                except ValueError:
                    continue
        return out

    def set_number(self, key: str, value: int) -> None:
        self.meta.put(key, str(int(value)))

    def audit_size(self) -> int:
        row = self.store.one("SELECT max(seq) FROM audit")
        return int(row[0] or 0)

    def station_id(self) -> str | None:
        return self.meta.get("station_id")

    def destroyed_impressions(self) -> list[int]:
        """Ids of impressions destroyed (crypto-shredded) in this store."""
        return [int(r[0]) for r in self.store.all("SELECT id FROM impressions WHERE state = 'destroyed' ORDER BY id")]

    def live_impressions(self, ids: list[int]) -> list[int]:
        """Which of ``ids`` this store still holds with their picture (not destroyed)."""
        found = []
        for i in ids:
            if self.store.one("SELECT 1 FROM impressions WHERE id = ? AND state != 'destroyed'", (int(i),)):
                found.append(int(i))
        return found

    def instance(self) -> str:
        return self.meta.get(_INSTANCE) or ""

    def reidentify(self, restore: dict[str, Any]) -> tuple[str, str]:
        """Give a restored store a new instance id and record the restore under the old one
        (``restore``: the backup's tree head and time). Returns (old id, new id)."""
        old, new = self.instance(), secrets.token_hex(16)
        self.meta.put(_RESTORED + old, json.dumps(restore, sort_keys=True))
        self.meta.put(_INSTANCE, new)
        return old, new

    def restored_from(self) -> list[str]:
        """The instance ids this store was restored from (through any chain of restores)."""
        rows = self.store.all("SELECT key FROM meta WHERE key LIKE ? ORDER BY key", (_RESTORED + "%",))
        return [str(r[0])[len(_RESTORED):] for r in rows if str(r[0])[len(_RESTORED):]]

    def last_backup(self) -> str | None:
        return self.meta.get(_LAST)

    def set_last_backup(self, when: str) -> None:
        self.meta.put(_LAST, when)

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Hold the store's write lock: while inside, the database file does not change
        (journal mode DELETE writes the file only at a commit, and no one else can commit)."""
        with self.store.transaction():
            self.store.one("SELECT count(*) FROM sqlite_master")
            yield
