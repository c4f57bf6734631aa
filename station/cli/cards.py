"""``seal-station cards | card unblock``: the tokens present, and a locked card's way back."""

from __future__ import annotations

import argparse
from typing import Any

from station.cli.common import emit, home_of, read_pin, read_secret
from station.errors import UsageError

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    c = sub.add_parser("cards", parents=[common], help="tokens present now")
    c.add_argument("--json", action="store_true")
    c.set_defaults(run=_cards)

    cu = sub.add_parser("card", parents=[common], help="card administration")
    cu_sub = cu.add_subparsers(dest="card_cmd")
    ub = cu_sub.add_parser("unblock", parents=[common], help="unblock a locked card with its SO PIN")
    ub.add_argument("serial")
    cp = cu_sub.add_parser("change-pin", parents=[common], help="change a card's PIN")
    cp.add_argument("serial")
    cu.set_defaults(run=_card)


def _cards(args: argparse.Namespace) -> int:
    from station.cards import list_cards

    views = list_cards(home_of(args))
    data = [{"serial": v.serial, "label": v.label, "state": v.state.value, "subject": v.subject,
             "role": v.role.value if v.role else None, "locked": v.pin_locked} for v in views]
    lines = [f"{v.serial:<20}{v.label:<16}{v.state.value:<18}{(v.role.value if v.role else '-'):<12}{v.subject}"
             for v in views] or ["no cards present"]
    emit(args, data, "\n".join(lines))
    return 0


def _card(args: argparse.Namespace) -> int:
    if args.card_cmd == "change-pin":
        return _change_pin(args)
    if args.card_cmd != "unblock":
        raise UsageError("usage: seal-station card unblock SERIAL")
    from station.cards import unblock_card

    so_pin = read_secret(f"SEAL_STATION_SO_PIN_{args.serial}", f"SO PIN for card {args.serial}")
    new_pin = read_secret(f"SEAL_STATION_NEW_PIN_{args.serial}", f"new PIN for card {args.serial}")
    unblock_card(home_of(args), args.serial, so_pin, new_pin)
    print(f"card {args.serial} unblocked with a new PIN")
    return 0


def read_new_pin(serial: str) -> str:
    """The new PIN from SEAL_STATION_NEW_PIN_<SERIAL>, or asked twice on the terminal."""
    import os

    name = f"SEAL_STATION_NEW_PIN_{serial}"
    if name in os.environ:
        return os.environ[name]
    first = read_secret(name, f"new PIN for card {serial}")
    if read_secret(name, f"new PIN for card {serial} (again)") != first:
        raise UsageError("the two new PINs differ; nothing was changed")
    return first


def _change_pin(args: argparse.Namespace) -> int:
    from station.pin_policy import check_new_pin
    from station.pins import change_pin

    old = read_pin(args.serial)
    new = read_new_pin(args.serial)
    check_new_pin(new, old)
    change_pin(home_of(args), args.serial, old, new)
    print(f"card {args.serial}: PIN changed")
    return 0
