"""The key bar, rebuilt once per burst of binding changes.

Textual's footer recomposes on every bindings signal; a screen that mounts, localizes
its keys and focuses a widget sends several before its first frame, and each rebuild
restyles every key. Coalescing them keeps the lock screen's first frame light.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer

__all__ = ["StationFooter"]


class StationFooter(Footer):
    _rebuild_pending = False

    def bindings_changed(self, screen: Any) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()
