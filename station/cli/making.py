"""CLI commands of the making ceremony and of verification: `make`, `seal verify`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from station.cli.common import directory, emit, home_of, one_line, read_pin, session_for
from station.errors import UsageError
from station.vocabulary import SealFunction, values

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    m = sub.add_parser("make", parents=[common], help="make a seal card from an approved application")
    m.add_argument("application", type=int)
    m.add_argument("--officer", required=True)
    m.add_argument("--seal-card", required=True)
    m.add_argument("--supervisor", action="append", required=True)
    m.add_argument("--recipient", required=True)
    m.add_argument("--functions", default=",".join(values(SealFunction)))
    m.add_argument("--receipt-dir", type=directory)
    m.add_argument("--json", action="store_true")
    m.set_defaults(run=_make)

    s = sub.add_parser("seal", parents=[common], help="electronic seals")
    s_sub = s.add_subparsers(dest="seal_cmd")
    v = s_sub.add_parser("verify", parents=[common], help="verify a seal file or the seal on a card")
    v.add_argument("file", nargs="?")
    v.add_argument("--card")
    v.add_argument("--at")
    v.add_argument("--trust", action="append", default=[])
    v.add_argument("--status", help="a signed status list (revocations export)")
    v.add_argument("--bundle", help="the enrollment bundle the status list is checked against")
    v.add_argument("--json", action="store_true")
    s.set_defaults(run=_seal)
    from station.cli.lifecycle import add_seal_status

    add_seal_status(s_sub, common)


def _make(args: argparse.Namespace) -> int:
    from station import making
    from station.model import Role
    from station.seal_pins import INITIAL, NOTES, RECIPIENT, check_recipient_pin

    functions = [f.strip() for f in args.functions.split(",") if f.strip()]
    session = session_for(args, args.officer, role=Role.OFFICER)
    try:
        seal_pin = read_pin(args.seal_card)
        new_pin = os.environ.get(f"SEAL_STATION_NEW_PIN_{args.seal_card}")
        check_recipient_pin(new_pin, seal_pin)  # a weak PIN stops the ceremony before it starts
        supervisors = [(s, (lambda s=s: read_pin(s))) for s in args.supervisor]
        made = making.make_seal(
            session, application_id=args.application, seal_card=args.seal_card, seal_pin=seal_pin,
            supervisors=supervisors, recipient=args.recipient, functions=functions, new_pin=new_pin,
            # progress only to a person at a terminal: CLI.md promises automation exactly one stderr
            # line on a failure, and the steps would precede it
            progress=lambda step: print(f"… {step}", file=sys.stderr)
            if not args.json and sys.stderr.isatty() else None)
        from station.receipts.export import after_make

        receipt, files = after_make(session, made.esid, Path(args.receipt_dir) if args.receipt_dir else None)
    finally:
        session.close()
    pin_note = NOTES[RECIPIENT if made.pin_set else INITIAL]
    if made.pin_error is not None:
        print(one_line(f"seal-station: warning: the seal is made, the card keeps its initial PIN "
                       f"({made.pin_error.message})"), file=sys.stderr)
    data = {"seal": made.esid, "card": made.card_serial, "receipt": receipt, "files": files, "pin": pin_note}
    emit(args, data, f"seal {made.esid} made on card {made.card_serial} for {made.recipient} ({pin_note})"
         + (f"\nreceipt: {receipt}" if receipt else "") + "".join(f"\n  {f}" for f in files))
    return 0


def _seal(args: argparse.Namespace) -> int:
    if args.seal_cmd == "status":
        from station.cli.lifecycle import seal_status

        return seal_status(args)
    if args.seal_cmd != "verify":
        raise UsageError("usage: seal-station seal verify (FILE | --card SERIAL)")
    from station import verify

    at = verify.parse_time(args.at)
    anchors = verify.load_anchors([Path(t) for t in args.trust])
    status = _status_list(args)
    if args.card:
        result = verify.verify_card(home_of(args), args.card, read_pin(args.card), at=at, anchors=anchors)
    elif args.file:
        result = verify.verify_file(Path(args.file), at=at, anchors=anchors)
    else:
        raise UsageError("give a seal FILE or --card SERIAL")
    if status is not None:
        from station.revocations import apply_status

        result = apply_status(result, status, at)
    text = (f"{'VALID' if result['valid'] else 'NOT VALID'}: {result.get('name')} ({result.get('esID')}), "
            f"v{result.get('version')}, maker {result.get('maker')}, {result.get('algorithm')}\n"
            f"  intact: {result['intact']}  in period: {result['in_period']} "
            f"({result.get('valid_start')} – {result.get('valid_end')})  chain: {result['chain']}")
    if "status" in result:
        text += f"\n  status: {result['status']} (status list No. {result['status_list']['sequence']})"
    if result["problems"]:
        text += "\n  problems: " + ", ".join(result["problems"])
    if result.get("warnings"):
        text += "\n  warnings: " + ", ".join(result["warnings"])
    emit(args, result, text)
    if not result["valid"]:  # CLI.md: every non-zero exit says what and why in one stderr line
        why = ", ".join(result["problems"]) or "see the verdict"
        print(one_line(f"seal-station: Invalid: the seal is NOT valid ({why})"), file=sys.stderr)
    return 0 if result["valid"] else 1


def _status_list(args: argparse.Namespace) -> Any:
    """The status list given with --status, checked against --bundle (both or neither)."""
    if not args.status and not args.bundle:
        return None
    if not (args.status and args.bundle):
        raise UsageError("--status LIST needs --bundle BUNDLE.json (the list is trusted only through it)")
    from station.receipts.bundle import load_bundle
    from station.revocations import load_status_list

    return load_status_list(Path(args.status), load_bundle(Path(args.bundle)))
