"""The ``seal-station`` command (CLI.md): the TUI's scriptable twin.

One module per area adds its sub-commands; each is imported here by name, so the set of
commands is what this file says. Every failure is one line on stderr and an exit code
from CLI.md; no traceback ever reaches the user. PINs come from
``SEAL_STATION_PIN_<SERIAL>`` or a hidden prompt.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from station.cli import audit, backup, cards, library, making, receipts, setup, staff, tui
from station.cli.common import Handler, Parser, one_line
from station.errors import StationError, UsageError

__all__ = ["main", "build_parser", "AREAS"]

AREAS = (tui, setup, cards, staff, audit, making, library, receipts, backup)
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
        return run(args)
    except StationError as exc:
        print(f"seal-station: {one_line(exc.one_line())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("seal-station: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise: never a traceback
        print(f"seal-station: internal error: {one_line(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return 4
