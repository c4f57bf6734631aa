"""What every command module of ``seal-station`` shares: the parser, secrets, output, login.

Kept free of heavy imports: ``seal-station --help`` and a usage error must answer at once,
so services are imported inside the handlers that need them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from station.errors import UsageError
from station.home import Home, default_home
from station.terminal import printable, printable_json

__all__ = ["Handler", "Parser", "read_secret", "read_pin", "emit", "home_of", "session_for", "one_line",
           "directory"]

Handler = Callable[[argparse.Namespace], int]
"""A command: the parsed arguments in, the exit code out (CLI.md)."""


class Parser(argparse.ArgumentParser):
    """argparse prints a usage block and an error line; CLI.md wants one line (exit 2)."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def directory(value: str) -> Path:
    """An export directory argument: an empty one would silently mean the working folder."""
    if not value.strip():
        raise argparse.ArgumentTypeError("the directory must not be empty")
    return Path(value)


def read_secret(env_name: str, prompt: str) -> str:
    """From the environment (automation) or a hidden prompt; never from argv."""
    value = os.environ.get(env_name)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for it: set {env_name}", title=prompt)
    return getpass.getpass(f"{prompt}: ")


def read_pin(serial: str) -> str:
    """A card's PIN, named by its token serial as CLI.md promises."""
    return read_secret(f"SEAL_STATION_PIN_{serial}", f"PIN for card {serial}")


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """One JSON document with ``--json`` (nothing else on stdout), else the text for a person."""
    if getattr(args, "json", False):
        print(printable_json(json.dumps(data, ensure_ascii=False, indent=2)))
    else:
        say(text)


def say(text: str) -> None:
    """A line for a person on stdout: names from cards, certificates and files are drawn,
    never obeyed (:func:`station.terminal.printable`)."""
    print(printable(text))


def home_of(args: argparse.Namespace) -> Home:
    """``--home`` if given, else ``$SEAL_STATION_HOME`` or the user data dir."""
    home = getattr(args, "home", None)
    return Home(Path(home) if home else default_home())


def session_for(args: argparse.Namespace, serial: str | None = None, role: Any = None) -> Any:
    """Open the store with the card that acts (``--by`` unless a command names another)."""
    from station.session import login

    serial = serial or args.by
    if not serial:
        raise UsageError("this command needs --by SERIAL (the enrolled card that unlocks the station)")
    return login(home_of(args), serial, read_pin(serial), role=role)


def one_line(text: str) -> str:
    """Messages quoting other tools or files may span lines or carry terminal controls
    (a station id in a bundle from a stick, say): stderr gets exactly one plain line."""
    return printable(" ".join(text.split()), lines=False)
