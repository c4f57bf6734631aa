"""SealStationApp: the station's terminal UI, built by :func:`make_app`.

The app holds the session (a ``station.session.Session``) and the live card list; the
screens render them and call back into the app (typed for them as
``screens.widgets.base.StationApp``). Card work runs through ``run_work`` (group "card"),
the one worker helper, so a failure is shown and the app keeps running. Removing the
logged-in card, or leaving the station idle, locks it at once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen

from screens.i18n import Translator
from screens.lock import LockScreen
from screens.widgets.base import StationModal, StationScreen, Work
from station.errors import PinLockedError, StationError, WrongPinError
from station.home import Home
from station.idle import IdleTimer
from station.status import StationStatus, station_status
from station.terminal import printable

if TYPE_CHECKING:  # the lock screen is the first frame: the rest loads when first shown
    from screens.pin import PinModal
    from station.model import CardView
    from station.session import Session

__all__ = ["SealStationApp", "make_app"]


class SealStationApp(Work, App[None]):
    CSS_PATH = "station.tcss"
    TITLE = "seal-station"
    BINDINGS = [
        Binding("f1", "help", "key.help"),
        Binding("f2", "toggle_language", "key.lang"),
        Binding("ctrl+l", "lock", "key.lock", show=False),
        Binding("ctrl+q", "quit", "key.quit", priority=True),
    ]

    def __init__(self, home: Home, *, lang: str | None = None, watch_interval: float = 0.5,
                 idle_minutes: float | None = None, start_monitor: bool = True) -> None:
        super().__init__()
        self.home = home
        self.tr = Translator(lang)
        self.cards: list[CardView] = []
        self.session: Session | None = None
        self._status: StationStatus | None = None
        self._idle_minutes = idle_minutes
        self._watch_interval = watch_interval
        self._start_monitor = start_monitor
        self.monitor: Any = None
        self.idle = IdleTimer(idle_minutes or 5)
        self._pin_modal: PinModal | None = None

    # -- start-up ------------------------------------------------------------------------
    def station_info(self) -> StationStatus:
        if self._status is None:
            self._status = station_status(self.home)
        return self._status

    def get_default_screen(self) -> Screen[Any]:
        """The lock screen is the bottom of the stack: the first frame is it, styled once."""
        return LockScreen()

    def on_mount(self) -> None:
        self.title = self.tr("app.title")
        self.localize(self)
        info = self.station_info()
        minutes = self._idle_minutes if self._idle_minutes is not None else info.idle_minutes
        self.idle = IdleTimer(minutes)
        if info.initialised and self._start_monitor:
            self._start_watching()
        self.set_interval(0.5, self._check_idle)

    def _start_watching(self) -> None:
        def start() -> None:
            from station.monitor import CardMonitor

            monitor = CardMonitor(self.home, self._cards_from_thread, interval=self._watch_interval,
                                  on_error=lambda m: self.from_thread(self._monitor_error, m))
            self.monitor = monitor
            monitor.start()

        self.run_work(start, group="monitor")

    def _monitor_error(self, message: str) -> None:
        self.notify(printable(message), severity="error", markup=False)

    def station_changed(self) -> None:
        """The home holds another station now (a restore): read it again, watch its cards."""
        self._status = None
        if self.monitor is None and self._start_monitor and self.station_info().initialised:
            self._start_watching()
        for screen in self.screen_stack:
            if isinstance(screen, LockScreen) and screen.is_mounted:
                screen.relabel()

    def on_unmount(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()
        if self.session is not None:
            self.session.close("logout")
            self.session = None

    # -- cards -----------------------------------------------------------------------------
    def _cards_from_thread(self, cards: list[CardView]) -> None:
        self.from_thread(self.apply_cards, cards)

    def apply_cards(self, cards: list[CardView]) -> None:
        self.cards = cards
        if self.session is not None and self.session.card.serial not in {c.serial for c in cards}:
            self.lock("card-removed")
        for screen in self.screen_stack:
            show_cards = getattr(screen, "show_cards", None)
            if show_cards is not None and screen.is_mounted:
                try:
                    show_cards(cards)
                except NoMatches:
                    pass  # still composing: it reads app.cards when it mounts

    def rescan(self) -> None:
        if self.monitor is not None:
            self.monitor.refresh()

    # -- login -----------------------------------------------------------------------------
    def ask_pin(self, card: CardView) -> None:
        from station.model import CardState

        if card.state is not CardState.AUTHORIZATION:
            self.notify(self.tr("pin.not_authorization"), severity="warning")
            return
        from screens.pin import PinModal

        self._pin_modal = PinModal(card)
        self.push_screen(self._pin_modal)

    def attempt_login(self, card: CardView, pin: str) -> None:
        def login() -> Session:
            from station.session import login  # the card stack loads on first use, not at start

            return login(self.home, card.serial, pin)

        self.run_work(login, self._logged_in, failed=self._login_failed, group="card")

    def _login_failed(self, exc: StationError) -> None:
        modal = self._pin_modal
        if modal is None or not modal.is_attached:
            self.show_error(exc)
            return
        if getattr(exc, "reason", "") == "pin-change-required":
            from screens.desks import ChangePinModal

            modal.busy(False)
            old, modal.last_pin = modal.last_pin, None
            self.push_screen(ChangePinModal(modal.card.serial, old, forced=True,
                                            then=lambda new: self.attempt_login(modal.card, new)))
            return
        if isinstance(exc, PinLockedError):
            modal.show_locked()
        else:
            tries = exc.tries_left if isinstance(exc, WrongPinError) else None
            modal.show_error(exc.title, exc.message, exc.hint, tries)
        self.rescan()

    def _logged_in(self, session: Session) -> None:
        if self._pin_modal is not None and self._pin_modal.is_attached:
            self._pin_modal.dismiss(None)
        self._pin_modal = None
        self.session = session
        self.idle.touch()
        from screens.home import HomeScreen

        self.push_screen(HomeScreen())
        self.rescan()

    # -- lock ------------------------------------------------------------------------------
    def lock(self, reason: str = "lock") -> None:
        """Lock now: forget the session in the UI at once, close it in a worker."""
        session, self.session = self.session, None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        if session is None:
            return
        notice = {"card-removed": "notice.removed", "idle-lock": "notice.idle"}.get(reason, "notice.locked")
        self.notify(self.tr(notice, minutes=self.idle.seconds / 60 if self.idle else 0),
                    severity="warning" if reason != "lock" else "information")
        self._close_session(session, reason)

    def _close_session(self, session: Session, reason: str) -> None:
        def close() -> None:
            session.close(reason)
            self.rescan()

        self.run_work(close, group="close", exclusive=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lock only when someone is logged in (help, palette and footer follow)."""
        return self.session is not None if action == "lock" else True

    def action_lock(self) -> None:
        self.lock("lock")

    def _check_idle(self) -> None:
        if self.session is not None and self.idle.expired():
            self.lock("idle-lock")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.idle.touch()
        await super().on_event(event)

    # -- home actions ----------------------------------------------------------------------
    def run_home_action(self, action: str | None) -> None:
        if action == "lock":
            self.lock("lock")
        elif action == "make":
            from screens.ceremony import CeremonyScreen

            self.push_screen(CeremonyScreen())
        elif action in ("applications", "approvals"):
            from screens.applications import ApplicationsScreen, ApprovalsScreen

            self.push_screen(ApplicationsScreen() if action == "applications" else ApprovalsScreen())
        elif action == "library":
            from screens.library import LibraryScreen

            self.push_screen(LibraryScreen())
        elif action == "receipts":
            from screens.receipt import ReceiptListScreen

            self.push_screen(ReceiptListScreen())
        elif action in ("seals", "verify"):
            from screens.seals import SealsScreen
            from screens.verify import VerifyScreen

            self.push_screen(SealsScreen() if action == "seals" else VerifyScreen())
        elif action == "audit_verify":
            self._audit_worker()
        elif action == "backup":
            from screens.backup import BackupScreen

            self.push_screen(BackupScreen())
        else:
            from screens.desks import open_desk_action

            open_desk_action(self, action)

    def show_receipt(self, esid: str) -> None:
        """The receipt of a seal as a QR (the ceremony calls this at its end)."""
        from screens.receipt import open_receipt

        open_receipt(self, esid)

    def _audit_worker(self) -> None:
        session = self.session
        if session is None:
            return

        def verify() -> str:
            from station.audit import verify_and_record

            report = verify_and_record(session)
            if report.ok:
                return self.tr("home.audit_ok", n=report.size, signed=report.signed_size)
            return self.tr("home.audit_bad", problems="; ".join(f"#{s} {p}" for s, p in report.problems[:5]))

        self.run_work(verify, self._show_home_result, group="card")

    def _show_home_result(self, text: str) -> None:
        from screens.home import HomeScreen

        if isinstance(self.screen, HomeScreen):
            self.screen.show_result(text)

    # -- errors, help, language ----------------------------------------------------------
    def show_error(self, exc: StationError) -> None:
        """Every failure the screens do not show in place ends up here: title, message, hint."""
        text = f"{exc.message}\n{exc.hint}" if exc.hint else exc.message
        self.notify(printable(text), title=printable(exc.title, lines=False), severity="error", timeout=10,
                    markup=False)  # a message may quote a file's contents: drawn, never obeyed

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_language(self) -> None:
        self.tr.toggle()
        self.retranslate()
        self.notify(self.tr("notice.lang"))

    def retranslate(self) -> None:
        """Every open screen, not only the top one, shows the new language at once."""
        self.title = self.tr("app.title")
        self.localize(self)
        for screen in self.screen_stack:
            self.localize(screen)
            if isinstance(screen, (StationScreen, StationModal)) and screen.is_mounted:
                screen.relabel()
        self.refresh_bindings()

    def localize(self, node: App[Any] | Screen[Any]) -> None:
        """Binding descriptions are i18n keys; show them translated.

        The untranslated bindings are kept the first time, as the node has them then —
        for the app that includes the command palette key Textual adds at start-up.
        """
        original = getattr(node, "_i18n_bindings", None)
        if original is None:
            original = node._bindings.copy()
            node._i18n_bindings = original  # type: ignore[union-attr]
        bindings = original.copy()
        for key, items in bindings.key_to_bindings.items():
            bindings.key_to_bindings[key] = [dataclasses.replace(b, description=self._describe(b)) for b in items]
        node._bindings = bindings

    def _describe(self, binding: Binding) -> str:
        if binding.action in ("command_palette", "app.command_palette"):
            return self.tr("key.palette")
        return self.tr(binding.description) if binding.description else ""

    def action_command_palette(self) -> None:
        from screens.palette import open_palette

        open_palette(self)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette lists every action (DESIGN §5): see :mod:`screens.palette`."""
        from screens.palette import station_commands

        return station_commands(self, screen, super().get_system_commands(screen))


def make_app(home: Home | Path, *, lang: str | None = None, **kwargs: Any) -> SealStationApp:
    """The factory the CLI, the tests and the benchmarks use."""
    return SealStationApp(home if isinstance(home, Home) else Home(Path(home)), lang=lang, **kwargs)
