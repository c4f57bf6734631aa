"""Issue 9 finding 11: a store held by another writer is busy, not damaged.

A command waits a bounded time (``station.store.db.BUSY_TIMEOUT``) and then says the
station is busy, exit 4 — never advice to restore a backup. A seal written onto a card
just before the store turned busy stays on the card, flagged, and is recorded later.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import sqlcipher3

from station.demo import DemoCard
from station.home import Home
from tests.helpers import DemoWorld, error_line, run_cli, store_key_for
from tests.station.test_making import approved_applications, make_args, seal_on_card, store_query
from tests.station.test_making_crash import seal_card

__all__ = ["seal_card"]  # the fixture, shared with test_making.py


@contextmanager
def held(db: Path, key: bytes) -> Iterator[None]:
    """Another writer holding the whole database (an exclusive transaction)."""
    conn = sqlcipher3.connect(str(db), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_a_held_store_is_busy_not_damaged(world: DemoWorld, home_copy: Home) -> None:
    auditor = world.card("auditor")
    key = store_key_for(home_copy, auditor)
    with held(home_copy.db, key):
        line = error_line(run_cli(world.env(auditor, home=home_copy), "audit", "verify", "--by", auditor.serial), 4)
    assert "busy" in line and "backup" not in line and "damaged" not in line, line
    proc = run_cli(world.env(auditor, home=home_copy), "audit", "verify", "--by", auditor.serial)
    assert proc.returncode == 0, proc.stderr  # and once it is free, all is well


def test_a_store_busy_after_the_write_leaves_the_card_flagged(
        world: DemoWorld, module, home_copy: Home, seal_card: DemoCard, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from station import cli, faults
    from station.store import db

    officer, supervisor = world.card("officer"), world.card("supervisor")
    (app_id,) = approved_applications(home_copy, world)
    key = store_key_for(home_copy, officer)
    for card in (officer, supervisor, seal_card):
        monkeypatch.setenv(f"SEAL_STATION_PIN_{card.serial}", card.pin)
    monkeypatch.setenv("SEAL_STATION_HOME", str(home_copy.path))
    monkeypatch.setattr(db, "BUSY_TIMEOUT", 0.5)
    holding: list = []

    def checkpoint(step: str) -> None:
        if step == "record":  # another writer takes the store just as the seal is to be recorded
            hold = held(home_copy.db, key)
            hold.__enter__()
            holding.append(hold)

    monkeypatch.setattr(faults, "checkpoint", checkpoint)
    try:
        code = cli.main(make_args(app_id, officer, seal_card, supervisor))
    finally:
        for hold in holding:
            hold.__exit__(None, None, None)
    err = capsys.readouterr().err.splitlines()
    assert code == 4 and len(err) == 1, err
    assert "busy" in err[0] and "flagged" in err[0] and "card inspect" in err[0], err[0]
    assert "internal error" not in err[0] and "backup" not in err[0]
    on_card = seal_on_card(module, seal_card)
    assert on_card is not None and home_copy.card_marks()[seal_card.serial] == "needs-inspection"

    monkeypatch.undo()
    env = world.env(officer, seal_card, home=home_copy)
    proc = run_cli(env, "card", "inspect", seal_card.serial, "--by", officer.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    settled = json.loads(proc.stdout)
    assert settled["action"] == "recorded"
    assert store_query(home_copy, world, "SELECT seal_der FROM seals WHERE application_id = ?",
                       (app_id,)) == [(on_card,)]
