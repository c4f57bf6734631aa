"""The auditor's desk: the log with filters and an entry's detail, the statistics as a
table and a bar chart, and the workbook export to a folder (a USB stick)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from screens.widgets.base import StationScreen, escape, failure_text, plain_row
from station.errors import StationError

__all__ = ["AuditLogScreen", "StatsScreen", "bar_chart"]

_SHOWN = 500  # the newest entries that match; the export has them all


class AuditLogScreen(StationScreen[None]):
    """Filters (from, to, action, card, unit, outcome), the matching entries, the detail
    of the selected one; ``x`` exports the matching entries as a workbook to a folder."""

    DEFAULT_CSS = """
    #log-body { padding: 0 1; }
    #log-filters { height: auto; }
    #log-filters Input { width: 1fr; }
    #log-filters Select { width: 18; }
    #log-table { height: 1fr; }
    #log-detail { height: 9; border-top: solid $accent; }
    #log-export { height: auto; }
    #log-export Input { width: 1fr; }
    #log-status { height: 1; color: $text-muted; }
    """
    BINDINGS = [Binding("x", "export", "desk.key.export"), Binding("escape", "back", "key.back")]

    def __init__(self, export: bool = False) -> None:
        super().__init__()
        self.entries: list[dict[str, Any]] = []
        self.export_first = export

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        with Vertical(id="log-body"):
            with Horizontal(id="log-filters"):
                for name in ("from", "to", "action", "actor", "unit"):
                    yield Input(placeholder=tr(f"desk.log.{name}"), id=f"f-{name}")
                yield Select([(tr(f"desk.outcome.{o}"), o) for o in ("ok", "refused", "failed")],
                             prompt=tr("desk.log.outcome"), id="f-outcome")
            yield Label("", id="log-status")
            yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="log-detail")
            with Horizontal(id="log-export"):
                yield Input(placeholder=tr("desk.export.folder"), id="export-dir")
                yield Button(tr("desk.export.button"), id="export-go")
        yield Footer()

    def on_mount(self) -> None:
        self.station.localize(self)
        tr = self.station.tr
        self.query_one("#log-export").display = self.export_first
        table = self.query_one(DataTable)
        for column, width in (("seq", 7), ("time", 19), ("action", 20), ("outcome", 8), ("card", 18),
                              ("object", 28), ("reason", 30)):
            table.add_column(tr(f"desk.col.{column}"), width=width)
        self.reload()
        (self.query_one("#export-dir", Input) if self.export_first else self.query_one(DataTable)).focus()

    def _filters(self) -> Any:
        """The filters as typed, or None once a bad one (a date that is not one) is said."""
        try:
            return self.where()
        except StationError as exc:
            self.query_one("#log-status", Label).update(escape(exc.message))
            return None

    def where(self) -> Any:
        from station.auditor import AuditFilter, check_date

        value = {n: self.query_one(f"#f-{n}", Input).value.strip() for n in ("from", "to", "action", "actor", "unit")}
        outcome = self.query_one("#f-outcome", Select).value
        return AuditFilter(start=check_date(value["from"], self.station.tr("desk.log.from")),
                           end=check_date(value["to"], self.station.tr("desk.log.to")),
                           action=value["action"], actor=value["actor"], unit=value["unit"],
                           outcome=outcome if isinstance(outcome, str) else "")

    @on(Input.Submitted, "#log-filters Input")
    @on(Select.Changed, "#f-outcome")
    def reload(self) -> None:
        session = self.station.session
        if session is None:
            return
        where = self._filters()
        if where is None:
            return

        def load() -> tuple[int, list[dict[str, Any]]]:
            from station.auditor import show
            from station.store.audit_rows import AuditRows

            return AuditRows(session.store).count(where), show(session.store, where, _SHOWN)

        self.run_work(load, self.show)

    def show(self, found: tuple[int, list[dict[str, Any]]]) -> None:
        total, entries = found
        self.entries = entries
        tr = self.station.tr
        self.query_one("#log-status", Label).update(tr("desk.log.count", n=total, shown=len(entries)))
        table = self.query_one(DataTable)
        table.clear()
        for e in entries:
            table.add_row(*plain_row(e["seq"], e["time"][:19].replace("T", " "), e["action"],
                                     tr(f"desk.outcome.{e['outcome']}") if e["outcome"] in ("ok", "refused", "failed")
                                     else e["outcome"], e["card"], e["object"][:28], e["reason"][:30]))
        if entries:
            table.move_cursor(row=len(entries) - 1)
            self.detail(entries[-1])
        else:
            self.query_one("#log-detail", Static).update("")

    @on(DataTable.RowHighlighted, "#log-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.entries):
            self.detail(self.entries[event.cursor_row])

    def detail(self, e: dict[str, Any]) -> None:
        tr = self.station.tr
        details = json.dumps(e["details"], ensure_ascii=False, sort_keys=True)
        self.query_one("#log-detail", Static).update(tr(
            "desk.log.detail", seq=e["seq"], time=e["time"], who=e["actor"] or "—", card=e["card"] or "—",
            role=tr(f"role.{e['role']}") if e["role"] else "—", host=e["host"], ip=e["ip"], mac=e["mac"],
            action=e["action"], object=e["object"], outcome=e["outcome"], details=details))

    def action_export(self) -> None:
        self.query_one("#log-export").display = True
        self.query_one("#export-dir", Input).focus()

    @on(Input.Submitted, "#export-dir")
    @on(Button.Pressed, "#export-go")
    def export(self) -> None:
        session = self.station.session
        folder = self.query_one("#export-dir", Input).value.strip()
        if session is None or not folder:
            return
        where = self._filters()
        if where is None:
            return

        def write() -> tuple[Path, int]:
            from station.audit_xlsx import export_xlsx
            from station.clock import now
            from station.store.counters import Meta

            target = Path(folder).expanduser() / f"audit-{now():%Y%m%d-%H%M%S}.xlsx"
            count = export_xlsx(session.store, target, where, "month", Meta(session.store).get("station_id") or "")
            session.log("audit-export", target.name, "ok", entries=count, format="xlsx")
            return target, count

        self.run_work(write, self._exported, failed=self._failed)

    def _exported(self, done: tuple[Path, int]) -> None:
        self.query_one("#log-status", Label).update(
            self.station.tr("desk.export.done", path=str(done[0]), n=done[1]))

    def _failed(self, exc: StationError) -> None:
        self.query_one("#log-status", Label).update(failure_text(exc))

    def action_back(self) -> None:
        self.app.pop_screen()


def bar_chart(rows: list[tuple[str, int]], width: int = 40) -> str:
    """A horizontal bar per row, scaled to the largest value: a chart that reads in any
    terminal and in a snapshot."""
    if not rows:
        return ""
    top = max(v for _, v in rows) or 1
    label = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{label}} {'█' * round(v * width / top):<{width}} {v}" for k, v in rows)


class StatsScreen(StationScreen[None]):
    """Counts per unit and per period as tables, and seals made per period as a chart."""

    DEFAULT_CSS = """
    #stats-body { padding: 0 1; }
    #stats-controls { height: auto; }
    #stats-controls Input { width: 24; }
    #stats-controls Select { width: 20; }
    #stats-periods { height: 1fr; }
    #stats-units { height: 1fr; }
    #stats-chart { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "back", "key.back")]

    def compose(self) -> ComposeResult:
        tr = self.station.tr
        yield Header(show_clock=False)
        with Vertical(id="stats-body"):
            with Horizontal(id="stats-controls"):
                yield Input(placeholder=tr("desk.log.from"), id="s-from")
                yield Input(placeholder=tr("desk.log.to"), id="s-to")
                yield Select([(tr(f"desk.period.{p}"), p) for p in ("day", "month", "year")], value="month",
                             allow_blank=False, id="s-period")
            yield Label("", id="stats-status")
            yield DataTable(id="stats-periods", zebra_stripes=True)
            yield DataTable(id="stats-units", zebra_stripes=True)
            yield Label(tr("desk.stats.chart"), classes="section")
            yield Static("", id="stats-chart")
        yield Footer()

    def on_mount(self) -> None:
        from station.auditor import KINDS

        self.station.localize(self)
        tr = self.station.tr
        for table_id, first in (("#stats-periods", "desk.stats.period"), ("#stats-units", "desk.stats.unit")):
            table = self.query_one(table_id, DataTable)
            table.add_column(tr(first), width=28)
            for kind in KINDS:
                table.add_column(tr(f"desk.kind.{kind}"), width=11)
        self.query_one("#stats-periods", DataTable).focus()
        self.reload()

    @on(Input.Submitted)
    @on(Select.Changed)
    def reload(self) -> None:
        from station.auditor import check_date

        session = self.station.session
        if session is None:
            return
        tr = self.station.tr
        try:
            start = check_date(self.query_one("#s-from", Input).value.strip(), tr("desk.log.from"))
            end = check_date(self.query_one("#s-to", Input).value.strip(), tr("desk.log.to"))
        except StationError as exc:
            self.query_one("#stats-status", Label).update(escape(exc.message))
            return
        period = str(self.query_one("#s-period", Select).value)

        def load() -> Any:
            from station.auditor import stats

            return stats(session.store, start, end, period)

        self.run_work(load, self.show)

    def show(self, figures: Any) -> None:
        from station.auditor import KINDS

        for table_id, rows, key in (("#stats-periods", figures.by_period, "period"),
                                    ("#stats-units", figures.by_unit, "unit")):
            table = self.query_one(table_id, DataTable)
            table.clear()
            for row in rows:
                table.add_row(*plain_row(row[key] or "—", *(row[k] for k in KINDS)))
        self.query_one("#stats-status", Label).update("")
        self.query_one("#stats-chart", Static).update(
            bar_chart([(p["period"], p["seals_made"]) for p in figures.by_period[-12:]])
            or self.station.tr("desk.stats.empty"))

    def action_back(self) -> None:
        self.app.pop_screen()
