"""The seal registry (印章登记簿): search every seal made here, open one to see its life.

The registry screen searches by unit, seal name, esID or card serial (one box) and by
state; Enter opens the detail view (:mod:`screens.seal_detail`). When the card of a
revoked seal is in a reader, the station offers to wipe the seal from it. Every rule is
the service's (:mod:`station.lifecycle`); store work runs in thread workers.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from screens.seal_detail import SealDetailScreen
from screens.sourced import RegistrySource, SourcedScreen, short_time
from screens.widgets.base import plain_row
from station.errors import StationError
from station.model import CardState, CardView, RegistrySeal
from station.vocabulary import SealState

__all__ = ["SealsScreen"]

STATES = tuple(s.value for s in SealState)


class SealsScreen(SourcedScreen):
    """Search box and state on top, the seals below (newest first)."""

    CSS_PATH = "seals.tcss"
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("f5", "search", "key.search")]

    def __init__(self, source: RegistrySource | None = None) -> None:
        super().__init__()
        self._source = source
        self.rows: list[RegistrySeal] = []
        self._offered: set[str] = set()

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        yield Label(tr("seals.title"), classes="screen-title")
        with Horizontal(id="seals-filters"):
            yield Input(placeholder=tr("seals.text"), id="seals-text")
            yield Select([(tr(f"seal.state.{s}"), s) for s in STATES], prompt=tr("seals.any_state"),
                         id="seals-state")
            yield Button(tr("seals.search"), id="seals-search")
        yield DataTable(id="seals-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="seals-status")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        table = self.query_one(DataTable)
        for key in ("esid", "state", "unit", "name", "card", "made", "recipient"):
            table.add_column(self.station.tr(f"seals.col.{key}"), key=key)
        self.query_one("#seals-text").focus()
        self.action_search()

    def filters(self) -> dict[str, Any]:
        state = self.query_one("#seals-state", Select).value
        return {"text": self.query_one("#seals-text", Input).value.strip(),
                "state": state if isinstance(state, str) else ""}

    @on(Input.Submitted, "#seals-text")
    @on(Button.Pressed, "#seals-search")
    @on(Select.Changed, "#seals-state")
    def action_search(self) -> None:
        self._search(self.filters())

    def _search(self, filters: dict[str, Any]) -> None:
        source = self.source
        self.run_work(lambda: source.search(**filters), self.show_rows)

    def show_rows(self, rows: list[RegistrySeal]) -> None:
        tr = self.station.tr
        self.rows = list(rows)
        table = self.query_one(DataTable)
        table.clear()
        for s in rows:
            table.add_row(*plain_row(s.esid, tr(f"seal.state.{s.state}"), s.unit, s.name, s.card_serial,
                                     short_time(s.made_at), s.recipient), key=s.esid)
        self.query_one("#seals-status", Static).update(tr("seals.count", n=len(rows)))

    @on(DataTable.RowSelected, "#seals-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(SealDetailScreen(str(event.row_key.value), self.source))

    def show_cards(self, cards: list[CardView]) -> None:
        """A sealed card in a reader: is its seal revoked? Then offer to wipe it."""
        sealed = [c.serial for c in cards if c.state is CardState.SEALED and c.serial not in self._offered]
        if sealed and getattr(self.app, "session", None) is not None:
            self._offer_wipes(sealed)

    def _offer_wipes(self, serials: list[str]) -> None:
        from station.lifecycle import revoked_card_seal

        session = self.station.session

        def revoked() -> list[tuple[str, str]]:
            found = []
            for serial in serials:
                try:
                    seal = revoked_card_seal(session, serial)
                except StationError:
                    break
                if seal is not None:
                    found.append((serial, seal.esid))
            return found

        self.run_work(revoked, self._offer, group="offer", exclusive=False)

    def _offer(self, found: list[tuple[str, str]]) -> None:
        for serial, esid in found:
            self._offered.add(serial)
            self.notify(self.station.tr("seals.offer_wipe", card=serial, esid=esid), severity="warning", timeout=15)

    def action_back(self) -> None:
        self.app.pop_screen()
