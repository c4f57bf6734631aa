"""The screens' one worker helper: whatever a worker raises, the person sees a clear
message (title, message, hint) and the app keeps running — no traceback, no exit."""

from __future__ import annotations

from textual.widgets import Input

from screens.app import make_app
from screens.help import HelpScreen
from screens.library import LibraryScreen
from screens.lock import LockScreen
from station.errors import PolicyError
from tests.helpers import DemoWorld
from tests.screens.pilot import until


class BrokenLibrary:
    """A library whose search fails the way a bug would: an exception nobody planned for."""

    def may_manage(self) -> bool:
        return True

    def search(self, **filters):
        raise KeyError("column 7")

    def preview(self, impression_id: int) -> bytes:
        raise AssertionError("no rows, no preview")

    def change(self, action: str, impression_id: int, reason: str):
        raise AssertionError("no rows, nothing to change")


def errors(app) -> list:
    return [n for n in app._notifications if n.severity == "error"]


async def test_an_unexpected_worker_exception_is_shown_and_the_app_keeps_running(demo_world: DemoWorld) -> None:
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        await app.push_screen(LibraryScreen(BrokenLibrary()))
        library = app.screen
        await until(pilot, lambda: errors(app) and all(w.is_finished for w in app.workers))
        [shown] = errors(app)
        assert shown.title == "Unexpected error"
        assert "KeyError" in shown.message and "column 7" not in shown.message  # no internals, no traceback
        assert "administrator" in shown.message
        assert app.is_running and app.return_code is None

        library.query_one("#lib-unit", Input).focus()  # still usable: type, search again, switch language
        await pilot.press("a", "enter")
        await until(pilot, lambda: len(errors(app)) == 2)
        await pilot.press("f2")
        await pilot.pause()
        assert library.query_one("#lib-unit", Input).placeholder == "单位包含…"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LockScreen))
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.is_running and app.return_code is None


async def test_a_station_error_keeps_its_title_message_and_hint(demo_world: DemoWorld) -> None:
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()

        def refuse() -> None:
            raise PolicyError("not today", title="Refused", hint="ask a supervisor")

        app.screen.run_work(refuse)
        await until(pilot, lambda: errors(app))
        [shown] = errors(app)
        assert (shown.title, shown.message) == ("Refused", "not today\nask a supervisor")


async def test_a_failing_result_callback_is_caught_too(demo_world: DemoWorld) -> None:
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        app.screen.run_work(lambda: 0, lambda zero: 1 / zero)  # raises on the UI thread
        await until(pilot, lambda: errors(app))
        assert errors(app)[0].title == "意外错误"
        assert app.is_running and isinstance(app.screen, LockScreen)
