"""Pilot tests of applications, approvals and the impression library, on the demo world's
SoftHSM cards; and a snapshot of the library with a preview, from fixed rows."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, DataTable, Input

from screens.app import make_app
from screens.applications import ApplicationsScreen, ApplyScreen, ApprovalsScreen
from screens.library import LibraryScreen
from screens.widgets.confirm import ConfirmModal
from screens.widgets.impression import ImpressionPreview, halfblock_text
from station import applications, impressions
from station.demo_impressions import make_demo_impression
from station.images import normalise_impression
from station.model import Impression
from tests.helpers import DemoWorld
from tests.screens.pilot import login, until
from tests.station.test_applications import CODE, as_card, enter, unit_name


def idle(app) -> bool:
    return all(w.is_finished for w in app.workers)


async def settle(pilot, app) -> None:
    await until(pilot, lambda: idle(app))
    await pilot.pause()
    await until(pilot, lambda: idle(app))


async def open_action(pilot, app, world: DemoWorld, role: str, action: str, n: int = 0) -> None:
    card = world.card(role, n)
    await login(pilot, app, card.serial, card.pin)
    app.run_home_action(action)
    await settle(pilot, app)


async def pick(pilot, app, ident: int) -> None:
    screen = app.screen
    await until(pilot, lambda: any(r.id == ident for r in screen.rows))
    row = next(i for i, r in enumerate(screen.rows) if r.id == ident)
    table = screen.query_one(DataTable)
    table.focus()
    table.move_cursor(row=row)
    await settle(pilot, app)


async def test_officer_enters_an_application(world: DemoWorld, tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    scan.write_bytes(make_demo_impression("测试", "official", size=200))
    unit = unit_name()
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 44)) as pilot:
        await open_action(pilot, app, world, "officer", "applications")
        assert isinstance(app.screen, ApplicationsScreen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ApplyScreen))
        form = app.screen
        values = {"unit": unit, "credit-code": CODE[:17] + ("0" if CODE[17] != "0" else "1"), "name": unit,
                  "purpose": "合同", "impression": str(scan)}
        for name, value in values.items():
            form.query_one(f"#apply-{name}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert "check digit" in str(form.query_one("#apply-error").render())  # stays on the form
        assert isinstance(app.screen, ApplyScreen)
        form.query_one("#apply-credit-code", Input).value = CODE
        form.query_one("#apply-impression", Input).focus()
        await pilot.press("enter")  # preview of the normalised picture
        await settle(pilot, app)
        assert form.query_one(ImpressionPreview).png is not None
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        await until(pilot, lambda: isinstance(app.screen, ApplicationsScreen))
        await settle(pilot, app)
        assert any(r.unit == unit and r.state == "submitted" for r in app.screen.rows)
        rows = applications.list_(app.session, unit=unit)
        assert [(r.state, r.credit_code, r.purpose) for r in rows] == [("submitted", CODE, "合同")]


async def test_supervisor_approves_with_both_impressions_side_by_side(world: DemoWorld) -> None:
    unit = unit_name()
    first = enter(world, unit)
    with as_card(world, "supervisor", 1) as other:
        old = applications.approve(other, first).impression.id
    second = enter(world, unit)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 44)) as pilot:
        await open_action(pilot, app, world, "supervisor", "approvals")
        assert isinstance(app.screen, ApprovalsScreen)
        await pick(pilot, app, second)
        assert app.screen.query_one(ImpressionPreview).png is not None  # the submitted picture
        await pilot.press("a")
        await settle(pilot, app)
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        previews = list(modal.query(ImpressionPreview))
        assert len(previews) == 2 and all(p.png for p in previews)
        assert f"impression {old}" in previews[1].caption
        await pilot.press("escape")  # Escape cancels: nothing changes
        await settle(pilot, app)
        assert applications.get(app.session, second).state == "submitted"
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.click("#confirm-ok")
        await settle(pilot, app)
        assert isinstance(app.screen, ApprovalsScreen)
        assert applications.get(app.session, second).state == "approved"
        assert impressions.get(app.session, old).state == "disabled"
        assert [i.state for i in impressions.search(app.session, unit=unit, state="active")] == ["active"]


async def test_supervisor_returns_with_a_reason(world: DemoWorld) -> None:
    app_id = enter(world, unit_name())
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 44)) as pilot:
        await open_action(pilot, app, world, "supervisor", "approvals")
        await pick(pilot, app, app_id)
        await pilot.press("r")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")  # no reason yet: refused by the dialog itself
        assert isinstance(app.screen, ConfirmModal)
        app.screen.query_one("#confirm-reason", Input).value = "扫描件模糊"
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ApprovalsScreen)
        returned = applications.get(app.session, app_id)
        assert (returned.state, returned.reason) == ("rejected", "扫描件模糊")
        assert all(r.id != app_id for r in app.screen.rows)


async def test_library_search_disable_and_destroy_with_confirmation(world: DemoWorld) -> None:
    unit = unit_name()
    app_id = enter(world, unit)
    with as_card(world, "supervisor") as boss:
        imp_id = applications.approve(boss, app_id).impression.id
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 44)) as pilot:
        await open_action(pilot, app, world, "officer", "library")
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        screen.query_one("#lib-unit", Input).value = unit[2:10]
        screen.query_one("#lib-unit", Input).focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert [r.id for r in screen.rows] == [imp_id]
        assert screen.query_one(ImpressionPreview).png is not None
        await pick(pilot, app, imp_id)

        await pilot.press("d")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot, app)
        assert impressions.get(app.session, imp_id).state == "active"
        await pilot.press("d")
        await settle(pilot, app)
        await pilot.click("#confirm-ok")
        await settle(pilot, app)
        assert impressions.get(app.session, imp_id).state == "disabled"

        await pilot.press("x")
        await settle(pilot, app)
        modal = app.screen
        assert isinstance(modal, ConfirmModal) and modal.danger
        assert modal.focused is modal.query_one("#confirm-cancel", Button)
        await pilot.press("enter")  # Enter alone cancels a destruction
        await settle(pilot, app)
        assert impressions.get(app.session, imp_id).state == "disabled"
        await pilot.press("x")
        await settle(pilot, app)
        app.screen.query_one("#confirm-reason", Input).value = "单位注销"
        await pilot.click("#confirm-ok")
        await settle(pilot, app)
        gone = impressions.get(app.session, imp_id)
        assert (gone.state, gone.reason) == ("destroyed", "单位注销")
        await until(pilot, lambda: screen.rows and screen.rows[0].state == "destroyed")
        assert screen.query_one(ImpressionPreview).png is None


# -- a snapshot from fixed data --------------------------------------------------------------
SEAL = normalise_impression(make_demo_impression("示例科技有限公司", "official", size=320), seal_kind="official").png
ROWS = [
    Impression(3, "示例科技有限公司", "示例科技有限公司", "official", "active", 42, 42, "a1" * 32, "b2" * 32,
               "2025-03-04T05:06:07.000Z", 3),
    Impression(2, "示例科技有限公司", "示例科技有限公司", "official", "disabled", 42, 42, "c3" * 32, "d4" * 32,
               "2024-11-12T09:10:11.000Z", 2, reason="replaced (application 3)"),
    Impression(1, "张伟", "张伟", "personal-name", "destroyed", 20, 20, "e5" * 32, "f6" * 32,
               "2024-01-02T03:04:05.000Z", 1),
]


class FixedLibrary:
    def may_manage(self) -> bool:
        return True

    def search(self, **filters) -> list[Impression]:
        return [r for r in ROWS if not filters.get("state") or r.state == filters["state"]]

    def preview(self, impression_id: int) -> bytes:
        return SEAL

    def change(self, action: str, impression_id: int, reason: str) -> Impression:
        raise AssertionError("not in a snapshot")


def test_library_snapshot_with_preview(snap_compare, demo_world: DemoWorld) -> None:
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)

    async def run_before(pilot) -> None:
        await app.push_screen(LibraryScreen(FixedLibrary()))
        await settle(pilot, app)
        await until(pilot, lambda: app.screen.query_one(ImpressionPreview).png is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(130, 36), run_before=run_before)


def test_halfblocks_keep_the_picture() -> None:
    text = halfblock_text(SEAL, 20)
    lines = text.plain.split("\n")
    assert len(lines) == 10 and all(len(line) == 20 for line in lines)
    assert set(text.plain) <= {" ", "▀", "▄", "\n"} and "▀" in text.plain


async def test_language_toggle_relabels_library_and_form(demo_world: DemoWorld) -> None:
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await app.push_screen(LibraryScreen(FixedLibrary()))
        await settle(pilot, app)
        library = app.screen
        await pilot.press("f2")
        await settle(pilot, app)
        assert "印模库" in str(library.query_one("#lib-title").render())
        assert library.query_one("#lib-unit", Input).placeholder == "单位包含…"
        assert str(library.query_one(DataTable).get_row_at(0)[1]) == "启用"
        await app.push_screen(ApplyScreen())
        await pilot.pause()
        form = app.screen
        await pilot.press("f2")
        await pilot.pause()
        assert "New application" in str(form.query_one(".screen-title").render())
        assert str(form.query_one("#apply-submit", Button).label) == "Submit"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is library
