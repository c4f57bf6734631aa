"""The administrator's settings: what counts now, what each accepts, and one change at a time.

Values and bounds come from ``station.configure.settings_view`` (the store's copy, which
counts); a change goes through ``config_set``, which checks the range, writes the store
and the file and audits it. When the home's files say otherwise than the store, the
difference is shown with ``accept`` and ``revert`` (``station.configure``), both audited.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Input, Label, Static

from screens.widgets.base import StationScreen, failure_text, plain_row
from screens.widgets.footer import StationFooter
from station.errors import StationError

__all__ = ["SettingsScreen"]


class SettingsScreen(StationScreen[None]):
    """Enter on a setting opens its field; Enter there applies it. ``a``/``v`` settle a difference."""

    DEFAULT_CSS = """
    #set-body { padding: 0 1; }
    #set-title { text-style: bold; color: $accent; }
    #set-table { height: auto; max-height: 12; }
    #set-edit-label { margin-top: 1; }
    #set-result { height: auto; margin-top: 1; }
    #set-diff { height: auto; margin-top: 1; color: $warning; }
    """
    BINDINGS = [Binding("e", "edit", "key.setting_edit"), Binding("a", "accept", "key.accept_files"),
                Binding("v", "revert", "key.revert_files"), Binding("f5", "reload", "key.reload"),
                Binding("escape", "back", "key.back")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []
        self.differences: list[Any] = []
        self.editing: Any = None
        self.columns: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="set-body"):
            yield Label("", id="set-title")
            yield DataTable(id="set-table", cursor_type="row", zebra_stripes=True)
            yield Label("", id="set-edit-label")
            yield Input(id="set-value", max_length=200)
            yield Static("", id="set-result")
            yield Static("", id="set-diff")
        yield StationFooter()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()
        self.query_one(DataTable).focus()
        self.action_reload()

    def relabel(self) -> None:
        tr = self.station.tr
        self.query_one("#set-title", Label).update(tr("admin.settings.title"))
        table = self.query_one(DataTable)
        table.clear(columns=True)
        wide = self.app.size.width >= 110  # the key column only where it fits beside the rest
        self.columns = ("what", "key", "value", "allowed") if wide else ("what", "value", "allowed")
        for column in self.columns:
            table.add_column(tr(f"admin.settings.{column}"), width={"what": 32, "key": 20, "value": 36 if wide else 16,
                                                                     "allowed": 26 if wide else 22}[column])
        self.show((self.rows, self.differences))
        self._edit_label()

    def fetch(self) -> tuple[list[Any], list[Any]]:
        """(settings, differences) as the core gives them (runs in a worker)."""
        from station.configure import settings_view

        session = self.station.session
        return settings_view(session) if session is not None else ([], [])

    def action_reload(self) -> None:
        self.run_work(self.fetch, self.show)

    def allowed(self, row: Any) -> str:
        tr = self.station.tr
        if row.low is not None:
            return tr("admin.settings.range", low=row.low, high=row.high)
        if row.choices:
            return " | ".join(row.choices)
        return tr(f"admin.settings.allowed.{row.key}")

    def show(self, view: tuple[list[Any], list[Any]]) -> None:
        tr = self.station.tr
        self.rows, self.differences = view
        table = self.query_one(DataTable)
        row_before = table.cursor_row
        table.clear()
        for row in self.rows:
            value = "—" if row.value is None else row.value
            cells = {"what": tr(f"admin.settings.name.{row.key}"), "key": row.key, "value": value,
                     "allowed": self.allowed(row)}
            table.add_row(*plain_row(*(cells[c] for c in self.columns)))
        if row_before is not None and self.rows:
            table.move_cursor(row=min(row_before, len(self.rows) - 1))
        diff = self.query_one("#set-diff", Static)
        if self.differences:
            lines = [tr("admin.settings.differ")] + [
                tr("admin.settings.difference", what=d.what, name=d.key, store=d.authenticated, files=d.on_disk)
                for d in self.differences]
            diff.update("\n".join(lines))
        else:
            diff.update(tr("admin.settings.agree") if self.rows else "")

    def selected(self) -> Any:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if self.rows and row is not None and 0 <= row < len(self.rows) else None

    def _edit_label(self) -> None:
        tr = self.station.tr
        row = self.editing
        text = (tr("admin.settings.edit", name=tr(f"admin.settings.name.{row.key}"), allowed=self.allowed(row))
                if row else tr("admin.settings.pick"))
        self.query_one("#set-edit-label", Label).update(text)
        self.query_one("#set-value", Input).placeholder = tr("admin.settings.new_value")

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.editing = row
        self._edit_label()
        field = self.query_one("#set-value", Input)
        field.value = "" if row.value is None else str(row.value)
        field.focus()

    @on(Input.Submitted, "#set-value")
    def apply(self) -> None:
        session, row = self.station.session, self.editing
        if session is None or row is None:
            return
        text = self.query_one("#set-value", Input).value.strip()

        def change() -> tuple[Any, Any]:
            from station.configure import config_set

            return config_set(session, row.key, text)

        self._say(self.station.tr("admin.working"))
        self.run_work(change, lambda done: self._set(row.key, done), failed=self._failed)

    def _set(self, key: str, done: tuple[Any, Any]) -> None:
        old, new = done
        self.editing = None
        self._edit_label()
        self.query_one("#set-value", Input).value = ""
        tr = self.station.tr
        self._say(tr("admin.settings.done", name=tr(f"admin.settings.name.{key}"), old=old, new=new))
        self.query_one(DataTable).focus()
        self.action_reload()
        self.station.station_changed()

    def _say(self, text: str) -> None:
        self.query_one("#set-result", Static).update(text)

    def _failed(self, exc: StationError) -> None:
        self._say(self.station.tr("admin.refused", why=failure_text(exc)))

    def _settle(self, how: str) -> None:
        session = self.station.session
        if session is None:
            return
        if not self.differences:
            self._say(self.station.tr("admin.settings.agree"))
            return

        def settle() -> list[Any]:
            from station import configure

            return getattr(configure, how)(session)

        self.run_work(settle, lambda diff: self._settled(how, diff), failed=self._failed)

    def _settled(self, how: str, diff: list[Any]) -> None:
        self._say(self.station.tr(f"admin.settings.{how}ed", n=len(diff)))
        self.action_reload()
        self.station.station_changed()

    def action_accept(self) -> None:
        self._settle("accept")

    def action_revert(self) -> None:
        self._settle("revert")

    def action_back(self) -> None:
        if self.editing is not None:
            self.editing = None
            self._edit_label()
            self.query_one(DataTable).focus()
            return
        self.app.pop_screen()
