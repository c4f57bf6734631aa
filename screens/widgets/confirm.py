"""The yes/no dialog every screen uses before it changes something that matters."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from screens.widgets.base import StationModal
from screens.widgets.impression import ImpressionPreview

__all__ = ["ConfirmModal"]


class ConfirmModal(StationModal[str | None]):
    """Yes/no with pictures side by side; dismisses with the reason ("" if none), or None.

    ``reason`` is "none", "optional" or "required"; Escape always cancels. For a
    destructive action the Cancel button has the focus, so Enter alone destroys nothing.
    """

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    #confirm-box { width: 80; height: auto; padding: 1 2; border: thick $primary; background: $panel; }
    #confirm-box.danger { border: thick $error; }
    #confirm-title { text-style: bold; }
    #confirm-body { margin: 1 0; }
    #confirm-pictures { height: auto; width: auto; }
    #confirm-pictures ImpressionPreview { margin-right: 2; }
    #confirm-reason { margin-top: 1; }
    #confirm-buttons { height: auto; margin-top: 1; align-horizontal: right; width: 100%; }
    #confirm-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, title: str, body: str, *, confirm: str,
                 pictures: list[tuple[bytes | None, str]] | None = None, danger: bool = False,
                 reason: str = "none") -> None:
        super().__init__()
        self.title_text, self.body, self.confirm_label = title, body, confirm
        self.pictures, self.danger, self.reason_mode = list(pictures or ()), danger, reason

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        with Vertical(id="confirm-box", classes="danger" if self.danger else ""):
            yield Label(self.title_text, id="confirm-title")
            yield Static(self.body, id="confirm-body")
            if self.pictures:
                with Horizontal(id="confirm-pictures"):
                    for png, caption in self.pictures:
                        yield ImpressionPreview(png, cells=28, caption=caption)
            if self.reason_mode != "none":
                yield Input(placeholder=tr("confirm.reason"), id="confirm-reason", max_length=200)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.confirm_label, variant="error" if self.danger else "primary", id="confirm-ok")
                yield Button(tr("confirm.cancel"), id="confirm-cancel")

    def on_mount(self) -> None:
        self.station.localize(self)
        if self.danger:
            self.query_one("#confirm-cancel", Button).focus()
        elif self.reason_mode != "none":
            self.query_one("#confirm-reason", Input).focus()
        else:
            self.query_one("#confirm-ok", Button).focus()

    @on(Button.Pressed, "#confirm-ok")
    @on(Input.Submitted, "#confirm-reason")
    def confirm(self) -> None:
        reason = self.query_one("#confirm-reason", Input).value.strip() if self.reason_mode != "none" else ""
        if self.reason_mode == "required" and not reason:
            self.query_one("#confirm-reason", Input).placeholder = self.station.tr("confirm.reason_required")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#confirm-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
