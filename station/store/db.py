"""The encrypted store: SQLCipher 4 through sqlcipher3, opened with a raw 256-bit key.

The key is derived from the station master key (HKDF, purpose "sqlcipher"), so the
database opens only for a session that unwrapped the master key through a card slot.
A wrong key and a damaged file look the same to the user on purpose (opaque failure).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import sqlcipher3

from station.errors import StoreBusyError, StoreError
from station.store.migrations import migrate

__all__ = ["Store", "BUSY_TIMEOUT", "busy_error"]

_OPAQUE = "the station database cannot be opened (wrong key, or the file is damaged)"

BUSY_TIMEOUT = 5.0
"""Seconds a command waits for another one holding the database before it says "busy"."""


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def busy_error() -> StoreBusyError:
    """A lock is not damage: say the station is busy, and never advise a restore."""
    return StoreBusyError("the station is busy: another command is using its database",
                          hint="wait for it to finish and try again")


_GROWS_WITHOUT_END = {"audit": "seq", "audit_daily": "day"}
"""Tables that grow with every action (and the column that orders them): a large store
reads their newest row at each open and every page only in ``audit verify`` and the
statistics: opening the store must cost the same at ten entries and at ten million."""

_WHOLE_CHECK_PAGES = 1024
"""Up to this many pages (4 MB) every page is checked at each open: it costs little."""


def _quick_check(conn: Any) -> None:
    """Every page of a small store; of a large one, every page of every table but the log's,
    and of the log's tables their newest row (where the next entry goes)."""
    if conn.execute("PRAGMA page_count").fetchone()[0] <= _WHOLE_CHECK_PAGES:
        names = [""]
    else:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in names:
        if name in _GROWS_WITHOUT_END:
            conn.execute(f'SELECT * FROM "{name}" ORDER BY {_GROWS_WITHOUT_END[name]} DESC LIMIT 1').fetchall()
            continue
        row = conn.execute(f'PRAGMA quick_check("{name}")' if name else "PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise sqlcipher3.DatabaseError("quick_check")


class Store:
    """One connection to the station database, used from any thread under a lock."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._depth = 0

    @classmethod
    def open(cls, path: Path, key: bytes, *, create: bool = False, quick_check: bool = True) -> "Store":
        """Open (or ``create``) the store; ``quick_check=False`` only for a file whose every
        byte was authenticated already (a backup being restored)."""
        if not create:
            # an initialised station never gets a fresh empty store: that would be a reset
            try:
                size = path.stat().st_size
            except OSError:
                raise StoreError("the station database is missing", hint="restore a backup (`seal-station backup restore`)") from None
            if not path.is_file() or size == 0:
                raise StoreError("the station database is empty or not a file",
                                 hint="restore a backup (`seal-station backup restore`)")
        elif path.exists():
            raise StoreError("a station database already exists here", hint="use another --home")
        try:
            if create:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            conn = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None,
                                      timeout=BUSY_TIMEOUT)
            # SQLCipher logs a damaged page to stderr itself; the StoreError below says it once
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            # Memory security off (SQLCipher's default since 4.5): on, every SQLite allocation
            # is mlock'ed and wiped, a system call each, and inserting 5,000 impressions took
            # 16x plain SQLite (`python -m tests.bench.store`), 1.7x without it. What it would
            # guard, decrypted pages in SQLite's heap, this Python process holds anyway (the
            # master key, the store key and every row read live in ordinary objects), and
            # SQLCipher still wipes its own key material when it frees it. Once on, it cannot
            # be turned off for the process, so it is never switched on here.
            conn.execute("PRAGMA cipher_memory_security = OFF")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            # Freed pages are zeroed: a destroyed impression's ciphertext and wrapped key
            # leave no copy in the file's free list (crypto-shredding, DESIGN.md §3).
            conn.execute("PRAGMA secure_delete = ON")
            # 32 MB of decrypted pages: the impression library's search index stays in
            # memory, so a search over 100,000 impressions does not re-decrypt it each time.
            conn.execute("PRAGMA cache_size = -32768")
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = FULL")
            if not create and quick_check:
                _quick_check(conn)
        except sqlcipher3.Error as exc:
            if _is_busy(exc):
                raise busy_error() from None
            raise StoreError(_OPAQUE, hint="use the right card; if the file is damaged, restore a backup") from None
        store = cls(conn)
        try:
            with store.transaction():
                migrate(store)
        except StoreBusyError:
            store.close()
            raise
        except sqlcipher3.Error:
            store.close()
            raise StoreError(_OPAQUE, hint="restore a backup") from None
        return store

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """All-or-nothing; nested calls join the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                except sqlcipher3.OperationalError as exc:
                    if _is_busy(exc):
                        raise busy_error() from None
                    raise
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._rollback()
                raise
            self._depth -= 1
            if outer:
                try:
                    self._conn.execute("COMMIT")
                except sqlcipher3.OperationalError as exc:
                    self._rollback()
                    if _is_busy(exc):
                        raise busy_error() from None
                    raise

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlcipher3.OperationalError:
            pass  # nothing to roll back: SQLite already did

    def execute(self, sql: str, params: tuple | dict = ()) -> Any:
        with self._lock:
            try:
                return self._conn.execute(sql, params)
            except sqlcipher3.DatabaseError as exc:
                if _is_busy(exc):
                    raise busy_error() from None
                if "malformed" in str(exc) or "not a database" in str(exc):
                    raise StoreError(_OPAQUE, hint="restore a backup") from None
                raise

    def executemany(self, sql: str, rows: Any) -> Any:
        with self._lock:
            return self._conn.executemany(sql, rows)

    def one(self, sql: str, params: tuple | dict = ()) -> Any:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple | dict = ()) -> list[Any]:
        return self.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.close()
            except sqlcipher3.Error:
                pass
