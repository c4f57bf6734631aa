"""验章 inside the station: verify a seal file, the seal on a card, or a receipt.

Officers, supervisors and auditors type a path (a seal file, a receipt file or its QR
PNG) or paste an ``SSR1:`` text, or pick a card in a reader and give its PIN. The
verdict shows signer, seal name, time, method, status and every problem and warning;
each verification is audited by the service (:mod:`station.checking`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.pin import PinModal
from screens.widgets.base import StationScreen, escape, plain
from station.errors import StationError
from station.model import CardState, CardView

__all__ = ["VerifyScreen"]


class VerifyScreen(StationScreen[None]):
    CSS_PATH = "seals.tcss"
    BINDINGS = [Binding("escape", "back", "key.back")]

    def __init__(self) -> None:
        super().__init__()
        self.verdict = None

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        yield Label(tr("verify.title"), classes="screen-title")
        with VerticalScroll(id="verify-body"):
            with Horizontal(id="verify-inputs"):
                yield Input(placeholder=tr("verify.path"), id="verify-path")
                yield Button(tr("verify.seal"), id="verify-seal", variant="primary")
                yield Button(tr("verify.receipt"), id="verify-receipt")
            yield Label(tr("verify.cards"), classes="section")
            yield OptionList(id="verify-cards")
            yield Static("", id="verify-result")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.show_cards(self.station.cards)
        self.query_one("#verify-path").focus()

    def show_cards(self, cards: list[CardView]) -> None:
        options = self.query_one("#verify-cards", OptionList)
        options.clear_options()
        options.add_options([Option(plain(f"{c.label}  {c.serial}"), id=c.serial) for c in cards
                             if c.state in (CardState.SEALED, CardState.BLANK, CardState.INSPECT)])

    def _text(self) -> str:
        return self.query_one("#verify-path", Input).value.strip()

    @on(Button.Pressed, "#verify-seal")
    @on(Input.Submitted, "#verify-path")
    def _seal(self) -> None:
        text = self._text()
        if text.startswith("SSR1:"):
            self._run("receipt", text)
        elif text:
            self._run("seal-file", text)

    @on(Button.Pressed, "#verify-receipt")
    def _receipt(self) -> None:
        if self._text():
            self._run("receipt", self._text())

    @on(OptionList.OptionSelected, "#verify-cards")
    def _card(self, event: OptionList.OptionSelected) -> None:
        card = next((c for c in self.station.cards if c.serial == event.option.id), None)
        if card is None:
            return

        def got(pin: str | None) -> None:
            if pin:
                self._run("seal-card", card.serial, pin)

        self.app.push_screen(PinModal(card, collect=True), got)

    def _run(self, kind: str, target: str, pin: str = "") -> None:
        self.query_one("#verify-result", Static).update(self.station.tr("verify.working"))
        self._worker(kind, target, pin)

    def _worker(self, kind: str, target: str, pin: str) -> None:
        from station import checking

        session = self.station.session

        def check() -> checking.Verdict:
            if kind == "seal-card":
                return checking.verify_seal_card(session, target, pin)
            if kind == "receipt":
                return checking.verify_receipt_text(session, target)
            return checking.verify_seal_file(session, Path(target))

        self.run_work(check, self.show, failed=self._failed, group="card")

    def _failed(self, exc: StationError) -> None:
        self.query_one("#verify-result", Static).update("")
        self.station.show_error(exc)

    def show(self, v: Any) -> None:
        tr = self.station.tr
        self.verdict = v
        head = tr("verify.valid") if v.valid else tr("verify.invalid")
        rows = [(tr("verify.f.kind"), tr(f"verify.kind.{v.kind}")), (tr("verify.f.signer"), v.signer),
                (tr("verify.f.name"), v.name), (tr("verify.f.time"), v.time),
                (tr("verify.f.method"), v.method), (tr("verify.f.status"), v.status)]
        lines = [f"[b]{escape(head)}[/b]"] + [f"[b]{escape(k)}[/b]  {escape(str(x))}" for k, x in rows]
        lines += [f"[red]{escape(tr('verify.problem'))}[/red]  {escape(p)}" for p in v.problems]
        lines += [f"[yellow]{escape(tr('verify.warning'))}[/yellow]  {escape(w)}" for w in v.warnings]
        self.query_one("#verify-result", Static).update("\n".join(lines))

    def action_back(self) -> None:
        self.app.pop_screen()
