"""Schema migrations: an ordered list, applied once each, recorded in user_version."""

from __future__ import annotations

from typing import Any

__all__ = ["MIGRATIONS", "migrate"]

MIGRATIONS: list[str] = [
    # 1: foundation — enrollments, audit log with signed tree heads, station secrets
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE enrollments (
        cert_sha256 TEXT PRIMARY KEY, serial TEXT NOT NULL, role TEXT NOT NULL,
        name TEXT NOT NULL, certificate BLOB NOT NULL, enrolled_at TEXT NOT NULL,
        removed_at TEXT);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, leaf BLOB NOT NULL, root BLOB NOT NULL);
    CREATE TABLE tree_heads (
        size INTEGER NOT NULL, root BLOB NOT NULL, time TEXT NOT NULL,
        signer_cert_sha256 TEXT NOT NULL, algorithm TEXT NOT NULL, signature BLOB NOT NULL);
    CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
    """,
]


def migrate(store: Any) -> int:
    """Bring the schema up to date inside the caller's transaction; returns the version."""
    version = store.one("PRAGMA user_version")[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        for statement in filter(str.strip, script.split(";")):
            store.execute(statement)
        store.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)
