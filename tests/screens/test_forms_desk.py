"""The counter screens at a real desk: approvals without a false alarm, footers per role,
a half-filled form that asks before it is thrown away, export to a typed folder."""

from __future__ import annotations

from textual.widgets import Input, ProgressBar

from screens.app import make_app
from screens.applications import ApplyScreen, ApprovalsScreen
from screens.export import ExportScreen
from screens.library import LibraryScreen
from screens.widgets.confirm import ConfirmModal
from station import applications
from station.home import Home
from tests.screens.pilot import login, until
from tests.screens.test_library import open_action, pick, settle
from tests.screens.test_receipt_screens import issued  # noqa: F401  (fixture)
from tests.station.test_applications import enter, unit_name


def _errors(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == "error"]


async def test_approve_and_return_raise_no_false_alarm(world, monkeypatch) -> None:
    import time

    first, second = enter(world, unit_name()), enter(world, unit_name())
    real = applications.pending_picture

    def slow_picture(session, app_id):  # a picture still loading when the decision lands
        time.sleep(0.4)
        return real(session, app_id)

    monkeypatch.setattr(applications, "pending_picture", slow_picture)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 44)) as pilot:
        await open_action(pilot, app, world, "supervisor", "approvals")
        screen = app.screen
        assert isinstance(screen, ApprovalsScreen)
        await until(pilot, lambda: screen.rows)
        assert screen.query_one("#apps-table").cursor_row == 0  # the list opens on its first row
        await pick(pilot, app, first)
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.click("#confirm-ok")
        await settle(pilot, app)
        await until(pilot, lambda: all(r.id != first for r in screen.rows))
        await pick(pilot, app, second)
        await pilot.press("r")
        await settle(pilot, app)
        app.screen.query_one("#confirm-reason", Input).value = "模糊"
        await pilot.press("enter")
        await settle(pilot, app)
        await until(pilot, lambda: all(r.id != second for r in screen.rows))
        await pilot.pause(0.5)
        assert applications.get(app.session, first).state == "approved"
        assert applications.get(app.session, second).state == "rejected"
        assert _errors(app) == []  # no "picture destroyed" after a decision that succeeded


async def test_admin_footer_has_no_disable_or_destroy(world) -> None:
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 44)) as pilot:
        await open_action(pilot, app, world, "admin", "library")
        await until(pilot, lambda: isinstance(app.screen, LibraryScreen))
        shown = {k for k, b in app.screen.active_bindings.items() if b.enabled}
        assert "d" not in shown and "x" not in shown and "escape" in shown


async def test_escape_on_a_half_filled_form_asks_first(world) -> None:
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_action(pilot, app, world, "officer", "applications")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ApplyScreen))
        form = app.screen
        await pilot.press(*"Acme")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("escape")  # keep typing: nothing lost
        await until(pilot, lambda: app.screen is form)
        assert form.query_one("#apply-unit", Input).value == "Acme"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.click("#confirm-ok")
        await until(pilot, lambda: not isinstance(app.screen, (ApplyScreen, ConfirmModal)))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ApplyScreen))
        await pilot.press("escape")  # an empty form closes at once
        await until(pilot, lambda: not isinstance(app.screen, ApplyScreen))


async def test_export_to_a_typed_folder(world, issued, tmp_path, monkeypatch) -> None:  # noqa: F811
    monkeypatch.delenv("SEAL_STATION_EXPORT_DIRS", raising=False)
    officer = world.card("officer")
    app = make_app(Home(issued.home), lang="en", watch_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, app, officer.serial, officer.pin)
        await app.push_screen(ExportScreen(issued.esid))
        export = app.screen
        await until(pilot, lambda: "type a folder" in str(export.query_one("#export-notes").render()))
        assert not export.query_one(ProgressBar).display  # no empty bar when nothing runs
        field = export.query_one("#export-folder", Input)
        assert app.focused is field
        field.value = str(tmp_path / "missing")
        await pilot.press("enter")
        await pilot.pause()
        assert "not an existing folder" in str(export.query_one("#export-status").render())
        assert not export.query_one(ProgressBar).display
        field.value = str(tmp_path)
        await pilot.press("enter")
        await until(pilot, lambda: export.written or export.error is not None, seconds=20)
        assert export.error is None
        assert (tmp_path / issued.esid / f"{issued.esid}.txt").read_text().strip() == issued.text
