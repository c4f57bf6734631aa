"""The encrypted store: opaque on disk, opaque failures, damage reported as exit 4."""

from __future__ import annotations

import os
import subprocess

import pytest

from station.errors import StoreError
from station.home import Home
from station.store.db import Store
from tests.helpers import DemoWorld, error_line, run_cli, store_key_for


def test_plain_sqlite_cannot_read_it(world: DemoWorld) -> None:
    proc = subprocess.run(["sqlite3", str(world.home.db), ".tables"], capture_output=True, text=True,
                          check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "file is not a database" in proc.stderr


def test_no_clear_text_on_disk(world: DemoWorld) -> None:
    data = world.home.db.read_bytes()
    assert not data.startswith(b"SQLite format 3")
    for text in ("Wang Fang", "王芳", "Zhao Min", "DEMO-0001", "login", "enroll", "officer",
                 "CREATE TABLE", "audit", world.card("officer").serial):
        assert text.encode() not in data, text


def test_wrong_key_is_an_opaque_store_error(world: DemoWorld) -> None:
    with pytest.raises(StoreError) as caught:
        Store.open(world.home.db, os.urandom(32))
    assert "wrong key, or the file is damaged" in caught.value.message
    assert caught.value.exit_code == 4


def test_missing_database_is_a_store_error(tmp_path) -> None:
    with pytest.raises(StoreError):
        Store.open(tmp_path / "station.db", os.urandom(32))


def test_right_key_opens_and_damage_is_found(world: DemoWorld, home_copy: Home) -> None:
    officer = world.card("officer")
    key = store_key_for(home_copy, officer)
    store = Store.open(home_copy.db, key)
    try:
        assert store.one("SELECT value FROM meta WHERE key = 'station_id'")[0] == "DEMO-0001"
    finally:
        store.close()

    data = bytearray(home_copy.db.read_bytes())
    assert len(data) >= 3 * 4096
    middle = len(data) // 2
    for i in range(middle, middle + 64):
        data[i] ^= 0xA5
    home_copy.db.write_bytes(bytes(data))

    with pytest.raises(StoreError) as caught:  # the right key: damage looks like a wrong key
        Store.open(home_copy.db, key)
    assert "wrong key, or the file is damaged" in caught.value.message

    proc = run_cli(world.env(officer, home=home_copy), "audit", "verify", "--by", officer.serial)
    line = error_line(proc, 4)
    assert "database" in line
    assert proc.stdout == ""


def test_truncated_database_is_exit_4(world: DemoWorld, home_copy: Home) -> None:
    officer = world.card("officer")
    data = home_copy.db.read_bytes()
    home_copy.db.write_bytes(data[: len(data) // 2 + 100])
    error_line(run_cli(world.env(officer, home=home_copy), "audit", "verify", "--by", officer.serial,
                       "--json"), 4)


def test_missing_station_toml_is_exit_4(world: DemoWorld, home_copy: Home) -> None:
    officer = world.card("officer")
    home_copy.config_file.unlink()
    for args in (["audit", "verify", "--by", officer.serial], ["cards", "--json"]):
        proc = run_cli(world.env(officer, home=home_copy), *args)
        line = error_line(proc, 4)
        assert "not initialised" in line
        assert proc.stdout == ""


def test_damaged_station_toml_and_keyslots_are_exit_4(world: DemoWorld, home_copy: Home) -> None:
    officer = world.card("officer")
    env = world.env(officer, home=home_copy)
    good = home_copy.config_file.read_text(encoding="utf-8")
    home_copy.config_file.write_text(good + "colour = 'red'\n", encoding="utf-8")
    assert "unknown settings" in error_line(run_cli(env, "audit", "verify", "--by", officer.serial), 4)
    home_copy.config_file.write_text(good + "[station\n", encoding="utf-8")
    error_line(run_cli(env, "audit", "verify", "--by", officer.serial), 4)
    home_copy.config_file.write_text(good, encoding="utf-8")
    home_copy.keyslots_file.write_text("{ not json", encoding="utf-8")
    assert "keyslots.json" in error_line(run_cli(env, "audit", "verify", "--by", officer.serial), 4)


def test_the_store_keeps_sqlcipher_4_format_and_strength(world: DemoWorld) -> None:
    """Tuning for speed changes neither the file format (stores and backups already written
    open as they are) nor the cipher: SQLCipher 4's page size, HMAC and KDF defaults hold."""
    officer = world.card("officer")
    store = Store.open(world.home.db, store_key_for(world.home, officer))
    try:
        assert store.one("PRAGMA cipher_page_size")[0] == "4096"
        assert store.one("PRAGMA cipher_hmac_algorithm")[0] == "HMAC_SHA512"
        assert store.one("PRAGMA cipher_kdf_algorithm")[0] == "PBKDF2_HMAC_SHA512"
        assert int(store.one("PRAGMA kdf_iter")[0]) >= 256_000
        assert store.one("PRAGMA cipher_use_hmac")[0] == "1"
    finally:
        store.close()
