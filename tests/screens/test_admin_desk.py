"""The administrator's trust anchors, settings and card unblocking in the TUI: each calls
the same core as the CLI, and what the core refuses is shown on the screen."""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from screens.app import make_app
from screens.home import HomeScreen
from station.model import Actor, CardState, CardView, Role
from tests.screens.pilot import login, until

SIZES = [(80, 24), (160, 48)]


def _rogue_ca(folder: Path) -> tuple[Path, str]:
    from station.demo import make_ca

    _, der = make_ca("Second Demo CA")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "second-ca.pem"
    path.write_text(ssl.DER_cert_to_PEM_cert(der))
    return path, hashlib.sha256(der).hexdigest()


def _last(app: Any, action: str) -> dict[str, Any]:
    return [e for e in app.session.audit.entries() if e["action"] == action][-1]


async def test_a_trust_anchor_is_added_from_a_stick_and_removed(world, home_copy, tmp_path, monkeypatch) -> None:
    from screens.admin_trust import TrustAddModal, TrustScreen
    from screens.widgets.confirm import ConfirmModal

    stick = tmp_path / "stick"
    _, sha = _rogue_ca(stick / "ca")
    monkeypatch.setenv("SEAL_STATION_EXPORT_DIRS", str(stick))
    admin = world.card("admin")
    app = make_app(home_copy, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await login(pilot, app, admin.serial, admin.pin)
        app.run_home_action("trust")
        await until(pilot, lambda: isinstance(app.screen, TrustScreen) and bool(app.screen.entries))
        screen = app.screen
        before = len(screen.entries)
        assert all(e["trusted"] and e["not_after"] for e in screen.entries)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, TrustAddModal) and bool(app.screen.files))
        assert [p.name for p in app.screen.files] == ["second-ca.pem"]
        await pilot.press("enter")  # the file found on the stick
        await until(pilot, lambda: any(e["sha256"] == sha for e in screen.entries), seconds=10)
        assert "Trusted" in str(screen.query_one("#trust-result").render())
        assert _last(app, "trust-add")["object"] == sha
        # the same certificate again: the core's refusal is shown, nothing changes
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, TrustAddModal))
        app.screen.query_one("#ta-path").value = str(stick / "ca" / "second-ca.pem")
        app.screen.query_one("#ta-path").focus()
        await pilot.press("enter")
        await until(pilot, lambda: "already trusted" in str(screen.query_one("#trust-result").render()))
        assert len(screen.entries) == before + 1

        row = next(i for i, e in enumerate(screen.entries) if e["sha256"] == sha)
        screen.query_one("#trust-table").move_cursor(row=row)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")  # Cancel has the focus: nothing is removed
        await until(pilot, lambda: app.screen is screen)
        assert any(e["sha256"] == sha for e in screen.entries)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        app.screen.query_one("#confirm-ok").press()
        await until(pilot, lambda: app.screen is screen and not any(e["sha256"] == sha for e in screen.entries),
                    seconds=10)
        assert len(screen.entries) == before
        assert _last(app, "trust-remove")["object"] == sha
        assert sha not in {hashlib.sha256(d).hexdigest() for d in app.session.home.trust_anchors()}
        await pilot.press("escape", "ctrl+l")


def _row(screen: Any, key: str) -> int:
    return next(i for i, r in enumerate(screen.rows) if r.key == key)


async def test_a_setting_is_changed_and_out_of_range_refused(world, home_copy) -> None:
    from screens.admin_settings import SettingsScreen
    from station import config as config_mod

    admin = world.card("admin")
    app = make_app(home_copy, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await login(pilot, app, admin.serial, admin.pin)
        app.run_home_action("settings")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen) and bool(app.screen.rows))
        screen = app.screen
        idle = screen.rows[_row(screen, "idle_lock_minutes")]
        assert (idle.low, idle.high) == (1, 120)
        table = screen.query_one("#set-table")
        assert "1 to 120" in str(table.get_row_at(_row(screen, "idle_lock_minutes")))
        table.move_cursor(row=_row(screen, "idle_lock_minutes"))
        await pilot.press("enter")
        field = screen.query_one("#set-value")
        assert field.has_focus and field.value == str(idle.value)
        field.value = ""
        await pilot.press(*"500", "enter")
        result = screen.query_one("#set-result")
        await until(pilot, lambda: "must be from 1 to 120" in str(result.render()))
        assert home_copy.config().idle_lock_minutes == idle.value
        field.value = ""
        await pilot.press(*"30", "enter")
        await until(pilot, lambda: screen.rows[_row(screen, "idle_lock_minutes")].value == 30)
        assert f"{idle.value} → 30" in str(result.render())
        assert home_copy.config().idle_lock_minutes == 30
        entry = _last(app, "config-set")
        assert (entry["object"], entry["details"]) == ("idle_lock_minutes", {"old": idle.value, "new": 30})

        # the file edited by hand: shown as a difference, and put back by revert
        config_mod.save(home_copy.config_file, replace(home_copy.config(), max_pin_tries=9))
        await pilot.press("f5")
        diff = screen.query_one("#set-diff")
        await until(pilot, lambda: "max_pin_tries" in str(diff.render()))
        assert screen.rows[_row(screen, "max_pin_tries")].value != 9  # the store's value counts
        await pilot.press("v")
        await until(pilot, lambda: "agree" in str(diff.render()))
        assert home_copy.config().max_pin_tries != 9
        assert _last(app, "config-revert")["outcome"] == "ok"
        await pilot.press("escape", "ctrl+l")


async def test_a_locked_card_is_unblocked_and_opens_with_its_new_pin(world, home_copy, module) -> None:
    from devices.pkcs11 import unblock as device_unblock
    from screens.admin_unblock import UnblockScreen
    from station.demo import DEMO_SO_PIN
    from station.errors import PinLockedError, WrongPinError
    from station.session import login as core_login

    admin, card = world.card("admin"), world.card("supervisor", 1)
    fresh = "580214"
    tries = home_copy.config().max_pin_tries
    for _ in range(tries):
        with pytest.raises((WrongPinError, PinLockedError)):
            core_login(home_copy, card.serial, "000000")
    with pytest.raises(PinLockedError):
        core_login(home_copy, card.serial, card.pin)
    app = make_app(home_copy, lang="en", watch_interval=0.1)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await login(pilot, app, admin.serial, admin.pin)
            await until(pilot, lambda: any(c.serial == card.serial and c.pin_locked for c in app.cards))
            app.run_home_action("unblock")
            await until(pilot, lambda: isinstance(app.screen, UnblockScreen))
            screen = app.screen
            await until(pilot, lambda: any(f.value == card.serial for f in screen.query("#ub-serial")))  # it is locked
            assert screen.query_one("#ub-so").has_focus
            error = screen.query_one("#ub-error")
            await pilot.press(*DEMO_SO_PIN, "enter", *"123456", "enter", *"123456", "enter")
            await until(pilot, lambda: "a run of digits" in str(error.render()))
            assert home_copy.pin_failures(card.serial) >= tries  # the weak PIN never reached the card
            screen.query_one("#ub-new").value = screen.query_one("#ub-again").value = fresh
            screen.query_one("#ub-so").value = "87654321"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "wrong SO PIN" in str(error.render()), seconds=10)
            assert home_copy.pin_failures(f"so:{card.serial}") == 1
            screen.query_one("#ub-so").value = DEMO_SO_PIN
            await pilot.press("ctrl+s")
            result = screen.query_one("#ub-result")
            await until(pilot, lambda: "unblocked" in str(result.render()), seconds=10)
            assert not screen.query_one("#ub-ok").disabled and str(error.render()) == ""
            assert home_copy.pin_failures(card.serial) == 0
            entry = _last(app, "card-unblock")
            assert (entry["object"], entry["outcome"], entry["actor"]["serial"]) == (card.serial, "ok", admin.serial)
            await pilot.press("escape", "ctrl+l")
            await until(pilot, lambda: app.session is None)
            await until(pilot, lambda: any(c.serial == card.serial and not c.pin_locked for c in app.cards))
            await login(pilot, app, card.serial, fresh)
            assert isinstance(app.screen, HomeScreen) and app.session.actor.serial == card.serial
            await pilot.press("ctrl+l")
    finally:
        module.forget(card.serial)
        device_unblock(module, card.serial, DEMO_SO_PIN, card.pin)


# -- keys: F1 per screen, the footer, the palette ------------------------------------------

def _footer(screen: Any) -> str:
    return " ".join(str(w.render()) for w in screen.query("FooterKey"))


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
async def test_each_admin_screen_has_help_keys_and_palette_entries(world, home_copy, lang) -> None:
    from textual.command import CommandList, CommandPalette

    from screens.help import HelpScreen
    from screens.i18n import Translator
    from station.session import login as core_login

    tr = Translator(lang)
    admin = world.card("admin")
    session = core_login(home_copy, admin.serial, admin.pin)
    app = make_app(home_copy, lang=lang, start_monitor=False)
    async with app.run_test(size=(120, 36)) as pilot:
        app.apply_cards([LOCKED, OTHER])
        app.session = session
        await app.push_screen(HomeScreen())
        await pilot.pause()
        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app) and app.screen.query_one(CommandList).option_count)
        await pilot.pause(0.3)
        options = app.screen.query_one(CommandList)
        titles = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        for action in ("trust", "settings", "unblock"):
            assert any(tr(f"home.action.{action}") in t for t in titles), (action, titles)
        await pilot.press("escape")
        from screens.admin_settings import SettingsScreen
        from screens.admin_trust import TrustScreen
        from screens.admin_unblock import UnblockScreen

        for factory, keys in ((TrustScreen, ("trust_add", "trust_remove")),
                              (SettingsScreen, ("setting_edit", "accept_files", "revert_files")),
                              (UnblockScreen, ("unblock",))):
            name = factory.__name__
            await app.push_screen(factory())
            await until(pilot, lambda: all(w.is_finished for w in app.workers))
            screen = app.screen
            await until(pilot, lambda: all(tr(f"key.{k}") in _footer(screen) for k in keys))
            await pilot.press("f1")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            assert str(app.screen.query_one("#help-screen").render()) == tr(f"help.screen.{name}")
            shown = str(app.screen.query_one("#help-keys").render())
            for key in keys:
                assert tr(f"key.{key}") in shown, (key, shown)
            await pilot.press("escape", "escape")
            await until(pilot, lambda: isinstance(app.screen, HomeScreen))


# -- snapshots: fixed data, so that no random serial or fingerprint shows -----------------

LOCKED = CardView("5555eeee6666ffff", "SUPERVISOR-01", CardState.AUTHORIZATION,
                  "CN=李强 Li Qiang,O=示范印章管理局,C=CN", Role.SUPERVISOR, True, 0)
OTHER = CardView("1111aaaa2222bbbb", "OFFICER-01", CardState.AUTHORIZATION,
                 "CN=王芳 Wang Fang,O=示范印章管理局,C=CN", Role.OFFICER, False, None)


@dataclass
class _Session:
    actor: Actor

    def close(self, reason: str = "") -> None:
        pass


def _fixed_trust() -> Any:
    from screens.admin_trust import TrustScreen

    class FixedTrust(TrustScreen):
        def fetch(self) -> list[dict[str, Any]]:
            return [{"sha256": "3f2a" * 16, "subject": "CN=示范电子认证中心 Demo CA,O=示范印章管理局,C=CN",
                     "not_before": "2026-01-01", "not_after": "2036-01-01", "file": "ca.pem", "trusted": True},
                    {"sha256": "9bc1" * 16, "subject": "CN=Rogue CA dropped in by hand",
                     "not_before": "2026-05-01", "not_after": "2027-05-01", "file": "zz.pem", "trusted": False}]

    return FixedTrust()


def _fixed_settings() -> Any:
    from screens.admin_settings import SettingsScreen
    from station.configure import Setting
    from station.settings import Difference

    class FixedSettings(SettingsScreen):
        def fetch(self) -> tuple[list[Any], list[Any]]:
            return ([Setting("idle_lock_minutes", 10, 1, 120), Setting("quorum", 1, 1, 2),
                     Setting("max_pin_tries", 5, 3, 10), Setting("backup_warn_days", 7, 1, 365),
                     Setting("language", "auto", choices=("auto", "zh_CN", "en")),
                     Setting("module", "/usr/lib/softhsm/libsofthsm2.so"), Setting("sm2_mechanism", None)],
                    [Difference("setting", "max_pin_tries", 5, 9)])

    return FixedSettings()


def _unblock() -> Any:
    from screens.admin_unblock import UnblockScreen

    return UnblockScreen()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("which", ["trust", "settings", "unblock"])
def test_admin_screen_snapshots(snap_compare, demo_world, which, size) -> None:
    factory = {"trust": _fixed_trust, "settings": _fixed_settings, "unblock": _unblock}[which]
    app = make_app(demo_world.home, lang="en", start_monitor=False)

    async def run_before(pilot):
        app.apply_cards([LOCKED, OTHER])
        app.session = _Session(Actor("0" * 64, "张伟 Zhang Wei", Role.ADMIN, "A0000001"))
        await app.push_screen(factory())
        await until(pilot, lambda: all(w.is_finished for w in app.workers))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
