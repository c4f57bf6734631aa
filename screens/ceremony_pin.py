"""The making wizard's PIN step: the recipient chooses the seal card's PIN, or skips.

The recipient types the new PIN twice (hidden); the station's weak-PIN rules are shown
and checked here, before anything is signed, and again by the ceremony
(station/seal_pins.py). Skipping keeps the card's initial PIN, which the registry and
the receipt then name "initial PIN, change at first use". The PIN lives only in the
wizard's memory until the card takes it.
"""

from __future__ import annotations

from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from station.pin_policy import weak_pin_code

__all__ = ["RecipientPin"]


class RecipientPin(Vertical):
    """Two hidden inputs, the rules, "Set this PIN" and "Skip"; posts :class:`Chosen`."""

    class Chosen(Message):
        """The recipient's PIN, or None when they keep the initial one."""

        def __init__(self, pin: str | None) -> None:
            super().__init__()
            self.pin = pin

    def __init__(self, tr: Callable[..., str], **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.tr = tr
        self.initial: str | None = None

    def compose(self) -> ComposeResult:
        tr = self.tr
        yield Label(tr("cer.newpin.title"), classes="section")
        yield Static("", id="cer-newpin-prompt")
        yield Input(placeholder=tr("cer.newpin.new"), password=True, id="cer-newpin", max_length=64)
        yield Input(placeholder=tr("cer.newpin.again"), password=True, id="cer-newpin-again", max_length=64)
        yield Static(tr("cer.newpin.rules"), id="cer-newpin-rules")
        yield Static("", id="cer-newpin-error")
        with Horizontal(id="cer-newpin-buttons"):
            yield Button(tr("cer.newpin.set"), variant="primary", id="cer-newpin-set")
            yield Button(tr("cer.newpin.skip"), id="cer-newpin-skip")

    def prepare(self, recipient: str, card: str, initial: str | None) -> None:
        """Show the step for this recipient and card, with empty fields."""
        self.initial = initial
        self.query_one("#cer-newpin-prompt", Static).update(self.tr("cer.newpin.prompt", recipient=recipient,
                                                                     card=card))
        for field in self.query(Input):
            field.value = ""
        self.query_one("#cer-newpin-error", Static).update("")

    def forget(self) -> None:
        self.initial = None
        for field in self.query(Input):
            field.value = ""

    @on(Input.Submitted, "#cer-newpin")
    def _next_field(self) -> None:
        self.query_one("#cer-newpin-again").focus()

    @on(Input.Submitted, "#cer-newpin-again")
    @on(Button.Pressed, "#cer-newpin-set")
    def submit(self) -> None:
        new = self.query_one("#cer-newpin", Input).value
        again = self.query_one("#cer-newpin-again", Input).value
        if not new:
            self.query_one("#cer-newpin").focus()
            return
        if new != again:
            self._error(self.tr("cer.newpin.differ"))
            self.query_one("#cer-newpin-again", Input).value = ""
            self.query_one("#cer-newpin-again").focus()
            return
        code = weak_pin_code(new, self.initial)
        if code:
            self._error(self.tr("cer.newpin.weak", rule=self.tr(f"pin.rule.{code}")))
            self.query_one("#cer-newpin").focus()
            return
        self._error("")
        self.post_message(self.Chosen(new))

    @on(Button.Pressed, "#cer-newpin-skip")
    def skip(self) -> None:
        self.forget()
        self._error("")
        self.post_message(self.Chosen(None))

    def _error(self, text: str) -> None:
        self.query_one("#cer-newpin-error", Static).update(text)
