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

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, ProgressBar, Static

from station.errors import StateError, StationError

__all__ = ["RestoreScreen"]


class RestoreScreen(Screen):
    """File, recovery code, Enter: a confirmation, then the restore with progress."""

    DEFAULT_CSS = """
    #restore-body { height: 1fr; padding: 0 1; }
    #restore-body Input { margin-top: 1; }
    #restore-progress { margin-top: 1; }
    #restore-status { margin-top: 1; height: auto; }
    """
    BINDINGS = [Binding("escape", "back", "key.back")]

    def __init__(self) -> None:
        super().__init__()
        self.restored: Any = None
        self.error: StationError | None = None

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
        self.app.localize(self)  # type: ignore[attr-defined]
        tr = self.app.tr  # type: ignore[attr-defined]
        self.query_one("#restore-title", Label).update(tr("restore.title"))
        self.query_one("#restore-hint", Static).update(tr("restore.hint", home=self.app.home.path))  # type: ignore[attr-defined]
        self.query_one("#restore-file", Input).placeholder = tr("restore.file")
        self.query_one("#restore-code", Input).placeholder = tr("restore.code")
        self.query_one("#restore-file", Input).focus()

    @on(Input.Submitted, "#restore-file")
    def _file_given(self) -> None:
        self.query_one("#restore-code", Input).focus()

    @on(Input.Submitted, "#restore-code")
    def _code_given(self) -> None:
        from screens.library import ConfirmModal
        from station.backup import is_live

        tr = self.app.tr  # type: ignore[attr-defined]
        file = self.query_one("#restore-file", Input).value.strip()
        if not file or not self.query_one("#restore-code", Input).value.strip():
            return
        live = is_live(self.app.home)  # type: ignore[attr-defined]
        body = tr("restore.confirm_body") + ("\n\n" + tr("restore.confirm_live") if live else "")
        modal = ConfirmModal(tr("restore.confirm_title"), body, confirm=tr("restore.confirm"), danger=True)
        self.app.push_screen(modal, lambda answer: self._start(Path(file).expanduser(), live)
                             if answer is not None else None)

    def _start(self, file: Path, live: bool) -> None:
        tr = self.app.tr  # type: ignore[attr-defined]
        self.error, self.restored = None, None
        self.query_one(ProgressBar).update(total=100, progress=0)
        self.query_one("#restore-status", Static).update(tr("restore.working"))
        self._restore(file, self.query_one("#restore-code", Input).value, live)

    @work(thread=True, exclusive=True, group="card", exit_on_error=False)
    def _restore(self, file: Path, code: str, live: bool) -> None:
        from station.backup import restore_backup

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, done, total)

        try:
            done = restore_backup(file, self.app.home, recovery_code=lambda: code, force=live,  # type: ignore[attr-defined]
                                  progress=progress)
        except StationError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        except Exception as exc:  # never a traceback on the screen
            self.app.call_from_thread(self._failed, StateError(f"restore failed: {type(exc).__name__}: {exc}"))
            return
        self.app.call_from_thread(self._done, done)

    def _progress(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def _done(self, done: Any) -> None:
        tr = self.app.tr  # type: ignore[attr-defined]
        self.restored = done
        self.query_one("#restore-code", Input).value = ""
        bar = self.query_one(ProgressBar)
        bar.update(progress=bar.total)
        self.query_one("#restore-status", Static).update(
            tr("restore.done", station_id=done.station_id, created=done.created, back=len(done.back_again)))
        self.app.station_changed()  # type: ignore[attr-defined]

    def _failed(self, exc: StationError) -> None:
        self.error = exc
        self.query_one(ProgressBar).update(progress=0)
        text = f"{exc.title}: {exc.message}" + (f"\n{exc.hint}" if exc.hint else "")
        self.query_one("#restore-status", Static).update(text)
        self.app.show_error(exc)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()
