"""The lock screen: the cards present, live; waits for an enrolled card and its PIN."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Label, Static

from screens.widgets.base import StationScreen
from screens.widgets.cards import CardTable
from station.model import CardView

__all__ = ["LockScreen"]


class LockScreen(StationScreen[None]):
    BINDINGS = [Binding("enter", "login", "key.login"), Binding("f5", "rescan", "key.refresh"),
                Binding("ctrl+r", "restore", "key.restore", show=False)]  # also in the command palette

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        with Vertical(id="lock-body"):
            yield Label("🔒 " + tr("lock.title"), id="lock-title")
            yield Label("", id="lock-station")
            yield Static(tr("lock.prompt"), id="lock-prompt")
            yield Label("", id="lock-demo")
            yield Label(tr("cards.title"), classes="section")
            yield CardTable(tr, id="lock-cards")
            yield Label("", id="lock-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()
        self.show_cards(self.station.cards)
        self.query_one(CardTable).focus()

    def relabel(self) -> None:
        app = self.station
        tr = app.tr
        self.query_one("#lock-title", Label).update("🔒 " + tr("lock.title"))
        self.query_one("#lock-prompt", Static).update(tr("lock.prompt"))
        info = app.station_info()
        self.query_one("#lock-station", Label).update(
            tr("lock.station", station_id=info.station_id) if info.initialised else tr("lock.not_initialised"))
        self.query_one("#lock-demo", Label).update(tr("lock.demo", pin=info.demo_pin) if info.demo_pin else "")
        self.query_one(CardTable).relabel()

    def show_cards(self, cards: list[CardView]) -> None:
        self.query_one(CardTable).show(cards)
        self.query_one("#lock-empty", Label).update("" if cards else self.station.tr("lock.no_cards"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_login()

    def action_login(self) -> None:
        card = self.query_one(CardTable).selected()
        if card is not None:
            self.station.ask_pin(card)

    def action_rescan(self) -> None:
        self.station.rescan()

    def action_restore(self) -> None:
        from screens.restore import RestoreScreen

        self.app.push_screen(RestoreScreen())
