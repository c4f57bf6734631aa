"""Restore the station from a backup, from the lock screen (Ctrl+R): the way back after a
lost disk, when no card can log in because there is no station to log in to.

The backup file and the recovery code are typed; before anything happens a ConfirmModal
says what a restore brings back (impressions destroyed after the backup) and, over a live
station, that the station is replaced. The restore itself (``station.backup``) runs in a
thread worker and is all or nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, Label, ProgressBar, Static

from screens.backup import FileJobScreen

__all__ = ["RestoreScreen"]


class RestoreScreen(FileJobScreen):
    """File, recovery code, Enter: a confirmation, then the restore with progress."""

    DEFAULT_CSS = """
    #restore-body { height: 1fr; padding: 0 1; }
    #restore-body Input { margin-top: 1; }
    #restore-progress { margin-top: 1; }
    #restore-status { margin-top: 1; height: auto; }
    """
    BINDINGS = [Binding("escape", "back", "key.back")]
    STATUS = "restore-status"

    def __init__(self) -> None:
        super().__init__()
        self.restored: Any = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Label("", id="restore-title", classes="screen-title")
        with Vertical(id="restore-body"):
            yield Static("", id="restore-hint")
            yield Input(id="restore-file")
            yield Input(id="restore-code", password=True)
            yield ProgressBar(total=100, show_eta=False, id="restore-progress")
            yield Static("", id="restore-status")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        tr = self.station.tr
        self.query_one("#restore-title", Label).update(tr("restore.title"))
        self.query_one("#restore-hint", Static).update(tr("restore.hint", home=self.station.home.path))
        self.query_one("#restore-file", Input).placeholder = tr("restore.file")
        self.query_one("#restore-code", Input).placeholder = tr("restore.code")
        self.query_one("#restore-file", Input).focus()

    @on(Input.Submitted, "#restore-file")
    def _file_given(self) -> None:
        self.query_one("#restore-code", Input).focus()

    @on(Input.Submitted, "#restore-code")
    def _code_given(self) -> None:
        from screens.widgets.confirm import ConfirmModal
        from station.backup import is_live

        tr = self.station.tr
        file = self.query_one("#restore-file", Input).value.strip()
        if not file or not self.query_one("#restore-code", Input).value.strip():
            return
        live = is_live(self.station.home)
        body = tr("restore.confirm_body") + ("\n\n" + tr("restore.confirm_live") if live else "")
        modal = ConfirmModal(tr("restore.confirm_title"), body, confirm=tr("restore.confirm"), danger=True)
        self.app.push_screen(modal, lambda answer: self._start(Path(file).expanduser(), live)
                             if answer is not None else None)

    def _start(self, file: Path, live: bool) -> None:
        tr = self.station.tr
        self.error, self.restored = None, None
        self.query_one(ProgressBar).update(total=100, progress=0)
        self.query_one("#restore-status", Static).update(tr("restore.working"))
        self._restore(file, self.query_one("#restore-code", Input).value, live)

    def _restore(self, file: Path, code: str, live: bool) -> None:
        from station.backup import restore_backup

        home = self.station.home
        self.run_job(lambda progress: restore_backup(file, home, recovery_code=lambda: code, force=live,
                                                     progress=progress), self._done)

    def _done(self, done: Any) -> None:
        tr = self.station.tr
        self.restored = done
        self.query_one("#restore-code", Input).value = ""
        self._finished(tr("restore.done", station_id=done.station_id, created=done.created,
                          back=len(done.back_again)))
        self.station.station_changed()

    def action_back(self) -> None:
        self.app.pop_screen()
