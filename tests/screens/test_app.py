"""Pilot tests of the station shell: login, wrong PIN, locked card, card removal, idle
lock and the language toggle — on SoftHSM cards of the session's demo world."""

from __future__ import annotations

import pytest

from devices import softhsm
from screens.app import make_app
from screens.home import HomeScreen
from screens.lock import LockScreen
from screens.pin import PinModal
from tests.helpers import reset_pins
from tests.screens.pilot import choose_card, type_pin, until


@pytest.fixture
def officer(demo_world):
    card = demo_world.card("officer")
    yield card
    reset_pins(demo_world.home)


async def test_login_reaches_the_home_screen_of_the_role(demo_world, officer):
    app = make_app(demo_world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(130, 40)) as pilot:
        await choose_card(pilot, app, officer.serial)
        await type_pin(pilot, app, officer.pin)
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert app.session is not None and app.session.actor.role.value == "officer"
        title = str(app.screen.query_one("#home-title").render())
        assert "Wang Fang" in title and "Seal officer" in title
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LockScreen))
        assert app.session is None


async def test_wrong_pin_shows_tries_left_and_keeps_the_modal(demo_world, officer):
    app = make_app(demo_world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(130, 40)) as pilot:
        await choose_card(pilot, app, officer.serial)
        await type_pin(pilot, app, "999999")
        modal = app.screen
        assert isinstance(modal, PinModal)
        await until(pilot, lambda: "tries left" in str(modal.query_one("#pin-hint").render()))
        assert "Wrong PIN" in str(modal.query_one("#pin-error").render())
        assert app.session is None
    assert demo_world.home.pin_failures(officer.serial) == 1


async def test_locked_card_says_so_and_how_to_unblock(demo_world, officer):
    home = demo_world.home
    home.set_pin_failures(officer.serial, home.config().max_pin_tries)
    app = make_app(home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(130, 40)) as pilot:
        await choose_card(pilot, app, officer.serial)
        modal = app.screen
        assert "locked" in str(modal.query_one("#pin-error").render())
        assert "card unblock" in str(modal.query_one("#pin-hint").render())
        assert modal.query_one("#pin-input").disabled


async def test_removing_the_logged_in_card_locks_within_two_seconds(demo_world, officer):
    app = make_app(demo_world.home, lang="en", watch_interval=0.2)
    async with app.run_test(size=(130, 40)) as pilot:
        await choose_card(pilot, app, officer.serial)
        await type_pin(pilot, app, officer.pin)
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        softhsm.eject(demo_world.conf, officer.serial)
        try:
            await until(pilot, lambda: app.session is None and isinstance(app.screen, LockScreen),
                        seconds=2.0)
        finally:
            softhsm.insert(demo_world.conf, officer.serial)
        await until(pilot, lambda: any(c.serial == officer.serial for c in app.cards))


async def test_idle_station_locks_itself(demo_world, officer):
    app = make_app(demo_world.home, lang="en", watch_interval=0.1, idle_minutes=0.02)
    async with app.run_test(size=(130, 40)) as pilot:
        await choose_card(pilot, app, officer.serial)
        await type_pin(pilot, app, officer.pin)
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await until(pilot, lambda: app.session is None, seconds=5.0)
        assert isinstance(app.screen, LockScreen)


async def test_language_toggle_changes_screen_and_footer(demo_world):
    app = make_app(demo_world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        assert "Station locked" in str(app.screen.query_one("#lock-intro").render())
        await pilot.press("f2")
        await pilot.pause()
        assert app.tr.lang == "zh_CN"
        assert "终端已锁定" in str(app.screen.query_one("#lock-intro").render())
        descriptions = {b.description for _, b, _, _ in app.active_bindings.values()}
        assert "帮助" in descriptions
        await pilot.press("f1")
        await pilot.pause()
        assert "帮助" in str(app.screen.query_one("#help-title").render())
