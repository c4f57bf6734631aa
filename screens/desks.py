"""The desks' entry points: home actions of the admin and the auditor, the Change PIN
dialog (also forced at a first login), and the alerts shown on their home screen."""

from __future__ import annotations

from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from screens.widgets.base import StationModal, failure_text
from station.errors import StationError
from station.model import Role

__all__ = ["open_desk_action", "ChangePinModal", "show_alerts", "alerts_text", "weak_rule_text", "ADMIN_SCREENS"]

ADMIN_SCREENS = {"trust": ("screens.admin_trust", "TrustScreen"),
                 "settings": ("screens.admin_settings", "SettingsScreen"),
                 "unblock": ("screens.admin_unblock", "UnblockScreen")}
"""The administrator's home actions that open a screen of their own: (module, class)."""

def open_desk_action(app: Any, action: str | None) -> bool:
    """Open the desk screen for a home action; False when the action is not a desk's."""
    if action == "staff":
        from screens.admin import StaffScreen

        app.push_screen(StaffScreen())
    elif action in ("audit_log", "audit_export"):
        from screens.auditor import AuditLogScreen

        app.push_screen(AuditLogScreen(export=action == "audit_export"))
    elif action == "audit_stats":
        from screens.auditor import StatsScreen

        app.push_screen(StatsScreen())
    elif action in ADMIN_SCREENS:
        import importlib

        module, name = ADMIN_SCREENS[action]
        app.push_screen(getattr(importlib.import_module(module), name)())
    elif action == "change_pin" and app.session is not None:
        serial = app.session.actor.serial
        app.push_screen(ChangePinModal(serial))
    else:
        return False
    return True


def weak_rule_text(tr: Callable[..., str], new: str, old: str | None = None) -> str:
    """The weak-PIN rule ``new`` breaks, in the UI's language; "" for a PIN that may be used."""
    from station.pin_policy import weak_pin_code

    code = weak_pin_code(new, old)
    if not code:
        return ""
    return tr("desk.pin.rule.previous") if code == "previous" else tr(f"pin.rule.{code}")


class ChangePinModal(StationModal[bool]):
    """Old PIN, new PIN twice; the station's weak-PIN rules say what is wrong.

    ``old`` is given when the login that was refused for a first PIN already asked it;
    ``then(new_pin)`` runs after a change (the forced change logs in again with it)."""

    DEFAULT_CSS = """
    ChangePinModal { align: center middle; }
    #cp-box { width: 64; height: auto; padding: 1 2; border: thick $warning; background: $panel; }
    #cp-title { text-style: bold; }
    #cp-why { color: $warning; }
    #cp-error { color: $error; }
    #cp-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #cp-buttons Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "key.cancel")]

    def __init__(self, serial: str, old: str | None = None, then: Callable[[str], Any] | None = None,
                 forced: bool = False) -> None:
        super().__init__()
        self.serial, self.old, self.then, self.forced = serial, old, then, forced

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        with Vertical(id="cp-box"):
            yield Label(tr("desk.pin.title", serial=self.serial), id="cp-title")
            yield Label(tr("desk.pin.forced") if self.forced else "", id="cp-why")
            if self.old is None:
                yield Input(placeholder=tr("desk.pin.old"), password=True, id="cp-old", max_length=64)
            yield Input(placeholder=tr("desk.pin.new"), password=True, id="cp-new", max_length=64)
            yield Input(placeholder=tr("desk.pin.again"), password=True, id="cp-again", max_length=64)
            yield Label(tr("desk.pin.rules"), id="cp-rules")
            yield Label("", id="cp-error")
            with Horizontal(id="cp-buttons"):
                yield Button(tr("desk.pin.ok"), variant="primary", id="cp-ok")
                yield Button(tr("pin.cancel"), id="cp-cancel")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        index = fields.index(event.input)
        if index + 1 < len(fields):
            fields[index + 1].focus()
        else:
            self.submit()

    @on(Button.Pressed, "#cp-ok")
    def submit(self) -> None:
        tr = self.station.tr
        old = self.old if self.old is not None else self.query_one("#cp-old", Input).value
        new, again = self.query_one("#cp-new", Input).value, self.query_one("#cp-again", Input).value
        if not old or not new:
            return
        if new != again:
            self._error(tr("desk.pin.differ"))
            return
        rule = weak_rule_text(tr, new, old)
        if rule:
            self._error(tr("desk.pin.weak", rule=rule))
            return
        home = self.station.home
        self.query_one("#cp-ok", Button).disabled = True

        def change() -> str:
            from station.pins import change_pin

            change_pin(home, self.serial, old, new)
            return new

        self.run_work(change, self._changed, failed=self._failed, group="card")

    def _changed(self, new: str) -> None:
        self.station.notify(self.station.tr("desk.pin.done", serial=self.serial))
        self.dismiss(True)
        if self.then is not None:
            self.then(new)

    def _failed(self, exc: StationError) -> None:
        self.query_one("#cp-ok", Button).disabled = False
        self._error(failure_text(exc))

    def _error(self, text: str) -> None:
        self.query_one("#cp-error", Label).update(text)

    @on(Button.Pressed, "#cp-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


def alerts_text(tr: Callable[..., str], found: list[dict[str, Any]], stale: list[tuple[str, str]]) -> str:
    """The alert block of the admin's and auditor's home: illegal operations, old PINs."""
    lines = []
    for e in found[-8:]:
        if e["action"] == "wrong-pin-burst":
            lines.append(tr("desk.alert.burst", card=e["card"], n=e["details"]["count"]))
        else:
            lines.append(tr("desk.alert.entry", time=e["time"][:16].replace("T", " "), action=e["action"],
                            card=e["card"] or e["object"], reason=e["reason"] or e["outcome"]))
    lines += [tr("desk.alert.stale", card=serial, since=changed[:10]) for serial, changed in stale]
    if not lines:
        return tr("desk.alert.none")
    return "\n".join([tr("desk.alert.title", n=len(found))] + lines)


def show_alerts(screen: Any) -> None:
    """Load the alerts in a worker and show them above the home screen's result line."""
    app = screen.station
    session = app.session
    if session is None or session.actor.role not in (Role.ADMIN, Role.AUDITOR):
        return
    block = Static("", id="home-alerts")
    screen.query_one("#home-main").mount(block, before="#home-result")

    def load() -> str:
        from station.auditor import alerts
        from station.pin_policy import stale_pins
        from station.staff import staff

        current = session.audit.size
        found = alerts(session.store, session.actor.serial, current)
        stale = []
        if session.actor.role is Role.ADMIN:
            members = [m.serial for m in staff(session) if not m.removed_at]
            stale = stale_pins(session.store, members)
        return alerts_text(app.tr, found, stale)

    screen.run_work(load, block.update, group="alerts")
