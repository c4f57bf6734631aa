"""The making ceremony wizard: seal card → application → review → supervisors → writing → done.

The officer is already logged in (home screen). Nothing is signed or written before the
"write" step, so Escape cancels safely at every step before it; during writing the
keys are ignored until the card work ends (completed or rolled back by the service).
PINs collected for the seal card and the supervisors live only in this screen's memory
and are dropped when it closes.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (Button, ContentSwitcher, Footer, Header, Input, Label, OptionList, ProgressBar,
                             Static)
from textual.widgets.option_list import Option

from screens.pin import PinModal
from screens.widgets.base import StationScreen, escape, failure_text
from screens.widgets.cards import CardTable
from station import making
from station.errors import StationError
from station.model import CardState, CardView, Role
from station.validation import seal_kind_name

__all__ = ["CeremonyScreen"]

STEP_KEYS = ("card", "application", "review", "supervisor", "writing", "done")


class CeremonyScreen(StationScreen[None]):
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, application_id: int | None = None) -> None:
        super().__init__()
        self.preset_application = application_id
        self.seal_card: CardView | None = None
        self.seal_pin: str | None = None
        self.application_id: int | None = application_id
        self.review_data: making.Review | None = None
        self.cosigners: list[tuple[str, str]] = []
        self.made: making.MadeSeal | None = None
        self.busy = False

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header()
        yield Static("", id="steps")
        with Horizontal(id="cer-body"):
            with ContentSwitcher(initial="card", id="cer-main"):
                with Vertical(id="card"):
                    yield Label(tr("cer.card.prompt"), classes="section")
                    yield OptionList(id="cer-cards")
                with Vertical(id="application"):
                    yield Label(tr("cer.app.prompt"), classes="section")
                    yield OptionList(id="cer-apps")
                with VerticalScroll(id="review"):
                    yield Label(tr("cer.review.title"), classes="section")
                    yield Static("", id="cer-review")
                    yield Static("", id="cer-preview")
                    yield Input(placeholder=tr("cer.f.recipient"), id="cer-recipient")
                    yield Button(tr("cer.review.confirm"), variant="primary", id="cer-confirm")
                with Vertical(id="supervisor"):
                    yield Label(tr("cer.sup.prompt"), classes="section")
                    yield Static("", id="cer-sup-status")
                    yield OptionList(id="cer-sups")
                    yield Button(tr("cer.sup.write"), variant="warning", id="cer-write", disabled=True)
                with Vertical(id="writing"):
                    yield Label(tr("cer.writing.title"), classes="section")
                    yield ProgressBar(total=len(making.STEPS), id="cer-progress", show_eta=False)
                    yield Static("", id="cer-step")
                with Vertical(id="done"):
                    yield Label(tr("cer.done.title"), classes="section")
                    yield Static("", id="cer-done")
                    with Horizontal(id="cer-done-buttons"):
                        yield Button(tr("cer.done.receipt"), variant="primary", id="cer-receipt")
                        yield Button(tr("cer.done.next"), id="cer-next")
                        yield Button(tr("cer.done.close"), id="cer-close")
            with Vertical(id="cer-side"):
                yield Label(tr("cards.title"), classes="section")
                yield CardTable(tr, id="cer-card-table")
        yield Static("", id="cer-error")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.show_cards(self.station.cards)
        self.goto("card")

    def relabel(self) -> None:
        self._render_steps()

    def goto(self, step: str) -> None:
        self.query_one(ContentSwitcher).current = step
        self._render_steps()
        self.error("")
        focus = {"card": "#cer-cards", "application": "#cer-apps", "review": "#cer-confirm",
                 "supervisor": "#cer-sups", "done": "#cer-receipt"}.get(step)
        if focus:
            self.query_one(focus).focus()
        if step == "application":
            self._load_applications()

    def _render_steps(self) -> None:
        tr = self.station.tr
        current = self.query_one(ContentSwitcher).current
        parts = [f"✓ {tr('cer.step.officer')}"]
        seen = True
        for key in STEP_KEYS:
            label = tr(f"cer.step.{key}")
            if key == current:
                parts.append(f"[b reverse] {label} [/]")
                seen = False
            else:
                parts.append(("✓ " if seen else "· ") + label)
        self.query_one("#steps", Static).update("  →  ".join(parts))

    def error(self, text: str) -> None:
        self.query_one("#cer-error", Static).update(text)

    def fail(self, exc: StationError) -> None:
        self.busy = False
        self.error(failure_text(exc, sep=" — ", markup=True))

    def show_failure(self, exc: StationError) -> None:
        """The wizard shows every failure on its own error line, under the step."""
        self.fail(exc)

    # -- live cards ----------------------------------------------------------------------
    def show_cards(self, cards: list[CardView]) -> None:
        self.query_one(CardTable).show(cards)
        blank = self.query_one("#cer-cards", OptionList)
        blank.clear_options()
        blank.add_options([Option(Text(f"{c.label}  {c.serial}  {c.subject[:40]}"), id=c.serial)
                           for c in cards if c.state is CardState.BLANK])
        sups = self.query_one("#cer-sups", OptionList)
        sups.clear_options()
        done = {s for s, _ in self.cosigners}
        sups.add_options([Option(Text(("✓ " if c.serial in done else "") + f"{c.label}  {c.serial}"), id=c.serial)
                          for c in cards if c.role is Role.SUPERVISOR])

    def _card(self, serial: str) -> CardView | None:
        return next((c for c in self.station.cards if c.serial == serial), None)

    # -- step 1: seal card -----------------------------------------------------------------
    @on(OptionList.OptionSelected, "#cer-cards")
    def _card_chosen(self, event: OptionList.OptionSelected) -> None:
        card = self._card(event.option.id or "")
        if card is None:
            return

        def got(pin: str | None) -> None:
            if pin:
                self.seal_card, self.seal_pin = card, pin
                if self.preset_application is not None:
                    self._review(self.preset_application)
                else:
                    self.goto("application")

        self.app.push_screen(PinModal(card, collect=True), got)

    # -- step 2: application -----------------------------------------------------------------
    def _load_applications(self) -> None:
        from station import applications

        session = self.station.session
        self.run_work(lambda: applications.list_(session, state="approved"), self._show_applications,
                      group="card")

    def _show_applications(self, apps: list[Any]) -> None:
        options = self.query_one("#cer-apps", OptionList)
        options.clear_options()
        lang = "zh" if self.station.tr.lang == "zh_CN" else "en"
        options.add_options([Option(Text(f"#{a.id}  {a.unit} · {a.seal_name}  ({seal_kind_name(a.seal_kind, lang)})"),
                                    id=str(a.id)) for a in apps])
        if not apps:
            self.error(self.station.tr("cer.app.none"))

    @on(OptionList.OptionSelected, "#cer-apps")
    def _app_chosen(self, event: OptionList.OptionSelected) -> None:
        self._review(int(event.option.id or 0))

    # -- step 3: review --------------------------------------------------------------------
    def _review(self, application_id: int) -> None:
        self.application_id = application_id
        self.error(self.station.tr("cer.checking"))
        self._review_worker(application_id)

    def _review_worker(self, application_id: int) -> None:
        assert self.seal_card is not None and self.seal_pin is not None
        session, serial, pin = self.station.session, self.seal_card.serial, self.seal_pin
        self.run_work(lambda: making.review(session, application_id, serial, pin), self._show_review,
                      failed=self._review_failed, group="card")

    def _review_failed(self, exc: StationError) -> None:
        self.seal_card = self.seal_pin = None
        self.goto("card")
        self.fail(exc)

    def _show_review(self, r: making.Review) -> None:
        tr = self.station.tr
        self.review_data = r
        a, c = r.application, r.card
        rows = [
            (tr("cer.f.name"), a.seal_name),
            (tr("cer.f.kind"), seal_kind_name(a.seal_kind, "zh" if tr.lang == "zh_CN" else "en")),
            (tr("cer.f.unit"), a.unit),
            (tr("cer.f.credit"), a.credit_code or a.holder_id or "—"),
            (tr("cer.f.validity"), f"{r.valid_start:%Y-%m-%d %H:%M} – {r.valid_end:%Y-%m-%d %H:%M} UTC"),
            (tr("cer.f.size"), f"{r.impression.width_mm} × {r.impression.height_mm} mm"),
            (tr("cer.f.card"), f"{c.label} ({c.serial})"), (tr("cer.f.subject"), c.subject),
            (tr("cer.f.matched"), c.matched or "—"),
            (tr("cer.f.issuer"), c.issuer), (tr("cer.f.certserial"), c.cert_serial),
            (tr("cer.f.certvalid"), f"{c.not_before:%Y-%m-%d} – {c.not_after:%Y-%m-%d}"),
        ]
        self.query_one("#cer-review", Static).update("\n".join(f"[b]{k}[/b]  {escape(v)}" for k, v in rows))
        from screens.widgets.impression import halfblock_text

        self.query_one("#cer-preview", Static).update(halfblock_text(r.picture, 28))
        self.query_one("#cer-recipient", Input).value = a.holder_name or ""
        self.goto("review")

    @on(Button.Pressed, "#cer-confirm")
    @on(Input.Submitted, "#cer-recipient")
    def _confirmed(self) -> None:
        if not self.recipient():
            self.error(self.station.tr("cer.f.recipient_needed"))
            self.query_one("#cer-recipient").focus()
            return
        self.goto("supervisor")
        self._sup_status()

    # -- step 4: supervisors ---------------------------------------------------------------
    def _sup_status(self) -> None:
        quorum = self.station.session.config.quorum
        self.query_one("#cer-sup-status", Static).update(
            self.station.tr("cer.sup.status", n=len(self.cosigners), quorum=quorum))
        self.query_one("#cer-write", Button).disabled = len(self.cosigners) < quorum
        self.show_cards(self.station.cards)

    @on(OptionList.OptionSelected, "#cer-sups")
    def _sup_chosen(self, event: OptionList.OptionSelected) -> None:
        card = self._card(event.option.id or "")
        if card is None or card.serial in {s for s, _ in self.cosigners}:
            return

        def got(pin: str | None) -> None:
            if pin:
                self.error(self.station.tr("cer.checking"))
                self._check_supervisor(card.serial, pin)

        self.app.push_screen(PinModal(card, collect=True), got)

    def _check_supervisor(self, serial: str, pin: str) -> None:
        """The supervisor's card and PIN are checked at once, not only when signing."""
        session, others = self.station.session, [s for s, _ in self.cosigners]
        self.run_work(lambda: making.check_supervisor(session, serial, pin, others),
                      lambda _: self._supervisor_ok(serial, pin), group="card")

    def _supervisor_ok(self, serial: str, pin: str) -> None:
        self.error("")
        self.cosigners.append((serial, pin))
        self._sup_status()
        if not self.query_one("#cer-write", Button).disabled:
            self.query_one("#cer-write").focus()

    # -- step 5: writing -------------------------------------------------------------------
    @on(Button.Pressed, "#cer-write")
    def _write(self) -> None:
        self.busy = True
        self.goto("writing")
        self._write_worker()

    def _write_worker(self) -> None:
        assert self.seal_card and self.seal_pin and self.application_id is not None
        session, application_id, serial, pin = (self.station.session, self.application_id, self.seal_card.serial,
                                                self.seal_pin)
        supervisors = [(s, (lambda p=p: p)) for s, p in self.cosigners]
        recipient = self.recipient()

        def write() -> making.MadeSeal:
            return making.make_seal(
                session, application_id=application_id, seal_card=serial, seal_pin=pin, supervisors=supervisors,
                recipient=recipient, progress=lambda step: self.from_thread(self._progress, step))

        self.run_work(write, self._written, failed=self._write_failed, group="card")

    def recipient(self) -> str:
        return self.query_one("#cer-recipient", Input).value.strip()

    def _progress(self, step: str) -> None:
        self.query_one(ProgressBar).update(progress=making.STEPS.index(step) + 1)
        self.query_one("#cer-step", Static).update(self.station.tr(f"cer.progress.{step}"))

    def _write_failed(self, exc: StationError) -> None:
        self.cosigners.clear()
        self.goto("review" if self.review_data else "card")
        self.fail(exc)

    def _written(self, made: making.MadeSeal) -> None:
        self.busy = False
        self.made = made
        self.seal_pin = None
        self.cosigners.clear()
        self.query_one("#cer-done", Static).update(self.station.tr(
            "cer.done.body", esid=made.esid, card=made.card_serial, recipient=made.recipient))
        self.goto("done")
        if made.receipt_error is not None:
            self.error(self.station.tr("cer.done.no_receipt", reason=made.receipt_error.message))
        self.station.rescan()

    # -- step 6: done, batch -----------------------------------------------------------------
    @on(Button.Pressed, "#cer-receipt")
    def _receipt(self) -> None:
        if self.made is not None:
            self.station.show_receipt(self.made.esid)

    @on(Button.Pressed, "#cer-next")
    def _next(self) -> None:
        self._next_worker()

    def _next_worker(self) -> None:
        unit = self.review_data.application.unit if self.review_data else ""
        session = self.station.session
        self.run_work(lambda: making.next_application(session, unit), self._start_next, group="card")

    def _start_next(self, following: Any) -> None:
        if following is None:
            self.error(self.station.tr("cer.done.no_next"))
            return
        self.preset_application = following.id
        self.seal_card = self.seal_pin = self.review_data = self.made = None
        self.goto("card")

    @on(Button.Pressed, "#cer-close")
    def action_cancel(self) -> None:
        if self.busy:
            self.app.bell()
            return
        self.seal_pin = None
        self.cosigners.clear()
        self.dismiss()
