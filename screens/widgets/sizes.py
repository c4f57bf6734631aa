"""Byte counts as a person reads them (free space on a stick, a file's size)."""

from __future__ import annotations

__all__ = ["human_size"]


def human_size(count: int | None) -> str:
    """``count`` bytes in B, KiB, MiB or GiB; "?" when the size is unknown."""
    if count is None:
        return "?"
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return "?"
