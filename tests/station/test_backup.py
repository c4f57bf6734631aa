"""Encrypted backup and restore, as an administrator runs them from the command line.

A backup holds nothing readable and is refused with one flipped byte; it restores with
the admin card or the recovery code on a fresh home (the seals are there, the audit log
verifies) and a wrong code leaves nothing; an older backup replaces a live station only
with --force, and the numbering then continues above everything issued before; a
SIGKILL while writing or restoring never leaves a half-written backup or a half-home.

Every test works on private copies of the demo home; the SoftHSM tokens stay shared.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from station.demo import DemoCard
from station.home import Home
from tests.helpers import DemoWorld, copy_home, error_line, run_cli
from tests.station.test_making import (approved_applications, make_args, seal_card, store_query,
                                       wipe)

__all__ = ["seal_card", "make_seals", "backup_of"]

PNG = b"\x89PNG\r\n\x1a\n"
UNITS = ("示例科技有限公司", "华东贸易有限公司", "星河建设集团有限公司", "张伟")


def backup_of(world: DemoWorld, home: Home, target: Path, **extra: str) -> dict:
    admin = world.card("admin")
    proc = run_cli(world.env(admin, home=home, **extra), "backup", "create", str(target), "--by", admin.serial,
                   "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def bundle_of(world: DemoWorld, home: Home, target: Path) -> Path:
    admin = world.card("admin")
    proc = run_cli(world.env(admin, home=home), "bundle", "export", str(target), "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    return target


def restore(world: DemoWorld, home: Path, file: Path, *args: str, code: str | None = None,
            cards: tuple[DemoCard, ...] = ()):
    extra = {"SEAL_STATION_RECOVERY_CODE": code} if code else {}
    return run_cli(world.env(*cards, home=home, **extra), "backup", "restore", str(file), *args)


def audit_ok(world: DemoWorld, home: Home | Path) -> dict:
    auditor = world.card("auditor")
    proc = run_cli(world.env(auditor, home=home), "audit", "verify", "--by", auditor.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["valid"] is True
    return report


def make_seals(world: DemoWorld, module, home: Home, card: DemoCard, count: int,
               others: tuple[Home, ...] = ()) -> list[str]:
    """``count`` seals made one after another on ``card`` (wiped between makes)."""
    officer, supervisor = world.card("officer"), world.card("supervisor")
    env = world.env(officer, supervisor, card, home=home)
    made = []
    for app_id in approved_applications(home, world, count):
        wipe(world, module, card, [home, *others])
        proc = run_cli(env, *make_args(app_id, officer, card, supervisor), "--json")
        assert proc.returncode == 0, proc.stderr
        made.append(json.loads(proc.stdout)["seal"])
    return made


def esids(world: DemoWorld, home: Home) -> list[str]:
    return [r[0] for r in store_query(home, world, "SELECT esid FROM seals ORDER BY esid")]


def leftovers(home: Path) -> list[Path]:
    return sorted(home.parent.glob(f".{home.name}.restore-*"))


# -- what a backup shows, and how it is checked -------------------------------------------------
def test_a_backup_holds_no_readable_station_data_and_verifies(world: DemoWorld, home_copy: Home,
                                                              tmp_path: Path) -> None:
    made = backup_of(world, home_copy, tmp_path / "station.ssb")
    data = (tmp_path / "station.ssb").read_bytes()
    assert made["size"] == len(data) and made["station_id"] == "DEMO-0001"
    assert b"SQLite format 3" not in data and PNG not in data
    for unit in UNITS:
        assert unit.encode() not in data, unit
    assert b"[station]" not in data  # station.toml travels sealed too
    assert home_copy.db.read_bytes()[:1024] not in data  # not even the store's encrypted pages

    bundle = bundle_of(world, home_copy, tmp_path / "bundle.json")
    proc = run_cli(world.env(home=home_copy), "backup", "verify", str(tmp_path / "station.ssb"),
                   "--bundle", str(bundle), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["valid"] is True and report["problems"] == []
    assert report["signer_name"] == "赵敏 Zhao Min"


@pytest.mark.parametrize("where", ["header", "middle", "signature", "last"])
def test_one_flipped_byte_is_refused(where: str, world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    from station.backup.fileformat import END, MAGIC

    backup_of(world, home_copy, tmp_path / "station.ssb")
    bundle = bundle_of(world, home_copy, tmp_path / "bundle.json")
    data = bytearray((tmp_path / "station.ssb").read_bytes())
    at = {"header": data.index(b'"created"') + 14, "middle": len(data) // 2,
          "signature": len(data) - len(END) - 20, "last": len(data) - 1}[where]
    assert at >= len(MAGIC)
    data[at] ^= 0x01
    (tmp_path / "bad.ssb").write_bytes(bytes(data))
    proc = run_cli(world.env(home=home_copy), "backup", "verify", str(tmp_path / "bad.ssb"), "--bundle", str(bundle))
    line = error_line(proc, 1)
    assert "NOT valid" in line or "damaged" in line, line


def test_verify_needs_a_bundle_and_refuses_a_stranger(world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    backup_of(world, home_copy, tmp_path / "station.ssb")
    env = world.env(home=home_copy)
    error_line(run_cli(env, "backup", "verify", str(tmp_path / "station.ssb")), 2)
    (tmp_path / "other").write_bytes(b"just some file, not a backup")
    bundle = bundle_of(world, home_copy, tmp_path / "bundle.json")
    assert "not a seal-station backup" in error_line(
        run_cli(env, "backup", "verify", str(tmp_path / "other"), "--bundle", str(bundle)), 2)


# -- restore ------------------------------------------------------------------------------------
def test_restore_with_the_admin_card_and_with_the_recovery_code(world: DemoWorld, module, home_copy: Home,
                                                                seal_card: DemoCard, tmp_path: Path) -> None:
    made = make_seals(world, module, home_copy, seal_card, 1)
    backup_of(world, home_copy, tmp_path / "station.ssb")
    admin, officer = world.card("admin"), world.card("officer")

    by_card = tmp_path / "by-card"
    proc = restore(world, by_card, tmp_path / "station.ssb", "--by", admin.serial, cards=(admin,))
    assert proc.returncode == 0, proc.stderr
    assert "destroyed" in proc.stderr  # the admin is told what an older state brings back
    by_code = tmp_path / "by-code" / "home"
    proc = restore(world, by_code, tmp_path / "station.ssb", code=world.recovery_code)
    assert proc.returncode == 0, proc.stderr

    for home in (Home(by_card), Home(by_code)):
        assert set(made) <= set(esids(world, home))
        audit = audit_ok(world, home)
        assert audit["size"] > 0
        actions = [json.loads(r[0])["action"] for r in store_query(home, world, "SELECT entry FROM audit")]
        assert "restore" in actions and "numbers-raised" in actions
        assert leftovers(home.path) == []

    # A card that is no administrator of the backup opens nothing, and leaves nothing.
    stranger = tmp_path / "stranger"
    proc = restore(world, stranger, tmp_path / "station.ssb", "--by", officer.serial, cards=(officer,))
    assert "not an administrator card" in error_line(proc, 1)
    assert not stranger.exists() and leftovers(stranger) == []


def test_a_wrong_pin_is_a_card_problem_and_leaves_nothing(world: DemoWorld, home_copy: Home,
                                                          tmp_path: Path) -> None:
    backup_of(world, home_copy, tmp_path / "station.ssb")
    admin = world.card("admin")
    target = tmp_path / "new"
    proc = run_cli(world.env(home=target, **{f"SEAL_STATION_PIN_{admin.serial}": "999999"}),
                   "backup", "restore", str(tmp_path / "station.ssb"), "--by", admin.serial)
    assert "wrong PIN" in error_line(proc, 3)
    assert not target.exists() and leftovers(target) == []


def test_a_wrong_code_leaves_the_new_home_empty(world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    backup_of(world, home_copy, tmp_path / "station.ssb")
    target = tmp_path / "new"
    target.mkdir()
    wrong = "00000-00000-00000-00000-00000-00000-00000-00000"
    proc = restore(world, target, tmp_path / "station.ssb", code=wrong)
    assert "recovery code does not open" in error_line(proc, 1)
    assert list(target.iterdir()) == [] and leftovers(target) == []

    # a damaged file: nothing either
    data = bytearray((tmp_path / "station.ssb").read_bytes())
    data[len(data) // 2] ^= 0x80
    (tmp_path / "bad.ssb").write_bytes(bytes(data))
    proc = restore(world, target, tmp_path / "bad.ssb", code=world.recovery_code)
    assert "damaged" in error_line(proc, 1)
    assert list(target.iterdir()) == [] and leftovers(target) == []


def test_an_older_backup_replaces_a_live_station_only_with_force(world: DemoWorld, home_copy: Home,
                                                                 tmp_path: Path) -> None:
    backup_of(world, home_copy, tmp_path / "old.ssb")
    audit_ok(world, home_copy)  # the live station moves on
    before = store_query(home_copy, world, "SELECT count(*) FROM audit")[0][0]

    proc = restore(world, home_copy.path, tmp_path / "old.ssb", code=world.recovery_code)
    line = error_line(proc, 1)
    assert "older than the station" in line and "--force" in line
    assert store_query(home_copy, world, "SELECT count(*) FROM audit")[0][0] == before + 2  # only the logins

    home_copy.set_pin_failures("0123456789abcdef", 2)  # a card with wrong PINs, and a demo's token folder
    (home_copy.path / "softhsm").mkdir(exist_ok=True)
    (home_copy.path / "softhsm" / "token-marker").write_text("cards live here")
    proc = restore(world, home_copy.path, tmp_path / "old.ssb", "--force", code=world.recovery_code)
    assert proc.returncode == 0, proc.stderr
    assert home_copy.pin_failures("0123456789abcdef") == 2  # a restore neither unlocks cards...
    assert (home_copy.path / "softhsm" / "token-marker").read_text() == "cards live here"  # ...nor deletes them
    entries = [json.loads(r[0]) for r in store_query(home_copy, world, "SELECT entry FROM audit ORDER BY seq")]
    done = [e for e in entries if e["action"] == "restore"]
    assert done and done[-1]["details"]["forced"] is True and done[-1]["details"]["replaced_live_station"] is True
    audit_ok(world, home_copy)
    assert leftovers(home_copy.path) == []


# -- the drill ----------------------------------------------------------------------------------
def _seq(esid: str) -> int:
    return int(esid.rsplit("-", 1)[1])


def test_drill_backup_wipe_restore_with_the_code_then_make_on(world: DemoWorld, module, home_copy: Home,
                                                              seal_card: DemoCard, tmp_path: Path) -> None:
    import shutil

    made = make_seals(world, module, home_copy, seal_card, 2)
    registry = esids(world, home_copy)  # with any seal the shared demo home had before
    backup_of(world, home_copy, tmp_path / "usb" / "station.ssb")
    shutil.rmtree(home_copy.path)  # the disk is gone

    fresh = tmp_path / "new-machine" / "home"
    proc = restore(world, fresh, tmp_path / "usb" / "station.ssb", code=world.recovery_code)
    assert proc.returncode == 0, proc.stderr
    new = Home(fresh)
    audit_ok(world, new)
    assert set(made) <= set(registry) and esids(world, new) == registry
    (nxt,) = make_seals(world, module, new, seal_card, 1)
    assert _seq(nxt) == max(map(_seq, made)) + 1
    audit_ok(world, new)


def test_after_a_forced_older_restore_no_number_is_issued_twice(world: DemoWorld, module, home_copy: Home,
                                                                seal_card: DemoCard, tmp_path: Path) -> None:
    before = make_seals(world, module, home_copy, seal_card, 1)
    registry = esids(world, home_copy)
    backup_of(world, home_copy, tmp_path / "old.ssb")
    after = make_seals(world, module, home_copy, seal_card, 2)  # issued after the backup

    issued_receipts = receipt_numbers(world, home_copy)
    proc = restore(world, home_copy.path, tmp_path / "old.ssb", "--force", code=world.recovery_code)
    assert proc.returncode == 0, proc.stderr
    assert set(before) <= set(registry) and esids(world, home_copy) == registry  # the older state is back...
    again = make_seals(world, module, home_copy, seal_card, 3)
    issued = before + after + again
    assert len(set(issued)) == len(issued), issued  # ...but no number comes back with it
    assert min(map(_seq, again)) > max(map(_seq, after))
    new_receipts = receipt_numbers(world, home_copy)[-3:]
    assert len(new_receipts) == 3 and min(new_receipts) > max(issued_receipts)
    audit_ok(world, home_copy)


def receipt_numbers(world: DemoWorld, home: Home) -> list[int]:
    """The receipt numbers the audit log says were issued, in order."""
    entries = [json.loads(r[0]) for r in store_query(home, world, "SELECT entry FROM audit ORDER BY seq")]
    return [e["details"]["number"] for e in entries if e["action"] == "receipt" and e["outcome"] == "ok"]


# -- crashes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("step", ["backup-write", "backup-rename"])
def test_sigkill_during_create_leaves_no_backup(step: str, world: DemoWorld, home_copy: Home,
                                                tmp_path: Path) -> None:
    admin = world.card("admin")
    target = tmp_path / "usb" / "station.ssb"
    target.parent.mkdir()
    proc = run_cli(world.env(admin, home=home_copy, SEAL_STATION_FAILPOINT=step), "backup", "create", str(target),
                   "--by", admin.serial)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    assert not target.exists()
    bundle = bundle_of(world, home_copy, tmp_path / "bundle.json")
    parts = list(target.parent.iterdir())
    assert parts and all(p.name.startswith(".station.ssb.part-") for p in parts)
    if step == "backup-write":  # cut short: it never passes for a backup
        for part in parts:
            check = run_cli(world.env(home=home_copy), "backup", "verify", str(part), "--bundle", str(bundle))
            assert check.returncode == 1 and "NOT valid" in check.stderr, check.stderr
    backup_of(world, home_copy, target)  # the next one is fine, and sweeps the temporary files away
    assert list(target.parent.iterdir()) == [target]
    assert list(home_copy.path.glob(".station.db.backup-*")) == []  # the store's snapshot too
    audit_ok(world, home_copy)


@pytest.mark.parametrize("step", ["restore-write", "restore-swap", "restore-swapped"])
def test_sigkill_during_restore_leaves_the_old_station_or_the_restored_one(
        step: str, world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    backup_of(world, home_copy, tmp_path / "old.ssb")
    audit_ok(world, home_copy)
    live_size = store_query(home_copy, world, "SELECT max(seq) FROM audit")[0][0]
    fresh = tmp_path / "fresh"
    for home, args in ((home_copy.path, ("--force",)), (fresh, ())):
        proc = run_cli(world.env(home=home, SEAL_STATION_RECOVERY_CODE=world.recovery_code,
                                 SEAL_STATION_FAILPOINT=step), "backup", "restore", str(tmp_path / "old.ssb"), *args)
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
        restored = step == "restore-swapped"
        if home == fresh and not restored:
            assert not fresh.exists() or list(fresh.iterdir()) == []
            continue
        audit_ok(world, home)
        actions = [json.loads(r[0])["action"] for r in store_query(Home(home), world, "SELECT entry FROM audit")]
        assert ("restore" in actions) is restored
        if not restored:  # the live station, with everything it had
            assert store_query(Home(home), world, "SELECT max(seq) FROM audit")[0][0] > live_size
    # whatever a killed restore left beside the home, the next restore cleans it up
    proc = restore(world, tmp_path / "fresh2", tmp_path / "old.ssb", code=world.recovery_code)
    assert proc.returncode == 0, proc.stderr
    proc = restore(world, home_copy.path, tmp_path / "old.ssb", "--force", code=world.recovery_code)
    assert proc.returncode == 0, proc.stderr
    assert leftovers(home_copy.path) == []


# -- in process: devices, links, reminders ------------------------------------------------------
@pytest.fixture
def admin_session(world: DemoWorld, home_copy: Home):
    from station.model import Role
    from station.session import login

    admin = world.card("admin")
    session = login(home_copy, admin.serial, admin.pin, role=Role.ADMIN)
    yield session
    session.close()


def test_a_full_device_is_one_error_and_leaves_nothing(admin_session, tmp_path: Path, monkeypatch) -> None:
    import errno
    import os

    from station.backup import create as create_mod
    from station.errors import CardError

    real = os.write
    calls = {"n": 0}

    def full(fd: int, data) -> int:
        calls["n"] += 1
        if calls["n"] > 1:  # the header goes out, then the device is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(create_mod.os, "write", full)
    target = tmp_path / "usb" / "station.ssb"
    target.parent.mkdir()
    with pytest.raises(CardError) as info:
        create_mod.create_backup(admin_session, target)
    assert "is full" in info.value.message and "\n" not in info.value.one_line()
    assert list(target.parent.iterdir()) == []


def test_a_planted_link_is_replaced_not_followed(admin_session, tmp_path: Path) -> None:
    from station.backup import create_backup

    victim = tmp_path / "keyslots.json"
    victim.write_text("precious")
    target = tmp_path / "usb" / "station.ssb"
    target.parent.mkdir()
    target.symlink_to(victim)
    create_backup(admin_session, target)
    assert victim.read_text() == "precious"
    assert target.is_file() and not target.is_symlink()


def test_the_admin_is_reminded_when_the_last_backup_is_old(admin_session, tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from station.backup import create_backup, reminder

    first = reminder(admin_session.store, admin_session.config.backup_warn_days)
    assert first.days is None and first.due
    create_backup(admin_session, tmp_path / "b.ssb")
    now = reminder(admin_session.store, 7)
    assert now.days == 0 and not now.due
    later = reminder(admin_session.store, 7, datetime.now(timezone.utc) + timedelta(days=8))
    assert later.days == 8 and later.due
