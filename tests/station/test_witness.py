"""The cards witness the store (station/witness.py): a copied-back ``station.db`` is refused.

Threat model (issue 9): anyone at the terminal can copy ``station.db`` and copy it back;
the cards cannot be copied. Each test works on a private copy of the demo home and puts
an older copy of its store back, as that person would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.demo import DemoCard
from station.home import Home
from tests.helpers import DemoWorld, error_line, run_cli
from tests.station.test_making import approved_applications, make_args, seal_on_card, store_query, wipe
from tests.station.test_making_crash import seal_card

__all__ = ["seal_card"]  # the fixture, shared with test_making.py


def _esids(home: Home, world: DemoWorld) -> list[str]:
    return [r[0] for r in store_query(home, world, "SELECT esid FROM seals ORDER BY esid")]


def test_copying_an_old_store_back_is_refused_and_no_number_is_issued_twice(
        world: DemoWorld, module, home_copy: Home, seal_card: DemoCard, tmp_path: Path) -> None:
    officer, supervisor = world.card("officer"), world.card("supervisor")
    first, second = approved_applications(home_copy, world, 2)
    env = world.env(officer, supervisor, seal_card, home=home_copy)
    receipts = "SELECT count(*) FROM issuances WHERE receipt IS NOT NULL"
    receipts_before = store_query(home_copy, world, receipts)
    old = home_copy.db.read_bytes()

    proc = run_cli(env, *make_args(first, officer, seal_card, supervisor), "--json")
    assert proc.returncode == 0, proc.stderr
    made = json.loads(proc.stdout)

    home_copy.db.write_bytes(old)  # the copy goes back
    wipe(world, module, seal_card, [home_copy])
    for args in (make_args(second, officer, seal_card, supervisor), ["audit", "verify", "--by", officer.serial]):
        line = error_line(run_cli(env, *args), 4)
        assert "older than card" in line and "backup restore" in line, line
    assert seal_on_card(module, seal_card) is None
    assert made["seal"] not in _esids(home_copy, world)  # and no second seal got its number
    assert store_query(home_copy, world, receipts) == receipts_before  # nor a receipt

    # Another card's work on the old copy makes its log longer, never an extension of
    # what the officer's card saw: the consistency proof fails, the login is refused.
    from station.session import login

    auditor = world.card("auditor")
    session = login(home_copy, auditor.serial, auditor.pin)
    try:
        for n in range(40):
            session.log("note", str(n))
    finally:
        session.close()
    line = error_line(run_cli(env, *make_args(first, officer, seal_card, supervisor)), 4)
    assert "does not extend" in line, line


def test_a_destroyed_impression_does_not_decrypt_after_a_rollback(world: DemoWorld, home_copy: Home) -> None:
    from station import impressions
    from station.errors import StateError
    from station.session import login

    officer = world.card("officer")
    (app_id,) = approved_applications(home_copy, world)
    session = login(home_copy, officer.serial, officer.pin)
    try:
        imp_id = impressions.search(session, state="active")[0].id
        assert impressions.plaintext(session, imp_id)
    finally:
        session.close()
    old = home_copy.db.read_bytes()
    proc = run_cli(world.env(officer, home=home_copy), "impression", "destroy", str(imp_id),
                   "--reason", "shredded", "--by", officer.serial)
    assert proc.returncode == 0, proc.stderr

    home_copy.db.write_bytes(old)
    with pytest.raises(StateError) as caught:  # the officer's card saw the destruction
        login(home_copy, officer.serial, officer.pin)
    assert "older than card" in caught.value.message
    line = error_line(run_cli(world.env(officer, home=home_copy), "impressions", "--by", officer.serial), 4)
    assert "backup restore" in line


def test_a_forged_witness_is_not_trusted(world: DemoWorld, module, home_copy: Home) -> None:
    """Editing the witness on the card (with the PIN, not the card's key) refuses the login."""
    from station.session import login
    from station.store.counters import Meta
    from station.witness import LABEL, Witness

    auditor = world.card("auditor")
    session = login(home_copy, auditor.serial, auditor.pin)
    instance = Meta(session.store).get("instance")
    session.close()
    card = module.card(auditor.serial)
    try:
        card.login(auditor.pin)
        data = card.read_data(f"{LABEL} {instance}")
        witness = Witness.decode(data)
        forged = Witness(witness.instance, 1, witness.root, {}, witness.time, witness.signer_cert_sha256,
                         witness.algorithm, witness.signature)
        card.replace_data(f"{LABEL} {instance}", "seal-station", forged.encode())
    finally:
        module.forget(auditor.serial)
    line = error_line(run_cli(world.env(auditor, home=home_copy), "audit", "verify", "--by", auditor.serial), 4)
    assert "not signed by the card" in line


def test_after_a_restore_the_numbers_only_a_card_saw_are_never_issued_again(
        world: DemoWorld, module, home_copy: Home, seal_card: DemoCard, tmp_path: Path) -> None:
    """``backup restore`` is the sanctioned way back: a card that saw a newer state does not
    lock the restored station out; it raises every number above what it saw. A copy of the
    old file, with no restore recorded, is still refused."""
    import shutil

    from tests.station.test_backup import backup_of, make_seals, restore

    make_seals(world, module, home_copy, seal_card, 1)
    backup_of(world, home_copy, tmp_path / "old.ssb")
    copied = home_copy.db.read_bytes()
    after = make_seals(world, module, home_copy, seal_card, 2)  # issued after the backup...
    replaced = home_copy.db.read_bytes()
    shutil.rmtree(home_copy.path)  # ...and the disk that recorded them is gone

    fresh = tmp_path / "new-machine" / "home"
    proc = restore(world, fresh, tmp_path / "old.ssb", code=world.recovery_code)
    assert proc.returncode == 0, proc.stderr
    new = Home(fresh)
    assert not set(after) & set(_esids(new, world))
    (nxt,) = make_seals(world, module, new, seal_card, 1)  # the officer's card knows the lost numbers
    seq = [int(e.rsplit("-", 1)[1]) for e in after]
    assert int(nxt.rsplit("-", 1)[1]) > max(seq)
    entries = [json.loads(r[0]) for r in store_query(new, world, "SELECT entry FROM audit ORDER BY seq")]
    restored = [e for e in entries if e["action"] == "restore"][-1]
    assert restored["details"]["instance"] != restored["details"]["restored_from"]
    raised = [e for e in entries if e["action"] == "numbers-raised" and e["object"] == "witness"]
    assert any(gap["to"] >= max(seq) for e in raised for key, gap in e["details"]["gaps"].items()
               if key.startswith("esid-seq-")), raised

    officer = world.card("officer")
    for old in (copied, replaced):  # plain copies of the old files: no restore recorded in them
        new.db.write_bytes(old)
        line = error_line(run_cli(world.env(officer, home=new), "audit", "verify", "--by", officer.serial), 4)
        assert "older than card" in line and "backup restore" in line, line
