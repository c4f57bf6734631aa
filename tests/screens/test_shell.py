"""Pilot tests of the station shell at a real desk: the command palette, F2 on every open
screen, help per screen, the lock screen's cursor, counted words and the colon."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from screens.app import make_app
from screens.help import HelpScreen
from screens.home import HomeScreen
from screens.i18n import Translator
from screens.lock import LockScreen
from screens.receipt import ReceiptScreen
from screens.widgets.cards import CardTable
from station.model import Actor, Role
from tests.screens.pilot import until
from tests.screens.test_receipt_screens import SEAL
from tests.screens.test_snapshots import CARDS, _SessionView

OFFICER = Actor("00" * 32, "王芳 Wang Fang", Role.OFFICER, "1111aaaa2222bbbb")


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def _palette(pilot, app) -> list[str]:
    await pilot.press("ctrl+p")
    await until(pilot, lambda: CommandPalette.is_open(app) and app.screen.query_one(CommandList).option_count)
    await pilot.pause(0.3)  # every provider has answered
    options = app.screen.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def _home(pilot, app, actor: Actor = OFFICER) -> None:
    app.apply_cards(CARDS)
    app.session = _SessionView(actor)
    await app.push_screen(HomeScreen())
    await pilot.pause()


async def test_ctrl_p_opens_the_palette_on_the_lock_screen_with_its_actions(demo_world):
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.apply_cards(CARDS)
        await pilot.pause()
        titles = await _palette(pilot, app)
        for action in ("Log in", "Rescan", "Help", "中文", "First", "Last"):
            assert any(action in t for t in titles), (action, titles)
        assert not any("Lock" == t.split("\n")[0] for t in titles)  # nobody to lock out yet
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LockScreen))


async def test_ctrl_p_opens_the_palette_on_a_home_screen_with_the_role_actions(demo_world):
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _home(pilot, app)
        titles = await _palette(pilot, app)
        for action in ("锁定", "帮助", "English", "申请", "制作印章" if False else "印模库", "已发放印章的回执"):
            assert any(action in t for t in titles), (action, titles)
        # choosing one runs it
        await pilot.press(*"印模库")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "LibraryScreen")


async def test_language_key_retranslates_every_open_screen(demo_world):
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)
    async with app.run_test(size=(120, 30)) as pilot:
        app.apply_cards(CARDS)
        await pilot.pause()
        lock = app.screen
        assert "当前插入的卡" in _text(lock, "#lock-intro")  # the card list's title ends the intro
        await _home(pilot, app)
        await pilot.press("f2")
        await pilot.pause()
        assert "Cards present" in _text(lock, "#lock-intro")  # under the home screen
        assert "Station locked" in _text(lock, "#lock-intro")
        assert "Seal officer" in _text(app.screen, "#home-title")
        await pilot.press("f1")
        await pilot.pause()
        assert "Help" in _text(app.screen, "#help-title")
        await pilot.press("f2")  # help is open: it follows too
        await pilot.pause()
        assert "帮助" in _text(app.screen, "#help-title")
        assert "锁定" in _text(app.screen, "#help-keys")


async def test_help_is_about_the_screen_and_its_keys(demo_world):
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.apply_cards(CARDS)
        await pilot.press("f1")
        await pilot.pause()
        help_ = app.screen
        assert isinstance(help_, HelpScreen)
        assert "Choose your authorization card" in _text(help_, "#help-screen")
        keys = _text(help_, "#help-keys")
        assert keys.splitlines()[0].split() == ["⏎", "Log", "in"]  # the screen's own keys first
        assert "Rescan" in keys and "^p    Commands" in keys and "Lock" not in keys  # nobody to lock out
        general = _text(help_, "#help-general")
        assert "never leaves" not in general and "typed on this station's keyboard" in general
        await pilot.press("escape")
        await _home(pilot, app)
        await pilot.press("f1")
        await pilot.pause()
        assert "what your role may do" in _text(app.screen, "#help-screen")
        assert "Lock" in _text(app.screen, "#help-keys") and "Log in" not in _text(app.screen, "#help-keys")
        await pilot.press("escape")
        await app.push_screen(ReceiptScreen(SEAL))
        await pilot.press("f1")
        await pilot.pause()
        assert "Export to USB" in _text(app.screen, "#help-keys")
        assert "receipt of an issued seal" in _text(app.screen, "#help-screen")


async def test_lock_screen_opens_on_the_first_card_and_forgets_the_last_user(demo_world):
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(120, 30)) as pilot:
        app.apply_cards(CARDS)
        await pilot.pause()
        table = app.screen.query_one(CardTable)
        assert app.focused is table.options and table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == len(CARDS) - 1
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("down")
        app.apply_cards(list(reversed(CARDS)))  # a refresh keeps the chosen card
        await pilot.pause()
        assert table.selected().serial == CARDS[1].serial
        await _home(pilot, app)
        app.lock()
        await until(pilot, lambda: isinstance(app.screen, LockScreen))
        await pilot.pause()
        assert table.cursor_row == 0 and app.focused is table.options


async def test_lock_screen_tells_the_demo_pins(demo_world):
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        intro = _text(app.screen, "#lock-intro")
        assert "123456" in intro and "SO PIN" in intro and "12345678" in intro


def test_counted_words_agree_in_english() -> None:
    tr = Translator("en")
    assert tr("pin.tries", n=1).startswith("1 try left") and tr("pin.tries", n=3).startswith("3 tries left")
    assert tr("receipts.count", n=1).startswith("1 issued seal.") and "2 issued seals" in tr("receipts.count", n=2)
    assert tr("library.count", n=1).startswith("1 impression") and "impressions" not in tr("library.count", n=1)
    assert "1 entry," in tr("home.audit_ok", n=1, signed=1)
    assert tr("pin.tries", n=1) != Translator("zh_CN")("pin.tries", n=1)
    assert Translator("zh_CN")("pin.tries", n=1) == "还可尝试 1 次，之后卡将锁定。"


@pytest.mark.parametrize("name", ["zh_CN.json", "zh_CN.ceremony.json"])
def test_chinese_labels_use_the_full_width_colon(name: str) -> None:
    table = json.loads((Path("screens/i18n") / name).read_text(encoding="utf-8"))
    bad = {k: v for k, v in table.items() if ": " in v or v.endswith(":")}
    assert not bad
    assert Translator("zh_CN").label("apps.reason", "模糊") == "退回原因：模糊"
    assert Translator("en").label("apps.reason", "blurred") == "Rejected because: blurred"


async def test_wrong_pin_is_said_once_and_the_locked_card_message_wraps(demo_world):
    from screens.pin import PinModal

    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(80, 24)) as pilot:
        modal = PinModal(CARDS[0])
        await app.push_screen(modal)
        modal.show_error("Wrong PIN", f"wrong PIN for card {CARDS[0].serial} (1 tries left)", "check", 1)
        await pilot.pause()
        assert _text(modal, "#pin-error") == "Wrong PIN."
        assert _text(modal, "#pin-hint") == "1 try left before the card locks."
        modal.show_locked()
        await pilot.pause()
        hint = modal.query_one("#pin-hint")
        assert hint.region.height >= 2 and hint.region.right <= modal.query_one("#pin-box").region.right
        assert CARDS[0].serial in _text(modal, "#pin-hint")


async def test_home_opens_with_the_first_action_highlighted_and_keeps_it_on_f2(demo_world):
    from textual.widgets import OptionList

    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _home(pilot, app)
        options = app.screen.query_one(OptionList)
        assert app.focused is options and options.highlighted == 0
        await pilot.press("down", "down")
        await pilot.press("f2")
        await pilot.pause()
        assert options.highlighted == 2 and "印模库" in str(options.get_option_at_index(2).prompt)


async def test_f1_in_the_pin_dialog_helps_with_the_pin(demo_world):
    from screens.pin import PinModal

    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(PinModal(CARDS[0]))
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Type the card's PIN" in _text(app.screen, "#help-screen")
        assert "Cancel" in _text(app.screen, "#help-keys")
        await pilot.press("escape")
        assert isinstance(app.screen, PinModal)
