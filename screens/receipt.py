"""Receipts on screen: the officer's list of issued seals and one receipt as a QR code.

The QR is drawn with half blocks (two modules per cell, vertically), dark on white with
the 4-module quiet zone, so a phone at the counter scans it straight off the monitor —
the receipt leaves the air gap through the camera. Everything shown comes from
:mod:`station.receipts`, which signs the receipt at the end of the ceremony; store and
card work runs in thread workers.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Header, Label, Static

from screens.widgets.base import StationScreen, Work, escape, plain_row
from screens.widgets.footer import StationFooter
from station.receipts.claims import IssuedSeal

__all__ = ["QrCode", "ReceiptScreen", "ReceiptCodeScreen", "ReceiptListScreen", "open_receipt"]


class QrCode(Widget):
    """A QR code as text: exactly as many cells as it has modules (quiet zone included)."""

    DEFAULT_CSS = """
    QrCode { width: auto; height: auto; }
    """

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from station.receipts import qr

        self.lines = qr.half_blocks(qr.matrix(text))
        self.version = qr.version_of(text)

    @property
    def size_needed(self) -> tuple[int, int]:
        """Cells (columns, lines) the whole code takes, quiet zone included."""
        return (len(self.lines[0]) if self.lines else 0), len(self.lines)

    def render(self) -> Text:
        return Text("\n".join(self.lines), style="#000000 on #ffffff", no_wrap=True, overflow="crop")

    def get_content_width(self, container: Any, viewport: Any) -> int:
        return len(self.lines[0]) if self.lines else 0

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self.lines)


def _time(iso: str) -> str:
    return iso[:19].replace("T", " ") + " UTC"


class ReceiptScreen(StationScreen[None]):
    """One receipt: the QR on the left, what it says on the right; E exports it to USB."""

    CSS_PATH = "receipt.tcss"
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("enter", "code", "key.code"),
                Binding("e", "export", "key.export")]
    SIDE = 32  # the least width the summary beside the code needs

    def __init__(self, seal: IssuedSeal) -> None:
        super().__init__()
        self.seal = seal

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Label("", id="receipt-title", classes="screen-title")
        with Horizontal(id="receipt-body"):
            if self.seal.receipt:
                yield QrCode(self.seal.receipt, id="receipt-qr")
            with VerticalScroll(id="receipt-side"):
                yield Static("", id="receipt-summary")
                yield Static("", id="receipt-hint")
        yield StationFooter()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()

    def on_resize(self, event: events.Resize) -> None:
        self._place_code()

    def _place_code(self) -> None:
        """The code beside the summary only whole: otherwise Enter shows it full screen."""
        if not self.seal.receipt:
            return
        qr = self.query_one(QrCode)
        w, h = qr.size_needed
        size = self.size
        qr.display = w + self.SIDE <= size.width - 2 and h <= size.height - 4  # header, title, footer
        self._hint()

    def _hint(self) -> None:
        tr = self.station.tr
        if not self.seal.receipt:
            hint = tr("receipt.missing")
        else:
            qr = self.query_one(QrCode)
            hint = tr("receipt.scan")
            if not qr.display:
                w, h = ReceiptCodeScreen.needed(self.seal)
                hint = tr("receipt.code_elsewhere", w=w, h=h) + "\n\n" + hint
        self.query_one("#receipt-hint", Static).update(hint)

    def relabel(self) -> None:
        tr = self.station.tr
        s = self.seal
        self.query_one("#receipt-title", Label).update(tr("receipt.title", esid=s.esid))
        rows = [
            (tr("receipt.number"), str(s.number) if s.number is not None else "—"),
            (tr("receipt.seal"), s.seal_name), (tr("receipt.unit"), s.unit),
            (tr("receipt.credit_code"), s.credit_code or "—"), (tr("receipt.card"), s.card_serial),
            (tr("receipt.recipient"), s.recipient),
            *([(tr("receipt.pin"), tr("pin.state.recipient" if s.pin_set else "pin.state.initial"))]
              if s.pin_set is not None else []),
            (tr("receipt.made"), _time(s.made_at)),
            (tr("receipt.issued"), _time(s.issued_at)), (tr("receipt.officer"), s.officer),
            (tr("receipt.supervisors"), "、".join(s.supervisors) or "—"),
            (tr("receipt.station"), s.station_id),
        ]
        width = max(cell_len(k) for k, _ in rows) + 2  # CJK labels are two cells per character
        text = "\n".join(k + " " * (width - cell_len(k)) + escape(v) for k, v in rows)
        if s.receipt:
            qr = self.query_one(QrCode)
            text += "\n\n" + tr("receipt.size", chars=len(s.receipt), version=qr.version)
        self.query_one("#receipt-summary", Static).update(text)
        self._hint()

    def action_code(self) -> None:
        if self.seal.receipt:
            self.app.push_screen(ReceiptCodeScreen(self.seal))

    def action_export(self) -> None:
        from screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.seal.esid))

    def action_back(self) -> None:
        self.app.pop_screen()


class ReceiptCodeScreen(StationScreen[None]):
    """Nothing but the code and its number, for a phone at the counter.

    A cut code cannot be scanned, so when the terminal is smaller than the code the view
    draws no code at all: it says the size it needs and offers the export instead.
    """

    CSS_PATH = "receipt.tcss"
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("e", "export", "key.export")]

    def __init__(self, seal: IssuedSeal) -> None:
        super().__init__()
        self.seal = seal

    @staticmethod
    def needed(seal: IssuedSeal) -> tuple[int, int]:
        """The least terminal (columns, lines) that shows the whole code and its number line."""
        from station.receipts import qr

        width = len(qr.matrix(seal.receipt))
        return width, (width + 1) // 2 + 1

    def compose(self) -> ComposeResult:
        with Vertical(id="code-box"):
            yield QrCode(self.seal.receipt, id="code-qr")
            yield Label("", id="code-number")
        yield Static("", id="code-small")

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()

    def on_resize(self, event: events.Resize) -> None:
        self.relabel()

    @property
    def fits(self) -> bool:
        w, h = self.needed(self.seal)
        return self.size.width >= w and self.size.height >= h

    def relabel(self) -> None:
        tr = self.station.tr
        s = self.seal
        w, h = self.needed(s)
        fits = self.fits
        self.set_class(fits, "-fits")
        self.query_one("#code-box").display = fits
        self.query_one("#code-small").display = not fits
        number = tr("code.title", number=s.number if s.number is not None else "—", esid=s.esid)
        keys = tr("code.keys")
        line = number + " " * max(2, w - cell_len(number) - cell_len(keys)) + keys
        label = self.query_one("#code-number", Label)
        label.styles.width = w
        label.update(line if cell_len(line) <= w else number)  # tr escapes what it fills in
        self.query_one("#code-small", Static).update(
            tr("code.too_small", w=w, h=h, cw=self.size.width, ch=self.size.height) + "\n\n" + number)

    def action_export(self) -> None:
        from screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.seal.esid))

    def action_back(self) -> None:
        self.app.pop_screen()


class ReceiptListScreen(StationScreen[None]):
    """The seals issued at this station, newest first; Enter shows the receipt."""

    CSS_PATH = "receipt.tcss"
    BINDINGS = [Binding("escape", "back", "key.back"), Binding("f5", "reload", "key.refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[IssuedSeal] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Label("", id="receipts-title", classes="screen-title")
        yield DataTable(id="receipts-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="receipts-status")
        yield StationFooter()

    def on_mount(self) -> None:
        self.station.localize(self)
        self.relabel()
        self.query_one(DataTable).focus()
        self.action_reload()

    def relabel(self) -> None:
        tr = self.station.tr
        self.query_one("#receipts-title", Label).update(tr("receipts.title"))
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in ("number", "esid", "seal", "unit", "recipient", "issued"):
            table.add_column(tr(f"receipts.col.{key}"), key=key)
        self.show_rows(self.rows)

    def action_reload(self) -> None:
        self._load()

    def _load(self) -> None:
        from station.receipts.issue import issued

        session = self.station.session
        if session is None:
            return
        self.run_work(lambda: issued(session), self.show_rows)

    def show_rows(self, rows: list[IssuedSeal]) -> None:
        tr = self.station.tr
        self.rows = list(rows)
        table = self.query_one(DataTable)
        table.clear()
        for s in self.rows:
            table.add_row(*plain_row(s.number if s.number is not None else "—", s.esid, s.seal_name, s.unit,
                                     s.recipient, _time(s.issued_at)), key=s.esid)
        self.query_one("#receipts-status", Static).update(tr("receipts.count", n=len(self.rows)))

    @on(DataTable.RowSelected, "#receipts-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.station.show_receipt(str(event.row_key.value))

    def action_back(self) -> None:
        self.app.pop_screen()


def open_receipt(node: Work, esid: str) -> None:
    """Show a seal's receipt, as the ceremony signed it (export signs one it could not).

    ``node`` (the app) owns the worker, so it outlives the screen that asked.
    """
    from station.receipts.issue import issued_seal

    session = node.station.session
    if session is None:
        return

    def run() -> IssuedSeal:
        return issued_seal(session, esid)

    node.run_work(run, lambda seal: node.app.push_screen(ReceiptScreen(seal)), group="receipt",
                  name=f"receipt {esid}")
