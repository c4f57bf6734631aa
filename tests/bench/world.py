"""What every benchmark needs: a throw-away demo world and a median timer."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["BenchWorld", "bench_world", "median_ms"]


@dataclass
class BenchWorld:
    tmp: Path
    home: Any  # station.home.Home
    conf: Path
    cards: list[Any]  # station.demo.DemoCard

    def card(self, role: str, n: int = 0) -> Any:
        return [c for c in self.cards if c.role == role][n]


@contextmanager
def bench_world(name: str) -> Iterator[BenchWorld]:
    """A demo world in a temporary folder (SoftHSM tokens included), removed afterwards.

    SOFTHSM2_CONF is set before anything loads the PKCS#11 module: SoftHSM reads it once.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f"seal-bench-{name}-"))
    os.environ["SOFTHSM2_CONF"] = str(tmp / "softhsm" / "softhsm2.conf")
    try:
        from devices import softhsm
        from station.demo import build_demo
        from station.home import Home

        softhsm.write_config(tmp)
        home = Home(tmp / "home")
        start = time.perf_counter()
        cards, conf = build_demo(home)
        print(f"demo world built in {(time.perf_counter() - start) * 1000:.0f} ms ({len(cards)} cards)")
        yield BenchWorld(tmp, home, conf, cards)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
