"""Export a receipt bundle to removable storage (USB), an extra target, or a typed folder.

Lists where it can write (station.receipts.export.list_targets: removable mounts, plus
SEAL_STATION_EXPORT_DIRS) and takes any folder typed below the list (checked by
station.receipts.export.folder_target before anything is signed); writes the text, QR PNG, signed PDF and SHA256SUMS with a
progress bar, and says plainly when the stick is full, read-only or was pulled — in which
case nothing half-written is left on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, ProgressBar, Static

from screens.widgets.base import StationScreen, failure_text, plain_row
from screens.widgets.sizes import human_size
from station.errors import StationError

__all__ = ["ExportScreen"]


class ExportScreen(StationScreen[None]):
    """Targets on top; Enter (or W) writes the receipt bundle of ``esid`` to the chosen one."""

    CSS_PATH = "receipt.tcss"
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("f5", "rescan", "key.refresh"),
                Binding("w", "write", "key.write")]

    def __init__(self, esid: str) -> None:
        super().__init__()
        self.esid = esid
        self.targets: list[Any] = []
        self.written: list[Path] = []
        self.error: StationError | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Label("", id="export-title", classes="screen-title")
        with Vertical(id="export-body"):
            yield DataTable(id="export-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="export-notes")
            yield Label("", id="export-folder-label")
            yield Input(id="export-folder")
            yield ProgressBar(total=5, show_eta=False, id="export-progress")
            yield Static("", id="export-status")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.query_one(ProgressBar).display = False  # shown only while something is written
        self.relabel()
        self.query_one(DataTable).focus()
        self.action_rescan()

    def relabel(self) -> None:
        tr = self.station.tr
        self.query_one("#export-title", Label).update(tr("export.title", esid=self.esid))
        self.query_one("#export-folder-label", Label).update(tr("export.folder.label"))
        self.query_one("#export-folder", Input).placeholder = tr("export.folder.placeholder")
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in ("kind", "path", "free", "state"):
            table.add_column(tr(f"export.col.{key}"), key=key)
        self._fill()

    # -- targets ------------------------------------------------------------------------------
    def action_rescan(self) -> None:
        self._scan()

    def _scan(self) -> None:
        from station.receipts.export import list_targets

        self.run_work(list_targets, self.show_targets, group="usb")

    def show_targets(self, found: Any) -> None:
        tr = self.station.tr
        self.targets = list(found.targets)
        self._fill()
        notes = [tr("export.devices", names=", ".join(found.devices))] if found.devices else []
        notes += list(found.notes)
        if not self.targets:
            notes.insert(0, tr("export.none_folder"))
            self.query_one("#export-folder", Input).focus()
        self.query_one("#export-notes", Static).update("\n".join(notes))

    def _fill(self) -> None:
        tr = self.station.tr
        table = self.query_one(DataTable)
        table.clear()
        for i, t in enumerate(self.targets):
            state = tr("export.read_only") if t.read_only else tr("export.writable")
            table.add_row(*plain_row(tr(f"export.kind.{t.kind}"), t.path, human_size(t.free), state), key=str(i))

    # -- writing ------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#export-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.action_write()

    def action_write(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        if not self.targets or row is None or not 0 <= row < len(self.targets):
            return
        self._start(self.targets[row].path)

    @on(Input.Submitted, "#export-folder")
    def _folder(self, event: Input.Submitted) -> None:
        from station.receipts.export import folder_target

        try:
            target = folder_target(event.value)
        except StationError as exc:
            self.query_one(ProgressBar).display = False
            self.query_one("#export-status", Static).update(failure_text(exc))
            return
        self._start(target.path)

    def _start(self, directory: Path) -> None:
        tr = self.station.tr
        self.error = None
        bar = self.query_one(ProgressBar)
        bar.update(total=5, progress=0)
        bar.display = True
        self.query_one("#export-status", Static).update(tr("export.signing"))
        self._write(directory)

    def _write(self, directory: Path) -> None:
        from station.receipts.export import export_receipt

        session, esid = self.station.session, self.esid
        if session is None:
            return

        def progress(name: str, i: int, count: int) -> None:
            self.from_thread(self._progress, name, i, count)

        self.run_work(lambda: export_receipt(session, esid, directory, progress), self._done,
                      failed=self._failed, group="card")

    def _progress(self, name: str, i: int, count: int) -> None:
        tr = self.station.tr
        self.query_one(ProgressBar).update(total=count + 1, progress=i + 1)
        if name:
            self.query_one("#export-status", Static).update(tr("export.writing", name=name))

    def _done(self, paths: list[Path]) -> None:
        tr = self.station.tr
        self.written = list(paths)
        bar = self.query_one(ProgressBar)
        bar.update(progress=bar.total)
        folder = paths[0].parent if paths else ""
        self.query_one("#export-status", Static).update(
            tr("export.done", n=len(paths), folder=folder) + "\n" + "\n".join(f"  {p.name}" for p in paths))
        self.notify(tr("export.done_short", esid=self.esid))
        self._scan()

    def _failed(self, exc: StationError) -> None:
        self.error = exc
        self.query_one(ProgressBar).display = False
        self.query_one("#export-status", Static).update(failure_text(exc))
        self.station.show_error(exc)

    def action_back(self) -> None:
        self.app.pop_screen()
