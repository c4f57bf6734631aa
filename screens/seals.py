"""The seal registry (印章登记簿): search every seal made here, open one to see its life.

The registry screen searches by unit, seal name, esID or card serial (one box) and by
state; Enter opens the detail view (:mod:`screens.seal_detail`). When the card of a
revoked seal is in a reader, the station offers to wipe the seal from it. Every rule is
the service's (:mod:`station.lifecycle`); store work runs in thread workers.
"""

from __future__ import annotations

from typing import Any, Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from station.errors import StationError
from station.model import CardState, CardView, RegistrySeal, SealState

__all__ = ["RegistrySource", "SessionRegistry", "SourcedScreen", "SealsScreen", "short_time"]

STATES = tuple(s.value for s in SealState)


class RegistrySource(Protocol):
    """Where the screens read seals from (the session; a fixed set in snapshot tests)."""

    def search(self, **filters: Any) -> list[RegistrySeal]: ...

    def status(self, esid: str) -> Any: ...


class SessionRegistry:
    def __init__(self, app: Any) -> None:
        self.app = app

    def search(self, **filters: Any) -> list[RegistrySeal]:
        from station import lifecycle

        return lifecycle.search(self.app.session, **filters)

    def status(self, esid: str) -> Any:
        from station import lifecycle

        return lifecycle.status(self.app.session, esid)


def short_time(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


class SourcedScreen(Screen):
    _source: RegistrySource | None

    @property
    def source(self) -> RegistrySource:
        if self._source is None:
            self._source = SessionRegistry(self.app)
        return self._source


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
        tr = self.app.tr  # type: ignore[attr-defined]
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
        self.app.localize(self)  # type: ignore[attr-defined]
        table = self.query_one(DataTable)
        for key in ("esid", "state", "unit", "name", "card", "made", "recipient"):
            table.add_column(self.app.tr(f"seals.col.{key}"), key=key)  # type: ignore[attr-defined]
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

    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def _search(self, filters: dict[str, Any]) -> None:
        try:
            rows = self.source.search(**filters)
        except StationError as exc:
            self.app.call_from_thread(self.app.show_error, exc)  # type: ignore[attr-defined]
            return
        self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows: list[RegistrySeal]) -> None:
        tr = self.app.tr  # type: ignore[attr-defined]
        self.rows = list(rows)
        table = self.query_one(DataTable)
        table.clear()
        for s in rows:
            table.add_row(s.esid, tr(f"seal.state.{s.state}"), s.unit, s.name, s.card_serial, short_time(s.made_at),
                          s.recipient, key=s.esid)
        self.query_one("#seals-status", Static).update(tr("seals.count", n=len(rows)))

    @on(DataTable.RowSelected, "#seals-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            from screens.seal_detail import SealDetailScreen

            self.app.push_screen(SealDetailScreen(str(event.row_key.value), self.source))

    def show_cards(self, cards: list[CardView]) -> None:
        """A sealed card in a reader: is its seal revoked? Then offer to wipe it."""
        sealed = [c.serial for c in cards if c.state is CardState.SEALED and c.serial not in self._offered]
        if sealed and getattr(self.app, "session", None) is not None:
            self._offer_wipes(sealed)

    @work(thread=True, group="offer", exit_on_error=False)
    def _offer_wipes(self, serials: list[str]) -> None:
        from station.lifecycle import revoked_card_seal

        for serial in serials:
            try:
                seal = revoked_card_seal(self.app.session, serial)  # type: ignore[attr-defined]
            except StationError:
                return
            if seal is not None:
                self._offered.add(serial)
                self.app.call_from_thread(self.app.notify, self.app.tr(  # type: ignore[attr-defined]
                    "seals.offer_wipe", card=serial, esid=seal.esid), severity="warning", timeout=15)

    def action_back(self) -> None:
        self.app.pop_screen()
