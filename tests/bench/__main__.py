"""`make bench`: TUI cold start beside a Textual hello-world, PIN -> home, store open."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.bench.world import median_ms

FIRST_FRAME_GOAL = 1.15  # x the hello-world (issue 14)


def main() -> None:
    from tests.bench.world import bench_world

    with bench_world("shell") as world:
        _bench(world.home, world.cards)


def _bench(home, cards) -> None:
    def start_app(which: str) -> None:
        subprocess.run([sys.executable, "-m", "tests.bench.first_frame", which, str(home.path)],
                       check=True, env=os.environ.copy())

    for which in ("hello", "station"):
        start_app(which)  # warm the file cache once
    hello = median_ms(lambda: start_app("hello"), 7)
    station = median_ms(lambda: start_app("station"), 7)
    ratio = station / hello
    print(f"TUI cold start to first frame: seal-station {station:.0f} ms beside a textual hello-world started "
          f"the same way {hello:.0f} ms ({ratio:.2f}x; goal <= {FIRST_FRAME_GOAL}x: "
          f"{'met' if ratio <= FIRST_FRAME_GOAL else 'NOT met'})")

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
