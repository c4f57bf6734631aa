"""Impression library benchmarks: `python -m tests.bench.library`.

1. Import of a 4096×4096 scan (the largest the station accepts): read + decode +
   normalise (paper made transparent, cropped, ≤1024 px PNG), then the store side —
   entered (encrypted) and approved (re-encrypted into the library) by demo cards.
2. Search over 100,000 impressions (goal < 20 ms for every query shape, the first query
   after opening the store included): rows written straight into a demo station's
   encrypted store and indexed as the next search would, then ``impressions.search`` with
   the filters the library screen offers; median of warm runs, and the first query on a
   freshly opened store. One line per shape.
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

ROWS = 100_000
GOAL_MS = 20
KINDS = ("official", "contract", "finance", "department", "special")
NAMES = ("公章", "合同专用章", "财务专用章", "人事部章", "发票专用章")


def _ms(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def big_scan(fmt: str) -> bytes:
    """A 4096×4096 scan: a red seal with text on slightly grey, slightly noisy paper."""
    from PIL import Image, ImageDraw, ImageFilter

    size = 4096
    im = Image.effect_noise((size, size), 6).convert("RGB")
    im = Image.blend(Image.new("RGB", (size, size), (246, 244, 236)), im, 0.06)
    draw = ImageDraw.Draw(im)
    draw.ellipse((300, 300, size - 300, size - 300), outline=(205, 25, 35), width=90)
    draw.regular_polygon((size / 2, size / 2, 420), 5, fill=(205, 25, 35))
    for i in range(14):
        draw.rectangle((700 + i * 190, 900, 820 + i * 190, 1300), fill=(205, 25, 35))
    im = im.filter(ImageFilter.GaussianBlur(1.5))
    out = io.BytesIO()
    im.save(out, fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return out.getvalue()


def main() -> None:
    import shutil

    tmp = Path(tempfile.mkdtemp(prefix="seal-bench-library-"))
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # SoftHSM tokens and a ~50 MB store


def run(tmp: Path) -> None:
    os.environ["SOFTHSM2_CONF"] = str(tmp / "softhsm" / "softhsm2.conf")
    from devices import softhsm

    softhsm.write_config(tmp)
    from station import applications, impressions, keys
    from station.demo import build_demo
    from station.home import Home
    from station.session import login
    from station.store import impression_words
    from station.store.db import Store
    from station.validation import generate_credit_code

    home = Home(tmp / "home")
    cards, _ = build_demo(home)
    officer = next(c for c in cards if c.role == "officer")
    supervisor = next(c for c in cards if c.role == "supervisor")

    # 1. import of a 4096×4096 image ------------------------------------------------------
    print("import of a 4096×4096 scan:")
    for fmt in ("PNG", "JPEG"):
        path = tmp / f"scan.{fmt.lower()}"
        path.write_bytes(big_scan(fmt))
        ms, image = _ms(lambda: applications.load_impression(path, "official"), 3)
        print(f"  {fmt:<4} {path.stat().st_size / 1e6:5.1f} MB -> normalised {image.width_px}×{image.height_px} px"
              f" PNG {len(image.png) / 1e3:.0f} kB: {ms:.0f} ms median of 3 (read, decode, paper removal, crop)")
    form = applications.check_form(seal_kind="official", unit="基准测试有限公司", credit_code=generate_credit_code(7),
                                   seal_name="基准测试有限公司")
    desk = login(home, officer.serial, officer.pin)
    try:
        ms_submit, apps = _ms(lambda: applications.submit(desk, form, image), 5)
    finally:
        desk.close()
    boss = login(home, supervisor.serial, supervisor.pin)
    try:
        pending = [a.id for a in applications.list_(boss, state="submitted", unit=form.unit)]
        approvals = iter(pending)
        ms_approve, _ = _ms(lambda: applications.approve(boss, next(approvals)), len(pending))
        ms_plain, _ = _ms(lambda: impressions.plaintext(boss, impressions.active_for(boss, form.unit, form.unit).id), 20)
    finally:
        boss.close()
    print(f"  enter (encrypt + store + audit): {ms_submit:.1f} ms; approve (decrypt, re-encrypt into the library,"
          f" disable the previous one, audit): {ms_approve:.1f} ms; decrypt for making: {ms_plain:.2f} ms")

    # 2. search over 100,000 impressions --------------------------------------------------
    session = login(home, officer.serial, officer.pin)
    try:
        store_key = keys.store_key(session.master)
        start = time.perf_counter()
        with session.store.transaction():
            app_id = session.store.one("SELECT min(id) FROM applications")[0]
            rows = []
            for i in range(ROWS):
                pair = i % 25_000  # 5,000 units × 5 seal names, 4 impressions each; the newest is active
                unit = f"第{pair // 5:04d}号示范科技有限公司"
                state = "active" if i >= ROWS - 25_000 else ("disabled", "destroyed")[i % 2]
                when = f"{2020 + i * 6 // ROWS}-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00.000Z"
                rows.append((app_id, unit, f"{unit}{NAMES[pair % 5]}", KINDS[pair % 5], state, when,
                             os.urandom(32).hex(), os.urandom(32).hex()))
            for r in rows:
                session.store.execute(
                    "INSERT INTO impressions (application_id, unit, seal_name, seal_kind, state, width_mm,"
                    " height_mm, width_px, height_px, original_sha256, png_sha256, source_format, imported_at,"
                    " imported_by) VALUES (?, ?, ?, ?, ?, 42, 42, 1024, 1024, ?, ?, 'png', ?, 'bench')",
                    (r[0], r[1], r[2], r[3], r[4], r[6], r[7], r[5]))
        written = time.perf_counter() - start
        start = time.perf_counter()
        impression_words.catch_up(session.store)
        indexed = time.perf_counter() - start
        total = session.store.one("SELECT count(*) FROM impressions")[0]
        print(f"\nsearch over {total:,} impressions (written in {written:.1f} s, words index built in"
              f" {indexed:.1f} s); goal < {GOAL_MS} ms warm and first:")
        queries: list[tuple[str, dict[str, Any]]] = [
            ("newest 200, no filter", {}),
            ("unit contains '0042号' (a rare match)", {"unit": "0042号"}),
            ("unit contains 'nothing' (no match: whole index scanned)", {"unit": "nothing"}),
            ("seal name contains '财务' + state active", {"name": "财务", "state": "active"}),
            ("state destroyed", {"state": "destroyed"}),
            ("imported in March 2023", {"since": "2023-03-01", "until": "2023-03-31"}),
            ("unit + name + state + dates", {"unit": "示范", "name": "合同", "state": "disabled",
                                             "since": "2021-01-01", "until": "2022-12-31"}),
            ("seal name contains '财' (one character)", {"name": "财"}),
            ("unit contains '7' (one digit) + state destroyed", {"unit": "7", "state": "destroyed"}),
            ("unit contains '0042' (ASCII digits)", {"unit": "0042"}),
            ("seal name contains 'Ltd' (Latin, any case; no match)", {"name": "Ltd"}),
            ("seal name: a whole long name", {"name": "第4999号示范科技有限公司财务专用章"}),
            ("unit contains '科技' + imported before 2023", {"unit": "科技", "until": "2022-12-31"}),
            ("unit contains '示范' + imported since mid-2021", {"unit": "示范", "since": "2021-06-15"}),
            ("imported before 2023 (half the library)", {"until": "2022-12-31"}),
        ]
        for label, filters in queries:
            fresh = Store.open(home.db, store_key)
            cold_session = SimpleNamespace(actor=session.actor, store=fresh)
            cpu = time.process_time()
            cold, found = _ms(lambda: impressions.search(cold_session, **filters), 1)  # type: ignore[arg-type]
            cold_cpu, cpu = (time.process_time() - cpu) * 1000, time.process_time()
            warm, _ = _ms(lambda: impressions.search(cold_session, **filters), 15)  # type: ignore[arg-type]
            warm_cpu = (time.process_time() - cpu) * 1000 / 15
            fresh.close()
            verdict = "goal met" if max(warm, cold) < GOAL_MS else "goal NOT met"
            print(f"  {label:<58} {len(found):>4} rows  first {cold:6.1f} ms  warm {warm:6.1f} ms  {verdict}"
                  f"  (CPU: first {cold_cpu:.1f} ms, warm {warm_cpu:.1f} ms)")
    finally:
        session.close()


if __name__ == "__main__":
    main()
