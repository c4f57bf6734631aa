"""The making ceremony wizard: seal card → application → review → supervisors → writing → done.

The officer is already logged in (home screen). Nothing is signed or written before the
"write" step, so Escape cancels safely at every step before it; during writing the
keys are ignored until the card work ends (completed or rolled back by the service).
PINs collected for the seal card and the supervisors live only in this screen's memory
and are dropped when it closes.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (Button, Checkbox, ContentSwitcher, Footer, Header, Input, Label, OptionList,
                             ProgressBar, Static)
from textual.widgets.option_list import Option

from screens.pin import PinModal
from screens.widgets.cards import CardTable
from station import making
from station.errors import StationError
from station.model import CardState, CardView, Role
from station.validation import seal_kind_name

__all__ = ["CeremonyScreen"]

STEP_KEYS = ("card", "application", "review", "supervisor", "writing", "done")


class CeremonyScreen(Screen):
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
        tr = self.app.tr  # type: ignore[attr-defined]
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
                    yield Label(tr("cer.f.functions"), classes="section")
                    with Horizontal(id="cer-functions"):  # nothing granted unless ticked
                        for f in making.FUNCTIONS:
                            yield Checkbox(tr(f"function.{f}"), False, id=f"cer-fn-{f}")
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
        self.app.localize(self)  # type: ignore[attr-defined]
        self.show_cards(self.app.cards)  # type: ignore[attr-defined]
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
        tr = self.app.tr  # type: ignore[attr-defined]
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
        self.error(f"[b]{exc.title}[/b]: {exc.message}" + (f" — {exc.hint}" if exc.hint else ""))

    # -- live cards ----------------------------------------------------------------------
    def show_cards(self, cards: list[CardView]) -> None:
        self.query_one(CardTable).show(cards)
        blank = self.query_one("#cer-cards", OptionList)
        blank.clear_options()
        blank.add_options([Option(f"{c.label}  {c.serial}  {c.subject[:40]}", id=c.serial)
                           for c in cards if c.state is CardState.BLANK])
        sups = self.query_one("#cer-sups", OptionList)
        sups.clear_options()
        done = {s for s, _ in self.cosigners}
        sups.add_options([Option(("✓ " if c.serial in done else "") + f"{c.label}  {c.serial}", id=c.serial)
                          for c in cards if c.role is Role.SUPERVISOR])

    def _card(self, serial: str) -> CardView | None:
        return next((c for c in self.app.cards if c.serial == serial), None)  # type: ignore[attr-defined]

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
    @work(thread=True, exclusive=True, group="card")
    def _load_applications(self) -> None:
        from station import applications

        try:
            apps = applications.list_(self.app.session, state="approved")  # type: ignore[attr-defined]
        except StationError as exc:
            self.app.call_from_thread(self.fail, exc)
            return
        self.app.call_from_thread(self._show_applications, apps)

    def _show_applications(self, apps: list[Any]) -> None:
        options = self.query_one("#cer-apps", OptionList)
        options.clear_options()
        lang = "zh" if self.app.tr.lang == "zh_CN" else "en"  # type: ignore[attr-defined]
        options.add_options([Option(f"#{a.id}  {a.unit} · {a.seal_name}  ({seal_kind_name(a.seal_kind, lang)})",
                                    id=str(a.id)) for a in apps])
        if not apps:
            self.error(self.app.tr("cer.app.none"))  # type: ignore[attr-defined]

    @on(OptionList.OptionSelected, "#cer-apps")
    def _app_chosen(self, event: OptionList.OptionSelected) -> None:
        self._review(int(event.option.id or 0))

    # -- step 3: review --------------------------------------------------------------------
    def _review(self, application_id: int) -> None:
        self.application_id = application_id
        self.error(self.app.tr("cer.checking"))  # type: ignore[attr-defined]
        self._review_worker(application_id)

    @work(thread=True, exclusive=True, group="card")
    def _review_worker(self, application_id: int) -> None:
        assert self.seal_card is not None and self.seal_pin is not None
        try:
            data = making.review(self.app.session, application_id, self.seal_card.serial,  # type: ignore[attr-defined]
                                 self.seal_pin)
        except StationError as exc:
            self.app.call_from_thread(self._review_failed, exc)
            return
        self.app.call_from_thread(self._show_review, data)

    def _review_failed(self, exc: StationError) -> None:
        self.seal_card = self.seal_pin = None
        self.goto("card")
        self.fail(exc)

    def _show_review(self, r: making.Review) -> None:
        tr = self.app.tr  # type: ignore[attr-defined]
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
            (tr("cer.f.issuer"), c.issuer), (tr("cer.f.certserial"), c.cert_serial),
            (tr("cer.f.certvalid"), f"{c.not_before:%Y-%m-%d} – {c.not_after:%Y-%m-%d}"),
        ]
        self.query_one("#cer-review", Static).update("\n".join(f"[b]{k}[/b]  {v}" for k, v in rows))
        from screens.widgets.impression import halfblock_text

        self.query_one("#cer-preview", Static).update(halfblock_text(r.picture, 28))
        self.query_one("#cer-recipient", Input).value = a.holder_name or ""
        self.goto("review")

    @on(Button.Pressed, "#cer-confirm")
    @on(Input.Submitted, "#cer-recipient")
    def _confirmed(self) -> None:
        if not self.recipient():
            self.error(self.app.tr("cer.f.recipient_needed"))  # type: ignore[attr-defined]
            self.query_one("#cer-recipient").focus()
            return
        if not self.functions():
            self.error(self.app.tr("cer.f.functions_needed"))  # type: ignore[attr-defined]
            self.query_one("#cer-fn-office").focus()
            return
        self.goto("supervisor")
        self._sup_status()

    # -- step 4: supervisors ---------------------------------------------------------------
    def _sup_status(self) -> None:
        quorum = self.app.session.config.quorum  # type: ignore[attr-defined]
        self.query_one("#cer-sup-status", Static).update(
            self.app.tr("cer.sup.status", n=len(self.cosigners), quorum=quorum))  # type: ignore[attr-defined]
        self.query_one("#cer-write", Button).disabled = len(self.cosigners) < quorum
        self.show_cards(self.app.cards)  # type: ignore[attr-defined]

    @on(OptionList.OptionSelected, "#cer-sups")
    def _sup_chosen(self, event: OptionList.OptionSelected) -> None:
        card = self._card(event.option.id or "")
        if card is None or card.serial in {s for s, _ in self.cosigners}:
            return

        def got(pin: str | None) -> None:
            if pin:
                self.error(self.app.tr("cer.checking"))  # type: ignore[attr-defined]
                self._check_supervisor(card.serial, pin)

        self.app.push_screen(PinModal(card, collect=True), got)

    @work(thread=True, exclusive=True, group="card")
    def _check_supervisor(self, serial: str, pin: str) -> None:
        """The supervisor's card and PIN are checked at once, not only when signing."""
        try:
            making.check_supervisor(self.app.session, serial, pin,  # type: ignore[attr-defined]
                                    [s for s, _ in self.cosigners])
        except StationError as exc:
            self.app.call_from_thread(self.fail, exc)
            return
        self.app.call_from_thread(self._supervisor_ok, serial, pin)

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

    @work(thread=True, exclusive=True, group="card")
    def _write_worker(self) -> None:
        assert self.seal_card and self.seal_pin and self.application_id is not None
        session = self.app.session  # type: ignore[attr-defined]
        try:
            made = making.make_seal(
                session, application_id=self.application_id, seal_card=self.seal_card.serial,
                seal_pin=self.seal_pin, supervisors=[(s, (lambda p=p: p)) for s, p in self.cosigners],
                recipient=self.recipient(), functions=self.functions(), progress=lambda step: self.app.call_from_thread(self._progress, step))
        except StationError as exc:
            self.app.call_from_thread(self._write_failed, exc)
            return
        self.app.call_from_thread(self._written, made)

    def recipient(self) -> str:
        return self.query_one("#cer-recipient", Input).value.strip()

    def functions(self) -> list[str]:
        """The functions the officer ticked: the seal carries these and no others."""
        return [f for f in making.FUNCTIONS if self.query_one(f"#cer-fn-{f}", Checkbox).value]

    def _progress(self, step: str) -> None:
        self.query_one(ProgressBar).update(progress=making.STEPS.index(step) + 1)
        self.query_one("#cer-step", Static).update(self.app.tr(f"cer.progress.{step}"))  # type: ignore[attr-defined]

    def _write_failed(self, exc: StationError) -> None:
        self.cosigners.clear()
        self.goto("review" if self.review_data else "card")
        self.fail(exc)

    def _written(self, made: making.MadeSeal) -> None:
        self.busy = False
        self.made = made
        self.seal_pin = None
        self.cosigners.clear()
        self.query_one("#cer-done", Static).update(self.app.tr(  # type: ignore[attr-defined]
            "cer.done.body", esid=made.esid, card=made.card_serial, recipient=made.recipient))
        self.goto("done")
        if made.receipt_error is not None:
            self.error(self.app.tr(  # type: ignore[attr-defined]
                "cer.done.no_receipt", reason=made.receipt_error.message))
        self.app.rescan()  # type: ignore[attr-defined]

    # -- step 6: done, batch -----------------------------------------------------------------
    @on(Button.Pressed, "#cer-receipt")
    def _receipt(self) -> None:
        if self.made is not None and hasattr(self.app, "show_receipt"):
            self.app.show_receipt(self.made.esid)  # type: ignore[attr-defined]

    @on(Button.Pressed, "#cer-next")
    def _next(self) -> None:
        self._next_worker()

    @work(thread=True, exclusive=True, group="card")
    def _next_worker(self) -> None:
        unit = self.review_data.application.unit if self.review_data else ""
        nxt = making.next_application(self.app.session, unit)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._start_next, nxt)

    def _start_next(self, nxt: Any) -> None:
        if nxt is None:
            self.error(self.app.tr("cer.done.no_next"))  # type: ignore[attr-defined]
            return
        self.preset_application = nxt.id
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
