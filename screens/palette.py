"""The command palette (Ctrl+P): every action of the screen, in the UI's language.

It lists Textual's own commands (translated where the i18n tables know them), help,
language and lock, every station key of the screen underneath (the same list F1 shows,
:func:`screens.help.screen_bindings`) and, on a home screen, what the role may do.
"""

from __future__ import annotations

from typing import Any, Iterable

from textual.app import SystemCommand
from textual.screen import Screen

from screens.i18n import Translator

__all__ = ["open_palette", "station_commands"]

_LISTED = {"help", "toggle_language", "lock", "quit", "command_palette"}  # by the app or by Textual


def open_palette(app: Any) -> None:
    from textual.command import CommandPalette

    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(CommandPalette(placeholder=app.tr("palette.search"), id="--command-palette"))


def station_commands(app: Any, screen: Screen[Any], textual: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    tr = app.tr
    english = Translator("en")
    for command in textual:
        key = f"palette.{command.title.lower()}"
        if english(key) == command.title:
            said = english(f"{key}.help") == command.help  # "Keys" says show or hide: keep what it says
            command = command._replace(title=tr(key), help=tr(f"{key}.help") if said else command.help)
        yield command
    yield SystemCommand(tr("key.help"), "F1", app.action_help)
    yield SystemCommand(tr("key.lang"), "F2", app.action_toggle_language)
    if app.session is not None:
        yield SystemCommand(tr("key.lock"), "Ctrl+L", app.action_lock)
    from screens.help import screen_bindings

    for node, binding, what in screen_bindings(app, screen):
        if binding.action.removeprefix("app.") not in _LISTED:
            yield SystemCommand(what, app.get_key_display(binding), lambda n=node, a=binding.action: n.run_action(a))
    from screens.home import ACTIONS, HomeScreen

    if app.session is not None and isinstance(screen, HomeScreen):  # what the home's list offers
        for action, key in ACTIONS[app.session.actor.role]:
            if action != "lock":
                yield SystemCommand(tr(key), "", lambda a=action: app.run_home_action(a))
