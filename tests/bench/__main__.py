"""`make bench`: TUI cold start beside a Textual hello-world, PIN -> home, store open.

The cold start is a fresh interpreter that runs the app to its first frame and exits
(:mod:`tests.bench.first_frame`), the station's real lock screen beside a Textual
hello-world started the same way. Both read compiled bytecode, as an installed package
does (pip compiles it; Textual's own is): the caches go to a folder of the bench's own,
written by one warm-up run each, so a ``PYTHONDONTWRITEBYTECODE`` environment does not
make the station alone recompile its sources on every start. The runs alternate, so a
machine that gets busier midway slows both, and each side is the median of its runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.world import median_ms

FIRST_FRAME_GOAL = 1.15  # x the hello-world (issue 14)
FIRST_FRAME_RUNS = 11


def first_frame(home: Path, pycache: Path, runs: int = FIRST_FRAME_RUNS) -> float:
    """Print the cold start of both apps (median ms) and the ratio; return the ratio."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)

    def start(which: str) -> float:
        begin = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tests.bench.first_frame", which, str(home)], check=True, env=env)
        return (time.perf_counter() - begin) * 1000

    for which in ("hello", "station"):
        start(which)  # warm-up: bytecode written, files in the page cache
    times: dict[str, list[float]] = {"hello": [], "station": []}
    for _ in range(runs):
        for which in times:
            times[which].append(start(which))
    hello, station = statistics.median(times["hello"]), statistics.median(times["station"])
    ratio = station / hello
    print(f"TUI cold start to first frame: seal-station {station:.0f} ms beside a textual hello-world started "
          f"the same way {hello:.0f} ms ({ratio:.2f}x, medians of {runs} alternating runs; goal <= "
          f"{FIRST_FRAME_GOAL}x: {'met' if ratio <= FIRST_FRAME_GOAL else 'NOT met'})")
    return ratio


def main() -> None:
    from tests.bench.world import bench_world

    with bench_world("shell") as world:
        _bench(world.home, world.cards)


def _bench(home, cards) -> None:
    first_frame(home.path, home.path.parent / "pycache")
    from station.session import login
    from station.store.db import Store
    from station import keys

    officer = next(c for c in cards if c.role == "officer")

    def pin_to_home() -> None:
        login(home, officer.serial, officer.pin).close()

    print(f"login to home (card login, possession, key slot, store open, audit) on SoftHSM: "
          f"{median_ms(pin_to_home, 10):.1f} ms median of 10 (incl. logout with signed tree head)")

    session = login(home, officer.serial, officer.pin)
    key = keys.store_key(session.master)
    session.close()
    print(f"store open (SQLCipher key + quick_check + migrations check): "
          f"{median_ms(lambda: Store.open(home.db, key).close(), 20):.1f} ms median of 20")


if __name__ == "__main__":
    main()
