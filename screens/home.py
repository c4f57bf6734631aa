"""The home screen of a logged-in person: who, which card, what their role may do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.widgets.cards import CardTable
from station.model import CardView, Role

__all__ = ["HomeScreen", "ACTIONS"]

# role -> (action id, i18n key); later features add their screens here.
ACTIONS: dict[Role, list[tuple[str, str]]] = {
    Role.ADMIN: [("audit_verify", "home.action.audit_verify"), ("library", "home.action.library"),
                 ("seals", "home.action.seals"), ("lock", "home.action.lock")],
    Role.OFFICER: [("applications", "home.action.applications"), ("make", "home.action.make"),
                   ("library", "home.action.library"), ("receipts", "home.action.receipts"),
                   ("seals", "home.action.seals"), ("verify", "home.action.verify"), ("lock", "home.action.lock")],
    Role.SUPERVISOR: [("approvals", "home.action.approvals"), ("library", "home.action.library"),
                      ("seals", "home.action.seals"), ("verify", "home.action.verify"), ("lock", "home.action.lock")],
    Role.AUDITOR: [("audit_verify", "home.action.audit_verify"), ("seals", "home.action.seals"),
                   ("verify", "home.action.verify"), ("lock", "home.action.lock")],
}


class HomeScreen(Screen):
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
                yield CardTable(self.app.tr, id="home-cards")  # type: ignore[attr-defined]
        yield Footer()

    def on_mount(self) -> None:
        self.app.localize(self)  # type: ignore[attr-defined]
        self.relabel()
        self.show_cards(self.app.cards)  # type: ignore[attr-defined]
        self.query_one(OptionList).focus()

    def relabel(self) -> None:
        app = self.app
        tr = app.tr  # type: ignore[attr-defined]
        actor = app.session.actor  # type: ignore[attr-defined]
        self.query_one("#home-title", Label).update(
            tr("home.title", name=actor.name, role=tr(f"role.{actor.role.value}")))
        self.query_one("#home-session", Static).update(
            tr("home.session", serial=actor.serial, minutes=app.station_info().idle_minutes))  # type: ignore[attr-defined]
        self.query_one("#home-actions-label", Label).update(tr("home.actions"))
        self.query_one("#home-cards-label", Label).update(tr("cards.title"))
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(tr(key), id=action) for action, key in ACTIONS[actor.role]])
        self.query_one(CardTable).relabel()

    def show_cards(self, cards: list[CardView]) -> None:
        self.query_one(CardTable).show(cards)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.app.run_home_action(event.option.id)  # type: ignore[attr-defined]

    def show_result(self, text: str) -> None:
        self.query_one("#home-result", Static).update(text)
