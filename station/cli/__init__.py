"""The ``seal-station`` command (CLI.md): the TUI's scriptable twin.

One module per area adds its sub-commands; each is imported here by name, so the set of
commands is what this file says. Every failure is one line on stderr and an exit code
from CLI.md; no traceback ever reaches the user. PINs come from
``SEAL_STATION_PIN_<SERIAL>`` or a hidden prompt.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from station.cli import (audit, backup, cards, config, library, lifecycle, making, receipts, setup, staff, trust,
                         tui)
from station.cli.common import Handler, Parser, home_of, one_line
from station.errors import StationError, UsageError

__all__ = ["main", "build_parser", "AREAS"]

AREAS = (tui, setup, cards, staff, config, trust, audit, making, library, receipts, lifecycle, backup)
"""The command modules, in the order ``--help`` lists their commands."""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each sub-command carries its handler as ``run``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", default=argparse.SUPPRESS,
                        help="station home (default $SEAL_STATION_HOME or the user data dir)")
    parser = Parser(prog="seal-station", parents=[common],
                    description="Offline seal-making station (GB/T 38540 electronic seals).")
    sub = parser.add_subparsers(dest="cmd")
    for area in AREAS:
        area.add_parsers(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (CLI.md) and never raises."""
    os.umask(0o077)  # everything the station writes is for the station alone (0700/0600)
    try:
        return _main(argv)
    except BrokenPipeError:  # the reader went away (`| head`): say so once, never a traceback
        _silence_stdout()
        print("seal-station: the output was closed before everything was written", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush finds no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by something without a file
        sys.stdout = open(os.devnull, "w")


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help
        return int(exc.code or 0) and 2
    except UsageError as exc:
        print(f"seal-station: {one_line(exc.one_line())}", file=sys.stderr)
        return exc.exit_code
    run: Handler = getattr(args, "run", tui.run)
    if args.cmd is None:  # no command: the terminal UI
        args.cmd, args.lang = "tui", None
    try:
        home_of(args).check_folder()
        return run(args)
    except BrokenPipeError:
        raise
    except StationError as exc:
        print(f"seal-station: {one_line(exc.one_line())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("seal-station: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise: never a traceback
        print(f"seal-station: internal error: {one_line(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return 4
