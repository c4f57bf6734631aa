"""`python -m tests.bench.audit`: the audit log at a million entries.

One line: ``audit: 1000000 entries; verify X s (Y x sha256sum over the same bytes); login
A ms (B ms with a small log); stats C ms``. Goals (issue 11): verify <= 5x sha256sum over
the entries' bytes; a login at a million entries <= 2x a login at a small log; statistics
over a million entries < 1 s. The million entries are written in one transaction with
their leaves and roots computed beforehand (as an import would), then the station's own
code logs in, verifies and counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.world import bench_world, median_ms

ENTRIES = int(os.environ.get("BENCH_AUDIT_ENTRIES", "1000000"))
VERIFY_GOAL, LOGIN_GOAL, STATS_GOAL_MS = 5.0, 2.0, 1000.0
UNITS = [f"第{i:03d}号示范单位" for i in range(40)]
ACTIONS = ("login", "logout", "application-submit", "make", "issue", "freeze", "login")


def _fill(session, count: int) -> Path:
    """Append ``count`` entries after the existing ones; returns a file of their bytes."""
    from crypto import merkle
    from station.audit import canonical, index_columns, kinds_of, make_entry
    from station.store.audit_rows import AuditRows

    audit, rows_repo = session.audit, AuditRows(session.store)
    log = merkle.MerkleLog(audit.size, audit._log.frontier)
    seq = audit._last_seq
    sha = hashlib.sha256
    terminal = {"host": "bench", "ip": "10.0.0.7", "mac": "02:00:00:00:00:07"}
    actor = {"cert_sha256": "ab" * 32, "name": "Bench", "role": "officer", "serial": "BENCH0001"}
    daily: dict[tuple[str, str, str], int] = {}
    batch: list[tuple] = []
    with session.store.transaction():
        for i in range(count):
            seq += 1
            action = ACTIONS[i % len(ACTIONS)]
            outcome = "refused" if i % 97 == 0 else "ok"
            details = {"unit": UNITS[i % len(UNITS)]} if action != "login" else (
                {"reason": "wrong PIN"} if outcome == "refused" else {})
            when = f"2025-{1 + (i * 12 // count):02d}-{1 + i % 28:02d}T08:{i % 60:02d}:00.000Z"
            entry = make_entry(seq, actor, action, f"OBJ-{i}", outcome, details, when, terminal)
            text = canonical(entry)
            leaf = sha(b"\x00" + text).digest()
            log.append(leaf)
            c = index_columns(entry)
            batch.append((seq, text.decode(), leaf, log.root(), c["time"], c["action"], c["actor"],
                          c["outcome"], c["unit"]))
            for kind in kinds_of(entry):
                key = (c["time"][:10], c["unit"], kind)
                daily[key] = daily.get(key, 0) + 1
            if len(batch) == 50_000:
                rows_repo.add_many(batch, {})
                batch = []
        rows_repo.add_many(batch, daily)
        rows_repo.put_frontier(log.size, seq, log.frontier)
    data = Path(tempfile.mkstemp(prefix="audit-bytes-")[1])
    with data.open("wb") as fh:
        for text in rows_repo.texts():
            fh.write(text.encode())
    return data


def _sha256sum_s(path: Path) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(["sha256sum", str(path)], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    with contextlib.redirect_stdout(sys.stderr), bench_world("audit") as world:
        from station.audit import verify_and_record
        from station.auditor import stats
        from station.session import login

        auditor = world.card("auditor")

        def one_login() -> None:
            login(world.home, auditor.serial, auditor.pin).close()

        one_login()
        small = median_ms(one_login, 7)
        session = login(world.home, auditor.serial, auditor.pin)
        try:
            start = time.perf_counter()
            data = _fill(session, ENTRIES - session.audit.size)
            print(f"  ({ENTRIES:,} entries written in {time.perf_counter() - start:.1f} s)", file=sys.stderr)
        finally:
            session.close()
        one_login()
        large = median_ms(one_login, 7)
        session = login(world.home, auditor.serial, auditor.pin)
        try:
            start = time.perf_counter()
            report = verify_and_record(session)
            verify_s = time.perf_counter() - start
            assert report.ok, report.problems[:3]
            stats_ms = median_ms(lambda: stats(session.store, period="month"), 5)
            size = session.audit.size
        finally:
            session.close()
        hash_s = _sha256sum_s(data)
        data.unlink()
    ratio = verify_s / hash_s
    sys.stdout.flush()
    print(f"audit: {size} entries; verify {verify_s:.2f} s ({ratio:.1f} x sha256sum over the same bytes); "
          f"login {large:.0f} ms ({small:.0f} ms with a small log); stats {stats_ms:.0f} ms")
    ok = ratio <= VERIFY_GOAL and large <= LOGIN_GOAL * small and stats_ms < STATS_GOAL_MS
    print(f"  goals: verify <= {VERIFY_GOAL}x, login <= {LOGIN_GOAL}x small, stats < {STATS_GOAL_MS:.0f} ms:"
          f" {'met' if ok else 'NOT met'}", file=sys.stderr)


if __name__ == "__main__":
    main()
