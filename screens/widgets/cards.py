"""The live card panel: every token present, with its state and role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from screens.widgets.base import plain_row

if TYPE_CHECKING:
    from station.model import CardView

__all__ = ["CardTable"]


class CardTable(DataTable):
    """A table of :class:`CardView` rows keyed by serial; keeps the cursor on refresh.

    Cells are plain text (:func:`plain_row`), never markup: a card label is whatever its issuer
    wrote (``[`` included). Home and End go to the first and last card.
    """

    DEFAULT_CSS = """
    CardTable { height: auto; max-height: 16; }
    """
    BINDINGS = [Binding("home", "scroll_top", "key.home", show=False),
                Binding("end", "scroll_bottom", "key.end", show=False)]

    def __init__(self, tr: Callable[..., str], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.tr = tr
        self.cards: list[CardView] = []

    def on_mount(self) -> None:
        if not self.columns:
            self._columns()

    def _columns(self) -> None:
        self.clear(columns=True)
        for key in ("cards.label", "cards.serial", "cards.state", "cards.role", "cards.holder"):
            self.add_column(Text(self.tr(key)), key=key)  # a Text: no markup (nor emoji table) to parse

    def relabel(self) -> None:
        self._columns()
        self.show(self.cards)

    def show(self, cards: list[CardView], *, keep: bool = True) -> None:
        """Show ``cards``; the cursor stays on the same card if ``keep``, else on the first."""
        current = self.selected_serial() if keep else None
        self.cards = list(cards)
        if not self.columns:
            self._columns()
        self.clear()
        for card in cards:
            state = self.tr(f"state.{card.state.value}")
            if card.pin_locked:
                state += f" · {self.tr('cards.locked')}"
            role = self.tr(f"role.{card.role.value}") if card.role else self.tr("role.none")
            self.add_row(*plain_row(card.label, card.serial, state, role, card.subject[:48]), key=card.serial)
        row = next((i for i, card in enumerate(cards) if card.serial == current), 0)
        if cards:
            self.move_cursor(row=row, animate=False)

    def selected_serial(self) -> str | None:
        if not self.cards or self.cursor_row is None or self.cursor_row >= len(self.cards):
            return None
        return self.cards[self.cursor_row].serial

    def selected(self) -> CardView | None:
        serial = self.selected_serial()
        return next((c for c in self.cards if c.serial == serial), None)
