"""The administrator's Backup action: one encrypted, signed file to a stick or a folder.

Targets are listed as on the receipt export screen (removable mounts and
SEAL_STATION_EXPORT_DIRS); a folder can also be typed. The backup is written by
``station.backup.create_backup`` in a thread worker with a progress bar; a full or pulled
stick is one message and leaves no file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, ProgressBar, Static

from station.errors import StateError, StationError

__all__ = ["BackupScreen", "FileJobScreen"]


class FileJobScreen(Screen):
    """What the backup and restore screens share: one long file job in a thread worker,
    a progress bar, and a status line that ends in the result or in the one error."""

    STATUS = ""  # the status Static's id
    FAILED = "failed"  # prefix of the message of an unexpected exception

    def __init__(self) -> None:
        super().__init__()
        self.error: StationError | None = None

    def run_job(self, call: Callable[[Callable[[int, int], None]], Any], done: Callable[[Any], None]) -> None:
        """In the worker thread: ``call(progress)``, then ``done(result)`` or the failure on the UI thread."""
        def progress(n: int, total: int) -> None:
            self.app.call_from_thread(self._progress, n, total)

        try:
            result = call(progress)
        except StationError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        except Exception as exc:  # never a traceback on the screen
            self.app.call_from_thread(self._failed, StateError(f"{self.FAILED}: {type(exc).__name__}: {exc}"))
            return
        self.app.call_from_thread(done, result)

    def _progress(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def _finished(self, text: str) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(progress=bar.total)
        self.query_one(f"#{self.STATUS}", Static).update(text)

    def _failed(self, exc: StationError) -> None:
        self.error = exc
        self.query_one(ProgressBar).update(progress=0)
        text = f"{exc.title}: {exc.message}" + (f"\n{exc.hint}" if exc.hint else "")
        self.query_one(f"#{self.STATUS}", Static).update(text)
        self.app.show_error(exc)  # type: ignore[attr-defined]


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
    FAILED = "backup failed"

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
        self.app.localize(self)  # type: ignore[attr-defined]
        tr = self.app.tr  # type: ignore[attr-defined]
        self.query_one("#backup-title", Label).update(tr("backup.title"))
        self.query_one("#backup-folder", Input).placeholder = tr("backup.folder")
        table = self.query_one(DataTable)
        for key in ("kind", "path", "free", "state"):
            table.add_column(tr(f"export.col.{key}"), key=key)
        self.query_one("#backup-status", Static).update(tr("backup.hint"))
        table.focus()
        self.action_rescan()

    def action_rescan(self) -> None:
        self._scan()

    @work(thread=True, exclusive=True, group="usb", exit_on_error=False)
    def _scan(self) -> None:
        from station.export import list_targets

        found = list_targets()
        self.app.call_from_thread(self._show_targets, list(found.targets))

    def _show_targets(self, targets: list[Any]) -> None:
        from screens.export import _size

        tr = self.app.tr  # type: ignore[attr-defined]
        self.targets = [t for t in targets if not t.read_only]
        table = self.query_one(DataTable)
        table.clear()
        for i, t in enumerate(self.targets):
            table.add_row(tr(f"export.kind.{t.kind}"), str(t.path), _size(t.free), tr("export.writable"), key=str(i))

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
        tr = self.app.tr  # type: ignore[attr-defined]
        self.error, self.written = None, None
        self.query_one(ProgressBar).update(total=100, progress=0)
        self.query_one("#backup-status", Static).update(tr("backup.writing", folder=folder))
        self._write(folder)

    @work(thread=True, exclusive=True, group="card", exit_on_error=False)
    def _write(self, folder: Path) -> None:
        from station.backup import create_backup, default_target

        session = self.app.session  # type: ignore[attr-defined]
        if session is not None:
            self.run_job(lambda progress: create_backup(session, default_target(session, folder), progress),
                         self._done)

    def _done(self, made: Any) -> None:
        tr = self.app.tr  # type: ignore[attr-defined]
        self.written = made.path
        self._finished(tr("backup.done", path=made.path, mib=f"{made.size / 1048576:.1f}", size=made.tree_size))
        self.notify(tr("backup.done_short"))

    def action_back(self) -> None:
        self.app.pop_screen()
        home = self.app.screen
        if hasattr(home, "relabel"):
            home.relabel()  # the days since the last backup start again
