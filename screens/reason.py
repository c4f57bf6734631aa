"""The reason modal of a seal's event: a reason from the regulations' list, plus free text."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select

from screens.widgets.base import StationModal

__all__ = ["ReasonModal"]


class ReasonModal(StationModal[str | None]):
    """Returns "code" or "code: text" (:func:`station.lifecycle.check_reason` reads it)."""

    DEFAULT_CSS = """
    ReasonModal { align: center middle; }
    #reason-box { width: 70; height: auto; padding: 1 2; border: thick $error; background: $panel; }
    #reason-title { text-style: bold; }
    #reason-text { margin-top: 1; }
    #reason-error { color: $error; }
    #reason-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #reason-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action

    def compose(self) -> ComposeResult:
        from station.lifecycle import REASONS

        tr = self.station.tr
        with Vertical(id="reason-box"):
            yield Label(tr("reason.title", action=tr(f"seal.action.{self.action}")), id="reason-title")
            yield Select([(tr(f"reason.{r}"), r) for r in REASONS if r != "renewed"], prompt=tr("reason.choose"),
                         id="reason-code")
            yield Input(placeholder=tr("reason.text"), id="reason-text", max_length=150)
            yield Label("", id="reason-error")
            with Horizontal(id="reason-buttons"):
                yield Button(tr("reason.ok"), variant="primary", id="reason-ok")
                yield Button(tr("pin.cancel"), id="reason-cancel")

    def on_mount(self) -> None:
        self.station.localize(self)
        self.query_one(Select).focus()

    @on(Input.Submitted, "#reason-text")
    @on(Button.Pressed, "#reason-ok")
    def submit(self) -> None:
        code = self.query_one(Select).value
        text = self.query_one(Input).value.strip()
        if not isinstance(code, str):
            self.query_one("#reason-error", Label).update(self.station.tr("reason.needed"))
            return
        self.dismiss(f"{code}: {text}" if text else code)

    @on(Button.Pressed, "#reason-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
