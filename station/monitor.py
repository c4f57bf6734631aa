"""Live card list for the UI: the device watcher, seen through the station's eyes."""

from __future__ import annotations

from typing import Callable

from devices.errors import DeviceError
from devices.pkcs11 import Module, TokenInfo
from devices.watcher import Watcher
from station.cards import enrolled_roles, module_for, view
from station.home import Home
from station.model import CardView

__all__ = ["CardMonitor"]


class CardMonitor:
    """Reports the cards present (as :class:`CardView`) whenever they change."""

    def __init__(self, home: Home, on_cards: Callable[[list[CardView]], None], *,
                 interval: float = 0.5, on_error: Callable[[str], None] | None = None,
                 module: Module | None = None) -> None:
        self.home = home
        self.module = module or module_for(home)
        self._on_cards = on_cards
        self._on_error = on_error
        self._watcher = Watcher(self.module, self._changed, interval=interval,
                                on_error=self._error)

    def _changed(self, tokens: list[TokenInfo]) -> None:
        roles = enrolled_roles(self.home)
        tries = self.home.config().max_pin_tries
        views = sorted((view(t, self.home, roles, tries) for t in tokens), key=lambda v: (v.label, v.serial))
        self._on_cards(views)

    def _error(self, exc: DeviceError) -> None:
        if self._on_error:
            self._on_error(str(exc))

    def start(self) -> None:
        self._watcher.start()

    def stop(self) -> None:
        self._watcher.stop()

    def refresh(self) -> None:
        """Look again now, e.g. after a login changed what a card's state is."""
        self._watcher.poke()
