"""The card list: columns line up by display width, a narrow pane drops the serial first,
and a label is shown as written (no markup, one line)."""

from __future__ import annotations

from rich.cells import cell_len

from screens.app import make_app
from screens.widgets.cards import CardTable, card_columns
from tests.screens.test_snapshots import CARDS

HEAD = ("Label", "Serial", "State", "Role", "Holder")
ROWS = [HEAD, ("SEAL-01", "3333cccc4444dddd", "空白印章卡", "—", "示例科技有限公司"),
        ("OFFICER-01", "1111aaaa2222bbbb", "authorization card", "制章员", "王芳 Wang Fang")]


def _starts(line: str, cells: list[str]) -> list[int]:
    """The display column at which each of ``cells`` begins in ``line``."""
    return [cell_len(line[:line.index(cell)]) for cell in cells]


def test_columns_line_up_by_display_width_with_chinese_cells():
    lines = card_columns(ROWS)
    assert len({tuple(_starts(line, list(row))) for line, row in zip(lines, ROWS)}) == 1
    assert _starts(lines[0], list(HEAD))[2] == cell_len("OFFICER-01") + 2 + 16 + 2


def test_a_narrow_pane_drops_the_serial_and_keeps_state_and_role():
    wide = card_columns(ROWS, width=120)
    assert "3333cccc4444dddd" in wide[1] and "Serial" in wide[0]
    narrow = card_columns(ROWS, width=50)
    assert "3333cccc4444dddd" not in narrow[1] and "Serial" not in narrow[0]
    assert "空白印章卡" in narrow[1] and "制章员" in narrow[2]


def test_a_label_with_markup_a_line_break_or_a_terminal_escape_is_one_plain_line():
    lines = card_columns([HEAD, ("[b]X[/b]\nY\x1b[2J", "s", "state", "role", "holder")])
    assert lines[1].startswith("[b]X[/b] Y\\x1b[2J") and "\n" not in lines[1] and "\x1b" not in lines[1]


async def test_enter_on_a_card_asks_for_its_pin_and_a_narrow_window_drops_the_serial(demo_world):
    from screens.pin import PinModal

    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(120, 30)) as pilot:
        app.apply_cards(CARDS)
        await pilot.pause()
        table = app.screen.query_one(CardTable)
        assert CARDS[0].serial in str(table.options.get_option_at_index(0).prompt)
        await pilot.resize_terminal(60, 30)
        await pilot.pause()
        assert CARDS[0].serial not in str(table.options.get_option_at_index(0).prompt)
        await pilot.press("end", "home", "enter")  # the first card is the officer's authorization card
        await pilot.pause()
        assert isinstance(app.screen, PinModal) and app.screen.card.serial == CARDS[0].serial
