"""``seal-station cards | card unblock``: the tokens present, and a locked card's way back."""

from __future__ import annotations

import argparse
from typing import Any

from station.cli.common import emit, home_of, read_secret, session_for
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
    ub.add_argument("--by", help="the administrator's card that unblocks")
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
    if args.card_cmd != "unblock":
        raise UsageError("usage: seal-station card unblock SERIAL")
    if not getattr(args, "by", None):
        raise UsageError("card unblock needs --by ADMIN_SERIAL (an administrator's card)")
    from station.cards import unblock_card
    session = session_for(args)  # any enrolled card logs in; a refusal is then audited in the store
    try:
        so_pin = read_secret(f"SEAL_STATION_SO_PIN_{args.serial}", f"SO PIN for card {args.serial}")
        new_pin = read_secret(f"SEAL_STATION_NEW_PIN_{args.serial}", f"new PIN for card {args.serial}")
        unblock_card(session, args.serial, so_pin, new_pin)
    finally:
        session.close()
    print(f"card {args.serial} unblocked with a new PIN")
    return 0
