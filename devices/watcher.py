"""Card insertion and removal events, by polling the module.

Polling is what works everywhere: SoftHSM has no slot events, and many reader drivers
implement C_WaitForSlotEvent poorly. ``Module.scan`` decides how to look (re-initialise
while no card is logged in; while one is, probe the open cards and re-initialise every
few seconds, logging them back in), so a removed logged-in card is reported within one
interval and any other card within a few. :meth:`Watcher.poke` asks for a full look now.
"""

from __future__ import annotations

import threading
from typing import Callable

from devices.errors import DeviceError
from devices.pkcs11 import Module, TokenInfo

__all__ = ["Watcher"]


class Watcher:
    """Calls ``on_change(tokens)`` from its own thread whenever the set of tokens changes."""

    def __init__(self, module: Module, on_change: Callable[[list[TokenInfo]], None], *,
                 interval: float = 0.5, on_error: Callable[[DeviceError], None] | None = None) -> None:
        self.module = module
        self.on_change = on_change
        self.on_error = on_error
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: tuple[tuple[str, str, bool], ...] | None = None
        self._fresh = False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="card-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def poke(self) -> None:
        """Look again now (and report even if nothing changed)."""
        self._last = None
        self._fresh = True
        self._wake.set()

    def poll_once(self) -> list[TokenInfo] | None:
        """One look; returns the tokens when they changed since the last look."""
        try:
            fresh, self._fresh = self._fresh, False
            tokens = self.module.scan(fresh=fresh)
        except DeviceError as exc:
            if self.on_error:
                self.on_error(exc)
            return None
        key = tuple(sorted((t.serial, t.label, t.pin_locked) for t in tokens))
        if key != self._last:
            self._last = key
            return tokens
        return None

    def _run(self) -> None:
        while not self._stop.is_set():
            tokens = self.poll_once()
            if tokens is not None and not self._stop.is_set():
                self.on_change(tokens)
            self._wake.wait(self.interval)
            self._wake.clear()
