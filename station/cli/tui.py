"""``seal-station [tui]``: start the terminal UI.

The one place the core reaches up into ``screens`` (DESIGN.md §1), and only lazily, when
the command runs: every other command starts without Textual.
"""

from __future__ import annotations

import argparse
from typing import Any

from station.cli.common import home_of

__all__ = ["add_parsers", "run"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    t = sub.add_parser("tui", parents=[common], help="the terminal UI (default)")
    t.add_argument("--lang", choices=["zh_CN", "en"])
    t.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the app until the user quits."""
    from screens.app import make_app

    app = make_app(home_of(args), lang=getattr(args, "lang", None))
    app.run()
    return 0
