"""The idle lock's clock: light enough for the UI to import at start-up."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["IdleTimer"]


class IdleTimer:
    """Idle lock: ``expired()`` once ``minutes`` pass without ``touch()``."""

    def __init__(self, minutes: float, clock: Any = time.monotonic) -> None:
        self.seconds = minutes * 60
        self._clock = clock
        self._last = clock()

    def touch(self) -> None:
        self._last = self._clock()

    def remaining(self) -> float:
        return max(0.0, self.seconds - (self._clock() - self._last))

    def expired(self) -> bool:
        return self.remaining() <= 0
