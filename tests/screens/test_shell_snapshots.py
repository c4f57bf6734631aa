"""Snapshots of the shell at the two desk sizes (80×24, 160×48): the lock screen, each
role's home and the full-screen receipt code (at 80×24 it says the size it needs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from screens.app import make_app
from screens.home import HomeScreen
from screens.receipt import ReceiptCodeScreen
from station.model import Actor, Role
from tests.screens.test_receipt_screens import SEAL
from tests.screens.test_snapshots import CARDS, _SessionView

SIZES = [(80, 24), (160, 48)]
# what the admin's and the auditor's home say above their actions (their own tests load it)
ALERT = {"action": "wrong-pin-burst", "card": "5555eeee6666ffff", "details": {"count": 5}}
STALE = ("3333cccc4444dddd", "2026-08-01T09:00:00+00:00")


@dataclass
class _DeskSession(_SessionView):
    """A home's session with the log's size the alerts read from (the rows are patched in)."""

    audit: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(size=42))
    store: None = None
PEOPLE = {Role.ADMIN: ("赵敏 Zhao Min", "en"), Role.OFFICER: ("王芳 Wang Fang", "zh_CN"),
          Role.SUPERVISOR: ("李强 Li Qiang", "en"), Role.AUDITOR: ("刘洋 Liu Yang", "zh_CN")}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_lock_screen_at_a_desk(snap_compare, demo_world, size, lang):
    app = make_app(demo_world.home, lang=lang, start_monitor=False)

    async def run_before(pilot):
        app.apply_cards(CARDS)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("role", list(PEOPLE), ids=lambda r: r.value)
def test_home_of_each_role(snap_compare, demo_world, size, role, monkeypatch):
    import station.backup
    from station.backup.numbers import Reminder

    # the administrator's home says how old the last backup is: fixed, as the session is
    monkeypatch.setattr(station.backup, "backup_reminder", lambda session: Reminder("2026-11-20", 10, 7, True))
    monkeypatch.setattr("station.auditor.alerts", lambda store, serial, current: [ALERT])
    monkeypatch.setattr("station.staff.staff", lambda session: [])
    monkeypatch.setattr("station.pin_policy.stale_pins", lambda store, serials: [STALE])
    name, lang = PEOPLE[role]
    app = make_app(demo_world.home, lang=lang, start_monitor=False)

    async def run_before(pilot):
        app.apply_cards(CARDS)
        app.session = _DeskSession(Actor("00" * 32, name, role, "1111aaaa2222bbbb"))
        await app.push_screen(HomeScreen())
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_receipt_code_view(snap_compare, demo_world, size):
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)

    async def run_before(pilot):
        await app.push_screen(ReceiptCodeScreen(SEAL))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
