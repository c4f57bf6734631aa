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
from textual.screen import Screen
from textual.widgets import Label, Static

from screens.widgets.base import StationModal, escape

__all__ = ["HelpScreen", "screen_bindings", "screen_keys"]


def _ours(node: DOMNode, binding: Binding) -> bool:
    """A station binding: its description, before translation, is an i18n key."""
    if binding.action in ("command_palette", "app.command_palette"):
        return True
    original = getattr(node, "_i18n_bindings", None) or node._bindings
    return any(b.action == binding.action and (b.description.startswith("key.") or ".key." in b.description)
               for b in original.key_to_bindings.get(binding.key, []))


def screen_bindings(app: Any, screen: Screen[Any]) -> list[tuple[DOMNode, Binding, str]]:
    """(node, binding, what it does, translated) for every station key on ``screen``: the
    screen's (also where a focused widget takes the same key), its widgets' and the app's
    (those the app allows now, see ``SealStationApp.check_action``)."""
    found: list[tuple[DOMNode, Binding, str]] = []
    seen: set[str] = set()
    active = [(node, binding) for node, binding, enabled, _tip in screen.active_bindings.values() if enabled]
    own = [(screen, binding) for _key, binding in screen._bindings]
    for node, binding in own + [(n, b) for n, b in active if n is not screen]:
        if binding.action in seen or not binding.description or not _ours(node, binding):
            continue
        seen.add(binding.action)
        found.append((node, binding, app.tr(binding.description)))
    return found


def screen_keys(app: Any, screen: Screen[Any]) -> list[tuple[str, str]]:
    """(key as shown, what it does) for the help text."""
    return [(app.get_key_display(b), what) for _node, b, what in screen_bindings(app, screen)]


class HelpScreen(StationModal[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box {
        width: 100%; max-width: 84; height: auto; max-height: 100%;
        padding: 0 1; border: thick $accent; background: $panel;
    }
    #help-title { text-style: bold; color: $accent; }
    #help-screen { margin-top: 1; }
    #help-keys { margin-top: 1; }
    #help-general { margin-top: 1; color: $text-muted; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "key.close"),
                Binding("f2", "app.toggle_language", "key.lang")]  # a modal hides the app's keys

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
