"""The station home is the station's alone (0700/0600), an initialised home is never
silently reset, and odd input — FIFOs, devices, a file for --home, damaged ledgers,
times at the edge of time, broken PNGs — is one line and exit 2 (or 4 for a damaged home)."""

from __future__ import annotations

import io
import os
import stat
import struct
import sys
import zlib
from pathlib import Path

import pytest

from station.cli import main
from station.home import Home
from tests.helpers import DemoWorld, error_line, fixtures_dir, run_cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_a_private_home_and_a_plain_station_id(world: DemoWorld, tmp_path: Path) -> None:
    home = tmp_path / "new"
    module = world.home.config().module
    ca = str(world.home.path / "demo-ca.pem")
    env = world.env(home=home)
    for bad in ("demo-1", "ÉTAT-1", "ST 1", "-X", "Ａ1"):  # lower case, accents, space, leading dash, full width
        error_line(run_cli(env, "init", "--module", module, "--trust", ca, "--station-id", bad), 2)
    assert not (home / "station.toml").exists()
    proc = run_cli(env, "init", "--module", module, "--trust", ca, "--station-id", "NEW-01")
    assert proc.returncode == 0, proc.stderr
    assert _mode(home) == 0o700 and _mode(home / "trust") == 0o700
    for f in [*home.iterdir(), *(home / "trust").iterdir()]:
        if f.is_file():
            assert _mode(f) == 0o600, f


def test_exports_are_private(world: DemoWorld, home_copy: Home, tmp_path: Path) -> None:
    admin = world.card("admin")
    out = tmp_path / "bundle.json"
    proc = run_cli(world.env(admin, home=home_copy), "bundle", "export", str(out), "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    assert _mode(out) == 0o600


@pytest.mark.parametrize("damage", ["empty", "missing"])
def test_a_missing_or_empty_store_is_exit_4_and_never_recreated(world: DemoWorld, home_copy: Home,
                                                                damage: str) -> None:
    officer = world.card("officer")
    if damage == "empty":
        home_copy.db.write_bytes(b"")
    else:
        home_copy.db.unlink()
    line = error_line(run_cli(world.env(officer, home=home_copy), "audit", "verify", "--by", officer.serial), 4)
    assert "database" in line and "backup" in line
    assert (home_copy.db.stat().st_size == 0) if damage == "empty" else not home_copy.db.exists()


def test_demo_force_deletes_only_a_demo_world(world: DemoWorld, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    line = error_line(run_cli(world.env(home=precious), "demo", "--force"), 4)
    assert "not a demo world" in line
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_home_naming_a_file_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    for args in (["cards"], ["config", "show"], ["trust", "list"], ["audit", "verify", "--by", "X"]):
        assert main(["--home", str(f), *args]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and "not a folder" in err[0]


def test_a_fifo_or_a_device_as_a_file_is_exit_2_at_once(world: DemoWorld, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    env = world.env(home=tmp_path / "home")
    for target in (str(fifo), "/dev/zero"):
        for args in (["seal", "verify", target], ["receipt", "verify", target, "--bundle", target],
                     ["receipt", "verify", "--qr", target, "--bundle", target],
                     ["seal", "verify", str(fixtures_dir() / "UserV4.esl"), "--trust", target],
                     ["audit", "verify", "--file", target, "--bundle", target],
                     ["init", "--module", "/x", "--trust", target, "--station-id", "A"]):
            line = error_line(run_cli(env, *args, timeout=30), 2)  # a hang would time out
            assert "regular file" in line


def _png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_broken_and_giant_pngs_are_bad_input(world: DemoWorld, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (120, 120), 255).save(buf, "PNG")
    broken = bytearray(buf.getvalue())
    at = broken.index(b"IDAT")
    broken[at + 8:at + 30] = bytes(22)
    cases = {"broken.png": bytes(broken), "giant.png": _png(100_000, 100_000, zlib.compress(b"\0" * 4096)),
             "truncated.png": buf.getvalue()[:60]}
    bundle = world.home.path / "demo-ca.pem"
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        for args in (["receipt", "verify", "--qr", str(tmp_path / name)], ["receipt", "verify", str(tmp_path / name)]):
            assert main(["--home", str(world.home.path), *args, "--bundle", str(bundle)]) == 2, name
            err = capsys.readouterr().err.splitlines()
            assert len(err) == 1 and "internal error" not in err[0], err


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59+00:00", "9999-12-31T23:00:00-14:00", "0001-01-01",
                                "0001-01-01T05:00:00+14:00", "9999-12-31", "2024-13-01", "now"])
def test_at_the_edge_of_time_is_bad_input(at: str, capsys: pytest.CaptureFixture[str]) -> None:
    seal = fixtures_dir() / "UserV4.esl"
    assert main(["seal", "verify", str(seal), "--at", at]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--at" in err[0] and "internal error" not in err[0]


@pytest.mark.parametrize("name,content", [
    ("cards.json", "[]"), ("cards.json", '{"A": 5}'), ("cards.json", "{"), ("cards.json", '"x"'),
    ("keyslots.json", "[]"), ("keyslots.json", '{"slots": [1]}'), ("keyslots.json", "\xff"),
    ("pin-tries.json", '{"A": "x"}'), ("pin-tries.json", '{"A": -1}'), ("pin-tries.json", "null"),
    ("station.toml", "station = 1"), ("station.toml", "[station]\nstation_id = 'X'\nmodule = 1"),
    ("station.toml", "[station]\nquorum = true"),
])
def test_a_malformed_ledger_is_one_line_exit_4(world: DemoWorld, home_copy: Home, name: str, content: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    officer = world.card("officer")
    (home_copy.path / name).write_bytes(content.encode("utf-8", "surrogateescape") if content != "\xff"
                                        else b"\xff")
    os.environ[f"SEAL_STATION_PIN_{officer.serial}"] = officer.pin
    try:
        codes = [main(["--home", str(home_copy.path), *args])
                 for args in (["cards", "--json"], ["audit", "verify", "--by", officer.serial])]
    finally:
        del os.environ[f"SEAL_STATION_PIN_{officer.serial}"]
    err = capsys.readouterr().err.splitlines()
    assert 4 in codes and set(codes) <= {0, 4}, (codes, err)
    assert len(err) == codes.count(4) and all("internal error" not in e for e in err), err
    assert any(name in e or "station.toml" in e for e in err), err


def test_a_broken_pipe_is_one_line_never_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["seal", "verify", str(fixtures_dir() / "UserV4.esl"), "--json"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "output was closed" in err[0]
