"""Shared helpers for the tests: the demo world, running the CLI, copying a home.

The demo world is built once per test session (tests/conftest.py). Its SoftHSM token
directory is shared by every test and by every CLI child process through
``SOFTHSM2_CONF``; a test that changes a card or the station puts it back, or works on a
copy of the station home (the tokens stay shared, the home is private).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from station.demo import DemoCard
from station.home import Home

__all__ = ["ROOT", "fixtures_dir", "wipe_seal_card", "DemoWorld", "cli_env", "run_cli", "error_line", "copy_home",
           "reidentify", "store_key_for", "remember_store_key", "authentic", "reset_pins", "set_mark"]

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class DemoWorld:
    """The session's demo world: home, softhsm2.conf and the cards with their PINs."""

    home: Home
    conf: Path
    cards: list[DemoCard]
    recovery_code: str = ""  # shown once at init; a demo keeps it for the restore tests

    def card(self, role: str, n: int = 0) -> DemoCard:
        """The ``n``-th card with this role (``card("supervisor", 1)`` is the second)."""
        return [c for c in self.cards if c.role == role][n]

    def env(self, *cards: DemoCard, home: Home | Path | None = None, **extra: str) -> dict[str, str]:
        """Environment for a CLI child: this world's tokens, a home, PINs of ``cards``."""
        target = home.path if isinstance(home, Home) else (home or self.home.path)
        return cli_env(self.conf, Path(target), cards, extra)


def cli_env(conf: Path, home: Path, cards: Iterable[DemoCard] = (),
            extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: no PIN from the outside leaks in, only the ones asked for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAL_STATION_")}
    env.update(SOFTHSM2_CONF=str(conf), SEAL_STATION_HOME=str(home), PYTHONIOENCODING="utf-8")
    for c in cards:
        env[f"SEAL_STATION_PIN_{c.serial}"] = c.pin
    env.update(extra or {})
    return env


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m station ARGS`` as a user would run ``seal-station ARGS``."""
    return subprocess.run([sys.executable, "-m", "station", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)


def error_line(proc: subprocess.CompletedProcess[str], code: int | None = None) -> str:
    """Assert the CLI contract for failures (one stderr line, no traceback); return it."""
    assert proc.returncode != 0, f"expected a failure, got 0: {proc.stdout!r}"
    if code is not None:
        assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"stderr must be exactly one line, got {lines!r}"
    assert lines[0].startswith("seal-station: "), lines[0]
    return lines[0]


def copy_home(world: DemoWorld, dest: Path) -> Home:
    """A private copy of the station home (the SoftHSM tokens stay shared).

    The copy gets a store instance id of its own: the cards witness each store they act
    in (station/witness.py), and a copy that kept the original's id would be, to them, a
    rollback of it as soon as the two went different ways."""
    shutil.copytree(world.home.path, dest)
    reidentify(Home(dest), world.card("admin"))
    return Home(dest)


def reidentify(home: Home, card: DemoCard) -> None:
    """Give the store of a copied home a new instance id (logged in with ``card``)."""
    import secrets

    from station.session import login
    from station.store.counters import Meta

    session = login(home, card.serial, card.pin)
    try:
        Meta(session.store).put("instance", secrets.token_hex(16))
    finally:
        session.close()


def store_key_for(home: Home, card: DemoCard) -> bytes:
    """The SQLCipher key of ``home``, unwrapped by logging in with ``card`` (then logged out)."""
    from station import keys
    from station.session import login

    session = login(home, card.serial, card.pin)
    try:
        return keys.store_key(session.master)
    finally:
        session.close()


_STORE_KEYS: dict[str, bytes] = {}


def _station_of(home: Home) -> str:
    """Copies of one station share its master key, and so its recovery slot."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(home.keyslots().recovery, sort_keys=True).encode()).hexdigest()


def remember_store_key(home: Home, card: DemoCard) -> None:
    """Keep the store key so fixtures can reset the store's ledgers without a login."""
    _STORE_KEYS[_station_of(home)] = store_key_for(home, card)


@contextmanager
def authentic(home: Home) -> Iterator[Any]:
    """The home as a session sees it (store's copy read, both written), or None when
    this station's key is not known to the tests."""
    from station.settings import AuthenticatedHome
    from station.store.db import Store

    key = _STORE_KEYS.get(_station_of(home)) if home.db.exists() else None
    if key is None:
        yield None
        return
    store = Store.open(home.db, key)
    try:
        with store.transaction():
            yield AuthenticatedHome(home.path, store)
    finally:
        store.close()


def reset_pins(home: Home) -> None:
    """Forget every wrong PIN, in the files and in the store (as an unblock would)."""
    if not home.pin_ledger() and not home.inbox_file.exists():
        return
    with authentic(home) as auth:
        if auth is not None:
            auth.rows.put("pins", {})
    home._write("pin-tries.json", {})
    home.clear_inbox()


def set_mark(home: Home, serial: str, mark: str | None) -> None:
    """Change a card's mark in the files and in the store (as the ceremony would)."""
    with authentic(home) as auth:
        (auth or home).mark_card(serial, mark)


def fixtures_dir() -> Path:
    """The seal fixtures: ../shared/fixtures/seals beside the repo, else $SEAL_STATION_FIXTURES."""
    here = ROOT.parent / "shared/fixtures/seals"
    if here.is_dir():
        return here
    env = os.environ.get("SEAL_STATION_FIXTURES")
    if env:
        for candidate in (Path(env) / "seals", Path(env)):
            if (candidate / "UserV4.esl").is_file():
                return candidate
    raise FileNotFoundError("seal fixtures not found: set SEAL_STATION_FIXTURES to shared/fixtures(/seals)")


def wipe_seal_card(module, card: DemoCard, homes: Iterable[Home]) -> None:
    """Make a seal card blank again: delete its SESeal object, clear the stations' marks
    (as an administrator would after revoking the seal)."""
    c = module.card(card.serial)
    try:
        c.login(card.pin)
        c.delete_data("SESeal")
    finally:
        module.forget(card.serial)
    for home in homes:
        set_mark(home, card.serial, None)


def fitting_form(card: DemoCard, seal_name: str | None = None) -> dict[str, str]:
    """``check_form`` fields of an application that fits ``card``: the unit (by its credit
    code) or the person its certificate names, and a fresh seal name (one active
    impression per unit and seal name)."""
    import secrets

    owner = card.owner
    assert owner is not None, f"{card.label} names no applicant"
    name = seal_name or f"{owner.name}测试章{secrets.randbelow(10 ** 8):08d}"
    if owner.personal:
        return dict(seal_kind="personal-name", holder_name=owner.name, holder_id=owner.code, seal_name=name)
    return dict(seal_kind="official", unit=owner.name, credit_code=owner.code, seal_name=name)

