"""The live card panel: every token present, with its state and role.

A heading line of column titles above an :class:`~textual.widgets.OptionList` of one line
per card. The option list is already loaded for the command palette, and it lays out and
styles far less than a ``DataTable``: this panel is on the lock screen, the TUI's first
frame (issue 14). Columns are padded by display width, so Chinese labels line up; a line
too long for the panel ends in an ellipsis instead of scrolling sideways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from rich.cells import cell_len
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from station.terminal import printable

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from station.model import CardView

__all__ = ["CardTable", "card_columns", "common_name"]

_COLUMNS = ("cards.label", "cards.serial", "cards.state", "cards.role", "cards.holder")
_SERIAL = 1
_GAP = "  "
_HOLDER_MIN = 8  # cells of the holder's name worth keeping the serial column for


def card_columns(rows: list[tuple[str, ...]], width: int = 0) -> list[str]:
    """``rows`` (the first is the heading) as lines of columns padded to display width; the
    last column is not padded. In ``width`` cells too few for every column and a few of the
    holder's name, the serial goes: at a desk a card is known by its label, state and role,
    and the PIN dialog names the serial. A line break becomes a space and any other control
    character its escape (``\\x1b``): a label is whatever its issuer wrote, and one line
    is one card, drawn, never obeyed by the terminal."""
    clean = [[printable(" ".join(cell.split()), lines=False) for cell in row] for row in rows]
    widths = [max(cell_len(row[i]) for row in clean) for i in range(len(rows[0]) - 1)]
    if width and sum(widths) + len(_GAP) * len(widths) + _HOLDER_MIN > width:
        del widths[_SERIAL]
        for row in clean:
            del row[_SERIAL]
    return [_GAP.join([cell + " " * (w - cell_len(cell)) for cell, w in zip(row, widths)] + [row[-1]])
            for row in clean]


def common_name(subject: str) -> str:
    """The CN of a subject line (one row per card, even at 80 columns)."""
    for part in subject.split(","):
        if part.strip().startswith("CN="):
            return part.strip()[3:]
    return subject[:30]


class CardOptions(OptionList, inherit_bindings=False):
    """The cards' lines; Home and End go to the first and last card.

    Enter is not the list's own: it falls to the screen, so the lock screen's footer and
    help say "Enter: Log in", and a home screen, which has nothing to do with a card on
    Enter, does nothing. A click still chooses the card.
    """

    BINDINGS = [Binding("up", "cursor_up", show=False), Binding("down", "cursor_down", show=False),
                Binding("pageup", "page_up", show=False), Binding("pagedown", "page_down", show=False),
                Binding("home", "first", "key.home", show=False), Binding("end", "last", "key.end", show=False)]


class CardTable(Vertical):
    """The cards as :class:`CardView` rows keyed by serial; keeps the cursor on refresh.

    Lines are plain text (:class:`~textual.content.Content`, never markup). Enter or a
    click on a card posts :class:`CardTable.Chosen`; the option list's own messages stop
    here, so a screen's other option lists are not confused with it.
    """

    DEFAULT_CSS = """
    CardTable { height: auto; max-height: 17; }
    CardTable > .cards-head { padding: 0 1; color: $text-accent; text-style: bold;
                              text-wrap: nowrap; text-overflow: ellipsis; }
    CardTable > .cards-head.-empty { color: $text-muted; text-style: none; }
    CardTable > CardOptions { border: none; max-height: 16; text-wrap: nowrap; text-overflow: ellipsis; }
    CardTable > CardOptions:focus { border: none; }
    """

    class Chosen(Message):
        """A card was chosen (Enter, or a click)."""

        def __init__(self, card: CardView) -> None:
            super().__init__()
            self.card = card

    def __init__(self, tr: Callable[..., str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tr = tr
        self.cards: list[CardView] = []
        self.options = CardOptions()
        self.head = Static("", classes="cards-head", markup=False)

    def compose(self) -> ComposeResult:
        yield self.head
        yield self.options

    def focus(self, scroll_visible: bool = True) -> CardTable:
        self.options.focus(scroll_visible)
        return self

    @property
    def cursor_row(self) -> int | None:
        return self.options.highlighted

    def move_cursor(self, row: int) -> None:
        self.options.highlighted = row

    def relabel(self) -> None:
        self.show(self.cards)

    def _row(self, card: CardView) -> tuple[str, ...]:
        state = self.tr(f"state.{card.state.value}")
        if card.pin_locked:
            state += f" · {self.tr('cards.locked')}"
        role = self.tr(f"role.{card.role.value}") if card.role else self.tr("role.none")
        return (card.label, card.serial, state, role, common_name(card.subject))

    def show(self, cards: list[CardView], *, keep: bool = True) -> None:
        """Show ``cards``; the cursor stays on the same card if ``keep``, else on the first."""
        current = self.selected_serial() if keep else None
        self.cards = list(cards)
        width = self.options.scrollable_content_region.width
        head, *lines = card_columns([tuple(self.tr(key) for key in _COLUMNS)] + [self._row(c) for c in cards], width)
        self.head.update(Content(head if cards else self.tr("cards.none")))
        self.head.set_class(not cards, "-empty")
        self.options.clear_options()
        self.options.add_options([Option(Content(line), id=card.serial) for card, line in zip(cards, lines)])
        if cards:
            self.options.highlighted = next((i for i, card in enumerate(cards) if card.serial == current), 0)

    def on_resize(self) -> None:
        """A narrower pane may drop the serial column, a wider one bring it back."""
        if self.cards:
            self.show(self.cards)

    def selected_serial(self) -> str | None:
        row = self.options.highlighted
        if not self.cards or row is None or row >= len(self.cards):
            return None
        return self.cards[row].serial

    def selected(self) -> CardView | None:
        serial = self.selected_serial()
        return next((c for c in self.cards if c.serial == serial), None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        card = next((c for c in self.cards if c.serial == event.option.id), None)
        if card is not None:
            self.post_message(self.Chosen(card))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
