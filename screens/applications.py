"""Applications at the counter: the officer's list and form, the supervisor's approvals.

Screens only collect input and show results: the form's rules (check digits, which
fields a seal type needs), the image checks, who may approve — all in
:mod:`station.applications`. Every store call runs through the screens' one worker
helper; the refusal or bad input it raises is shown with its title, message and hint.
"""

from __future__ import annotations

from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from screens.i18n import kind_name
from screens.widgets.base import StationScreen, failure_text, plain_row
from screens.widgets.confirm import ConfirmModal
from screens.widgets.impression import ImpressionPreview
from station.errors import StationError
from station.model import Application
from station.vocabulary import SealKind, values

__all__ = ["ApplicationsScreen", "ApplyScreen", "ApprovalsScreen"]

_KINDS = tuple(values(SealKind))
_ID_TYPES = ("resident-id", "passport", "hk-macao-permit", "taiwan-permit", "other")


class _StoreScreen(StationScreen[None]):
    """Shared plumbing: a service call on the session, in a worker, its result on the UI thread."""

    CSS_PATH = "library.tcss"

    def run_service(self, call: Callable[[Any], Any], then: Callable[[Any], Any], *, group: str = "store",
                    exclusive: bool = False) -> None:
        session = self.station.session
        if session is None:
            return
        self.run_work(lambda: call(session), then, group=group, exclusive=exclusive)

    def action_back(self) -> None:
        self.app.pop_screen()


class _ApplicationList(_StoreScreen):
    """A table of applications with the selected one's details and picture."""

    STATE: str | None = None
    TITLE_KEY = "apps.title"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Application] = []
        self._shown: int | None = None
        self.deciding = False  # a decision is in flight: the list and pictures wait for it

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Label(self.station.tr(self.TITLE_KEY), classes="screen-title")
        with Horizontal(id="apps-body"):
            yield DataTable(id="apps-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="apps-side"):
                yield ImpressionPreview(None, cells=32, id="apps-preview")
                yield Static("", id="apps-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        self._columns()
        self.query_one(DataTable).focus()
        self.action_refresh()

    def _columns(self) -> None:
        tr = self.station.tr
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in ("id", "state", "kind", "unit", "name", "entered", "submitted"):
            table.add_column(tr(f"apps.col.{key}"), key=key)

    def relabel(self) -> None:
        """After a language switch: title, headers and cells in the new language."""
        self.query_one(".screen-title", Label).update(self.station.tr(self.TITLE_KEY))
        self._columns()
        self.show_rows(self.rows)

    def on_screen_resume(self) -> None:
        if not self.deciding:  # else the decision refreshes when it is done
            self.action_refresh()

    def action_refresh(self) -> None:
        from station import applications

        state = self.STATE
        self.run_service(lambda s: list(reversed(applications.list_(s, state=state))), self.show_rows,
                         group="list", exclusive=True)

    def decide(self, call: Callable[[Any], Any], then: Callable[[Any], Any]) -> None:
        """Approve or return: a list read or picture load still running would see the old
        state (a picture the decision destroys), so they are dropped and redone after."""
        self.deciding = True
        self.workers.cancel_group(self, "list")
        self.workers.cancel_group(self, "preview")

        def done(result: Any) -> None:
            self.deciding = False
            then(result)
            self.action_refresh()

        def failed(exc: StationError) -> None:
            self.deciding = False
            self.show_failure(exc)
            self.action_refresh()

        session = self.station.session
        if session is not None:
            self.run_work(lambda: call(session), done, failed=failed, group="decision")

    def show_rows(self, rows: list[Application]) -> None:
        tr = self.station.tr
        table = self.query_one(DataTable)
        self.rows = rows
        table.clear()
        for a in rows:
            table.add_row(*plain_row(a.id, tr(f"apps.state.{a.state}"), kind_name(tr, a.seal_kind), a.unit,
                                     a.seal_name, a.entered_by_name, a.submitted_at[:10]), key=str(a.id))
        self._shown = None
        self.show_selected()

    def selected(self) -> Application | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if self.rows and row is not None and 0 <= row < len(self.rows) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_selected()

    def show_selected(self) -> None:
        from station import applications

        tr = self.station.tr
        a = self.selected()
        detail = self.query_one("#apps-detail", Static)
        preview = self.query_one(ImpressionPreview)
        if a is None:
            detail.update(tr("apps.none"))
            preview.show(None)
            return
        lines = [tr("apps.detail", id=a.id, kind=kind_name(tr, a.seal_kind), unit=a.unit, name=a.seal_name,
                    purpose=a.purpose or "—", entered=a.entered_by_name, state=tr(f"apps.state.{a.state}"))]
        if a.credit_code:
            lines.append(tr.label("apps.credit_code", a.credit_code))
        if a.holder_name:
            lines.append(tr.label("apps.holder", f"{a.holder_name} ({a.holder_id_type} {a.holder_id})"))
        if a.reason:
            lines.append(tr.label("apps.reason", a.reason))
        if a.impression_id:
            lines.append(tr("apps.impression", id=a.impression_id))
        detail.update("\n".join(lines))
        if a.id == self._shown:
            return
        self._shown = a.id
        if a.state == "submitted":
            preview.show(None, tr("library.loading"))
            app_id = a.id
            self.run_service(lambda s: (app_id, applications.pending_picture(s, app_id)),
                             lambda r: self._shown == r[0] and preview.show(r[1]), group="preview", exclusive=True)
        else:
            preview.show(None, tr("apps.no_picture"))


class ApplicationsScreen(_ApplicationList):
    """The officer's applications: every state, newest first; n opens a new form."""

    BINDINGS = [Binding("escape", "back", "key.back"), Binding("n", "new", "key.new_application"),
                Binding("f5", "refresh", "key.reload")]

    def action_new(self) -> None:
        self.app.push_screen(ApplyScreen())


class ApprovalsScreen(_ApplicationList):
    """The supervisor's queue: applications waiting for a decision."""

    STATE = "submitted"
    TITLE_KEY = "approvals.title"
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("a", "approve", "key.approve"),
                Binding("r", "return", "key.return"), Binding("f5", "refresh", "key.reload")]

    def action_approve(self) -> None:
        from station import applications, impressions

        a = self.selected()
        if a is None:
            return

        def gather(session: Any) -> tuple[Application, bytes, Any, bytes | None]:
            new = applications.pending_picture(session, a.id)
            current = impressions.active_for(session, a.unit, a.seal_name)
            old = impressions.preview(session, current.id) if current else None
            return a, new, current, old

        self.run_service(gather, self._ask_approve)

    def _ask_approve(self, found: tuple[Application, bytes, Any, bytes | None]) -> None:
        tr = self.station.tr
        a, new, current, old = found
        pictures = [(new, tr("approvals.new", id=a.id))]
        body = tr("approvals.body", id=a.id, unit=a.unit, name=a.seal_name, entered=a.entered_by_name)
        if current is not None:
            pictures.append((old, tr("approvals.current", id=current.id)))
            body += "\n" + tr("approvals.replaces", id=current.id)
        modal = ConfirmModal(tr("approvals.confirm_title", id=a.id), body, confirm=tr("approvals.approve"),
                             pictures=pictures)
        self.deciding = True  # until the modal answers; its closing must not reload the list
        self.app.push_screen(modal, lambda r: self._approve(a.id) if r is not None else self._undecided())

    def _undecided(self) -> None:
        self.deciding = False

    def _approve(self, app_id: int) -> None:
        from station import applications

        self.decide(lambda s: applications.approve(s, app_id), self._approved)

    def _approved(self, result: Any) -> None:
        tr = self.station.tr
        text = tr("approvals.done", id=result.application.id, impression=result.impression.id)
        if result.replaced is not None:
            text += " " + tr("approvals.disabled", id=result.replaced.id)
        self.notify(text)

    def action_return(self) -> None:
        from station import applications

        tr = self.station.tr
        a = self.selected()
        if a is None:
            return
        modal = ConfirmModal(tr("approvals.return_title", id=a.id),
                             tr("approvals.return_body", id=a.id, unit=a.unit, name=a.seal_name),
                             confirm=tr("approvals.return"), reason="required")

        def done(reason: str | None) -> None:
            if reason:
                self.decide(lambda s: applications.reject(s, a.id, reason),
                            lambda r: self.notify(tr("approvals.returned", id=r.id)))
            else:
                self._undecided()

        self.deciding = True
        self.app.push_screen(modal, done)


class ApplyScreen(_StoreScreen):
    """The application form; fields a seal type does not use are hidden."""

    BINDINGS = [Binding("escape", "back", "key.cancel"), Binding("ctrl+s", "submit", "key.submit")]

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        yield Label(tr("apply.title"), classes="screen-title", name="apply.title")
        with Horizontal(id="apply-body"):
            with VerticalScroll(id="apply-form"):
                yield Label(tr("apply.kind"), name="apply.kind")
                yield Select([(kind_name(tr, k), k) for k in _KINDS], value="official", allow_blank=False,
                             id="apply-kind")
                yield Label(tr("apply.unit"), id="apply-unit-label", name="apply.unit")
                yield Input(id="apply-unit", max_length=100)
                with Vertical(id="apply-unit-fields"):
                    yield Label(tr("apply.credit_code"), name="apply.credit_code")
                    yield Input(id="apply-credit-code", max_length=24)
                with Vertical(id="apply-holder-fields"):
                    yield Label(tr("apply.holder"), name="apply.holder")
                    yield Input(id="apply-holder", max_length=64)
                    yield Label(tr("apply.holder_id_type"), name="apply.holder_id_type")
                    yield Select([(tr(f"idtype.{t}"), t) for t in _ID_TYPES], value="resident-id",
                                 allow_blank=False, id="apply-holder-id-type")
                    yield Label(tr("apply.holder_id"), name="apply.holder_id")
                    yield Input(id="apply-holder-id", max_length=30)
                yield Label(tr("apply.name"), name="apply.name")
                yield Input(id="apply-name", max_length=64)
                yield Label(tr("apply.purpose"), name="apply.purpose")
                yield Input(id="apply-purpose", max_length=200)
                yield Label(tr("apply.impression"), name="apply.impression")
                yield Input(placeholder=tr("apply.impression_hint"), id="apply-impression")
                yield Label(tr("apply.size"), name="apply.size")
                yield Input(placeholder=tr("apply.size_hint"), id="apply-size", max_length=12)
                yield Static("", id="apply-error")
                with Horizontal(id="apply-buttons"):
                    yield Button(tr("apply.submit"), variant="primary", id="apply-submit")
                    yield Button(tr("confirm.cancel"), id="apply-cancel")
            with Vertical(id="apply-side"):
                yield ImpressionPreview(None, cells=32, caption=tr("apply.preview"), id="apply-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        self._fields_for("official")
        self.query_one("#apply-unit", Input).focus()

    def relabel(self) -> None:
        """After a language switch: each label carries its i18n key as its name."""
        tr = self.station.tr
        for label in self.query(Label):
            if label.name:
                label.update(tr(label.name))
        for select_id, options in (("#apply-kind", [(kind_name(tr, k), k) for k in _KINDS]),
                                   ("#apply-holder-id-type", [(tr(f"idtype.{t}"), t) for t in _ID_TYPES])):
            select = self.query_one(select_id, Select)
            value = select.value
            with select.prevent(Select.Changed):
                select.set_options(options)
                select.value = value
        for input_id, key in (("#apply-impression", "apply.impression_hint"), ("#apply-size", "apply.size_hint")):
            self.query_one(input_id, Input).placeholder = tr(key)
        self.query_one("#apply-submit", Button).label = tr("apply.submit")
        self.query_one("#apply-cancel", Button).label = tr("confirm.cancel")
        preview = self.query_one(ImpressionPreview)
        if preview.png is None:
            preview.show(None, tr("apply.preview"))
        self._fields_for(self._kind())

    @on(Select.Changed, "#apply-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self._fields_for(str(event.value))

    def _fields_for(self, kind: str) -> None:
        personal = kind.startswith("personal")
        self.query_one("#apply-unit-fields").display = not personal
        self.query_one("#apply-holder-fields").display = personal
        key = "apply.holder_unit" if personal else "apply.unit"
        self.query_one("#apply-unit-label", Label).update(self.station.tr(key))

    def _value(self, name: str) -> str:
        return self.query_one(f"#apply-{name}", Input).value

    def _kind(self) -> str:
        return str(self.query_one("#apply-kind", Select).value)

    @on(Input.Submitted, "#apply-impression")
    def _load_preview(self) -> None:
        from station import applications

        path, kind, size = self._value("impression"), self._kind(), self._value("size")
        self.run_service(lambda s: applications.load_impression(path, kind, applications.parse_size(size)),
                         self._preview)

    def _preview(self, image: Any) -> None:
        tr = self.station.tr
        self.query_one("#apply-error", Static).update("")
        self.query_one(ImpressionPreview).show(image.png, tr("apply.preview_size", w=image.width_mm,
                                                              h=image.height_mm))

    @on(Button.Pressed, "#apply-submit")
    def action_submit(self) -> None:
        from station import applications

        personal = self._kind().startswith("personal")
        fields = dict(seal_kind=self._kind(), unit=self._value("unit"),
                      credit_code=None if personal else self._value("credit-code"),
                      seal_name=self._value("name"), purpose=self._value("purpose"),
                      holder_name=self._value("holder") if personal else None,
                      holder_id_type=str(self.query_one("#apply-holder-id-type", Select).value) if personal else None,
                      holder_id=self._value("holder-id") if personal else None)
        path, size = self._value("impression"), self._value("size")

        def enter(session: Any) -> Application:
            form = applications.check_form(**fields)
            image = applications.load_impression(path, form.seal_kind, applications.parse_size(size))
            return applications.submit(session, form, image)

        self.query_one("#apply-error", Static).update(self.station.tr("apply.checking"))
        self.run_service(enter, self._submitted)

    def show_failure(self, exc: StationError) -> None:
        """A form's refusal stays on the form, beside the fields."""
        self.query_one("#apply-error", Static).update(failure_text(exc))

    def _submitted(self, app: Application) -> None:
        self.notify(self.station.tr("apply.done", id=app.id))
        self.app.pop_screen()

    @on(Button.Pressed, "#apply-cancel")
    def _cancel(self) -> None:
        self.action_back()

    def typed(self) -> bool:
        """Whether leaving would throw away something the officer typed."""
        return any(field.value.strip() for field in self.query(Input))

    def action_back(self) -> None:
        """Escape on a half-filled form asks first; an empty form just closes."""
        if not self.typed():
            self.app.pop_screen()
            return
        tr = self.station.tr
        modal = ConfirmModal(tr("apply.discard_title"), tr("apply.discard_body"), confirm=tr("apply.discard"),
                             danger=True)
        self.app.push_screen(modal, lambda r: r is not None and self.app.pop_screen())
