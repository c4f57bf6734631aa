"""Crash safety of the making ceremony (DESIGN.md §2 step 8).

Two ways a ceremony can be cut short, at each of its steps (``making.STEPS``):

* the power goes out: ``make`` runs as a child process with ``SEAL_STATION_FAILPOINT=<step>``
  and kills itself with SIGKILL there — a real card and a real database, no clean-up code
  gets to run;
* the card is pulled: in process, the progress callback takes the seal card out of the
  reader (``devices.softhsm.eject``) when the ceremony reaches the step.

Afterwards the store opens, the audit log verifies, nothing half-made is recorded, and the
card is blank or flagged "needs-inspection" — never an unnoticed seal. The last step, the
recipient's PIN, comes after the record: cut short there, the seal is made and the card
keeps its initial PIN, which the receipt and the registry say.
"""

from __future__ import annotations

import json
import signal
from typing import Iterator

import pytest

from devices import softhsm
from station import making
from station.demo import DemoCard
from station.errors import StationError
from station.home import Home
from tests.helpers import DemoWorld, error_line, run_cli
from tests.station.test_making import (RECIPIENT, approved_applications, card_states, make_args, seal_on_card,
                                       seal_card, store_query, wipe)

__all__ = ["seal_card"]  # the fixture, shared with test_making.py


def _seal_count(world: DemoWorld, home: Home) -> int:
    return store_query(home, world, "SELECT count(*) FROM seals")[0][0]  # other tests may have made some


def _after(world: DemoWorld, module, home: Home, app_id: int, seal: DemoCard,
           seals_before: int) -> tuple[bytes | None, str]:
    """Check what must hold after any interrupted ceremony; return (object on card, card state)."""
    assert store_query(home, world, "SELECT state, esid FROM applications WHERE id = ?",
                       (app_id,)) == [("approved", None)]
    assert store_query(home, world, "SELECT count(*) FROM seals WHERE application_id = ?", (app_id,)) == [(0,)]
    assert _seal_count(world, home) == seals_before
    assert store_query(home, world, "SELECT count(*) FROM issuances i JOIN seals s ON s.esid = i.esid"
                       " WHERE s.application_id = ?", (app_id,)) == [(0,)]
    on_card = seal_on_card(module, seal)
    state = card_states(world.env(home=home))[seal.serial]
    assert state in ("blank", "needs-inspection"), state
    if on_card is not None:  # an unrecorded seal object is never left unflagged
        assert state == "needs-inspection"
    return on_card, state


NEW_PIN = "730519"


def _made_with_the_initial_pin(world: DemoWorld, module, home: Home, env: dict[str, str], app_id: int,
                               seal: DemoCard, receipt: str | None = None) -> None:
    """Cut short at the PIN step: the seal is made, the card opens with its initial PIN,
    and its receipt (signed now if it was not) and the registry say "initial PIN"."""
    from crypto import receipt as cose
    from station.receipts.claims import Claim

    officer = world.card("officer")
    (esid,) = store_query(home, world, "SELECT esid FROM seals WHERE application_id = ?", (app_id,))[0]
    assert store_query(home, world, "SELECT state FROM applications WHERE id = ?", (app_id,)) == [("made",)]
    assert seal_on_card(module, seal) is not None  # the initial PIN opens it
    assert card_states(env)[seal.serial] == "sealed"
    if receipt is None:
        proc = run_cli(env, "receipt", "export", esid, "--dir", str(home.path), "--by", officer.serial, "--json")
        assert proc.returncode == 0, proc.stderr
        receipt = json.loads(proc.stdout)["receipt"]
    assert cose.decode(receipt).claims[Claim.PIN] is False
    proc = run_cli(env, "seals", "--esid", esid, "--by", officer.serial, "--json")
    assert json.loads(proc.stdout)["seals"][0]["pin"]["state"] == "initial", proc.stderr


@pytest.mark.parametrize("step", making.STEPS)
def test_power_cut_at_each_step(step: str, world: DemoWorld, module, home_copy: Home,
                                seal_card: DemoCard) -> None:
    officer, supervisor, auditor = world.card("officer"), world.card("supervisor"), world.card("auditor")
    (app_id,) = approved_applications(home_copy, world)
    seals_before = _seal_count(world, home_copy)
    env = world.env(officer, supervisor, seal_card, auditor, home=home_copy, SEAL_STATION_FAILPOINT=step)
    if step == "pin":  # the recipient chose a PIN; the power goes before the card takes it
        env[f"SEAL_STATION_NEW_PIN_{seal_card.serial}"] = NEW_PIN

    proc = run_cli(env, *make_args(app_id, officer, seal_card, supervisor), "--json")
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    assert proc.stdout == ""

    del env["SEAL_STATION_FAILPOINT"]
    proc = run_cli(env, "audit", "verify", "--by", auditor.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["valid"] is True
    if step == "pin":
        del env[f"SEAL_STATION_NEW_PIN_{seal_card.serial}"]
        _made_with_the_initial_pin(world, module, home_copy, env, app_id, seal_card)
        proc = run_cli(env, "card", "inspect", seal_card.serial, "--by", officer.serial, "--json")
        assert json.loads(proc.stdout)["action"] == "none", proc.stderr
        return
    on_card, state = _after(world, module, home_copy, app_id, seal_card, seals_before)
    if step in ("read-back", "record"):  # written completely, then the power went: flagged
        assert on_card is not None and state == "needs-inspection"
    if making.STEPS.index(step) < making.STEPS.index("write"):
        assert (on_card, state) == (None, "blank")

    # `card inspect` settles the card: a seal written completely is recorded (the ceremony
    # rolls forward), anything else is wiped and the application may be made again.
    proc = run_cli(env, "card", "inspect", seal_card.serial, "--by", officer.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    settled = json.loads(proc.stdout)
    if on_card is not None:
        assert settled["action"] == "recorded" and settled["receipt"].startswith("SSR1:")
        esid = settled["seal"]
        assert store_query(home_copy, world, "SELECT esid, seal_der FROM seals WHERE application_id = ?",
                           (app_id,)) == [(esid, on_card)]
        assert store_query(home_copy, world, "SELECT state, esid FROM applications WHERE id = ?",
                           (app_id,)) == [("made", esid)]
        assert card_states(env)[seal_card.serial] == "sealed"
        again = run_cli(env, "card", "inspect", seal_card.serial, "--by", officer.serial, "--json")
        assert json.loads(again.stdout)["action"] == "none", again.stderr
        return
    proc = run_cli(env, *make_args(app_id, officer, seal_card, supervisor), "--json")
    assert proc.returncode == 0, proc.stderr
    esid = json.loads(proc.stdout)["seal"]
    assert store_query(home_copy, world, "SELECT esid FROM seals WHERE application_id = ?", (app_id,)) == [(esid,)]
    assert card_states(env)[seal_card.serial] == "sealed"


@pytest.fixture
def other_seal_card(world: DemoWorld, module, home_copy: Home) -> Iterator[DemoCard]:
    """A second blank seal card (wiped before and after the test)."""
    card = world.card("seal", 3)
    wipe(world, module, card, [world.home, home_copy])
    yield card
    wipe(world, module, card, [world.home, home_copy])


def test_crash_after_write_holds_the_application_until_the_card_is_settled(
        world: DemoWorld, module, home_copy: Home, seal_card: DemoCard, other_seal_card: DemoCard) -> None:
    """Finding 9: the written, unrecorded seal cannot be made again on another card; the
    next inspection records the one on the card, exactly once."""
    officer, supervisor = world.card("officer"), world.card("supervisor")
    (app_id,) = approved_applications(home_copy, world)
    env = world.env(officer, supervisor, seal_card, other_seal_card, home=home_copy)
    proc = run_cli(dict(env, SEAL_STATION_FAILPOINT="record"), *make_args(app_id, officer, seal_card, supervisor))
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    other = run_cli(env, *make_args(app_id, officer, other_seal_card, supervisor), "--json")
    assert "(application-in-progress)" in error_line(other, 1)
    assert seal_on_card(module, other_seal_card) is None
    busy = run_cli(env, *make_args(approved_applications(home_copy, world)[0], officer, seal_card, supervisor))
    assert "(card-busy)" in error_line(busy, 1)

    proc = run_cli(env, "card", "inspect", seal_card.serial, "--by", officer.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    esid = json.loads(proc.stdout)["seal"]
    assert store_query(home_copy, world, "SELECT esid FROM seals WHERE application_id = ?", (app_id,)) == [(esid,)]
    other = run_cli(env, *make_args(app_id, officer, other_seal_card, supervisor))
    assert "(application-not-approved)" in error_line(other, 1)  # made now: never a second time
    assert seal_on_card(module, other_seal_card) is None
    settles = [json.loads(r[0]) for r in store_query(home_copy, world, "SELECT entry FROM audit ORDER BY seq")]
    assert [e["details"]["settled"] for e in settles if e["action"] == "card-settle"] == ["recorded"]


@pytest.mark.parametrize("step", making.STEPS)
def test_card_pulled_at_each_step(step: str, world: DemoWorld, module, home_copy: Home,
                                  seal_card: DemoCard) -> None:
    from station.model import Role
    from station.session import login

    officer, supervisor = world.card("officer"), world.card("supervisor")
    (app_id,) = approved_applications(home_copy, world)
    seals_before = _seal_count(world, home_copy)
    pulled: list[str] = []

    def progress(name: str) -> None:
        if name == step and not pulled:
            softhsm.eject(world.conf, seal_card.serial)
            pulled.append(name)

    session = login(home_copy, officer.serial, officer.pin, role=Role.OFFICER)
    outcome: making.MadeSeal | StationError
    try:
        try:
            outcome = making.make_seal(session, application_id=app_id, seal_card=seal_card.serial,
                                       seal_pin=seal_card.pin, supervisors=[(supervisor.serial, lambda: supervisor.pin)],
                                       recipient=RECIPIENT, progress=progress, new_pin=NEW_PIN)
        except StationError as exc:
            outcome = exc
    finally:
        session.close()
    assert pulled == [step]
    softhsm.insert(world.conf, seal_card.serial)
    module.scan()  # nothing is logged in now: the reader sees the card again

    if isinstance(outcome, making.MadeSeal):
        # The seal was on the card and read back before the card left: it is made, completely,
        # and the card, gone before it could take the recipient's PIN, keeps its initial PIN.
        assert step in ("record", "pin")
        assert not outcome.pin_set and outcome.pin_error is not None
        _made_with_the_initial_pin(world, module, home_copy, world.env(officer, home=home_copy), app_id,
                                   seal_card, outcome.receipt)
        assert seal_on_card(module, seal_card) == outcome.seal_der
        assert home_copy.card_marks().get(seal_card.serial) == "sealed"
        assert store_query(home_copy, world, "SELECT esid, seal_der FROM seals WHERE application_id = ?",
                           (app_id,)) == [(outcome.esid, outcome.seal_der)]
        assert store_query(home_copy, world, "SELECT state FROM applications WHERE id = ?", (app_id,)) == [("made",)]
        return
    assert step not in ("record", "pin")
    on_card, state = _after(world, module, home_copy, app_id, seal_card, seals_before)
    if step in ("write", "read-back"):  # the station knew it was writing: the card is flagged
        assert state == "needs-inspection"
    entries = [json.loads(r[0]) for r in store_query(home_copy, world, "SELECT entry FROM audit ORDER BY seq")]
    aborted = [e for e in entries if e["action"] == "make-aborted" and e["object"] == seal_card.serial]
    assert aborted, "an aborted ceremony leaves an audit entry saying why"
    assert aborted[-1]["details"]["step"] in making.STEPS[making.STEPS.index(step):]
