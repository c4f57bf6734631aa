"""Keyboard help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

__all__ = ["HelpScreen"]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "key.close")]

    def compose(self) -> ComposeResult:
        app = self.app
        tr = app.tr  # type: ignore[attr-defined]
        cfg = app.station_info()  # type: ignore[attr-defined]
        with Vertical(id="help-box"):
            yield Label(tr("help.title"), id="help-title")
            yield Static(tr("help.body", tries=cfg.max_pin_tries, minutes=cfg.idle_minutes))

    def on_mount(self) -> None:
        self.app.localize(self)  # type: ignore[attr-defined]

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
