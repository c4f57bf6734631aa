"""Fixtures shared by the whole suite.

``demo_world`` builds the demo world once per test session: SoftHSM tokens in a session
token directory, a demo CA, an initialised station with enrollments. A Python process
loads the SoftHSM library once and reads ``SOFTHSM2_CONF`` then, so the variable is set
here before anything opens the PKCS#11 module.

``world`` is the same world for a test that may change it: afterwards every card is back
in its reader, no card is logged in and the station's wrong-PIN counters are cleared.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from tests.helpers import DemoWorld, copy_home, remember_store_key, reset_pins, wipe_seal_card


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    from devices import pkcs11 as dev_pkcs11
    from devices import softhsm
    from station.demo import build_demo_world
    from station.home import Home

    assert not dev_pkcs11._MODULES, "the PKCS#11 module was loaded before SOFTHSM2_CONF was set"
    root = tmp_path_factory.mktemp("world")
    saved = {k: os.environ.get(k) for k in ("SOFTHSM2_CONF", "SEAL_STATION_HOME")}
    conf = softhsm.write_config(root)  # root/softhsm/{softhsm2.conf,tokens,shelf}
    home = Home(root / "home")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    os.environ["SEAL_STATION_HOME"] = str(home.path)
    try:
        info = build_demo_world(home)
        assert info.conf == conf
        world = DemoWorld(home=home, conf=conf, cards=info.cards, recovery_code=info.recovery_code)
        remember_store_key(home, world.card("admin"))
        yield world
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def module(demo_world: DemoWorld):  # -> devices.pkcs11.Module
    """The process-wide PKCS#11 module of the demo world's SoftHSM."""
    from devices.pkcs11 import open_module
    from devices.softhsm import find_module

    return open_module(find_module())


@pytest.fixture
def world(demo_world: DemoWorld, module) -> Iterator[DemoWorld]:
    """The demo world, put back as it was after the test (cards, PIN counters)."""
    yield demo_world
    from devices import softhsm

    for serial in list(module._cards):
        module.forget(serial)
    shelf = demo_world.conf.parent / "shelf"
    for c in demo_world.cards:
        if any(p.name.replace("-", "").endswith(c.serial) for p in shelf.iterdir()):
            softhsm.insert(demo_world.conf, c.serial)
    reset_pins(demo_world.home)
    module.scan()  # no card is logged in now: SoftHSM re-reads its token directory


@pytest.fixture
def home_copy(world: DemoWorld, tmp_path: Path):  # -> station.home.Home
    """A private copy of the demo station home, to tamper with freely."""
    return copy_home(world, tmp_path / "home")


@pytest.fixture
def blank_seal_card(world: DemoWorld, module):  # -> station.demo.DemoCard
    """A demo seal card with no seal on it (the last one, so CLI tests keep the first).

    A card sealed by an earlier test is wiped back to blank: its SESeal object deleted
    and the station's mark cleared — as an administrator would after revoking it.
    """
    card = world.card("seal", 4)
    wipe_seal_card(module, card, [world.home])
    yield card
    wipe_seal_card(module, card, [world.home])
