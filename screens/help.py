"""Keyboard help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, Static

from screens.widgets.base import StationModal

__all__ = ["HelpScreen"]


class HelpScreen(StationModal[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "key.close")]

    def compose(self) -> ComposeResult:
        app = self.station
        tr = app.tr
        cfg = app.station_info()
        with Vertical(id="help-box"):
            yield Label(tr("help.title"), id="help-title")
            yield Static(tr("help.body", tries=cfg.max_pin_tries, minutes=cfg.idle_minutes))

    def on_mount(self) -> None:
        self.station.localize(self)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
