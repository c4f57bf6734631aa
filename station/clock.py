"""The station's one clock: every time it records or compares is UTC, read here.

One place so that a test (or a later trusted time source) changes the time for the
whole station, and so that no module reads local time by accident.
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["now", "now_text"]


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def now_text() -> str:
    """The current time as stored in rows and audit entries: ISO 8601, milliseconds, ``Z``."""
    return now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
