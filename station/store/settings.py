"""The authenticated settings: named JSON values inside the encrypted store.

The files in the station home (``station.toml``, ``trust/``, ``cards.json``,
``pin-tries.json``) are what the station can read before a login; these rows are what
it believes after one. Only the store's key can change them, so only a logged-in card.
"""

from __future__ import annotations

import json
from typing import Any

from station.store.db import Store

__all__ = ["SettingsRows"]


class SettingsRows:
    """``config`` (dict), ``trust`` (sha256 -> PEM), ``cards`` (serial -> mark), ``pins`` (serial -> n)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, name: str) -> Any | None:
        row = self.store.one("SELECT value FROM settings WHERE name = ?", (name,))
        return None if row is None else json.loads(row[0])

    def put(self, name: str, value: Any) -> None:
        self.store.execute("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                           (name, json.dumps(value, sort_keys=True, ensure_ascii=False)))

    def count_role(self, role: str) -> int:
        """Active enrollments of a role (the quorum cannot exceed the supervisors)."""
        return int(self.store.one("SELECT count(*) FROM enrollments WHERE role = ? AND removed_at IS NULL",
                                  (role,))[0])
