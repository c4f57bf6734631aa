"""The administrator's Backup action: one encrypted, signed file to a stick or a folder.

Targets are listed as on the receipt export screen (removable mounts and
SEAL_STATION_EXPORT_DIRS); a folder can also be typed. The backup is written by
``station.backup.create_backup`` in a thread worker with a progress bar; a full or pulled
stick is one message and leaves no file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, ProgressBar, Static

from screens.widgets.base import StationScreen, failure_text, plain_row
from screens.widgets.sizes import human_size
from station.errors import StationError

__all__ = ["BackupScreen", "FileJobScreen"]

Progress = Callable[[int, int], None]


class FileJobScreen(StationScreen[None]):
    """What the backup and restore screens share: one long file job in a thread worker,
    a progress bar, and a status line that ends in the result or in the one error."""

    STATUS = ""  # the status Static's id

    def __init__(self) -> None:
        super().__init__()
        self.error: StationError | None = None

    def run_job(self, call: Callable[[Progress], Any], done: Callable[[Any], None]) -> None:
        """``call(progress)`` in a card worker; ``done(result)`` or the one failure on the UI thread."""
        def progress(n: int, total: int) -> None:
            self.from_thread(self._progress, n, total)

        self.run_work(lambda: call(progress), done, failed=self._failed, group="card")

    def _progress(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def _finished(self, text: str) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(progress=bar.total)
        self.query_one(f"#{self.STATUS}", Static).update(text)

    def _failed(self, exc: StationError) -> None:
        self.error = exc
        self.query_one(ProgressBar).update(progress=0)
        self.query_one(f"#{self.STATUS}", Static).update(failure_text(exc))
        self.station.show_error(exc)


class BackupScreen(FileJobScreen):
    """Choose a target (Enter) or type a folder (Enter in the field); the file is named for you."""

    CSS_PATH = "receipt.tcss"
    DEFAULT_CSS = """
    #backup-body { height: 1fr; padding: 0 1; }
    #backup-table { height: auto; max-height: 10; }
    #backup-folder { margin-top: 1; }
    #backup-progress { margin-top: 1; }
    #backup-status { margin-top: 1; height: auto; }
    """
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("f5", "rescan", "key.refresh")]
    STATUS = "backup-status"

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[Any] = []
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Label("", id="backup-title", classes="screen-title")
        with Vertical(id="backup-body"):
            yield DataTable(id="backup-table", cursor_type="row", zebra_stripes=True)
            yield Input(id="backup-folder")
            yield ProgressBar(total=100, show_eta=False, id="backup-progress")
            yield Static("", id="backup-status")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        tr = self.station.tr
        self.query_one("#backup-title", Label).update(tr("backup.title"))
        self.query_one("#backup-folder", Input).placeholder = tr("backup.folder")
        table = self.query_one(DataTable)
        for key in ("kind", "path", "free", "state"):
            table.add_column(tr(f"export.col.{key}"), key=key)
        self.query_one("#backup-status", Static).update(tr("backup.hint"))
        table.focus()
        self.action_rescan()

    def action_rescan(self) -> None:
        from station.receipts.export import list_targets

        self.run_work(list_targets, self._show_targets, group="usb")

    def _show_targets(self, found: Any) -> None:
        tr = self.station.tr
        self.targets = [t for t in found.targets if not t.read_only]
        table = self.query_one(DataTable)
        table.clear()
        for i, t in enumerate(self.targets):
            table.add_row(*plain_row(tr(f"export.kind.{t.kind}"), t.path, human_size(t.free), tr("export.writable")),
                          key=str(i))

    @on(DataTable.RowSelected, "#backup-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        row = event.cursor_row
        if 0 <= row < len(self.targets):
            self.start(self.targets[row].path)

    @on(Input.Submitted, "#backup-folder")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.start(Path(event.value.strip()).expanduser())

    def start(self, folder: Path) -> None:
        tr = self.station.tr
        self.error, self.written = None, None
        self.query_one(ProgressBar).update(total=100, progress=0)
        self.query_one("#backup-status", Static).update(tr("backup.writing", folder=folder))
        self._write(folder)

    def _write(self, folder: Path) -> None:
        from station.backup import create_backup, default_target

        session = self.station.session
        if session is not None:
            self.run_job(lambda progress: create_backup(session, default_target(session, folder), progress),
                         self._done)

    def _done(self, made: Any) -> None:
        tr = self.station.tr
        self.written = made.path
        self._finished(tr("backup.done", path=made.path, mib=f"{made.size / 1048576:.1f}", size=made.tree_size))
        self.notify(tr("backup.done_short"))

    def action_back(self) -> None:
        self.app.pop_screen()
        home = self.app.screen
        if hasattr(home, "relabel"):
            home.relabel()  # the days since the last backup start again
