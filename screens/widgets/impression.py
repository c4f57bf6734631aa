"""An impression rendered in the terminal with half-block characters.

Every terminal can show "▀" with a foreground and a background colour, so each cell
carries two stacked pixels (square pixels, aspect kept) — good enough to recognise a
seal at a counter without any image protocol. The pixels come from
``station.images.render_halfblocks``; transparent pixels show the panel behind.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from station.terminal import printable

__all__ = ["ImpressionPreview", "halfblock_text"]

_Rgb = tuple[int, int, int]


@lru_cache(maxsize=32)
def _cells(png: bytes, width: int) -> tuple[tuple[tuple[_Rgb | None, _Rgb | None], ...], ...]:
    from station.images import render_halfblocks

    return tuple(tuple(row) for row in render_halfblocks(png, width))


def _style(fg: _Rgb | None, bg: _Rgb | None) -> Style:
    return Style(color=f"rgb({fg[0]},{fg[1]},{fg[2]})" if fg else None,
                 bgcolor=f"rgb({bg[0]},{bg[1]},{bg[2]})" if bg else None)


def halfblock_text(png: bytes, width: int) -> Text:
    """The picture as Rich text, ``width`` cells wide (raises InputError if not an image)."""
    text = Text(no_wrap=True, overflow="crop")
    rows = _cells(png, width)
    for n, row in enumerate(rows):
        for top, bottom in row:
            if top is None and bottom is None:
                text.append(" ")
            elif top is None:
                text.append("▄", _style(bottom, None))
            else:
                text.append("▀", _style(top, bottom))
        if n < len(rows) - 1:
            text.append("\n")
    return text


class ImpressionPreview(Widget):
    """A fixed-size preview: ``cells`` wide, as tall as the picture needs (≤ ``cells`` / 2 + 1).

    ``show(png, caption)`` swaps the picture; with no PNG the box shows only the caption
    (e.g. "destroyed"), so layouts do not jump as the selection moves.
    """

    DEFAULT_CSS = """
    ImpressionPreview { width: auto; height: auto; }
    """

    def __init__(self, png: bytes | None = None, *, cells: int = 32, caption: str = "",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.png = png
        self.cells = cells
        self.caption = caption

    def show(self, png: bytes | None, caption: str = "") -> None:
        self.png = png
        self.caption = caption
        self.refresh(layout=True)

    def _picture(self) -> Text | None:
        if not self.png:
            return None
        try:
            return halfblock_text(self.png, self.cells)
        except Exception:  # a picture the station itself stored; never crash the screen
            return None

    def render(self) -> Text:
        picture = self._picture()
        out = Text(no_wrap=True, overflow="crop")
        if picture is None:
            blank = "\n".join(" " * self.cells for _ in range(self.cells // 2))
            out.append(blank)
        else:
            out.append_text(picture)
        if self.caption:
            out.append("\n" + printable(self.caption, lines=False)[: self.cells], Style(dim=True))
        return out

    def get_content_width(self, container: object, viewport: object) -> int:
        return self.cells

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        picture = self._picture()
        rows = (picture.plain.count("\n") + 1) if picture is not None else self.cells // 2
        return rows + (1 if self.caption else 0)
