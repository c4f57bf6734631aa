"""What the lock screen shows before anyone logs in."""

from __future__ import annotations

from dataclasses import dataclass

from station.errors import StationError
from station.home import Home

__all__ = ["StationStatus", "station_status", "DEMO_PIN", "DEMO_SO_PIN", "DEMO_MARKER"]

DEMO_PIN = "123456"
DEMO_SO_PIN = "12345678"
"""The demo world's PINs: the lock screen shows them, so they live here, not in the
demo builder (which loads the whole card stack and would slow the first frame)."""
DEMO_MARKER = "DEMO"
"""The file that marks a home as a demo world."""


@dataclass(frozen=True)
class StationStatus:
    initialised: bool
    station_id: str
    demo_pin: str | None
    max_pin_tries: int
    idle_minutes: int
    problem: str = ""
    demo_so_pin: str | None = None  # the demo's security-officer PIN: unblocks a locked card


def station_status(home: Home) -> StationStatus:
    if not home.initialised():
        return StationStatus(False, "", None, 5, 5)
    try:
        cfg = home.config()
    except StationError as exc:
        return StationStatus(False, "", None, 5, 5, exc.one_line())
    demo = (home.path / DEMO_MARKER).exists()
    return StationStatus(True, cfg.station_id, DEMO_PIN if demo else None, cfg.max_pin_tries, cfg.idle_lock_minutes,
                         demo_so_pin=DEMO_SO_PIN if demo else None)
