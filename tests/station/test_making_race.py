"""Issue 9 finding 2: two `make` commands at once on one seal card.

The card is reserved in the store (a unique index) before it is written and checked again
under the reservation, so exactly one ceremony writes; the other exits 1 naming why.
"""

from __future__ import annotations

import json
import subprocess
import sys

from station.demo import DemoCard
from station.home import Home
from tests.helpers import ROOT, DemoWorld, error_line, set_mark
from tests.station.test_making import approved_applications, make_args, store_query
from tests.station.test_making_crash import seal_card

__all__ = ["seal_card"]  # the fixture, shared with test_making.py

RUNS = 20


def test_two_makes_at_once_on_one_card_make_one_seal(world: DemoWorld, module, home_copy: Home,
                                                     seal_card: DemoCard) -> None:
    officer, supervisor = world.card("officer"), world.card("supervisor")
    env = world.env(officer, supervisor, seal_card, home=home_copy)
    apps = approved_applications(home_copy, world, 2 * RUNS)
    for run in range(RUNS):
        pair = apps[2 * run: 2 * run + 2]
        procs = [subprocess.Popen([sys.executable, "-m", "station", *make_args(a, officer, seal_card, supervisor),
                                   "--json"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, text=True) for a in pair]
        done = [(p, *p.communicate(timeout=180)) for p in procs]
        codes = sorted(p.returncode for p, _, _ in done)
        roles = {c.serial: c.role for c in world.cards}
        assert codes == [0, 1], (run, [(p.returncode, err, [r for s, r in roles.items() if s in err])
                                       for p, _, err in done])
        winner = next(out for p, out, _ in done if p.returncode == 0)
        loser = next(subprocess.CompletedProcess(p.args, p.returncode, out, err)
                     for p, out, err in done if p.returncode == 1)
        line = error_line(loser, 1)
        assert "(card-busy)" in line or "(card-already-sealed)" in line, line
        esid = json.loads(winner)["seal"]
        assert store_query(home_copy, world, "SELECT esid FROM seals WHERE application_id IN (?, ?)",
                           tuple(pair)) == [(esid,)]
        card = module.card(seal_card.serial)
        try:
            card.login(seal_card.pin)
            assert card.delete_data("SESeal") == 1, f"run {run}: the card must hold exactly one seal"
        finally:
            module.forget(seal_card.serial)
        set_mark(home_copy, seal_card.serial, None)
