"""The administrator's trust anchors: the CA certificates seal cards must chain to.

The list is ``station.configure.trust_entries`` with the session (the store's list, which
counts, beside any certificate dropped into ``trust/`` by hand). Adding takes a
certificate file from a USB stick (or a typed path), removing asks first; both go through
``trust_add`` / ``trust_remove``, which check the role and write the audit entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.widgets.base import StationModal, StationScreen, failure_text, plain, plain_row
from screens.widgets.footer import StationFooter
from station.errors import StationError

__all__ = ["TrustScreen", "TrustAddModal"]


class TrustScreen(StationScreen[None]):
    """Every trust anchor with its fingerprint and validity; ``a`` adds, ``d`` removes."""

    DEFAULT_CSS = """
    #trust-body { padding: 0 1; }
    #trust-title { text-style: bold; color: $accent; }
    #trust-table { height: 1fr; }
    #trust-result { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("a", "add", "key.trust_add"), Binding("d,delete", "remove", "key.trust_remove"),
                Binding("f5", "reload", "key.reload"), Binding("escape", "back", "key.back")]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[dict[str, Any]] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="trust-body"):
            yield Label("", id="trust-title")
            yield DataTable(id="trust-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="trust-result")
        yield StationFooter()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()
        self.query_one(DataTable).focus()
        self.action_reload()

    def relabel(self) -> None:
        tr = self.station.tr
        self.query_one("#trust-title", Label).update(tr("admin.trust.title"))
        table = self.query_one(DataTable)
        table.clear(columns=True)
        subject = max(16, min(60, self.app.size.width - 70))  # the dates stay in sight at 80 columns
        for column, width in (("state", 12), ("sha256", 18), ("subject", subject), ("from", 11), ("until", 11)):
            table.add_column(tr(f"admin.trust.{column}"), width=width)
        self.show(self.entries)

    def fetch(self) -> list[dict[str, Any]]:
        """The anchors as the core lists them (runs in a worker)."""
        from station.configure import trust_entries

        session = self.station.session
        return trust_entries(self.station.home, session) if session is not None else []

    def action_reload(self) -> None:
        self.run_work(self.fetch, self._loaded)

    def _loaded(self, entries: list[dict[str, Any]]) -> None:
        self.loaded = True
        self.show(entries)

    def show(self, entries: list[dict[str, Any]]) -> None:
        tr = self.station.tr
        self.entries = entries
        table = self.query_one(DataTable)
        table.clear()
        for e in entries:
            state = tr("admin.trust.trusted") if e["trusted"] else tr("admin.trust.not_trusted")
            table.add_row(*plain_row(state, e["sha256"][:16] + "…", e["subject"], e.get("not_before", ""),
                                     e.get("not_after", "")))
        if self.loaded and not entries:
            self._say(tr("admin.trust.none"))

    def selected(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        return self.entries[row] if self.entries and row is not None and 0 <= row < len(self.entries) else None

    def _say(self, text: str) -> None:
        self.query_one("#trust-result", Static).update(text)

    def _failed(self, exc: StationError) -> None:
        self._say(failure_text(exc))

    # -- add -----------------------------------------------------------------------------------
    def action_add(self) -> None:
        self.app.push_screen(TrustAddModal(), self._add)

    def _add(self, path: Path | None) -> None:
        session = self.station.session
        if path is None or session is None:
            return

        def add() -> str:
            from station.configure import trust_add

            return trust_add(session, path)

        self._say(self.station.tr("admin.working"))
        self.run_work(add, lambda sha: self._changed("admin.trust.added", sha), failed=self._failed)

    def _changed(self, key: str, sha: str) -> None:
        self._say(self.station.tr(key, sha=sha[:16]))
        self.action_reload()

    # -- remove --------------------------------------------------------------------------------
    def action_remove(self) -> None:
        from screens.widgets.confirm import ConfirmModal

        entry = self.selected()
        if entry is None:
            return
        tr = self.station.tr
        if not entry["trusted"]:
            self._say(tr("admin.trust.stray", file=entry["file"]))
            return
        modal = ConfirmModal(tr("admin.trust.remove_title"),
                             tr("admin.trust.remove_body", subject=entry["subject"], sha=entry["sha256"]),
                             confirm=tr("admin.trust.remove"), danger=True)
        self.app.push_screen(modal, lambda answer: self._remove(entry["sha256"]) if answer is not None else None)

    def _remove(self, sha: str) -> None:
        session = self.station.session
        if session is None:
            return

        def remove() -> str:
            from station.configure import trust_remove

            return trust_remove(session, sha)

        self.run_work(remove, lambda done: self._changed("admin.trust.removed", done), failed=self._failed)

    def action_back(self) -> None:
        self.app.pop_screen()


class TrustAddModal(StationModal["Path | None"]):
    """A certificate file found on a USB stick (or a shared folder), or a typed path."""

    DEFAULT_CSS = """
    TrustAddModal { align: center middle; }
    #ta-box { width: 90%; max-width: 100; height: auto; max-height: 90%; padding: 1 2;
              border: thick $primary; background: $panel; }
    #ta-title { text-style: bold; }
    #ta-files { height: auto; max-height: 10; margin: 1 0; }
    #ta-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #ta-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "key.cancel"), Binding("f5", "scan", "key.refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.files: list[Path] = []

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        with Vertical(id="ta-box"):
            yield Label(tr("admin.trust.add_title"), id="ta-title")
            yield Static(tr("admin.trust.scanning"), id="ta-found")
            yield OptionList(id="ta-files")
            yield Input(placeholder=tr("admin.trust.path"), id="ta-path")
            with Horizontal(id="ta-buttons"):
                yield Button(tr("admin.trust.add"), variant="primary", id="ta-ok")
                yield Button(tr("pin.cancel"), id="ta-cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False
        self.query_one("#ta-path", Input).focus()
        self.action_scan()

    def action_scan(self) -> None:
        def scan() -> list[Path]:
            from station.configure import certificate_files
            from station.receipts.export import list_targets

            return certificate_files([t.path for t in list_targets().targets])

        self.run_work(scan, self._found, failed=lambda exc: self._found([]), group="usb")

    def _found(self, files: list[Path]) -> None:
        tr = self.station.tr
        self.files = files
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(plain(p)) for p in files])
        options.display = bool(files)
        self.query_one("#ta-found", Static).update(tr("admin.trust.found", n=len(files)) if files
                                                   else tr("admin.trust.found_none"))
        if files:
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.files[event.option_index])

    @on(Input.Submitted)
    @on(Button.Pressed, "#ta-ok")
    def submit(self) -> None:
        text = self.query_one("#ta-path", Input).value.strip()
        if text:
            self.dismiss(Path(text).expanduser())
        elif self.files and self.query_one(OptionList).highlighted is not None:
            self.dismiss(self.files[self.query_one(OptionList).highlighted or 0])

    @on(Button.Pressed, "#ta-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
