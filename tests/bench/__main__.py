"""`make bench`: TUI cold start beside a Textual hello-world, PIN -> home, store open."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="seal-bench-"))
    os.environ["SOFTHSM2_CONF"] = str(tmp / "softhsm" / "softhsm2.conf")
    from devices import softhsm

    softhsm.write_config(tmp)
    from station.demo import build_demo
    from station.home import Home

    home = Home(tmp / "home")
    start = time.perf_counter()
    cards, _ = build_demo(home)
    print(f"demo world built in {(time.perf_counter() - start) * 1000:.0f} ms ({len(cards)} cards)")

    def start_app(which: str) -> None:
        subprocess.run([sys.executable, "-m", "tests.bench.first_frame", which, str(home.path)],
                       check=True, env=os.environ.copy())

    for which in ("hello", "station"):
        start_app(which)  # warm the file cache once
    hello = _median_ms(lambda: start_app("hello"), 7)
    station = _median_ms(lambda: start_app("station"), 7)
    print(f"cold start to first frame: textual hello-world {hello:.0f} ms, seal-station {station:.0f} ms "
          f"({station / hello:.2f}x; goal <= 1.5x)")

    from station.session import login
    from station.store.db import Store
    from station import keys

    officer = next(c for c in cards if c.role == "officer")

    def pin_to_home() -> None:
        login(home, officer.serial, officer.pin).close()

    print(f"PIN -> home (login: PIN, possession, key slot, store open, audit) on SoftHSM: "
          f"{_median_ms(pin_to_home, 10):.1f} ms median of 10 (incl. logout with signed tree head)")

    session = login(home, officer.serial, officer.pin)
    key = keys.store_key(session.master)
    session.close()
    print(f"store open (SQLCipher key + quick_check + migrations check): "
          f"{_median_ms(lambda: Store.open(home.db, key).close(), 20):.1f} ms median of 20")


if __name__ == "__main__":
    main()
