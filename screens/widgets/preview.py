"""An impression drawn with half blocks: works in every terminal (two pixels per cell)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

__all__ = ["halfblock_text"]


def halfblock_text(png: bytes, width_cells: int) -> Text:
    """Rich text of "▀" cells, fg = upper pixel, bg = lower pixel; transparent stays blank."""
    from station.images import render_halfblocks

    text = Text()
    for line in render_halfblocks(png, width_cells):
        for top, bottom in line:
            if top is None and bottom is None:
                text.append(" ")
            elif top is None:
                text.append("▄", Style(color=f"rgb{tuple(bottom)}"))
            else:
                bg = f"rgb{tuple(bottom)}" if bottom is not None else None
                text.append("▀", Style(color=f"rgb{tuple(top)}", bgcolor=bg))
        text.append("\n")
    return text
