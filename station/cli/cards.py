"""``seal-station cards | card unblock | card inspect``: the tokens present, a locked card's
way back, and a flagged seal card settled."""

from __future__ import annotations

import argparse
from typing import Any

from station.cli.common import emit, home_of, read_pin, read_secret, session_for
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
    cp = cu_sub.add_parser("change-pin", parents=[common], help="change a card's PIN")
    cp.add_argument("serial")
    ins = cu_sub.add_parser("inspect", parents=[common],
                            help="what a seal card holds beside the store's record; settles a flagged card")
    ins.add_argument("serial")
    ins.add_argument("--by")
    ins.add_argument("--json", action="store_true")
    ins.set_defaults(run=_inspect)
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
        raise UsageError("usage: seal-station card (unblock SERIAL --by ADMIN | inspect SERIAL --by SERIAL)")
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


def _inspect(args: argparse.Namespace) -> int:
    from station.settle import inspect_card

    session = session_for(args)
    try:
        result = inspect_card(session, args.serial, read_pin(args.serial))
    finally:
        session.close()
    on_card = result.on_card
    held = result.reservation
    lines = [f"card {result.serial}: {'flagged for inspection' if result.flagged else 'not flagged'}",
             "  on the card: " + (f"seal {on_card.get('esid')} ({on_card.get('name')}), sha256 {on_card['sha256'][:16]}…"
                                  if on_card else "no seal"),
             "  reserved:    " + (f"application {held['application']} for seal {held['esid']}" if held else "-"),
             "  recorded:    " + (f"seal {result.recorded['esid']}" if result.recorded else "-"),
             f"  settled:     {result.action}" + (f" — {result.note}" if result.note else "")]
    if result.receipt:
        lines.append(f"receipt: {result.receipt}")
    emit(args, result.to_json(), "\n".join(lines))
    return 0
