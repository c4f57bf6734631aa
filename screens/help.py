"""F1: what the screen underneath does and its keys, then what holds on every screen.

The keys come from the screen's own active bindings (its, its focused widget's and the
app's), so help cannot drift from what the keys do; the words about the screen come from
``help.screen.<class name>`` in the i18n tables.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Label, Static

from screens.widgets.base import StationModal

__all__ = ["HelpScreen", "screen_bindings", "screen_keys"]


def screen_bindings(app: Any, screen: Screen[Any]) -> list[tuple[DOMNode, Binding, str]]:
    """(node, binding, what it does, translated) for every described key active on ``screen``:
    the app's, the screen's and the station's widgets' (``key.*``), not Textual's internals."""
    found: list[tuple[DOMNode, Binding, str]] = []
    seen: set[str] = set()
    for node, binding, enabled, _tip in screen.active_bindings.values():
        own = node is app or node is screen or binding.description.startswith("key.")
        if not enabled or not binding.description or not own or binding.action in seen:
            continue
        seen.add(binding.action)
        found.append((node, binding, app.tr(binding.description)))
    return found


def screen_keys(app: Any, screen: Screen[Any]) -> list[tuple[str, str]]:
    """(key as shown, what it does) for the help text."""
    return [(app.get_key_display(b), what) for _node, b, what in screen_bindings(app, screen)]


class HelpScreen(StationModal[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "key.close")]

    def __init__(self, screen: Screen[Any]) -> None:
        """``screen``: the one F1 was pressed on (help is about it, not about itself)."""
        super().__init__()
        self.about = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label("", id="help-title")
            yield Static("", id="help-screen")
            yield Static("", id="help-keys")
            yield Static("", id="help-general")

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()

    def relabel(self) -> None:
        app = self.station
        tr = app.tr
        cfg = app.station_info()
        self.query_one("#help-title", Label).update(tr("help.title"))
        key = f"help.screen.{type(self.about).__name__}"
        about = tr(key)
        self.query_one("#help-screen", Static).update("" if about == key else escape(about))
        keys = screen_keys(app, self.about)
        width = max((cell_len(k) for k, _ in keys), default=0) + 2
        lines = [f"[b]{escape(k)}[/b]" + " " * (width - cell_len(k)) + escape(what) for k, what in keys]
        self.query_one("#help-keys", Static).update("\n".join(lines))
        self.query_one("#help-general", Static).update(
            escape(tr("help.general", tries=cfg.max_pin_tries, minutes=cfg.idle_minutes)))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
