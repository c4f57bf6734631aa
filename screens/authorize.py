"""The authorization modal: a named person (name and ID number) or a role, and the
functions chosen one by one — nothing is ticked before the officer ticks it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label

from screens.widgets.base import StationModal

__all__ = ["AuthorizeModal"]

FUNCTIONS = ("office", "web", "login")


class AuthorizeModal(StationModal["dict[str, Any] | None"]):
    """Returns {"person", "person_id", "role", "functions"}; the service checks every field."""

    DEFAULT_CSS = """
    AuthorizeModal { align: center middle; }
    #auth-box { width: 72; height: auto; padding: 1 2; border: thick $primary; background: $panel; }
    #auth-title { text-style: bold; }
    #auth-functions { height: auto; margin-top: 1; }
    #auth-error { color: $error; }
    #auth-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #auth-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__()
        self.allowed = allowed

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        with Vertical(id="auth-box"):
            yield Label(tr("auth.title"), id="auth-title")
            yield Input(placeholder=tr("auth.person"), id="auth-person", max_length=64)
            yield Input(placeholder=tr("auth.person_id"), id="auth-person-id", max_length=18)
            yield Input(placeholder=tr("auth.role"), id="auth-role", max_length=64)
            with Horizontal(id="auth-functions"):
                for f in FUNCTIONS:
                    yield Checkbox(tr(f"function.{f}"), False, id=f"auth-fn-{f}", disabled=f not in self.allowed)
            yield Label("", id="auth-error")
            with Horizontal(id="auth-buttons"):
                yield Button(tr("auth.ok"), variant="primary", id="auth-ok")
                yield Button(tr("pin.cancel"), id="auth-cancel")

    def on_mount(self) -> None:
        self.station.localize(self)
        self.query_one("#auth-person").focus()

    @on(Button.Pressed, "#auth-ok")
    def submit(self) -> None:
        value = {k: self.query_one(f"#auth-{k.replace('_', '-')}", Input).value.strip() or None
                 for k in ("person", "person_id", "role")}
        functions = [f for f in FUNCTIONS if self.query_one(f"#auth-fn-{f}", Checkbox).value]
        if not functions:
            self.query_one("#auth-error", Label).update(self.station.tr("cer.f.functions_needed"))
            return
        self.dismiss({**value, "functions": functions})

    @on(Button.Pressed, "#auth-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
