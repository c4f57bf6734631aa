"""The lock screen: the cards present, live; waits for an enrolled card and its PIN.

It is the first frame of the TUI, so it stays small: one text block (the section title of
the card list included) above the card list, and the list says itself when no card is in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static

from screens.widgets.base import StationScreen
from screens.widgets.cards import CardTable
from screens.widgets.footer import StationFooter

if TYPE_CHECKING:  # the model's dataclasses load with the first card, not before the first frame
    from station.model import CardView

__all__ = ["LockScreen"]


class LockScreen(StationScreen[None]):
    BINDINGS = [Binding("enter", "login", "key.login"), Binding("f5", "rescan", "key.refresh"),
                Binding("ctrl+r", "restore", "key.restore", show=False)]  # also in the command palette

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        yield Static(self._intro(), id="lock-intro")
        yield CardTable(tr, id="lock-cards")
        yield StationFooter()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.show_cards(self.station.cards)
        self.query_one(CardTable).focus()

    def on_screen_resume(self) -> None:
        """Back from a session: the cursor goes to the first card, not the last user's."""
        table = self.query_one(CardTable)
        table.show(self.station.cards, keep=False)
        table.focus()

    def _intro(self) -> str:
        app = self.station
        tr = app.tr
        info = app.station_info()
        station = tr("lock.station", station_id=info.station_id) if info.initialised else tr("lock.not_initialised")
        lines = [f"🔒 [b $warning]{tr('lock.title')}[/]", f"[$text-muted]{station}[/]", "",  # tr escapes values
                 tr("lock.prompt")]
        if info.demo_pin:
            lines.append(f"[$success]{tr('lock.demo', pin=info.demo_pin, so_pin=info.demo_so_pin)}[/]")
        lines += ["", f"[b $accent]{tr('cards.title')}[/]"]  # the look of a .section label
        return "\n".join(lines)

    def relabel(self) -> None:
        self.query_one("#lock-intro", Static).update(self._intro())
        self.query_one(CardTable).relabel()
        self.show_cards(self.station.cards)

    def show_cards(self, cards: list[CardView]) -> None:
        self.query_one(CardTable).show(cards)

    def on_card_table_chosen(self, event: CardTable.Chosen) -> None:
        self.station.ask_pin(event.card)

    def action_login(self) -> None:
        card = self.query_one(CardTable).selected()
        if card is not None:
            self.station.ask_pin(card)

    def action_rescan(self) -> None:
        self.station.rescan()

    def action_restore(self) -> None:
        from screens.restore import RestoreScreen

        self.app.push_screen(RestoreScreen())
