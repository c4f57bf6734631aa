"""The administrator's Backup action: the home says how old the last backup is, the
screen writes one backup to a chosen stick or a typed folder with progress, and a full
stick is one message with nothing left on it."""

from __future__ import annotations

import subprocess

from screens.app import make_app
from screens.backup import BackupScreen
from screens.home import HomeScreen
from tests.screens.pilot import login, until


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_admin_backs_up_to_a_stick_and_the_home_counts_the_days(world, home_copy, tmp_path, monkeypatch):
    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.setenv("SEAL_STATION_EXPORT_DIRS", str(stick))
    admin = world.card("admin")
    app = make_app(home_copy, lang="en", watch_interval=0.1)
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, app, admin.serial, admin.pin)
        assert "No backup has been made yet" in _text(app, "#home-session")
        app.run_home_action("backup")
        await until(pilot, lambda: isinstance(app.screen, BackupScreen) and app.screen.targets)
        screen = app.screen
        screen.query_one("#backup-table").move_cursor(
            row=next(i for i, t in enumerate(screen.targets) if t.path == stick))
        screen.query_one("#backup-table").focus()
        await pilot.press("enter")
        await until(pilot, lambda: screen.written is not None or screen.error is not None, seconds=30)
        assert screen.error is None
        (written,) = list(stick.iterdir())
        assert written == screen.written and written.name.startswith("seal-station-DEMO-0001-")
        assert "Backup written" in _text(app, "#backup-status")
        bar = screen.query_one("#backup-progress")
        assert bar.progress == bar.total

        folder = tmp_path / "typed" / "folder"
        screen.query_one("#backup-folder").focus()
        await pilot.press(*str(folder))
        await pilot.press("enter")
        await until(pilot, lambda: screen.written is not None and screen.written.parent == folder, seconds=30)

        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert "Last backup: 0 days ago" in _text(app, "#home-session")


async def test_a_full_stick_says_so_on_the_backup_screen(world, home_copy, tmp_path, monkeypatch):
    stick = tmp_path / "tiny"
    stick.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(stick)],
                      capture_output=True).returncode != 0:
        from tests.screens.test_receipt_screens import _no_tmpfs

        _no_tmpfs()
    try:
        monkeypatch.setenv("SEAL_STATION_EXPORT_DIRS", str(stick))
        admin = world.card("admin")
        app = make_app(home_copy, lang="zh_CN", watch_interval=0.1)
        async with app.run_test(size=(150, 45)) as pilot:
            await login(pilot, app, admin.serial, admin.pin)
            assert "尚未备份" in _text(app, "#home-session")
            app.run_home_action("backup")
            await until(pilot, lambda: isinstance(app.screen, BackupScreen) and app.screen.targets)
            screen = app.screen
            screen.start(stick)
            await until(pilot, lambda: screen.error is not None, seconds=30)
            assert "full" in screen.error.message
            assert list(stick.iterdir()) == []
    finally:
        subprocess.run(["umount", str(stick)], check=False)


async def test_restore_from_the_lock_screen_asks_first_then_brings_the_station(world, home_copy, tmp_path):
    from screens.widgets.confirm import ConfirmModal
    from screens.lock import LockScreen
    from screens.restore import RestoreScreen
    from station.backup import create_backup
    from station.home import Home
    from station.model import Role
    from station.session import login as station_login

    admin = world.card("admin")
    session = station_login(home_copy, admin.serial, admin.pin, role=Role.ADMIN)
    try:
        create_backup(session, tmp_path / "station.ssb")
    finally:
        session.close()
    fresh = Home(tmp_path / "new-machine")
    app = make_app(fresh, lang="en", watch_interval=0.1)
    async with app.run_test(size=(150, 45)) as pilot:
        assert isinstance(app.screen, LockScreen) and not app.station_info().initialised
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, RestoreScreen))
        screen = app.screen
        await pilot.press(*str(tmp_path / "station.ssb"), "enter")
        await pilot.press(*"00000-00000-00000-00000-00000-00000-00000-00000", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "destroyed" in str(app.screen.query_one("#confirm-body").render())
        app.screen.query_one("#confirm-ok").press()
        await until(pilot, lambda: screen.error is not None, seconds=30)
        assert "recovery code" in screen.error.message
        assert not fresh.path.exists()  # a wrong code leaves nothing

        code = screen.query_one("#restore-code")
        code.value = world.recovery_code
        code.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        app.screen.query_one("#confirm-ok").press()
        await until(pilot, lambda: screen.restored is not None, seconds=30)
        assert app.station_info().initialised and app.station_info().station_id == "DEMO-0001"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LockScreen))
        assert "DEMO-0001" in str(app.screen.query_one("#lock-intro").render())
