"""Backup benchmark: `python -m tests.bench.backup`.

A demo station's store filled with 100,000 impressions (metadata and a 1 KiB sealed
picture each) and 100,000 audit entries (real leaves and roots); then ``backup create``
and ``backup restore`` (with the admin card) beside ``cp`` of the same database file.
Goal: each at most 3x ``cp``. Printed as one line, then for information the floor a backup
written as issue 12 asks (fsync, then read back from the device) has: ``cp`` of the same
file, its fsync, and a read of the copy after its pages are dropped from the cache.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.bench.world import bench_world, median_ms

ROWS = 100_000


def fill(session: Any) -> None:
    """Rows written straight into the store, in one transaction (what years of use leave)."""
    from crypto import merkle
    from station.audit import canonical, make_entry

    store = session.store
    with store.transaction():
        app_id = store.one("SELECT min(id) FROM applications")[0]
        for i in range(ROWS):
            unit = f"第{i // 20:05d}号基准测试有限公司"
            cur = store.execute(
                "INSERT INTO impressions (application_id, unit, seal_name, seal_kind, state, width_mm, height_mm,"
                " width_px, height_px, original_sha256, png_sha256, source_format, imported_at, imported_by)"
                " VALUES (?, ?, ?, 'official', ?, 42, 42, 1024, 1024, ?, ?, 'png', ?, 'bench')",
                (app_id, unit, f"{unit}{i % 20}", "active" if i % 20 == 0 else "disabled", os.urandom(32).hex(),
                 os.urandom(32).hex(), f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00.000Z"))
            store.execute("INSERT INTO impression_blobs (impression_id, wrapped_key, blob) VALUES (?, ?, ?)",
                          (cur.lastrowid, os.urandom(60), os.urandom(1024)))
        last = store.one("SELECT max(seq) FROM audit")[0]
        log = merkle.MerkleLog.from_leaves(bytes(r[0]) for r in store.all("SELECT leaf FROM audit ORDER BY seq"))
        actor = {"cert_sha256": session.actor.cert_sha256, "name": session.actor.name, "role": "admin",
                 "serial": session.actor.serial}
        for seq in range(last + 1, last + 1 + ROWS):
            text = canonical(make_entry(seq, actor, "bench", f"object {seq}", "ok", {"n": seq}))
            leaf = merkle.leaf_hash(text)
            log.append(leaf)
            store.execute("INSERT INTO audit (seq, entry, leaf, root) VALUES (?, ?, ?, ?)",
                          (seq, text.decode(), leaf, log.root()))


def main() -> None:
    from station.backup import create_backup, restore_backup
    from station.home import Home
    from station.model import Role
    from station.session import login

    with bench_world("backup") as world:
        admin = world.card("admin")
        session = login(world.home, admin.serial, admin.pin, role=Role.ADMIN)
        try:
            start = time.perf_counter()
            fill(session)
            filled = time.perf_counter() - start
        finally:
            session.close()
        db = world.home.db
        size_mb = db.stat().st_size / 1e6
        copies = iter(range(100))

        def cp() -> None:
            subprocess.run(["cp", str(db), str(world.tmp / f"cp-{next(copies)}.db")], check=True)

        def cp_sync_read() -> None:
            copy = world.tmp / f"cp-{next(copies)}.db"
            subprocess.run(["cp", str(db), str(copy)], check=True)
            fd = os.open(copy, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                while os.read(fd, 8 << 20):
                    pass
            finally:
                os.close(fd)

        cp()  # warm the page cache once, as the backup's own first read would
        cp_ms = median_ms(cp, 5)
        durable_ms = median_ms(cp_sync_read, 3)
        for p in Path(world.tmp).glob("cp-*.db"):
            p.unlink()
        os.sync()  # the copies' deferred writes are cp's, not the backup's: out of the device before it runs
        session = login(world.home, admin.serial, admin.pin, role=Role.ADMIN)
        files = iter(range(100))
        try:
            create_ms = median_ms(lambda: create_backup(session, world.tmp / f"b-{next(files)}.ssb"), 3)
        finally:
            session.close()
        backup = world.tmp / "b-0.ssb"
        homes = iter(range(100))
        restore_ms = median_ms(lambda: restore_backup(backup, Home(world.tmp / f"restored-{next(homes)}"),
                                                      by=admin.serial, pin=lambda: admin.pin), 3)
        verdict = "ok" if max(create_ms, restore_ms) <= 3 * cp_ms else "OVER"
        print(f"backup of a {size_mb:.0f} MB store ({ROWS:,} impressions + {ROWS:,} audit entries, filled in "
              f"{filled:.0f} s): create {create_ms:.0f} ms ({create_ms / cp_ms:.1f}x cp), restore "
              f"{restore_ms:.0f} ms ({restore_ms / cp_ms:.1f}x cp), cp {cp_ms:.0f} ms; goal <= 3x cp: {verdict}")
        print(f"  for information: cp + fsync + read back from the device (what create must also do) {durable_ms:.0f} "
              f"ms; create {create_ms / durable_ms:.1f}x that")
        for p in Path(world.tmp).glob("cp-*.db"):
            p.unlink()


if __name__ == "__main__":
    main()
