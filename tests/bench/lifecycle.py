"""Seal registry and status list benchmarks: `python -m tests.bench.lifecycle`.

1. Registry search over 100,000 seals (goal: every query shape < 20 ms): rows written
   straight into a demo station's encrypted store (each with a 1 KB stand-in DER, which
   the registry never reads), its registry lines and words index built as the first
   search after an upgrade would, then ``lifecycle.search`` with every filter the
   registry screen and ``seals`` offer; median of warm runs.
2. The signed status list with 10,000 seals that are not active: exported (signed by
   the officer's card) and verified against the admin-signed enrollment bundle; time and
   size.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.world import bench_world, median_ms

ROWS = 100_000
NOT_ACTIVE = 10_000
LIMIT_MS = 20.0
NAMES = ("公章", "合同专用章", "财务专用章", "人事部章", "发票专用章")


def _rows(station: str) -> tuple[list[tuple], list[tuple]]:
    rnd = random.Random(10)
    der = os.urandom(1024)
    seals, issuances = [], []
    states = ["frozen"] * 4 + ["lost"] * 3 + ["revoked"] * 3
    not_active = set(rnd.sample(range(ROWS), NOT_ACTIVE))
    for i in range(ROWS):
        unit = f"测试单位{i // 5:05d}有限公司"
        state = states[i % 10] if i in not_active else "active"
        made = f"20{20 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+00:00"
        esid = f"{station}-{2020 + i % 6}-{i:06d}"
        seals.append((esid, i, der, "00" * 32, f"{i:016x}", "11" * 32, unit + NAMES[i % 5], unit,
                      "official", made, "2030-01-01T00:00:00+00:00", made, "22" * 32, "office,web",
                      state))
        issuances.append((esid, f"领用人{i % 97}", made, "22" * 32, "[]", "00" * 32))
    return seals, issuances


def _fill(session: Any) -> None:
    seals, issuances = _rows(session.config.station_id)
    start = time.perf_counter()
    with session.store.transaction():
        session.store._conn.executemany(
            "INSERT INTO seals (esid, application_id, seal_der, seal_sha256, card_serial, card_cert_sha256, name,"
            " unit, seal_kind, valid_start, valid_end, made_at, officer_cert_sha256, functions, state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", seals)
        session.store._conn.executemany(
            "INSERT INTO issuances (esid, recipient, issued_at, officer_cert_sha256, supervisors, digest)"
            " VALUES (?, ?, ?, ?, ?, ?)", issuances)
    print(f"{ROWS:,} seals written in {(time.perf_counter() - start):.1f} s ({NOT_ACTIVE:,} not active)")
    from station.store.lifecycle import SealRegistry

    start = time.perf_counter()
    SealRegistry(session.store).catch_up()  # what the first search after an upgrade does
    session.store.execute("ANALYZE")
    print(f"registry lines and words index built in {(time.perf_counter() - start):.1f} s")


def main() -> None:
    with bench_world("lifecycle") as world:
        run(world)


def run(world: Any) -> None:
    from station import lifecycle
    from station.model import Role
    from station.receipts.bundle import export_bundle, load_bundle
    from station.revocations import export_status_list, load_status_list
    from station.session import login

    officer, admin = world.card("officer"), world.card("admin")
    session = login(world.home, officer.serial, officer.pin, role=Role.OFFICER)
    failures = []
    try:
        _fill(session)
        station = session.config.station_id
        shapes = {
            "everything (newest 200)": {},
            "text: part of a unit name": {"text": "单位01234"},
            "text: matches nothing": {"text": "没有这个单位"},
            "text: an esID prefix": {"text": f"{station}-2023-0999"},
            "unit contains": {"unit": "04321"},
            "seal name contains": {"name": "发票"},
            "esID exact": {"esid": f"{station}-2023-012345"},
            "card serial": {"card": f"{54321:016x}"},
            "state frozen": {"state": "frozen"},
            "state revoked + unit": {"state": "revoked", "unit": "单位0"},
            "state active + name": {"state": "active", "name": "合同"},
            "state lost + text": {"state": "lost", "text": "单位1"},
            "one character": {"text": "7"},
        }
        print(f"registry search over {ROWS:,} seals (median of 7 warm runs, goal < {LIMIT_MS:.0f} ms):")
        for label, filters in shapes.items():
            lifecycle.search(session, **filters)
            ms = median_ms(lambda f=filters: lifecycle.search(session, **f), 7)
            found = len(lifecycle.search(session, **filters))
            flag = "ok" if ms < LIMIT_MS else "SLOW"
            print(f"  {label:<28} {ms:7.2f} ms  {found:>4} rows  {flag}")
            if ms >= LIMIT_MS:
                failures.append(label)
        out = Path(world.tmp) / "status.json"
        start = time.perf_counter()
        info = export_status_list(session, out)
        export_ms = (time.perf_counter() - start) * 1000
    finally:
        session.close()
    boss = login(world.home, admin.serial, admin.pin, role=Role.ADMIN)
    try:
        export_bundle(boss, Path(world.tmp) / "bundle.json")
    finally:
        boss.close()
    bundle = load_bundle(Path(world.tmp) / "bundle.json")
    start = time.perf_counter()
    listed = load_status_list(out, bundle)
    verify_ms = (time.perf_counter() - start) * 1000
    assert len(listed.entries) == NOT_ACTIVE == info["entries"]
    print(f"status list: {info['entries']:,} entries, {info['bytes'] / 1024:.0f} KiB, exported and signed in "
          f"{export_ms:.0f} ms, verified against the bundle in {verify_ms:.0f} ms"
          f" ({'fits' if info['qr'] else 'too long for'} one QR code)")
    if failures:
        print(f"SLOW: {', '.join(failures)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
