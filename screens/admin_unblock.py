"""The administrator unblocks a card locked by wrong PINs: its SO PIN and a new PIN.

The card is chosen among those present (locked ones first) or its serial typed; the new
PIN is checked against the station's weak-PIN rules (``station.pin_policy``) before the
card is touched, and ``station.cards.unblock_card`` does the rest with the admin's
session: the role check, the SO PIN count, the card's C_InitPIN and the audit entry.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Header, Input, Label, LoadingIndicator, Select, Static

from screens.widgets.base import StationScreen, failure_text
from screens.widgets.footer import StationFooter
from station.errors import StationError
from station.model import CardView

__all__ = ["UnblockScreen"]


class UnblockScreen(StationScreen[None]):
    """Card, SO PIN, new PIN twice, Enter: the card works, then one clear result."""

    DEFAULT_CSS = """
    #ub-body { padding: 0 1; height: 1fr; max-width: 120; }
    #ub-title { text-style: bold; color: $accent; }
    #ub-hint { margin-bottom: 1; }
    .ub-row { height: auto; }
    .ub-row Select, .ub-row Input { width: 1fr; }
    .ub-row Select { width: 2fr; }
    #ub-rules { color: $text-muted; }
    #ub-error { color: $error; height: auto; }
    #ub-working { height: 1; display: none; }
    #ub-working.busy { display: block; }
    #ub-result { height: auto; }
    #ub-buttons { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("ctrl+s", "submit", "key.unblock"), Binding("escape", "back", "key.back")]

    def __init__(self) -> None:
        super().__init__()
        self.done: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="ub-body"):
            yield Label("", id="ub-title")
            yield Static("", id="ub-hint")
            with Horizontal(classes="ub-row"):
                yield Select([], id="ub-card")
                yield Input(id="ub-serial", max_length=64)
            with Horizontal(classes="ub-row"):
                yield Input(id="ub-so", password=True, max_length=64)
                yield Input(id="ub-new", password=True, max_length=64)
                yield Input(id="ub-again", password=True, max_length=64)
            yield Label("", id="ub-rules")
            yield Label("", id="ub-error")
            yield LoadingIndicator(id="ub-working")
            yield Static("", id="ub-result")
            with Horizontal(id="ub-buttons"):
                yield Button("", variant="warning", id="ub-ok")
        yield StationFooter()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()
        self.show_cards(self.station.cards)
        locked = [c for c in self.station.cards if c.pin_locked]
        if locked:  # the usual case: the one locked card is already chosen
            self.query_one(Select).value = locked[0].serial
            self.query_one("#ub-serial", Input).value = locked[0].serial
            self.query_one("#ub-so", Input).focus()
        else:
            self.query_one(Select).focus()

    def relabel(self) -> None:
        tr = self.station.tr
        self.query_one("#ub-title", Label).update(tr("admin.unblock.title"))
        self.query_one("#ub-hint", Static).update(tr("admin.unblock.hint"))
        self.query_one(Select).prompt = tr("admin.unblock.card")
        for key in ("serial", "so", "new", "again"):
            self.query_one(f"#ub-{key}", Input).placeholder = tr(f"admin.unblock.{key}")
        self.query_one("#ub-rules", Label).update(tr("desk.pin.rules"))
        self.query_one("#ub-ok", Button).label = tr("admin.unblock.ok")
        self.show_cards(self.station.cards)

    def show_cards(self, cards: list[CardView]) -> None:
        """The cards present, locked ones first (the watcher calls this too)."""
        tr = self.station.tr
        select = self.query_one(Select)
        value = select.value
        ordered = sorted(cards, key=lambda c: (not c.pin_locked, c.label, c.serial))
        options = [(f"{c.label}  {c.serial}" + ("  " + tr("admin.unblock.locked") if c.pin_locked else ""), c.serial)
                   for c in ordered]
        with select.prevent(Select.Changed):
            select.set_options(options)
            if isinstance(value, str) and any(c.serial == value for c in cards):
                select.value = value

    @on(Select.Changed, "#ub-card")
    def _card_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.query_one("#ub-serial", Input).value = event.value
            self.query_one("#ub-so", Input).focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        index = fields.index(event.input)
        if index + 1 < len(fields):
            fields[index + 1].focus()
        else:
            self.action_submit()

    def _error(self, text: str) -> None:
        self.query_one("#ub-error", Label).update(text)

    @on(Button.Pressed, "#ub-ok")
    def action_submit(self) -> None:
        from screens.desks import weak_rule_text

        tr = self.station.tr
        session = self.station.session
        serial = self.query_one("#ub-serial", Input).value.strip()
        so_pin, new = self.query_one("#ub-so", Input).value, self.query_one("#ub-new", Input).value
        if session is None or self.query_one("#ub-ok", Button).disabled:
            return
        if not serial or not so_pin or not new:
            self._error(tr("admin.unblock.missing"))
            return
        if new != self.query_one("#ub-again", Input).value:
            self._error(tr("desk.pin.differ"))
            return
        rule = weak_rule_text(tr, new)
        if rule:
            self._error(tr("desk.pin.weak", rule=rule))
            return
        self._error("")
        self._busy(True, tr("admin.unblock.working", serial=serial))

        def unblock() -> str:
            from station.cards import unblock_card

            unblock_card(session, serial, so_pin, new)
            return serial

        self.run_work(unblock, self._unblocked, failed=self._failed, group="card")

    def _busy(self, busy: bool, text: str) -> None:
        self.query_one("#ub-working").set_class(busy, "busy")
        self.query_one("#ub-ok", Button).disabled = busy
        self.query_one("#ub-result", Static).update(text)

    def _clear_pins(self) -> None:
        for key in ("so", "new", "again"):
            self.query_one(f"#ub-{key}", Input).value = ""

    def _unblocked(self, serial: str) -> None:
        self.done = serial
        self._clear_pins()
        self._busy(False, self.station.tr("admin.unblock.done", serial=serial))
        self.station.rescan()

    def _failed(self, exc: StationError) -> None:
        self.query_one("#ub-so", Input).value = ""
        self._busy(False, "")
        self._error(self.station.tr("admin.refused", why=failure_text(exc)))
        self.query_one("#ub-so", Input).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
