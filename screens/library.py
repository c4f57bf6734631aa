"""The impression library screen: search, preview, disable and destroy with confirmation.

The screen renders what :mod:`station.impressions` returns and asks it to change things;
every rule (who may, which state) is the service's. Store work runs in thread workers;
a refusal comes back as the service's error and is shown as such. The data source is
injectable so that a snapshot can show fixed rows and a fixed picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from screens.i18n import kind_name
from screens.widgets.base import StationApp, StationScreen, plain_row
from screens.widgets.confirm import ConfirmModal
from screens.widgets.impression import ImpressionPreview
from station.model import Impression
from station.vocabulary import ImpressionState, values

if TYPE_CHECKING:
    from station.session import Session

__all__ = ["LibraryScreen", "LibrarySource", "SessionLibrary"]

STATES = tuple(values(ImpressionState))


class LibrarySource(Protocol):
    """What the screen needs from the library; the real one calls station.impressions."""

    def may_manage(self) -> bool: ...
    def search(self, **filters: Any) -> list[Impression]: ...
    def preview(self, impression_id: int) -> bytes: ...
    def change(self, action: str, impression_id: int, reason: str) -> Impression: ...


class SessionLibrary:
    """The library of the logged-in session."""

    def __init__(self, app: StationApp) -> None:
        self.app = app

    def _session(self) -> Session:
        if self.app.session is None:
            from station.errors import StateError

            raise StateError("the station is locked")
        return self.app.session

    def may_manage(self) -> bool:
        from station import impressions

        session = self.app.session
        return session is not None and impressions.may_manage(session.actor.role)

    def search(self, **filters: Any) -> list[Impression]:
        from station import impressions

        return impressions.search(self._session(), **filters)

    def preview(self, impression_id: int) -> bytes:
        from station import impressions

        return impressions.preview(self._session(), impression_id)

    def change(self, action: str, impression_id: int, reason: str) -> Impression:
        from station import impressions

        fn = impressions.disable if action == "disable" else impressions.destroy
        return fn(self._session(), impression_id, reason)


class LibraryScreen(StationScreen[None]):
    """印模库: filters on top, results on the left, the selected impression on the right."""

    CSS_PATH = "library.tcss"
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("f5", "search", "key.search"),
                Binding("d", "disable", "key.disable"), Binding("x", "destroy", "key.destroy")]

    def __init__(self, source: LibrarySource | None = None) -> None:
        super().__init__()
        self._source = source
        self.rows: list[Impression] = []
        self._shown: int | None = None

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        yield Label(tr("library.title"), id="lib-title", classes="screen-title")
        with Horizontal(id="lib-filters"):
            yield Input(placeholder=tr("library.unit"), id="lib-unit")
            yield Input(placeholder=tr("library.name"), id="lib-name")
            yield Select([(tr(f"impression.state.{s}"), s) for s in STATES], prompt=tr("library.any_state"),
                         id="lib-state")
            yield Input(placeholder=tr("library.since"), id="lib-since", max_length=25)
            yield Input(placeholder=tr("library.until"), id="lib-until", max_length=25)
            yield Button(tr("library.search"), id="lib-search")
        with Horizontal(id="lib-body"):
            yield DataTable(id="lib-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="lib-side"):
                yield ImpressionPreview(None, cells=32, id="lib-preview")
                yield Static("", id="lib-detail")
        yield Static("", id="lib-status")
        yield Footer()

    @property
    def source(self) -> LibrarySource:
        if self._source is None:
            self._source = SessionLibrary(self.station)
        return self._source

    def on_mount(self) -> None:
        self.station.localize(self)
        self._columns()
        self.query_one(DataTable).focus()
        self.action_search()

    def _columns(self) -> None:
        table = self.query_one(DataTable)
        tr = self.station.tr
        table.clear(columns=True)
        for key in ("id", "state", "unit", "name", "kind", "size", "imported"):
            table.add_column(tr(f"library.col.{key}"), key=key)

    # -- search ------------------------------------------------------------------------------
    def filters(self) -> dict[str, Any]:
        state = self.query_one("#lib-state", Select).value
        return {"unit": self.query_one("#lib-unit", Input).value or None,
                "name": self.query_one("#lib-name", Input).value or None,
                "state": state if isinstance(state, str) else None,
                "since": self.query_one("#lib-since", Input).value or None,
                "until": self.query_one("#lib-until", Input).value or None}

    @on(Input.Submitted)
    @on(Button.Pressed, "#lib-search")
    @on(Select.Changed, "#lib-state")
    def action_search(self) -> None:
        self._search(self.filters())

    def _search(self, filters: dict[str, Any]) -> None:
        source = self.source
        self.run_work(lambda: source.search(**filters), self.show_rows)

    def show_rows(self, rows: list[Impression]) -> None:
        tr = self.station.tr
        table = self.query_one(DataTable)
        current = self.selected()
        self.rows = list(rows)
        table.clear()
        for imp in rows:
            table.add_row(*plain_row(imp.id, tr(f"impression.state.{imp.state}"), imp.unit, imp.seal_name,
                                     kind_name(tr, imp.seal_kind), f"{imp.width_mm}×{imp.height_mm}",
                                     imp.imported_at[:16].replace("T", " ")), key=str(imp.id))
        if current is not None:
            for i, imp in enumerate(rows):
                if imp.id == current.id:
                    table.move_cursor(row=i)
        self.query_one("#lib-status", Static).update(tr("library.count", n=len(rows)))
        self._shown = None
        self.show_selected()

    def selected(self) -> Impression | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # -- preview -----------------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_selected()

    def show_selected(self) -> None:
        imp = self.selected()
        tr = self.station.tr
        detail = self.query_one("#lib-detail", Static)
        preview = self.query_one(ImpressionPreview)
        if imp is None:
            detail.update(tr("library.none") if not self.rows else "")
            preview.show(None)
            return
        detail.update(tr("library.detail", id=imp.id, unit=imp.unit, name=imp.seal_name,
                         kind=kind_name(tr, imp.seal_kind), w=imp.width_mm, h=imp.height_mm,
                         imported=imp.imported_at, app=imp.application_id,
                         state=tr(f"impression.state.{imp.state}"), original=imp.original_sha256[:16],
                         png=imp.png_sha256[:16]) + ("\n" + tr.label("library.reason", imp.reason) if imp.reason else ""))
        if imp.id == self._shown:
            return
        self._shown = imp.id
        if imp.state == "destroyed":
            preview.show(None, tr("library.destroyed"))
        else:
            preview.show(None, tr("library.loading"))
            self._load_preview(imp.id)

    def _load_preview(self, impression_id: int) -> None:
        source = self.source
        self.run_work(lambda: source.preview(impression_id),
                      lambda png: self._preview_loaded(impression_id, png, ""),
                      failed=lambda exc: self._preview_loaded(impression_id, None, exc.message), group="preview")

    def _preview_loaded(self, impression_id: int, png: bytes | None, caption: str) -> None:
        if impression_id == self._shown:
            self.query_one(ImpressionPreview).show(png, caption)

    # -- disable / destroy -------------------------------------------------------------------
    def _confirm(self, action: str) -> None:
        tr = self.station.tr
        imp = self.selected()
        if imp is None:
            return
        if not self.source.may_manage():
            self.notify(tr("library.not_allowed"), severity="warning")
            return
        preview = self.query_one(ImpressionPreview)
        png = preview.png if imp.id == self._shown else None
        modal = ConfirmModal(
            tr(f"library.{action}.title", id=imp.id),
            tr(f"library.{action}.body", id=imp.id, unit=imp.unit, name=imp.seal_name),
            confirm=tr(f"library.{action}.confirm"), pictures=[(png, f"#{imp.id} {imp.seal_name}")],
            danger=action == "destroy", reason="optional")

        def done(reason: str | None) -> None:
            if reason is not None:
                self._change(action, imp.id, reason)

        self.app.push_screen(modal, done)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Disable and destroy show only for a role that may do them (an admin only looks)."""
        if action in ("disable", "destroy"):
            return self.source.may_manage()
        return True

    def action_disable(self) -> None:
        self._confirm("disable")

    def action_destroy(self) -> None:
        self._confirm("destroy")

    def _change(self, action: str, impression_id: int, reason: str) -> None:
        source = self.source
        self.run_work(lambda: source.change(action, impression_id, reason), self._changed)

    def _changed(self, imp: Impression) -> None:
        tr = self.station.tr
        self.notify(tr("library.changed", id=imp.id, state=tr(f"impression.state.{imp.state}")))
        self._shown = None
        self.action_search()

    def action_back(self) -> None:
        self.app.pop_screen()

    def relabel(self) -> None:
        """After a language switch: every label, header and cell in the new language."""
        tr = self.station.tr
        self.query_one("#lib-title", Label).update(tr("library.title"))
        for key in ("unit", "name", "since", "until"):
            self.query_one(f"#lib-{key}", Input).placeholder = tr(f"library.{key}")
        self.query_one("#lib-search", Button).label = tr("library.search")
        select = self.query_one("#lib-state", Select)
        value = select.value
        with select.prevent(Select.Changed):
            select.set_options([(tr(f"impression.state.{s}"), s) for s in STATES])
            select.prompt = tr("library.any_state")
            if value in STATES:
                select.value = value
        self._columns()
        self.show_rows(self.rows)
