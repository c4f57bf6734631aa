"""The home screen of a logged-in person: who, which card, what their role may do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.widgets.base import StationScreen
from screens.widgets.footer import StationFooter
from screens.widgets.cards import CardTable
from station.errors import StationError
from station.model import CardView, Role

if TYPE_CHECKING:
    from station.session import Session

__all__ = ["HomeScreen", "ACTIONS"]

# role -> (action id, i18n key); later features add their screens here.
ACTIONS: dict[Role, list[tuple[str, str]]] = {
    Role.ADMIN: [("staff", "home.action.staff"), ("unblock", "home.action.unblock"), ("trust", "home.action.trust"),
                 ("settings", "home.action.settings"), ("audit_log", "home.action.audit_log"),
                 ("audit_verify", "home.action.audit_verify"), ("library", "home.action.library"),
                 ("seals", "home.action.seals"), ("backup", "home.action.backup"),
                 ("change_pin", "home.action.change_pin"), ("lock", "home.action.lock")],
    Role.OFFICER: [("applications", "home.action.applications"), ("make", "home.action.make"),
                   ("library", "home.action.library"), ("receipts", "home.action.receipts"),
                   ("seals", "home.action.seals"), ("verify", "home.action.verify"),
                   ("change_pin", "home.action.change_pin"), ("lock", "home.action.lock")],
    Role.SUPERVISOR: [("approvals", "home.action.approvals"), ("library", "home.action.library"),
                      ("seals", "home.action.seals"), ("verify", "home.action.verify"),
                      ("change_pin", "home.action.change_pin"), ("lock", "home.action.lock")],
    Role.AUDITOR: [("audit_log", "home.action.audit_log"), ("audit_stats", "home.action.audit_stats"),
                   ("audit_export", "home.action.audit_export"), ("audit_verify", "home.action.audit_verify"),
                   ("seals", "home.action.seals"), ("verify", "home.action.verify"),
                   ("change_pin", "home.action.change_pin"), ("lock", "home.action.lock")],
}


class HomeScreen(StationScreen[None]):
    DEFAULT_CSS = """
    #home-body { padding: 1 1; }
    #home-main { width: 1fr; padding-right: 1; }
    #home-side { width: 1fr; }
    #home-title { text-style: bold; color: $accent; }
    #home-session { color: $text-muted; }
    #home-actions { height: auto; max-height: 12; }
    #home-result { margin-top: 1; }
    """
    BINDINGS = [Binding("ctrl+l", "app.lock", "key.lock")]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="home-body"):
            with Vertical(id="home-main"):
                yield Label("", id="home-title")
                yield Static("", id="home-session")
                yield Label("", id="home-actions-label", classes="section")
                yield OptionList(id="home-actions")
                yield Static("", id="home-result")
            with Vertical(id="home-side"):
                yield Label("", id="home-cards-label", classes="section")
                yield CardTable(self.station.tr, id="home-cards")
        yield StationFooter()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()
        self.show_cards(self.station.cards)
        self.query_one(OptionList).focus()
        from screens.desks import show_alerts

        show_alerts(self)

    def relabel(self) -> None:
        app = self.station
        tr = app.tr
        if app.session is None:
            return  # locked: this screen is about to go
        actor = app.session.actor
        self.query_one("#home-title", Label).update(
            tr("home.title", name=actor.name, role=tr(f"role.{actor.role.value}")))
        session_text = tr("home.session", serial=actor.serial, minutes=app.station_info().idle_minutes)
        if actor.role is Role.ADMIN:
            session_text += "\n" + self._backup_line(app.session)
        self.query_one("#home-session", Static).update(session_text)
        self.query_one("#home-actions-label", Label).update(tr("home.actions"))
        self.query_one("#home-cards-label", Label).update(tr("cards.title"))
        options = self.query_one(OptionList)
        highlighted = options.highlighted or 0  # F2 keeps the place; a new home opens on the first
        options.clear_options()
        options.add_options([Option(tr(key), id=action) for action, key in ACTIONS[actor.role]])
        options.highlighted = highlighted
        self.query_one(CardTable).relabel()

    def _backup_line(self, session: Session) -> str:
        """Days since the last backup; a warning once they reach ``backup_warn_days``."""
        from station.backup import backup_reminder

        tr = self.station.tr
        try:
            due = backup_reminder(session)
        except StationError:
            return ""
        if due.days is None:
            return tr("home.backup_never")
        key = "home.backup_due" if due.due else "home.backup_days"
        return tr(key, days=due.days, warn=due.warn_days)

    def show_cards(self, cards: list[CardView]) -> None:
        self.query_one(CardTable).show(cards)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.station.run_home_action(event.option.id)

    def show_result(self, text: str) -> None:
        self.query_one("#home-result", Static).update(text)
