"""One seal's life on screen: its record, its events with their receipts, who may use it.

An officer sees the events the seal may go through (freeze, unfreeze or found, report
lost, revoke with the supervisors' cards — the quorum, as for making), authorizes a
person or a role with functions ticked one by one, withdraws an authorization, and wipes
a revoked seal's card when it is in a reader. Every rule is the service's
(:mod:`station.lifecycle`, :mod:`station.authorization`); card and store work runs in
thread workers, and a failure is shown with its title, message and hint.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.pin import PinModal
from screens.reason import ReasonModal
from screens.sourced import RegistrySource, SourcedScreen, short_time
from screens.widgets.base import escape, plain, plain_row
from station.errors import StationError
from station.model import CardState, CardView, RegistrySeal, Role
from station.vocabulary import SealState
from station.validation import seal_kind_name

__all__ = ["SealDetailScreen", "EVENT_BUTTONS"]

EVENT_BUTTONS = (("freeze", "f"), ("unfreeze", "u"), ("report-lost", "l"), ("revoke", "r"))


class SealDetailScreen(SourcedScreen):
    """One seal: record, events, authorizations, receipts; an officer's events."""

    CSS_PATH = "seals.tcss"
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("f5", "reload", "key.refresh")]

    def __init__(self, esid: str, source: RegistrySource | None = None) -> None:
        super().__init__()
        self.esid = esid
        self._source = source
        self.info: Any = None
        self.pending: tuple[str, str] | None = None  # (action, reason) waiting for supervisors
        self.cosigners: list[tuple[str, str]] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        yield Label(tr("seal.title", esid=self.esid), classes="screen-title")
        with VerticalScroll(id="seal-body"):
            yield Static("", id="seal-summary")
            yield Label(tr("seal.events"), classes="section")
            yield DataTable(id="seal-events", cursor_type="row", show_cursor=False)
            yield Label(tr("seal.authorizations"), classes="section")
            yield DataTable(id="seal-auths", cursor_type="row")
            yield Static("", id="seal-receipts")
            with Horizontal(id="seal-actions"):
                for action, _ in EVENT_BUTTONS:
                    yield Button(tr(f"seal.action.{action}"), id=f"seal-{action}", disabled=True,
                                 variant="error" if action == "revoke" else "default")
                yield Button(tr("seal.action.renew"), id="seal-renew", disabled=True)
                yield Button(tr("seal.action.wipe"), id="seal-wipe", disabled=True, variant="warning")
            with Horizontal(id="seal-auth-actions"):
                yield Button(tr("seal.action.authorize"), id="seal-authorize", disabled=True)
                yield Button(tr("seal.action.deauthorize"), id="seal-deauthorize", disabled=True)
            yield Static("", id="seal-sup-status")
            yield OptionList(id="seal-sups")
        yield Static("", id="seal-error")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        tr = self.station.tr
        events = self.query_one("#seal-events", DataTable)
        for key in ("time", "action", "state", "reason", "by", "receipt"):
            events.add_column(tr(f"seal.ev.{key}"), key=key)
        auths = self.query_one("#seal-auths", DataTable)
        for key in ("id", "who", "functions", "granted"):
            auths.add_column(tr(f"seal.auth.{key}"), key=key)
        self.query_one("#seal-sups").display = False
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    def _load(self) -> None:
        source, esid, session, officer = self.source, self.esid, self.station.session, self._officer()

        def load() -> Any:
            if officer:  # a renewal's revocation, or a receipt a pulled card left unsigned
                from station.lifecycle import sign_pending_receipts

                sign_pending_receipts(session)
            return source.status(esid)

        self.run_work(load, self.show)

    def show(self, info: Any) -> None:
        tr = self.station.tr
        self.info = info
        s: RegistrySeal = info.seal
        rows = [(tr("seal.f.state"), tr(f"seal.state.{s.state}") + (f" — {s.state_reason}" if s.state_reason else "")),
                (tr("seal.f.unit"), s.unit), (tr("seal.f.name"), s.name), (tr("seal.f.kind"), seal_kind_name(s.seal_kind, "zh" if tr.lang == "zh_CN" else "en")),
                (tr("seal.f.card"), s.card_serial), (tr("seal.f.recipient"), s.recipient),
                *([(tr("seal.f.pin"), _pin_text(tr, info.pin))] if getattr(info, "pin", None) else []),
                (tr("seal.f.made"), short_time(s.made_at)), (tr("seal.f.valid_end"), short_time(s.valid_end)),
                (tr("seal.f.functions"), ", ".join(tr(f"function.{f}") for f in s.functions) or "—")]
        if s.renews:
            rows.append((tr("seal.f.renews"), s.renews))
        if s.renewed_by:
            rows.append((tr("seal.f.renewed_by"), s.renewed_by))
        self.query_one("#seal-summary", Static).update(
            "\n".join(f"[b]{escape(k)}[/b]  {escape(v)}" for k, v in rows))
        events = self.query_one("#seal-events", DataTable)
        events.clear()
        for e in info.events:
            events.add_row(*plain_row(short_time(e.time), tr(f"seal.action.{e.action}"), tr(f"seal.state.{e.to_state}"),
                                      e.reason, e.actor_name, "✓" if e.receipt else "—"))
        auths = self.query_one("#seal-auths", DataTable)
        auths.clear()
        for a in info.authorizations:
            who = a.role if a.role else f"{a.person} ({a.person_id})"
            auths.add_row(*plain_row(a.id, who + (f" · {tr('seal.auth.auto')}" if a.automatic else ""),
                                     ", ".join(tr(f"function.{f}") for f in a.functions), short_time(a.granted_at)))
        signed = sum(1 for e in info.events if e.receipt) + (1 if info.receipt else 0)
        self.query_one("#seal-receipts", Static).update(tr("seal.receipts", n=signed))
        self._enable()

    def _officer(self) -> bool:
        session = getattr(self.app, "session", None)
        return session is not None and session.actor.role is Role.OFFICER

    def _enable(self) -> None:
        from station.lifecycle import TRANSITIONS

        state = SealState(self.info.seal.state) if self.info else None
        for action, _ in EVENT_BUTTONS:
            allowed = state is not None and state in TRANSITIONS[action][0]
            self.query_one(f"#seal-{action}", Button).disabled = self.busy or not (self._officer() and allowed)
        may = self._officer() and not self.busy and state not in (None, SealState.REVOKED)
        self.query_one("#seal-renew", Button).disabled = not (may and not self.info.seal.renewed_by)
        self.query_one("#seal-authorize", Button).disabled = not may
        self.query_one("#seal-deauthorize", Button).disabled = not (may and self.info.authorizations)
        self.show_cards(self.station.cards)

    def show_cards(self, cards: list[CardView]) -> None:
        revoked = self.info is not None and self.info.seal.state == SealState.REVOKED.value
        present = self.info is not None and any(c.serial == self.info.seal.card_serial and c.state is not
                                                CardState.BLANK for c in cards)
        self.query_one("#seal-wipe", Button).disabled = self.busy or not (revoked and present)
        sups = self.query_one("#seal-sups", OptionList)
        sups.clear_options()
        done = {s for s, _ in self.cosigners}
        sups.add_options([Option(plain(("✓ " if c.serial in done else "") + f"{c.label}  {c.serial}"), id=c.serial)
                          for c in cards if c.role is Role.SUPERVISOR])

    def error(self, text: str) -> None:
        self.query_one("#seal-error", Static).update(text)

    def fail(self, exc: StationError) -> None:
        self.busy = False
        self.error(f"[b]{escape(exc.title)}[/b]: {escape(exc.message)}" + (f" — {escape(exc.hint)}" if exc.hint else ""))
        if self.info is not None:
            self._enable()

    # -- events --------------------------------------------------------------------------------
    @on(Button.Pressed, "#seal-freeze")
    @on(Button.Pressed, "#seal-unfreeze")
    @on(Button.Pressed, "#seal-report-lost")
    @on(Button.Pressed, "#seal-revoke")
    def _event(self, event: Button.Pressed) -> None:
        action = (event.button.id or "").removeprefix("seal-")

        def got(reason: str | None) -> None:
            if not reason:
                return
            if action == "revoke":
                self.pending, self.cosigners = (action, reason), []
                self._sup_status()
                self.query_one("#seal-sups").display = True
                self.query_one("#seal-sups").focus()
            else:
                self._run(action, reason, [])

        self.app.push_screen(ReasonModal(action), got)

    def _sup_status(self) -> None:
        quorum = self.station.session.config.quorum
        self.query_one("#seal-sup-status", Static).update(
            self.station.tr("seal.sup.status", n=len(self.cosigners), quorum=quorum))
        self.show_cards(self.station.cards)

    @on(OptionList.OptionSelected, "#seal-sups")
    def _sup_chosen(self, event: OptionList.OptionSelected) -> None:
        card = next((c for c in self.station.cards if c.serial == event.option.id), None)
        if card is None or self.pending is None or card.serial in {s for s, _ in self.cosigners}:
            return

        def got(pin: str | None) -> None:
            if not pin or self.pending is None:
                return
            self.cosigners.append((card.serial, pin))
            self._sup_status()
            if len(self.cosigners) >= self.station.session.config.quorum:
                action, reason = self.pending
                self._run(action, reason, list(self.cosigners))

        self.app.push_screen(PinModal(card, collect=True), got)

    def _run(self, action: str, reason: str, cosigners: list[tuple[str, str]]) -> None:
        self.busy = True
        self.error(self.station.tr("seal.working"))
        self._enable()
        self._event_worker(action, reason, cosigners)

    def _event_worker(self, action: str, reason: str, cosigners: list[tuple[str, str]]) -> None:
        from station.lifecycle import change_state

        session, esid = self.station.session, self.esid
        supervisors = [(s, (lambda p=p: p)) for s, p in cosigners]
        self.run_work(lambda: change_state(session, esid, action, reason, supervisors=supervisors), self._done,
                      failed=self._failed, group="card")

    def _failed(self, exc: StationError) -> None:
        self.pending, self.cosigners = None, []
        self.query_one("#seal-sups").display = False
        self.query_one("#seal-sup-status", Static).update("")
        self.fail(exc)

    def _done(self, event: Any) -> None:
        self.busy = False
        self.pending, self.cosigners = None, []
        self.query_one("#seal-sups").display = False
        self.query_one("#seal-sup-status", Static).update("")
        self.error(self.station.tr("seal.done", action=self.station.tr(f"seal.action.{event.action}"),
                               state=self.station.tr(f"seal.state.{event.to_state}")))
        self.action_reload()

    # -- renewal: the same making ceremony, on the renewal's application ----------------------------
    @on(Button.Pressed, "#seal-renew")
    def _renew(self) -> None:
        self._renew_worker()

    def _renew_worker(self) -> None:
        from station.renewal import renewal_application

        session, esid = self.station.session, self.esid
        self.run_work(lambda: renewal_application(session, esid), self._open_ceremony, failed=self.fail,
                      group="renew")

    def _open_ceremony(self, app_id: int) -> None:
        from screens.ceremony import CeremonyScreen

        self.app.push_screen(CeremonyScreen(app_id))

    def on_screen_resume(self) -> None:
        if self.info is not None:
            self.action_reload()

    # -- authorizations of use ------------------------------------------------------------------
    @on(Button.Pressed, "#seal-authorize")
    def _authorize(self) -> None:
        from screens.authorize import AuthorizeModal

        def got(value: dict[str, Any] | None) -> None:
            if value:
                self._auth_worker("authorize", value)

        self.app.push_screen(AuthorizeModal(self.info.seal.functions), got)

    @on(Button.Pressed, "#seal-deauthorize")
    def _deauthorize(self) -> None:
        table = self.query_one("#seal-auths", DataTable)
        auths = self.info.authorizations if self.info else ()
        if table.cursor_row is not None and 0 <= table.cursor_row < len(auths):
            self._auth_worker("deauthorize", {"id": auths[table.cursor_row].id})

    def _auth_worker(self, what: str, value: dict[str, Any]) -> None:
        from station import authorization

        session, esid = self.station.session, self.esid

        def change() -> None:
            if what == "authorize":
                authorization.authorize(session, esid, value["functions"], person=value["person"],
                                        person_id=value["person_id"], role=value["role"])
            else:
                authorization.deauthorize(session, esid, value["id"])

        self.run_work(change, self._authorized, failed=self.fail, group="authorize",  # never cancelled by a reload
                      exclusive=False)

    def _authorized(self, _: None) -> None:
        self.error("")
        self.action_reload()

    # -- wipe a revoked seal's card ---------------------------------------------------------------
    @on(Button.Pressed, "#seal-wipe")
    def _wipe(self) -> None:
        card = next((c for c in self.station.cards if self.info and c.serial == self.info.seal.card_serial), None)
        if card is None:
            return

        def got(pin: str | None) -> None:
            if pin:
                self.busy = True
                self._enable()
                self._wipe_worker(card.serial, pin)

        self.app.push_screen(PinModal(card, collect=True), got)

    def _wipe_worker(self, serial: str, pin: str) -> None:
        from station.lifecycle import wipe_revoked

        session = self.station.session
        self.run_work(lambda: wipe_revoked(session, serial, pin), lambda _: self._wiped(serial), failed=self.fail,
                      group="card")

    def _wiped(self, serial: str) -> None:
        self.busy = False
        self.error(self.station.tr("seal.wiped", card=serial))
        self.station.rescan()
        self._enable()

    def action_back(self) -> None:
        if self.busy:
            self.app.bell()
            return
        self.app.pop_screen()


def _pin_text(tr: Any, pin: Any) -> str:
    """The seal card's PIN state as the registry shows it: initial, set by the recipient, changed."""
    text = tr(f"pin.state.{pin.state}")
    return f"{text} ({short_time(pin.at)})" if pin.at else text
