"""`python -m tests.bench.store`: the encrypted store beside plain SQLite, same workload.

The station's own work on its store, run on SQLCipher 4 as ``Store.open`` opens it and
on the standard library's ``sqlite3`` with the same schema (the migrations), the same
pragmas but the cipher ones and the same code (``Audit.append``, ``impressions.search``):

* open the store (key, ``quick_check``, migrations check) on a store of this size;
* append audit entries, each its own transaction as at the station (fsync each);
* insert impressions (metadata rows, one transaction, as an import of a library);
* search impressions with the filters the library screen offers.

Each round runs the whole workload on fresh files, plain then encrypted; a step's time
is the median over the rounds, so a burst of other work on the machine moves one round,
not the figure. One line per step with its ratio, then the overall ratio: the geometric
mean of the four step ratios, so each step counts once (a total of times would be
mostly the fsync-bound audit appends, which cost the same on both, and would hide the
cipher's cost elsewhere). The total of times is printed beside it. Goal: <= 1.5x.

The SQLCipher key is a raw 256-bit key, as the station's (derived by HKDF from the
master key): SQLCipher's own KDF is not in play, and nothing here changes it.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

GOAL = 1.5
ROUNDS = 7
AUDIT_ENTRIES = 200
IMPRESSIONS = 5_000
OPENS = 20
SEARCHES: list[dict[str, Any]] = [
    {}, {"unit": "0042号"}, {"unit": "nothing"}, {"name": "财务", "state": "active"},
    {"state": "destroyed"}, {"since": "2023-03-01", "until": "2023-03-31"},
]
NAMES = ("公章", "合同专用章", "财务专用章", "人事部章", "发票专用章")

Opener = Callable[[Path, bool], Any]


def open_plain(path: Path, create: bool) -> Any:
    """``Store.open`` on plain SQLite: the same pragmas but the cipher ones, the same checks,
    and the same SQLite (SQLCipher's own, with no key: its schema needs a recent FTS5)."""
    import sqlcipher3

    from station.store.db import Store, _quick_check
    from station.store.migrations import migrate

    conn = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    for pragma in ("foreign_keys = ON", "secure_delete = ON", "cache_size = -32768",
                   "journal_mode = DELETE", "synchronous = FULL"):
        conn.execute(f"PRAGMA {pragma}")
    if not create:
        _quick_check(conn)  # the station's own check, as Store.open runs it
    store = Store(conn)
    with store.transaction():
        migrate(store)
    return store


def open_encrypted(key: bytes) -> Opener:
    from station.store.db import Store

    return lambda path, create: Store.open(path, key, create=create)


def workload(open_store: Opener, path: Path) -> dict[str, float]:
    """Seconds per step of the station's workload on a fresh store at ``path``."""
    from station import impressions
    from station.audit import Audit
    from station.store import impression_words
    from station.model import Actor, Role

    actor = Actor(cert_sha256="ab" * 32, name="基准 操作员", role=Role.OFFICER, serial="BENCH0001")
    out: dict[str, float] = {}
    store = open_store(path, True)
    try:
        audit = Audit(store)
        start = time.perf_counter()
        for i in range(AUDIT_ENTRIES):
            audit.append(actor, "impression-search", f"query {i}", "ok", {"rows": i})
        out["append audit entries"] = time.perf_counter() - start

        start = time.perf_counter()
        with store.transaction():
            app = store.execute(
                "INSERT INTO applications (seal_kind, unit, seal_name, state, entered_by, entered_by_name,"
                " submitted_at, width_mm, height_mm, width_px, height_px, original_sha256, png_sha256,"
                " source_format) VALUES ('official', '基准', '基准', 'approved', 'x', 'x',"
                " '2024-01-01T00:00:00Z', 42, 42, 1024, 1024, 'x', 'x', 'png')").lastrowid
            for i in range(IMPRESSIONS):
                unit = f"第{i // 5:04d}号示范科技有限公司"
                state = "active" if i >= IMPRESSIONS - IMPRESSIONS // 4 else ("disabled", "destroyed")[i % 2]
                when = f"{2020 + i * 6 // IMPRESSIONS}-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00.000Z"
                store.execute(
                    "INSERT INTO impressions (application_id, unit, seal_name, seal_kind, state, width_mm,"
                    " height_mm, width_px, height_px, original_sha256, png_sha256, source_format,"
                    " imported_at, imported_by) VALUES (?, ?, ?, 'official', ?, 42, 42, 1024, 1024, ?, ?,"
                    " 'png', ?, 'bench')",
                    (app, unit, f"{unit}{NAMES[i % 5]}{i}", state, os.urandom(32).hex(), os.urandom(32).hex(),
                     when))
            impression_words.catch_up(store)  # the words index, as the repository keeps it
        out["insert impressions"] = time.perf_counter() - start

        session = SimpleNamespace(actor=actor, store=store)
        start = time.perf_counter()
        for _ in range(5):
            for filters in SEARCHES:
                impressions.search(session, **filters)  # type: ignore[arg-type]
        out["search impressions"] = time.perf_counter() - start
    finally:
        store.close()

    times = []
    for _ in range(OPENS):
        begin = time.perf_counter()
        open_store(path, False).close()
        times.append(time.perf_counter() - begin)
    out["open the store"] = statistics.median(times) * OPENS
    return out


def run(tmp: Path, key: bytes, rounds: int = ROUNDS) -> float:
    """Print the comparison; return the overall ratio (geometric mean of the step ratios)."""
    plain_runs, encrypted_runs = [], []
    for n in range(rounds):  # interleaved: other work on the machine slows both sides alike
        plain_runs.append(workload(open_plain, tmp / f"plain-{n}.db"))
        encrypted_runs.append(workload(open_encrypted(key), tmp / f"encrypted-{n}.db"))
    steps = list(plain_runs[0])
    plain = {s: statistics.median(r[s] for r in plain_runs) for s in steps}
    encrypted = {s: statistics.median(r[s] for r in encrypted_runs) for s in steps}
    print(f"encrypted store (SQLCipher 4, raw 256-bit key) beside plain SQLite, same schema and workload "
          f"(median of {rounds} alternating rounds):")
    ratios = []
    for step in steps:
        ratio = encrypted[step] / plain[step]
        ratios.append(ratio)
        print(f"  {step:<22} plain {plain[step] * 1000:8.1f} ms   encrypted {encrypted[step] * 1000:8.1f} ms"
              f"   {ratio:.2f}x")
    overall = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    total_plain, total_enc = sum(plain.values()), sum(encrypted.values())
    print(f"  {'whole workload':<22} plain {total_plain * 1000:8.1f} ms   encrypted {total_enc * 1000:8.1f} ms"
          f"   {total_enc / total_plain:.2f}x")
    print(f"encrypted store overall: {overall:.2f}x plain SQLite (geometric mean of the {len(ratios)} steps); "
          f"goal <= {GOAL}x: {'met' if overall <= GOAL else 'NOT met'}")
    print(f"  ({AUDIT_ENTRIES} audit entries, {IMPRESSIONS} impressions, {len(SEARCHES) * 5} searches, "
          f"{OPENS} opens; store files {os.path.getsize(tmp / 'encrypted-0.db') / 1e6:.1f} MB encrypted, "
          f"{os.path.getsize(tmp / 'plain-0.db') / 1e6:.1f} MB plain)")
    return overall


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="seal-bench-store-"))
    try:
        run(tmp, os.urandom(32))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
