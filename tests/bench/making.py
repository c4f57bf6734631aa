"""`python -m tests.bench.making`: the making ceremony and seal verification, measured.

* the ceremony in process (``making.make_seal`` on SoftHSM, officer already logged in;
  supervisor login and co-signature included): median over several blank cards — goal
  <= 100 ms;
* `seal-station make` end to end as a command (a new process: start-up, officer login,
  the ceremony, the receipt, logout with a signed tree head), and with `--receipt-dir`
  beside it (goal <= 600 ms).

Seal verification beside the raw signature verify is `python -m tests.bench.verify`.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CEREMONIES = 15
COMMANDS = 5
BUNDLES = 5  # `make --receipt-dir`: the receipt bundle (QR PNG, signed PDF) written too
BUNDLE_GOAL_MS = 600


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="seal-bench-making-"))
    os.environ["SOFTHSM2_CONF"] = str(tmp / "softhsm" / "softhsm2.conf")  # before any module loads
    try:
        _bench(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bench(tmp: Path) -> None:
    from devices import softhsm

    softhsm.write_config(tmp)
    from devices.pkcs11 import open_module
    from station import making
    from station.demo import build_demo
    from station.home import Home
    from station.model import Role
    from station.session import login
    from tests.helpers import DemoWorld, cli_env, remember_store_key, wipe_seal_card
    from tests.station.test_making import approved_applications, make_args

    home = Home(tmp / "home")
    cards, conf = build_demo(home)
    world = DemoWorld(home=home, conf=conf, cards=cards)
    remember_store_key(home, world.card("officer"))  # a card made blank again is unmarked in the store too
    module = open_module(softhsm.find_module())
    officer, supervisor = world.card("officer"), world.card("supervisor")
    blanks = [c for c in cards if c.role == "seal"]
    app_ids = approved_applications(home, world, CEREMONIES + COMMANDS + BUNDLES, blanks)
    print(f"demo world in {tmp}; {len(app_ids)} approved applications, {len(blanks)} seal cards")

    def reset(card: Any) -> None:
        wipe_seal_card(module, card, [home])

    # -- the ceremony in process ------------------------------------------------------------
    session = login(home, officer.serial, officer.pin, role=Role.OFFICER)
    totals: list[float] = []
    steps: dict[str, list[float]] = {s: [] for s in making.STEPS}
    der = b""
    try:
        for i in range(CEREMONIES):
            card = blanks[i % len(blanks)]
            reset(card)
            marks: list[tuple[str, float]] = []
            start = time.perf_counter()
            made = making.make_seal(session, application_id=app_ids[i], seal_card=card.serial, seal_pin=card.pin,
                                    supervisors=[(supervisor.serial, lambda: supervisor.pin)], recipient="张三",
                                    progress=lambda step: marks.append((step, time.perf_counter())))
            end = time.perf_counter()
            totals.append((end - start) * 1000)
            for (step, t), (_, t_next) in zip(marks, marks[1:] + [("", end)]):
                steps[step].append((t_next - t) * 1000)
            der = made.seal_der
    finally:
        session.close()
    median = statistics.median(totals)
    print(f"\nceremony in process (make_seal on SoftHSM, {len(der)} B seal): median {median:.1f} ms of "
          f"{CEREMONIES} (min {min(totals):.1f}, max {max(totals):.1f}); goal <= 100 ms: "
          f"{'met' if median <= 100 else 'NOT met'}")
    print("  per step (median ms): " + ", ".join(f"{s} {statistics.median(v):.1f}" for s, v in steps.items()))

    # -- `seal-station make` as a command -----------------------------------------------------
    cpu: dict[str, list[float]] = {"alone": [], "bundle": []}

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def command(app_id: int, card: Any, *extra: str) -> float:
        reset(card)
        env = cli_env(conf, home.path, [officer, supervisor, card])
        cpu_start, start = children_cpu(), time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "station", *make_args(app_id, officer, card, supervisor),
                               "--json", *extra], env=env, capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL)
        took = (time.perf_counter() - start) * 1000
        cpu["bundle" if extra else "alone"].append((children_cpu() - cpu_start) * 1000)
        if proc.returncode != 0:
            raise SystemExit(f"make failed: {proc.stderr.strip()}")
        return took

    from station.receipts import font as pdf_font
    from station.receipts import pdf as receipt_pdf

    start = time.perf_counter()
    pdf_font.load(*receipt_pdf.font())  # what a station's first receipt does once
    print(f"receipt PDF faces ready (glyphs drawn once, then read from the cache): "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")
    alone: list[float] = []
    bundle: list[float] = []
    for j in range(max(COMMANDS, BUNDLES)):  # interleaved, so a busy moment of the machine weighs on both
        if j < COMMANDS:
            alone.append(command(app_ids[CEREMONIES + j], blanks[j % len(blanks)]))
        if j < BUNDLES:
            bundle.append(command(app_ids[CEREMONIES + COMMANDS + j], blanks[j % len(blanks)],
                                  "--receipt-dir", str(tmp / f"receipts-{j}")))
    floor, took = statistics.median(alone), statistics.median(bundle)
    print(f"`seal-station make` end to end (new process, signed receipt stored): median {floor:.0f} ms of "
          f"{COMMANDS} (min {min(alone):.0f}, max {max(alone):.0f})")
    print(f"make --receipt-dir (QR PNG, signed PDF, SHA256SUMS): {took:.0f} ms (median of {BUNDLES}, "
          f"min {min(bundle):.0f}) beside make alone {floor:.0f} ms (floor; {took / floor:.2f}x); "
          f"goal <= {BUNDLE_GOAL_MS} ms: {'met' if took <= BUNDLE_GOAL_MS else 'NOT met'}")
    cpu_floor, cpu_took = statistics.median(cpu["alone"]), statistics.median(cpu["bundle"])
    print(f"  CPU time of the same commands (steadier on a shared machine): {cpu_took:.0f} ms beside "
          f"{cpu_floor:.0f} ms ({cpu_took / cpu_floor:.2f}x)")


if __name__ == "__main__":
    main()
