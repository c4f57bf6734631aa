"""The making ceremony wizard: seal card → application → review → recipient's PIN → supervisors →
writing → done.

The officer is already logged in (home screen). Nothing is signed or written before the
"write" step, so Escape cancels safely at every step before it; during writing the
keys are ignored until the card work ends (completed or rolled back by the service).
PINs collected for the seal card, its recipient and the supervisors live only in this screen's memory
and are dropped when it closes.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (Button, Checkbox, ContentSwitcher, Footer, Header, Input, Label, OptionList, ProgressBar,
                             Static)
from textual.widgets.option_list import Option

from screens.ceremony_pin import RecipientPin
from screens.pin import PinModal
from screens.widgets.base import StationScreen, escape, failure_text, plain
from screens.widgets.cards import CardTable, common_name
from station import making
from station.errors import CardAbsentError, StationError
from station.model import CardState, CardView, Role
from station.validation import seal_kind_name

__all__ = ["CeremonyScreen"]

STEP_KEYS = ("card", "application", "review", "newpin", "supervisor", "writing", "done")
NARROW = 110  # below this width the step bar shows numbers and the card panel hides
SLOW = 0.2  # card work longer than this shows a loading state

T = TypeVar("T")


class CeremonyScreen(StationScreen[None]):
    CSS_PATH = "ceremony.tcss"
    BINDINGS = [Binding("escape", "cancel", "key.cancel"), Binding("escape", "close", "key.close"),
                Binding("ctrl+w", "write", "cer.key.write"), Binding("f5", "rescan", "key.refresh")]

    def __init__(self, application_id: int | None = None) -> None:
        super().__init__()
        self.preset_application = application_id
        self.seal_card: CardView | None = None
        self.seal_pin: str | None = None
        self.new_pin: str | None = None  # the recipient's PIN for the seal card; None keeps the initial
        self.application_id: int | None = application_id
        self.review_data: making.Review | None = None
        self.cosigners: list[tuple[str, str]] = []
        self.made: making.MadeSeal | None = None
        self.busy = False
        self.seal_missing = False

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
                with Vertical(id="review"):
                    with VerticalScroll(id="cer-review-scroll"):
                        yield Label(tr("cer.review.title"), classes="section")
                        yield Static("", id="cer-review")
                        yield Static("", id="cer-preview")
                    yield Label(tr("cer.f.functions"), id="cer-functions-label")
                    with Horizontal(id="cer-functions"):  # nothing granted unless ticked
                        for f in making.FUNCTIONS:
                            yield Checkbox(tr(f"function.{f}"), False, id=f"cer-fn-{f}")
                    yield Label(tr("cer.f.recipient"), id="cer-recipient-label")
                    with Horizontal(id="cer-review-bar"):
                        yield Input(placeholder=tr("cer.f.recipient_short"), id="cer-recipient", max_length=64)
                        yield Button(tr("cer.review.confirm"), variant="primary", id="cer-confirm")
                yield RecipientPin(tr, id="newpin")
                with Vertical(id="supervisor"):
                    yield Label(tr("cer.sup.prompt"), classes="section", id="cer-sup-prompt")
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

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "narrow")
        self._render_steps()

    def relabel(self) -> None:
        self._render_steps()

    @property
    def step(self) -> str:
        return self.query_one(ContentSwitcher).current or "card"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer shows only what works now: no Cancel while writing or when done."""
        step = self.step
        if action == "cancel":
            return step not in ("writing", "done")
        if action == "close":
            return step == "done"
        if action == "write":
            if step != "supervisor":
                return False
            return None if self.query_one("#cer-write", Button).disabled else True
        return True

    def goto(self, step: str) -> None:
        self.query_one(ContentSwitcher).current = step
        self._render_steps()
        self.refresh_bindings()
        self.error("")
        focus = {"card": "#cer-cards", "application": "#cer-apps", "review": "#cer-recipient",
                 "newpin": "#cer-newpin", "supervisor": "#cer-sups", "done": "#cer-receipt"}.get(step)
        if focus:
            self.query_one(focus).focus()
        if step == "application":
            self._load_applications()

    def _render_steps(self) -> None:
        tr = self.station.tr
        current = self.step
        narrow = self.size.width and self.size.width < NARROW
        keys = ("officer", *STEP_KEYS)
        parts, seen = [], True
        for n, key in enumerate(keys, 1):
            label = tr(f"cer.step.{key}")
            if key == current:
                parts.append(f"[b reverse] {n} {label} [/]")
                seen = False
            elif narrow:
                parts.append(f"{n}✓" if seen else f"{n}")
            else:
                parts.append(("✓ " if seen else "· ") + label)
        self.query_one("#steps", Static).update((" " if narrow else "  →  ").join(parts))

    def card_work(self, call: Callable[[], T], then: Callable[[T], Any], *,
                  failed: Callable[[StationError], Any] | None = None) -> None:
        """Card work with a loading state once it takes longer than :data:`SLOW`."""
        main = self.query_one("#cer-main")
        timer = self.set_timer(SLOW, lambda: setattr(main, "loading", True))

        def finish() -> None:
            timer.stop()
            main.loading = False

        def ok(result: T) -> None:
            finish()
            then(result)

        def bad(exc: StationError) -> None:
            finish()
            (failed or self.fail)(exc)

        self.run_work(call, ok, failed=bad, group="card")

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
        """Cards come and go live; the seal card going away mid-ceremony is said once, plainly."""
        self.query_one(CardTable).show(cards)
        _fill(self.query_one("#cer-cards", OptionList),
              [Option(plain(f"{c.label}  {c.serial}  {common_name(c.subject)}"), id=c.serial)
               for c in cards if c.state is CardState.BLANK])
        done = {s for s, _ in self.cosigners}
        _fill(self.query_one("#cer-sups", OptionList),
              [Option(plain(("✓ " if c.serial in done else "") + f"{c.label}  {c.serial}"), id=c.serial)
               for c in cards if c.role is Role.SUPERVISOR])
        present = {c.serial for c in cards}
        if self.seal_card is not None and self.step in ("review", "newpin", "supervisor"):
            missing = self.seal_card.serial not in present
            if missing != self.seal_missing:
                self.seal_missing = missing
                self.error(self.station.tr("cer.card_missing", serial=self.seal_card.serial) if missing else "")

    def action_rescan(self) -> None:
        self.station.rescan()

    def _card(self, serial: str) -> CardView | None:
        return next((c for c in self.station.cards if c.serial == serial), None)

    # -- step 1: seal card -----------------------------------------------------------------
    @on(OptionList.OptionSelected, "#cer-cards")
    def _card_chosen(self, event: OptionList.OptionSelected) -> None:
        card = self._card(event.option.id or "")
        if card is None:
            return
        session, preset = self.station.session, self.preset_application
        self.error(self.station.tr("cer.prechecking"))
        self.card_work(lambda: making.precheck_seal_card(session, card.serial, preset),
                       lambda _: self._ask_seal_pin(card))

    def _ask_seal_pin(self, card: CardView) -> None:
        """The PIN is asked only once everything that needs no PIN has passed."""
        self.error("")

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
        self.card_work(lambda: applications.list_(session, state="approved"), self._show_applications)

    def _show_applications(self, apps: list[Any]) -> None:
        options = self.query_one("#cer-apps", OptionList)
        options.clear_options()
        lang = "zh" if self.station.tr.lang == "zh_CN" else "en"
        _fill(options, [Option(plain(f"#{a.id}  {a.unit} · {a.seal_name}  ({seal_kind_name(a.seal_kind, lang)})"),
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
        self.card_work(lambda: making.review(session, application_id, serial, pin), self._show_review,
                       failed=self._review_failed)

    def _review_failed(self, exc: StationError) -> None:
        self.seal_card = self.seal_pin = None
        self.goto("card")
        self.fail(exc)

    def _show_review(self, r: making.Review) -> None:
        tr = self.station.tr
        self.review_data = r
        a, c = r.application, r.card
        rows = [
            (tr("cer.f.esid"), r.esid),
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
        if not self.functions():
            self.error(self.station.tr("cer.f.functions_needed"))
            self.query_one("#cer-fn-office").focus()
            return
        self.new_pin = None
        self.query_one(RecipientPin).prepare(self.recipient(), self.seal_card.serial if self.seal_card else "",
                                             self.seal_pin)
        self.goto("newpin")

    # -- step 4: the recipient's PIN -----------------------------------------------------------
    @on(RecipientPin.Chosen)
    def _pin_chosen(self, event: RecipientPin.Chosen) -> None:
        self.new_pin = event.pin
        self.query_one(RecipientPin).forget()
        self.goto("supervisor")
        self._sup_status()

    # -- step 5: supervisors ---------------------------------------------------------------
    def _sup_status(self) -> None:
        tr = self.station.tr
        quorum = self.station.session.config.quorum
        self.query_one("#cer-sup-status", Static).update(
            tr("cer.sup.status", n=len(self.cosigners), quorum=quorum) + "\n"
            + tr("cer.newpin.chosen" if self.new_pin else "cer.newpin.skipped"))
        self.query_one("#cer-write", Button).disabled = len(self.cosigners) < quorum
        self.show_cards(self.station.cards)
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#cer-sups")
    def _sup_chosen(self, event: OptionList.OptionSelected) -> None:
        card = self._card(event.option.id or "")
        if card is None or card.serial in {s for s, _ in self.cosigners}:
            return

        def got(pin: str | None) -> None:
            if pin:
                self.error(self.station.tr("cer.sup.checking"))
                self._check_supervisor(card.serial, pin)

        self.app.push_screen(PinModal(card, collect=True, summary=self.summary()), got)

    def summary(self) -> list[tuple[str, str]]:
        """What a supervisor authorizes, kept in sight while they type their PIN."""
        tr = self.station.tr
        r = self.review_data
        if r is None or self.seal_card is None:
            return []
        return [(tr("cer.f.unit"), r.application.unit), (tr("cer.f.name"), r.application.seal_name),
                (tr("cer.f.esid"), r.esid), (tr("cer.f.card"), f"{self.seal_card.label} ({self.seal_card.serial})"),
                (tr("cer.f.recipient_short"), self.recipient())]

    def _check_supervisor(self, serial: str, pin: str) -> None:
        """The supervisor's card and PIN are checked at once, not only when signing."""
        session, others = self.station.session, [s for s, _ in self.cosigners]
        self.card_work(lambda: making.check_supervisor(session, serial, pin, others),
                       lambda _: self._supervisor_ok(serial, pin))

    def _supervisor_ok(self, serial: str, pin: str) -> None:
        self.error("")
        self.cosigners.append((serial, pin))
        self._sup_status()
        if not self.query_one("#cer-write", Button).disabled:
            self.query_one("#cer-write").focus()

    # -- step 6: writing -------------------------------------------------------------------
    def action_write(self) -> None:
        if self.step == "supervisor" and not self.query_one("#cer-write", Button).disabled:
            self._write()

    @on(Button.Pressed, "#cer-write")
    def _write(self) -> None:
        if self.seal_card is not None and self._card(self.seal_card.serial) is None:
            self.seal_missing = True  # nothing is signed while the seal card is out
            self.error(self.station.tr("cer.card_missing", serial=self.seal_card.serial))
            return
        self.busy = True
        self.goto("writing")
        self._write_worker()

    def _write_worker(self) -> None:
        assert self.seal_card and self.seal_pin and self.application_id is not None
        session, application_id, serial, pin = (self.station.session, self.application_id, self.seal_card.serial,
                                                self.seal_pin)
        new_pin = self.new_pin
        supervisors = [(s, (lambda p=p: p)) for s, p in self.cosigners]
        recipient = self.recipient()
        functions = self.functions()

        def write() -> making.MadeSeal:
            return making.make_seal(
                session, application_id=application_id, seal_card=serial, seal_pin=pin, supervisors=supervisors,
                recipient=recipient, functions=functions, new_pin=new_pin,
                progress=lambda step: self.from_thread(self._progress, step))

        self.run_work(write, self._written, failed=self._write_failed, group="card")

    def recipient(self) -> str:
        return self.query_one("#cer-recipient", Input).value.strip()

    def functions(self) -> list[str]:
        """The functions the officer ticked: the seal carries these and no others."""
        return [f for f in making.FUNCTIONS if self.query_one(f"#cer-fn-{f}", Checkbox).value]

    def _progress(self, step: str) -> None:
        self.query_one(ProgressBar).update(progress=making.STEPS.index(step) + 1)
        self.query_one("#cer-step", Static).update(self.station.tr(f"cer.progress.{step}"))

    def _write_failed(self, exc: StationError) -> None:
        """A card pulled before anything was written keeps the co-authorizations: they
        are still valid, and signing repeats once the card is back."""
        if isinstance(exc, CardAbsentError) and self.review_data is not None:
            self.busy = False
            self.goto("supervisor")
            self._sup_status()
            self.error(self.station.tr("cer.card_gone", reason=exc.message))
            return
        self.cosigners.clear()
        self.goto("review" if self.review_data else "card")
        self.fail(exc)

    def _written(self, made: making.MadeSeal) -> None:
        self.busy = False
        self.made = made
        self.seal_pin = self.new_pin = None
        self.cosigners.clear()
        tr = self.station.tr
        self.query_one("#cer-done", Static).update(
            tr("cer.done.body", esid=made.esid, card=made.card_serial, recipient=made.recipient) + "\n"
            + tr("receipt.pin") + ": " + tr("pin.state.recipient" if made.pin_set else "pin.state.initial"))
        self.goto("done")
        problems = []
        if made.pin_error is not None:
            problems.append(tr("cer.done.pin_failed", reason=made.pin_error.message))
        if made.receipt_error is not None:
            problems.append(tr("cer.done.no_receipt", reason=made.receipt_error.message))
        self.error(" ".join(problems))
        self.station.rescan()

    # -- step 7: done, batch -----------------------------------------------------------------
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
        self.card_work(lambda: making.next_application(session, unit), self._start_next)

    def _start_next(self, following: Any) -> None:
        if following is None:
            self.error(self.station.tr("cer.done.no_next"))
            return
        self.preset_application = following.id
        self.seal_card = self.seal_pin = self.new_pin = self.review_data = self.made = None
        self.goto("card")

    def action_close(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#cer-close")
    def action_cancel(self) -> None:
        if self.busy:
            self.app.bell()
            return
        self.seal_pin = self.new_pin = None
        self.query_one(RecipientPin).forget()
        self.cosigners.clear()
        self.dismiss()


def _fill(options: OptionList, items: list[Option]) -> None:
    """Replace a list's options, keeping the highlighted one, else the first."""
    current = options.highlighted_option.id if options.highlighted_option is not None else None
    options.clear_options()
    options.add_options(items)
    ids = [o.id for o in items]
    if items:
        options.highlighted = ids.index(current) if current in ids else 0
