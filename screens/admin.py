"""The administrator's desk: the staff list (role, card, enrolled, last login, PIN age)
and retiring a card with a reason."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from screens.widgets.base import StationModal, StationScreen, failure_text, plain_row
from station.errors import StationError
from station.model import CardState

__all__ = ["StaffScreen", "RetireModal", "EnrollModal"]


class StaffScreen(StationScreen[None]):
    """Every enrollment, retired ones included; ``r`` retires the selected card."""

    DEFAULT_CSS = """
    #staff-body { padding: 1 1; }
    #staff-title { text-style: bold; color: $accent; }
    #staff-table { height: 1fr; }
    #staff-result { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("e", "enroll", "desk.key.enroll"), Binding("r", "retire", "desk.key.retire"),
                Binding("escape", "back", "key.back")]

    def __init__(self) -> None:
        super().__init__()
        self.members: list[Any] = []

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        with Vertical(id="staff-body"):
            yield Label(tr("desk.staff.title"), id="staff-title")
            yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="staff-result")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        table = self.query_one(DataTable)
        tr = self.station.tr
        for column, width in (("serial", 18), ("name", 18), ("role", 12), ("enrolled", 11), ("last_login", 17),
                              ("pin_changed", 11), ("state", 18)):
            table.add_column(tr(f"desk.staff.{column}"), width=width)
        self.reload()
        table.focus()

    def reload(self) -> None:
        session = self.station.session
        if session is None:
            return

        def load() -> list[Any]:
            from station.staff import staff

            return staff(session)

        self.run_work(load, self.show)

    def show(self, members: list[Any]) -> None:
        tr = self.station.tr
        self.members = members
        table = self.query_one(DataTable)
        table.clear()
        for m in members:
            state = tr("desk.staff.retired", when=m.removed_at[:10]) if m.removed_at else (
                tr("desk.staff.must_change") if m.must_change_pin else tr("desk.staff.active"))
            table.add_row(*plain_row(m.serial, m.name, tr(f"role.{m.role}"), m.enrolled_at[:10],
                                     (m.last_login or "—")[:16].replace("T", " "), (m.pin_changed_at or "—")[:10], state))

    def action_retire(self) -> None:
        table = self.query_one(DataTable)
        if not self.members or table.cursor_row is None or table.cursor_row >= len(self.members):
            return
        member = self.members[table.cursor_row]
        if member.removed_at:
            return
        tr = self.station.tr
        self.app.push_screen(RetireModal(tr("desk.staff.retire_q", name=member.name, serial=member.serial)),
                             lambda reason: self._retire(member.serial, reason))

    def _retire(self, serial: str, reason: str | None) -> None:
        session = self.station.session
        if not reason or session is None:
            return

        def retire() -> Any:
            from station.staff import unenroll

            return unenroll(session, serial, reason)

        self.run_work(retire, self._retired, failed=self._failed)

    def _retired(self, member: Any) -> None:
        self.query_one("#staff-result", Static).update(
            self.station.tr("desk.staff.retired_done", name=member.name, serial=member.serial))
        self.reload()

    def _failed(self, exc: StationError) -> None:
        self.query_one("#staff-result", Static).update(failure_text(exc))

    def action_enroll(self) -> None:
        enrolled = {m.serial for m in self.members if not m.removed_at}
        present = [c for c in self.station.cards
                   if c.serial not in enrolled and c.subject and c.state is not CardState.SEALED]
        if present:
            self.app.push_screen(EnrollModal(present), self._enroll)
        else:
            self.query_one("#staff-result", Static).update(self.station.tr("desk.enroll.none"))

    def _enroll(self, choice: tuple[str, str, str] | None) -> None:
        session = self.station.session
        if not choice or session is None:
            return
        serial, role, pin = choice
        home = self.station.home

        def enroll() -> Any:
            from station.model import Role
            from station.setup import enroll as enroll_card

            return enroll_card(home, role=Role(role), serial=serial, pin=pin, by=session)

        self.run_work(enroll, self._enrolled, failed=self._failed)

    def _enrolled(self, actor: Any) -> None:
        tr = self.station.tr
        self.query_one("#staff-result", Static).update(
            tr("desk.enroll.done", name=actor.name, serial=actor.serial, role=tr(f"role.{actor.role.value}")))
        self.reload()
        self.station.rescan()

    def action_back(self) -> None:
        self.app.pop_screen()


class RetireModal(StationModal[str | None]):
    """Asks for the reason of an action that must have one (retiring a card)."""

    DEFAULT_CSS = """
    RetireModal { align: center middle; }
    #reason-box { width: 64; height: auto; padding: 1 2; border: thick $error; background: $panel; }
    #reason-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #reason-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        with Vertical(id="reason-box"):
            yield Label(self.question, id="reason-question")
            yield Input(placeholder=tr("desk.reason"), id="reason-input", max_length=200)
            with Horizontal(id="reason-buttons"):
                yield Button(tr("desk.confirm"), variant="error", id="reason-ok")
                yield Button(tr("pin.cancel"), id="reason-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#reason-ok")
    def submit(self) -> None:
        text = self.query_one(Input).value.strip()
        if text:
            self.dismiss(text)

    @on(Button.Pressed, "#reason-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class EnrollModal(StationModal["tuple[str, str, str] | None"]):
    """A present card, the role it is enrolled for, and that card's PIN."""

    DEFAULT_CSS = """
    EnrollModal { align: center middle; }
    #enroll-box { width: 70; height: auto; padding: 1 2; border: thick $primary; background: $panel; }
    #enroll-box Select { margin-bottom: 1; }
    #enroll-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #enroll-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, cards: list[Any]) -> None:
        super().__init__()
        self.cards = cards

    def compose(self) -> ComposeResult:
        from station.model import Role

        tr = self.station.tr
        with Vertical(id="enroll-box"):
            yield Label(tr("desk.enroll.title"), id="enroll-title")
            yield Select([(f"{c.label} {c.serial}", c.serial) for c in self.cards], prompt=tr("desk.enroll.card"),
                         id="enroll-card")
            yield Select([(tr(f"role.{r.value}"), r.value) for r in Role], prompt=tr("desk.enroll.role"),
                         id="enroll-role")
            yield Input(placeholder=tr("desk.enroll.pin"), password=True, id="enroll-pin", max_length=64)
            with Horizontal(id="enroll-buttons"):
                yield Button(tr("desk.confirm"), variant="primary", id="enroll-ok")
                yield Button(tr("pin.cancel"), id="enroll-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#enroll-ok")
    def submit(self) -> None:
        card, role = self.query_one("#enroll-card", Select).value, self.query_one("#enroll-role", Select).value
        pin = self.query_one(Input).value
        if isinstance(card, str) and isinstance(role, str) and pin:
            self.dismiss((card, role, pin))

    @on(Button.Pressed, "#enroll-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
