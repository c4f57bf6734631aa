"""The auditor's "verify the audit log" on the home screen: the same check the command
runs, shown on screen and recorded in the log it checked."""

from __future__ import annotations

from screens.app import make_app
from screens.home import HomeScreen
from tests.screens.pilot import login, until


async def test_audit_check_from_home_is_shown_and_recorded(demo_world):
    auditor = demo_world.card("auditor")
    app = make_app(demo_world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(130, 40)) as pilot:
        await login(pilot, app, auditor.serial, auditor.pin)
        assert isinstance(app.screen, HomeScreen)
        app.run_home_action("audit_verify")
        result = app.screen.query_one("#home-result")
        await until(pilot, lambda: "Audit log intact" in str(result.render()))
        last = app.session.audit.entries()[-1]
        assert (last["action"], last["outcome"], last["details"]) == ("audit-verify", "ok", {"problems": 0})
        assert last["actor"]["serial"] == auditor.serial
        await pilot.press("ctrl+l")
