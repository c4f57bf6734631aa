"""The key bar, rebuilt once per burst of binding changes, and only when it would change.

Textual's footer recomposes on every bindings signal; a screen that mounts, localizes
its keys and focuses a widget sends several before its first frame, and each rebuild
restyles every key. Coalescing them, and skipping a rebuild that would show the same
keys again (a focus change that brings no new key), keeps the lock screen's first
frame light. So does creating each key in the bar's own compact setting: a key is
born compact, is bound to a bar that is not, and styles itself twice over to follow.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["StationFooter"]


class StationFooter(Footer):
    _rebuild_pending = False
    _shown: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Any) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and "compact" in (widget._reactive_connect or {}):
                widget.set_reactive(FooterKey.compact, self.compact)  # what its binding sets on mount
            yield widget

    def _keys(self) -> tuple[Any, ...]:
        """What :meth:`Footer.compose` reads: each binding it shows, enabled or not, and the
        palette key (a focus that only adds hidden keys, such as a list's arrows, changes nothing)."""
        shown = tuple((binding, enabled, tooltip) for _, binding, enabled, tooltip in self.screen.active_bindings.values()
                      if binding.show)
        return shown, self.show_command_palette, self.compact

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached:
            return  # its screen was dismissed between the signal and this refresh
        keys = self._keys()
        if keys == self._shown:
            return
        self._shown = keys
        await self.recompose()
