"""Settings, trust anchors and PIN counts that someone at the terminal edited by hand are
not obeyed: the store's copy counts, the difference is noticed at login and audited."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from station.demo import make_ca
from station.errors import PinLockedError, PolicyError, StateError, WrongPinError
from station.home import Home
from station.model import Role
from station.session import login
from tests.helpers import DemoWorld, error_line, run_cli

WRONG = "000000"


def _entries(home: Home, admin) -> list[dict]:
    session = login(home, admin.serial, admin.pin, role=Role.ADMIN)
    try:
        return session.audit.entries()
    finally:
        session.close()


def _rogue_ca(tmp_path: Path) -> tuple[Path, str]:
    import hashlib
    import ssl

    _, der = make_ca("Rogue CA dropped in by hand")
    path = tmp_path / "rogue.pem"
    path.write_text(ssl.DER_cert_to_PEM_cert(der))
    return path, hashlib.sha256(der).hexdigest()


def test_a_hand_added_trust_anchor_is_not_obeyed(world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    officer, admin = world.card("officer"), world.card("admin")
    rogue, sha = _rogue_ca(tmp_path)
    shutil.copy(rogue, home_copy.trust_dir / "zz-rogue.pem")
    import ssl

    rogue_der = ssl.PEM_cert_to_DER_cert(rogue.read_text())
    assert rogue_der not in home_copy.trust_anchors()  # not listed: not a trust anchor, even before login

    line = error_line(run_cli(world.env(officer, home=home_copy), "audit", "verify", "--by", officer.serial), 4)
    assert "changed outside the station" in line and "trust anchor" in line

    session = login(home_copy, admin.serial, admin.pin)  # an administrator is let in, under the store's list
    try:
        assert rogue_der not in session.home.trust_anchors()
        changed = [e for e in session.audit.entries() if e["action"] == "settings-changed"]
        assert changed[-1]["details"]["differences"][0]["key"] == sha
    finally:
        session.close()
    proc = run_cli(world.env(home=home_copy), "trust", "list", "--json")
    listed = {a["sha256"]: a["trusted"] for a in json.loads(proc.stdout)["anchors"]}
    assert listed[sha] is False

    proc = run_cli(world.env(admin, home=home_copy), "config", "revert", "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    assert not (home_copy.trust_dir / "zz-rogue.pem").exists()
    assert run_cli(world.env(officer, home=home_copy), "audit", "verify", "--by", officer.serial).returncode == 0


def test_a_hand_edited_station_toml_is_not_obeyed(world: DemoWorld, home_copy: Home) -> None:
    officer, admin = world.card("officer"), world.card("admin")
    env = world.env(officer, admin, home=home_copy)
    good = home_copy.config_file.read_text(encoding="utf-8")

    home_copy.config_file.write_text(good.replace("max_pin_tries = 5", "max_pin_tries = 1000000"), encoding="utf-8")
    assert "max_pin_tries" in error_line(run_cli(env, "audit", "verify", "--by", officer.serial), 4)

    module = Home(world.home.path).config().module  # another safe library is still not the one set
    home_copy.config_file.write_text(good.replace(module, os.path.realpath(module)), encoding="utf-8")
    assert module != os.path.realpath(module)
    line = error_line(run_cli(env, "audit", "verify", "--by", officer.serial), 4)
    assert "changed outside the station" in line and "module" in line

    home_copy.config_file.write_text(good.replace("quorum = 1", "quorum = 2"), encoding="utf-8")
    line = error_line(run_cli(env, "audit", "verify", "--by", officer.serial), 4)
    assert "changed outside the station" in line and "quorum" in line
    session = login(home_copy, admin.serial, admin.pin)
    try:
        assert session.config.quorum == 1  # the store's value, not the file's
    finally:
        session.close()
    proc = run_cli(env, "config", "show", "--by", admin.serial, "--json")
    shown = json.loads(proc.stdout)
    assert shown["settings"]["quorum"] == 1
    assert shown["differences"] == [{"what": "setting", "key": "quorum", "authenticated": 1, "on_disk": 2}]
    assert run_cli(env, "config", "accept", "--by", admin.serial).returncode == 0
    session = login(home_copy, officer.serial, officer.pin)
    try:
        assert session.config.quorum == 2
    finally:
        session.close()
    actions = [(e["action"], e["outcome"]) for e in _entries(home_copy, admin)]
    assert ("settings-changed", "refused") in actions and ("config-accept", "ok") in actions


def test_a_module_in_a_writable_place_is_never_loaded(world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    officer = world.card("officer")
    env = world.env(officer, home=home_copy)
    good = home_copy.config_file.read_text(encoding="utf-8")
    module = home_copy.config().module
    planted = home_copy.path / "evil.so"
    planted.write_bytes(b"\x7fELF not really")
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    shutil.copy(os.path.realpath(module), open_dir / "lib.so")
    for path in (planted, open_dir / "lib.so", Path("lib.so")):
        home_copy.config_file.write_text(good.replace(f'module = "{module}"', f'module = "{path}"'), encoding="utf-8")
        for args in (["cards"], ["audit", "verify", "--by", officer.serial]):
            assert "cannot be trusted" in error_line(run_cli(env, *args), 4)


def test_settings_change_only_through_an_administrator(world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    officer, admin = world.card("officer"), world.card("admin")
    env = world.env(officer, admin, home=home_copy)
    assert "administrator" in error_line(run_cli(env, "config", "set", "max_pin_tries", "7", "--by", officer.serial), 1)
    for key, value in (("max_pin_tries", "11"), ("max_pin_tries", "2"), ("quorum", "3"), ("idle_lock_minutes", "0"),
                       ("station_id", "OTHER"), ("colour", "red"), ("module", str(home_copy.path / "x.so"))):
        error_line(run_cli(env, "config", "set", key, value, "--by", admin.serial), 2)
    proc = run_cli(env, "config", "set", "max_pin_tries", "7", "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    assert home_copy.config().max_pin_tries == 7
    proc = run_cli(env, "config", "set", "quorum", "2", "--by", admin.serial)  # two supervisors enrolled
    assert proc.returncode == 0, proc.stderr

    rogue, sha = _rogue_ca(tmp_path)
    assert "administrator" in error_line(run_cli(env, "trust", "add", str(rogue), "--by", officer.serial), 1)
    assert run_cli(env, "trust", "add", str(rogue), "--by", admin.serial).returncode == 0
    session = login(home_copy, officer.serial, officer.pin)  # files and store agree: no refusal
    try:
        assert session.config.max_pin_tries == 7 and session.config.quorum == 2
        assert len(session.home.trust_anchors()) == 2
    finally:
        session.close()
    error_line(run_cli(env, "trust", "remove", "abc", "--by", admin.serial), 2)
    assert run_cli(env, "trust", "remove", sha[:12], "--by", admin.serial).returncode == 0
    last = [e for e in _entries(home_copy, admin)
            if e["action"] in ("config-set", "trust-add", "trust-remove") and e["outcome"] == "ok"]
    assert [e["action"] for e in last] == ["config-set", "config-set", "trust-add", "trust-remove"]
    assert last[0]["details"] == {"old": 5, "new": 7}


# -- PINs ---------------------------------------------------------------------------------
def test_the_backup_reminder_is_a_checked_setting(world: DemoWorld, home_copy: Home) -> None:
    admin = world.card("admin")
    env = world.env(admin, home=home_copy)
    for value in ("0", "366", "seven"):
        error_line(run_cli(env, "config", "set", "backup_warn_days", value, "--by", admin.serial), 2)
    proc = run_cli(env, "config", "set", "backup_warn_days", "14", "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    assert home_copy.config().backup_warn_days == 14


def test_wrong_pins_through_seal_verify_card_are_counted_and_logged(world: DemoWorld, home_copy: Home) -> None:
    seal, admin = world.card("seal", 4), world.card("admin")
    env = world.env(home=home_copy, **{f"SEAL_STATION_PIN_{seal.serial}": WRONG})
    error_line(run_cli(env, "seal", "verify", "--card", seal.serial), 3)
    assert home_copy.pin_failures(seal.serial) == 1
    logged = [e for e in _entries(home_copy, admin) if e["action"] == "seal-verify"]
    assert logged[-1]["object"] == seal.serial and logged[-1]["details"]["reason"] == "wrong PIN"


def test_deleting_the_pin_counter_does_not_unlock_a_card(world: DemoWorld, home_copy: Home) -> None:
    officer, admin = world.card("officer"), world.card("admin")
    limit = home_copy.config().max_pin_tries
    for _ in range(limit - 1):
        with pytest.raises(WrongPinError):
            login(home_copy, officer.serial, WRONG)
    with pytest.raises(PinLockedError):
        login(home_copy, officer.serial, WRONG)
    (home_copy.path / "pin-tries.json").unlink()
    with pytest.raises(PinLockedError):  # the inbox remembers what the counter forgot
        login(home_copy, officer.serial, officer.pin)
    assert home_copy.pin_failures(officer.serial) == limit
    changed = [e for e in _entries(home_copy, admin) if e["action"] == "pin-ledger-changed"]
    assert changed[-1]["object"] == officer.serial and changed[-1]["details"]["file"] == 0


def test_a_lowered_counter_or_a_deleted_inbox_is_noticed(world: DemoWorld, home_copy: Home) -> None:
    sup, admin = world.card("supervisor"), world.card("admin")
    for _ in range(2):
        with pytest.raises(WrongPinError):
            login(home_copy, sup.serial, WRONG)
    _entries(home_copy, admin)  # the store now counts 2 for the supervisor
    home_copy._write("pin-tries.json", {sup.serial: 1})  # edited down by hand
    entries = _entries(home_copy, admin)
    assert home_copy.pin_failures(sup.serial) == 2  # the store's 2, never the file's lower count
    reasons = [e["details"]["reason"] for e in entries if e["action"] == "pin-ledger-changed"]
    assert reasons == ["counter lowered outside the station"]

    with pytest.raises(WrongPinError):
        login(home_copy, sup.serial, WRONG)
    home_copy.clear_inbox()  # the inbox alone deleted: the counter is higher than the record
    entries = _entries(home_copy, admin)
    reasons = [e["details"]["reason"] for e in entries if e["action"] == "pin-ledger-changed"]
    assert reasons[-1] == "wrong PINs missing from the audit inbox"
    assert home_copy.pin_failures(sup.serial) == 3


def test_an_edited_card_mark_refuses_all_but_an_administrator(world: DemoWorld, home_copy: Home) -> None:
    officer, admin = world.card("officer"), world.card("admin")
    home_copy.mark_card(world.card("seal", 4).serial, "sealed")
    with pytest.raises(StateError, match="changed outside the station"):
        login(home_copy, officer.serial, officer.pin)
    run_cli(world.env(admin, home=home_copy), "config", "revert", "--by", admin.serial)
    assert home_copy.card_marks() == {}
    login(home_copy, officer.serial, officer.pin).close()


def test_a_role_edited_in_keyslots_json_is_not_obeyed(world: DemoWorld, home_copy: Home) -> None:
    officer = world.card("officer")
    data = json.loads(home_copy.keyslots_file.read_text(encoding="utf-8"))
    for slot in data["slots"].values():
        if slot["serial"] == officer.serial:
            slot["role"] = "admin"
    home_copy.keyslots_file.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        login(home_copy, officer.serial, officer.pin, role=Role.ADMIN)
    assert caught.value.reason == "wrong-role"
