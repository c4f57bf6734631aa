"""Helpers for Pilot tests: wait for a condition, pick a card, type a PIN."""

from __future__ import annotations

from typing import Any, Callable

from screens.pin import PinModal
from screens.widgets.cards import CardTable

__all__ = ["until", "choose_card", "type_pin", "login", "recipient_pin"]


async def until(pilot: Any, condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Let the app run until ``condition`` holds (workers and the watcher report from threads)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition(), "condition not reached"


async def choose_card(pilot: Any, app: Any, serial: str) -> None:
    await until(pilot, lambda: any(c.serial == serial for c in app.cards))
    table = app.screen.query_one(CardTable)
    await until(pilot, lambda: any(c.serial == serial for c in table.cards))
    row = next(i for i, c in enumerate(table.cards) if c.serial == serial)
    table.move_cursor(row=row)
    table.focus()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, PinModal))


async def type_pin(pilot: Any, app: Any, pin: str) -> None:
    await pilot.press(*pin)
    await pilot.press("enter")
    await until(pilot, lambda: all(w.is_finished for w in app.workers if w.group == "card"))
    await pilot.pause()


async def login(pilot: Any, app: Any, serial: str, pin: str) -> None:
    from screens.home import HomeScreen

    await choose_card(pilot, app, serial)
    await type_pin(pilot, app, pin)
    await until(pilot, lambda: isinstance(app.screen, HomeScreen))


async def recipient_pin(pilot: Any, wizard: Any, pin: str | None = None) -> None:
    """The wizard's PIN step: the recipient types ``pin`` twice, or skips (None)."""
    await until(pilot, lambda: wizard.step == "newpin")
    if pin is None:
        await pilot.click("#cer-newpin-skip")
    else:
        wizard.query_one("#cer-newpin").focus()
        await pilot.press(*pin, "enter", *pin, "enter")
    await until(pilot, lambda: wizard.step == "supervisor")
