"""The admin's and the auditor's desks in the TUI: staff list and retiring a card, the
forced PIN change at a first login, the log browser with filters and detail, statistics."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from screens.app import make_app
from screens.home import HomeScreen
from station.model import Actor, Enrollment, Role
from tests.screens.pilot import choose_card, login, type_pin, until

NEW_PIN = "730519"


def _restore_pin(module, serial: str, current: str, original: str) -> None:
    module.forget(serial)
    module.scan()
    card = module.card(serial)
    card.login(current)
    card.change_pin(current, original)
    module.forget(serial)


async def test_admin_desk_lists_staff_and_retires_a_card(world, home_copy) -> None:
    from screens.admin import EnrollModal, RetireModal, StaffScreen

    admin, auditor = world.card("admin"), world.card("auditor")
    app = make_app(home_copy, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await login(pilot, app, admin.serial, admin.pin)
        alerts = app.screen.query_one("#home-alerts")
        await until(pilot, lambda: "alert" in str(alerts.render()).lower())
        app.run_home_action("staff")
        await until(pilot, lambda: isinstance(app.screen, StaffScreen) and len(app.screen.members) >= 5)
        screen = app.screen
        row = next(i for i, m in enumerate(screen.members) if m.serial == auditor.serial)
        table = screen.query_one("#staff-table")
        table.move_cursor(row=row)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RetireModal))
        await pilot.press(*"left the post", "enter")
        await until(pilot, lambda: any(m.serial == auditor.serial and m.removed_at for m in screen.members))
        assert "retired" in str(screen.query_one("#staff-result").render())
        entry = app.session.audit.entries()[-1]
        assert (entry["action"], entry["object"], entry["details"]["reason"]) == ("unenroll", auditor.serial,
                                                                                  "left the post")
        assert auditor.serial not in {s.serial for s in home_copy.keyslots().slots.values()}
        # the same card comes back to the post: enrolled again from the desk
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EnrollModal))
        modal = app.screen
        modal.query_one("#enroll-card").value = auditor.serial
        modal.query_one("#enroll-role").value = "auditor"
        modal.query_one("#enroll-pin").focus()
        await pilot.press(*auditor.pin, "enter")
        await until(pilot, lambda: any(m.serial == auditor.serial and not m.removed_at for m in screen.members),
                    seconds=15)
        assert auditor.serial in {s.serial for s in home_copy.keyslots().slots.values()}
        await pilot.press("escape", "ctrl+l")


async def test_a_first_pin_is_changed_at_the_first_login(world, home_copy, module) -> None:
    from screens.desks import ChangePinModal
    from station.session import login as core_login
    from station.store.pins import PinFacts

    admin, auditor = world.card("admin"), world.card("auditor")
    session = core_login(home_copy, admin.serial, admin.pin)
    try:
        PinFacts(session.store).record(auditor.serial, "2026-01-01T00:00:00.000Z", must_change=True)
    finally:
        session.close()
    app = make_app(home_copy, lang="en", watch_interval=0.1)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await choose_card(pilot, app, auditor.serial)
            await type_pin(pilot, app, auditor.pin)
            await until(pilot, lambda: isinstance(app.screen, ChangePinModal))
            assert "initial PIN" in str(app.screen.query_one("#cp-why").render())
            await pilot.press(*"111111", "enter", *"111111", "enter")  # weak: refused on the spot
            await until(pilot, lambda: "all one digit" in str(app.screen.query_one("#cp-error").render()))
            for field in app.screen.query("Input"):
                field.value = ""
            app.screen.query_one("#cp-new").focus()
            await pilot.press(*NEW_PIN, "enter", *NEW_PIN, "enter")
            await until(pilot, lambda: isinstance(app.screen, HomeScreen), seconds=15)
            assert app.session.actor.serial == auditor.serial
            await pilot.press("ctrl+l")
    finally:
        _restore_pin(module, auditor.serial, NEW_PIN, auditor.pin)


async def test_the_log_browser_filters_and_shows_where(world, home_copy) -> None:
    from screens.auditor import AuditLogScreen, StatsScreen

    officer, auditor = world.card("officer"), world.card("auditor")
    app = make_app(home_copy, lang="en", watch_interval=0.1)
    async with app.run_test(size=(150, 45)) as pilot:
        await choose_card(pilot, app, officer.serial)
        await type_pin(pilot, app, "000000")  # a wrong PIN: refused, and recorded
        await pilot.press("escape")
        home_copy.set_pin_failures(officer.serial, 0)
        await login(pilot, app, auditor.serial, auditor.pin)
        alerts = app.screen.query_one("#home-alerts")
        await until(pilot, lambda: "wrong PIN" in str(alerts.render()))
        app.run_home_action("audit_log")
        await until(pilot, lambda: isinstance(app.screen, AuditLogScreen) and bool(app.screen.entries))
        screen = app.screen
        screen.query_one("#f-outcome").value = "refused"
        await until(pilot, lambda: bool(screen.entries) and all(e["outcome"] == "refused" for e in screen.entries))
        wrong = [e for e in screen.entries if e["reason"] == "wrong PIN"]
        assert wrong and wrong[-1]["card"] == officer.serial
        detail = str(screen.query_one("#log-detail").render())
        assert wrong[-1]["mac"] in detail and "IP" in detail
        await pilot.press("escape")
        app.run_home_action("audit_stats")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen)
                    and any(t.row_count for t in app.screen.query("#stats-periods")))
        chart = str(app.screen.query_one("#stats-chart").render())
        from station.clock import now

        assert f"{now():%Y-%m}" in chart  # this month's bar (the demo world made no seal yet)
        await pilot.press("escape", "ctrl+l")


# -- snapshots: a store with fixed content, so that nothing random shows -------------------

@dataclass
class _DeskSession:
    actor: Actor
    store: Any
    audit: Any
    home: Any = None

    def log(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def close(self, reason: str = "") -> None:
        pass


@pytest.fixture
def fixed_desk(tmp_path: Path):
    from station.audit import Audit
    from station.store.db import Store
    from station.store.enrollments import Enrollments
    from station.store.pins import PinFacts

    store = Store.open(tmp_path / "desk.db", os.urandom(32), create=True)
    people = [("A0000001", "张伟 Zhang Wei", Role.ADMIN), ("O0000002", "王芳 Wang Fang", Role.OFFICER),
              ("S0000003", "李强 Li Qiang", Role.SUPERVISOR), ("U0000004", "赵敏 Zhao Min", Role.AUDITOR)]
    terminal = {"host": "station-01", "ip": "10.0.0.7", "mac": "02:00:00:00:00:07"}
    with store.transaction():
        for i, (serial, name, role) in enumerate(people):
            Enrollments(store).add(Enrollment(serial, f"{i:064x}", role, name, b"cert", "2026-01-05T09:00:00"))
            PinFacts(store).record(serial, "2026-01-05T09:00:00.000Z", must_change=False)
        audit = Audit(store)
        actors = {s: {"cert_sha256": f"{i:064x}", "name": n, "role": r.value, "serial": s}
                  for i, (s, n, r) in enumerate(people)}
        for day in range(1, 9):
            when = f"2026-0{1 + day % 3}-{day:02d}T10:00:00.000Z"
            audit.append(actors["O0000002"], "login", "O0000002", "ok", time=when, terminal=terminal)
            audit.append(actors["O0000002"], "make", f"DEMO-0001-2026-{day:06d}", "ok",
                         {"unit": ("示例科技有限公司", "示范单位")[day % 2]}, time=when, terminal=terminal)
        audit.append({"cert_sha256": "", "name": "", "role": "", "serial": "S0000003"}, "login", "S0000003",
                     "refused", {"reason": "wrong PIN"}, time="2026-03-09T11:00:00.000Z", terminal=terminal)
    yield _DeskSession(Actor("0" * 64, "赵敏 Zhao Min", Role.AUDITOR, "U0000004"), store, audit)
    store.close()


def _snap(snap_compare, demo_world, session, screen_factory, lang="en", ready=lambda screen: True):
    app = make_app(demo_world.home, lang=lang, start_monitor=False)

    async def run_before(pilot):
        app.apply_cards([])
        app.session = session
        await app.push_screen(screen_factory())
        await pilot.pause(0.2)
        for _ in range(2):  # a filter's first "changed" may start a second load
            await until(pilot, lambda: ready(app.screen) and all(w.is_finished for w in app.workers), seconds=20)
            await pilot.pause(0.3)

    return snap_compare(app, terminal_size=(130, 36), run_before=run_before)


def test_admin_desk_snapshot(snap_compare, demo_world, fixed_desk):
    from screens.admin import StaffScreen

    assert _snap(snap_compare, demo_world, fixed_desk, StaffScreen, lang="zh_CN",
                 ready=lambda screen: len(screen.members) == 4)


def test_log_browser_snapshot(snap_compare, demo_world, fixed_desk):
    from screens.auditor import AuditLogScreen

    assert _snap(snap_compare, demo_world, fixed_desk, AuditLogScreen, ready=lambda screen: len(screen.entries) == 17)


def test_statistics_snapshot(snap_compare, demo_world, fixed_desk):
    from screens.auditor import StatsScreen

    assert _snap(snap_compare, demo_world, fixed_desk, StatsScreen,
                 ready=lambda screen: screen.query_one("#stats-periods").row_count == 3)


@pytest.mark.parametrize("lang, pin, old, said", [
    ("en", "111111", None, "all one digit"), ("zh_CN", "654321", None, "连续数字"),
    ("zh_CN", "12345", None, "少于6位"), ("en", "730519", "730519", "the same as the old PIN"),
    ("zh_CN", "730519", "730519", "与旧 PIN 相同"), ("en", "730519", "123456", "")])
def test_the_weak_pin_rule_is_said_in_the_ui_language(lang, pin, old, said) -> None:
    from screens.desks import weak_rule_text
    from screens.i18n import Translator

    text = weak_rule_text(Translator(lang), pin, old)
    assert (said in text) if said else text == ""
