"""Issue #10, "must show": renewal links both seals and revokes the old one in one
transaction — and a power cut at any step of it never leaves two active seals for one
unit and name, nor a revoked seal without its successor.

The old seal is made on demo seal card SEAL-01, its successor on SEAL-02 (both name the
same unit; both wiped before and after); each test works on a private copy of the station home.
"""

from __future__ import annotations

import json
import signal
from typing import Iterator

import pytest

from station import making
from station.demo import DemoCard
from station.home import Home
from tests.helpers import DemoWorld, error_line, run_cli
from tests.station.life_world import make_real_seal
from tests.station.test_making import approved_applications, store_query, wipe

STEPS = ("renew-start",) + making.STEPS + ("renew-revoke", "renew-link")


@pytest.fixture
def cards(world: DemoWorld, module, home_copy: Home) -> Iterator[tuple[DemoCard, DemoCard]]:
    old, new = world.card("seal", 0), world.card("seal", 1)
    for c in (old, new):
        wipe(world, module, c, [world.home, home_copy])
    yield old, new
    for c in (old, new):
        wipe(world, module, c, [world.home, home_copy])


def _old_seal(world: DemoWorld, home: Home, card: DemoCard) -> tuple[str, str, str]:
    (app_id,) = approved_applications(home, world, cards=[card])
    made = make_real_seal(world, home, card, app_id)
    unit, name = store_query(home, world, "SELECT unit, name FROM seals WHERE esid = ?", (made.esid,))[0]
    return made.esid, unit, name


def _renew_args(world: DemoWorld, esid: str, card: DemoCard) -> list[str]:
    return ["renew", esid, "--officer", world.card("officer").serial, "--seal-card", card.serial,
            "--supervisor", world.card("supervisor").serial, "--recipient", "李四", "--json"]


def _invariants(world: DemoWorld, home: Home, unit: str, name: str) -> list[tuple]:
    rows = store_query(home, world, "SELECT s.esid, s.state, r.renews, r.renewed_by, r.state_reason FROM seals s"
                       " JOIN registry r ON r.esid = s.esid WHERE s.unit = ? AND s.name = ?"
                       " ORDER BY s.made_at, s.esid", (unit, name))
    assert store_query(home, world, "SELECT count(*) FROM seals WHERE unit = ? AND name = ?",
                       (unit, name))[0][0] == len(rows)
    assert sum(r[1] == "active" for r in rows) == 1, rows  # never two active, never none
    esids = {r[0] for r in rows}
    for esid, state, renews, renewed_by, _ in rows:
        if state == "revoked":  # revoked only by the renewal here: its successor exists and points back
            assert renewed_by in esids, rows
            assert [r for r in rows if r[0] == renewed_by][0][2] == esid, rows
        assert renews is None or renews in esids
    return rows


def test_renew_links_both_and_revokes_the_old(world: DemoWorld, home_copy: Home, cards, tmp_path) -> None:
    old_card, new_card = cards
    esid, unit, name = _old_seal(world, home_copy, old_card)
    env = world.env(world.card("officer"), world.card("supervisor"), new_card, world.card("auditor"), home=home_copy)
    proc = run_cli(env, *_renew_args(world, esid, new_card))
    assert proc.returncode == 0, proc.stderr
    new = json.loads(proc.stdout)["seal"]
    assert json.loads(proc.stdout)["pin"] == "initial PIN, change at first use"  # no new PIN was given
    rows = _invariants(world, home_copy, unit, name)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(esid, "revoked", None, new), (new, "active", esid, None)]
    assert rows[0][4].startswith("renewed")
    proc = run_cli(env, "seals", "--unit", unit, "--by", world.card("auditor").serial, "--json")
    listed = {s["esid"]: s for s in json.loads(proc.stdout)["seals"]}
    assert (listed[esid]["renewed_by"], listed[new]["renews"]) == (new, esid)
    status = json.loads(run_cli(env, "seal", "status", esid, "--by", world.card("auditor").serial, "--json").stdout)
    assert [(e["action"], e["reason"].split(":")[0]) for e in status["events"]] == [("revoke", "renewed")]
    assert status["events"][0]["receipt"].startswith("SSR1:")
    # a revoked seal is not renewed again, and nothing brings it back
    error_line(run_cli(env, *_renew_args(world, esid, new_card)), 1)


@pytest.mark.parametrize("step", STEPS)
def test_power_cut_during_renewal(step: str, world: DemoWorld, module, home_copy: Home, cards) -> None:
    old_card, new_card = cards
    esid, unit, name = _old_seal(world, home_copy, old_card)
    env = world.env(world.card("officer"), world.card("supervisor"), new_card, world.card("auditor"), home=home_copy)
    proc = run_cli({**env, "SEAL_STATION_FAILPOINT": step}, *_renew_args(world, esid, new_card))
    assert proc.returncode == -signal.SIGKILL, (step, proc.returncode, proc.stderr)
    rows = _invariants(world, home_copy, unit, name)
    if step == "pin":  # after the record: the renewal is made, the new card keeps its initial PIN
        assert [(r[0], r[1], r[3]) for r in rows] == [(esid, "revoked", rows[1][0]), (rows[1][0], "active", None)]
    else:
        assert rows == [(esid, "active", None, None, None)], rows  # nothing of the renewal was committed
    proc = run_cli(env, "audit", "verify", "--by", world.card("auditor").serial, "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["valid"] is True

    # the card is inspected: a seal written completely is recorded, and the renewal with it
    # (rolls forward); anything else is wiped and the renewal is run again and completes
    proc = run_cli(env, "card", "inspect", new_card.serial, "--by", world.card("officer").serial, "--json")
    assert proc.returncode == 0, proc.stderr
    settled = json.loads(proc.stdout)
    if step == "pin":  # recorded by the ceremony itself: the card agrees with the store
        assert settled["action"] == "none", settled
    if settled["action"] == "recorded" or step == "pin":
        new = settled["seal"]
    else:
        wipe(world, module, new_card, [home_copy])
        proc = run_cli(env, *_renew_args(world, esid, new_card))
        assert proc.returncode == 0, proc.stderr
        new = json.loads(proc.stdout)["seal"]
    rows = _invariants(world, home_copy, unit, name)
    assert [(r[0], r[1], r[3]) for r in rows] == [(esid, "revoked", new), (new, "active", None)]
    apps = store_query(home_copy, world, "SELECT count(*) FROM renewals WHERE old_esid = ?", (esid,))
    assert apps == [(1,)]  # the cut-short renewal's application was reused, not a second one
