"""The PIN modal: masked entry, tries left, the locked state with what to do."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, LoadingIndicator, Static

from screens.widgets.base import StationModal, escape
from station.model import CardView

__all__ = ["PinModal"]


class PinModal(StationModal[str | None]):
    """Asks for a card's PIN. The app keeps it open while the card checks the PIN."""

    DEFAULT_CSS = """
    PinModal { align: center middle; }
    #pin-box {
        width: 60; height: auto; padding: 1 2;
        border: thick $primary; background: $panel;
    }
    #pin-title { text-style: bold; }
    #pin-serial { color: $text-muted; }
    #pin-input { margin: 1 0; }
    #pin-error { color: $error; width: 100%; }
    #pin-hint { color: $warning; width: 100%; }
    #pin-busy { height: 1; }
    #pin-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #pin-buttons Button { margin-left: 1; }
    #pin-summary { margin-top: 1; padding: 0 1; border-left: thick $warning; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, card: CardView, *, collect: bool = False,
                 summary: list[tuple[str, str]] | None = None) -> None:
        """``collect``: hand the PIN back with ``dismiss(pin)`` instead of logging in.
        ``summary``: what this PIN authorizes, kept in sight while it is typed."""
        super().__init__()
        self.card = card
        self.collect = collect
        self.last_pin: str | None = None
        self.summary = list(summary or ())

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        with Vertical(id="pin-box"):
            yield Label(tr("pin.title", label=self.card.label), id="pin-title")
            yield Label(tr("pin.serial", serial=self.card.serial), id="pin-serial")
            if self.summary:
                lines = [f"[b]{tr('pin.summary')}[/b]", *(f"{escape(k)}: {escape(v)}" for k, v in self.summary)]
                yield Static("\n".join(lines), id="pin-summary")
            yield Input(placeholder=tr("pin.placeholder"), password=True, id="pin-input",
                        max_length=64)
            yield Label("", id="pin-error")
            yield Label("", id="pin-hint")
            yield LoadingIndicator(id="pin-busy")
            with Horizontal(id="pin-buttons"):
                yield Button(tr("pin.confirm" if self.collect else "pin.ok"), variant="primary", id="pin-ok")
                yield Button(tr("pin.cancel"), id="pin-cancel")

    def on_mount(self) -> None:
        self.station.localize(self)
        self.query_one("#pin-busy").display = False
        if self.card.pin_locked:
            self.show_locked()
        elif self.card.tries_left is not None:
            self.query_one("#pin-hint", Label).update(self.station.tr("pin.tries", n=self.card.tries_left))
        self.query_one(Input).focus()

    @on(Input.Submitted, "#pin-input")
    @on(Button.Pressed, "#pin-ok")
    def submit(self) -> None:
        field = self.query_one(Input)
        pin = field.value
        if not pin or self.card.pin_locked:
            return
        field.value = ""
        self.last_pin = pin  # a first PIN that must change is asked once, not twice
        if self.collect:
            self.dismiss(pin)
            return
        self.busy(True)
        self.station.attempt_login(self.card, pin)

    @on(Button.Pressed, "#pin-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def busy(self, on_: bool) -> None:
        self.query_one("#pin-busy").display = on_
        self.query_one(Input).disabled = on_
        self.query_one("#pin-ok", Button).disabled = on_
        if on_:
            self.query_one("#pin-error", Label).update(self.station.tr("pin.checking"))

    def show_error(self, title: str, message: str, hint: str, tries_left: int | None) -> None:
        self.busy(False)
        tr = self.station.tr  # a wrong PIN is said once, in the UI's language, with the tries left below
        self.query_one("#pin-error", Label).update(tr("pin.wrong") if tries_left else
                                                   f"{escape(title)}: {escape(message)}")
        self.query_one("#pin-hint", Label).update(tr("pin.tries", n=tries_left) if tries_left else escape(hint))
        self.query_one(Input).focus()

    def show_locked(self) -> None:
        tr = self.station.tr
        self.card = CardView(**{**self.card.__dict__, "pin_locked": True})
        self.busy(False)
        self.query_one("#pin-error", Label).update(tr("pin.locked"))
        self.query_one("#pin-hint", Label).update(tr("pin.locked_hint", serial=self.card.serial))
        self.query_one(Input).disabled = True
        self.query_one("#pin-ok", Button).disabled = True
        self.query_one("#pin-cancel", Button).focus()
