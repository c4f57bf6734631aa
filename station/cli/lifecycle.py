"""CLI commands of a seal's life (CLI.md): the registry, state events, renewal,
authorization of use and the signed status list.

    seal-station seals [--unit U] [--name N] [--esid E] [--state S] [--card SERIAL] --by SERIAL [--json]
    seal-station seal status ESID --by SERIAL [--json]
    seal-station freeze|unfreeze|report-lost|revoke ESID --reason TEXT --by SERIAL [--supervisor SERIAL ...]
    seal-station renew ESID --officer S --seal-card S --supervisor S --recipient NAME [--json]
    seal-station authorize ESID (--person NAME --person-id ID | --role ROLE) --functions F --by SERIAL
    seal-station deauthorize ESID AUTH_ID --by SERIAL
    seal-station revocations export OUT --by SERIAL [--json]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from station.cli.common import emit, read_pin, session_for
from station.errors import UsageError

__all__ = ["add_parsers", "add_seal_status", "seal_status"]

_EVENTS = ("freeze", "unfreeze", "report-lost", "revoke")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("seals", parents=[common], help="the seal registry")
    for opt in ("--unit", "--name", "--esid", "--state", "--card"):
        s.add_argument(opt, default="")
    s.add_argument("--limit", type=int, default=200)
    s.add_argument("--by")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_seals)

    for action in _EVENTS:
        e = sub.add_parser(action, parents=[common], help=f"{action} a seal (audited, with a signed receipt)")
        e.add_argument("esid")
        e.add_argument("--reason", required=True)
        e.add_argument("--by")
        e.add_argument("--supervisor", action="append", default=[])
        e.add_argument("--json", action="store_true")
        e.set_defaults(run=_event, action=action)

    r = sub.add_parser("renew", parents=[common], help="a new seal for the same unit and name; the old is revoked")
    r.add_argument("esid")
    r.add_argument("--officer", required=True)
    r.add_argument("--seal-card", required=True)
    r.add_argument("--supervisor", action="append", required=True)
    r.add_argument("--recipient", required=True)
    r.add_argument("--functions")
    r.add_argument("--json", action="store_true")
    r.set_defaults(run=_renew)

    a = sub.add_parser("authorize", parents=[common], help="authorize a person or a role to use a seal")
    a.add_argument("esid")
    a.add_argument("--person")
    a.add_argument("--person-id")
    a.add_argument("--role")
    a.add_argument("--functions", required=True)
    a.add_argument("--by")
    a.add_argument("--json", action="store_true")
    a.set_defaults(run=_authorize)

    d = sub.add_parser("deauthorize", parents=[common], help="withdraw an authorization of use")
    d.add_argument("esid")
    d.add_argument("auth_id", type=int)
    d.add_argument("--by")
    d.add_argument("--json", action="store_true")
    d.set_defaults(run=_deauthorize)

    v = sub.add_parser("revocations", parents=[common], help="the signed status list")
    v_sub = v.add_subparsers(dest="revocations_cmd")
    x = v_sub.add_parser("export", parents=[common], help="write the status list, signed by the acting card")
    x.add_argument("out")
    x.add_argument("--by")
    x.add_argument("--json", action="store_true")
    v.set_defaults(run=_revocations)


def add_seal_status(seal_sub: Any, common: argparse.ArgumentParser) -> None:
    """`seal status` lives under `seal` beside `seal verify` (cli/making.py adds it)."""
    st = seal_sub.add_parser("status", parents=[common], help="a seal's state, events and authorizations")
    st.add_argument("esid")
    st.add_argument("--by")
    st.add_argument("--json", action="store_true")


def _line(seal: Any, pin: Any | None) -> dict[str, Any]:
    return {"esid": seal.esid, "unit": seal.unit, "name": seal.name, "type": seal.seal_kind,
            "card": seal.card_serial, "state": seal.state, "made_at": seal.made_at, "valid_end": seal.valid_end,
            "recipient": seal.recipient, "renews": seal.renews, "renewed_by": seal.renewed_by,
            "pin": pin.to_json() if pin is not None else None}


def _seals(args: argparse.Namespace) -> int:
    from station import lifecycle

    session = session_for(args)
    try:
        rows = lifecycle.search(session, unit=args.unit, name=args.name, esid=args.esid, state=args.state,
                                card=args.card, limit=args.limit)
        pins = lifecycle.seal_pins(session, rows)
    finally:
        session.close()
    text = "\n".join(f"{s.esid}  {s.state:<8} {s.unit} · {s.name}  card {s.card_serial}  {s.made_at[:10]}"
                     f"  ({pins[s.esid].note})" for s in rows) or "no seals"
    emit(args, {"seals": [_line(s, pins[s.esid]) for s in rows]}, text)
    return 0


def _auth(a: Any) -> dict[str, Any]:
    return {"id": a.id, "person": a.person, "person_id": a.person_id, "role": a.role,
            "functions": list(a.functions), "granted_at": a.granted_at, "by": a.granted_by,
            "automatic": a.automatic}


def seal_status(args: argparse.Namespace) -> int:
    from station import lifecycle

    session = session_for(args)
    try:
        st = lifecycle.status(session, args.esid)
    finally:
        session.close()
    data = {**_line(st.seal, st.pin), "functions": list(st.seal.functions), "reason": st.seal.state_reason,
            "state_at": st.seal.state_at, "receipt": st.receipt,
            "events": [{"action": e.action, "reason": e.reason, "reason_code": e.reason_code, "time": e.time,
                        "by": e.actor_name, "from": e.from_state, "to": e.to_state,
                        "supervisors": [s.get("name") for s in e.supervisors], "receipt": e.receipt}
                       for e in st.events],
            "authorizations": [_auth(a) for a in st.authorizations]}
    lines = [f"{st.seal.esid}: {st.seal.state} — {st.seal.unit} · {st.seal.name} (card {st.seal.card_serial}, "
             f"{st.pin.note if st.pin else '-'})"]
    lines += [f"  {e.time}  {e.action} ({e.reason}) by {e.actor_name}" for e in st.events]
    lines += [f"  authorized #{a.id}: {a.person or a.role} for {','.join(a.functions)}" for a in st.authorizations]
    emit(args, data, "\n".join(lines))
    return 0


def _event(args: argparse.Namespace) -> int:
    from station import lifecycle

    session = session_for(args)
    try:
        sups = [(s, (lambda s=s: read_pin(s))) for s in args.supervisor]
        event = lifecycle.change_state(session, args.esid, args.action, args.reason, supervisors=sups)
    finally:
        session.close()
    data = {"esid": event.esid, "action": event.action, "state": event.to_state, "reason": event.reason,
            "time": event.time, "receipt": event.receipt}
    emit(args, data, f"seal {event.esid}: {event.from_state} → {event.to_state} ({event.reason})"
         + (f"\nreceipt: {event.receipt}" if event.receipt else "\nreceipt: not signed yet"))
    return 0


def _renew(args: argparse.Namespace) -> int:
    from station.authorization import parse_functions
    from station.model import Role
    from station.renewal import renew
    from station.seal_pins import INITIAL, NOTES, RECIPIENT

    functions = parse_functions(args.functions) if args.functions else None
    session = session_for(args, args.officer, role=Role.OFFICER)
    try:
        made = renew(session, args.esid, seal_card=args.seal_card, seal_pin=read_pin(args.seal_card),
                     new_pin=os.environ.get(f"SEAL_STATION_NEW_PIN_{args.seal_card}"),
                     supervisors=[(s, (lambda s=s: read_pin(s))) for s in args.supervisor],
                     recipient=args.recipient, functions=functions,
                     progress=lambda step: print(f"… {step}", file=sys.stderr)
                     if not args.json and sys.stderr.isatty() else None)
    finally:
        session.close()
    pin_note = NOTES[RECIPIENT if made.pin_set else INITIAL]
    emit(args, {"seal": made.esid, "renews": args.esid, "card": made.card_serial, "receipt": made.receipt,
                "pin": pin_note},
         f"seal {made.esid} made on card {made.card_serial} ({pin_note}); it renews {args.esid}, now revoked "
         "(renewed)")
    return 0


def _authorize(args: argparse.Namespace) -> int:
    from station.authorization import authorize, parse_functions
    from station.validation import check_resident_id

    functions = parse_functions(args.functions)  # bad input is refused before any card is asked
    if args.person_id is not None:
        check_resident_id(args.person_id)
    session = session_for(args)
    try:
        auth_id = authorize(session, args.esid, functions, person=args.person, person_id=args.person_id,
                            role=args.role)
    finally:
        session.close()
    emit(args, {"authorization": auth_id}, f"authorization {auth_id} of seal {args.esid}: "
         f"{args.person or args.role} for {','.join(functions)}")
    return 0


def _deauthorize(args: argparse.Namespace) -> int:
    from station.authorization import deauthorize

    session = session_for(args)
    try:
        deauthorize(session, args.esid, args.auth_id)
    finally:
        session.close()
    emit(args, {"esid": args.esid, "removed": args.auth_id}, f"authorization {args.auth_id} of {args.esid} removed")
    return 0


def _revocations(args: argparse.Namespace) -> int:
    if args.revocations_cmd != "export":
        raise UsageError("usage: seal-station revocations export OUT --by SERIAL")
    from station.revocations import export_status_list

    session = session_for(args)
    try:
        out = export_status_list(session, Path(args.out))
    finally:
        session.close()
    emit(args, out, f"status list No. {out['sequence']} of station {out['station_id']}: {out['entries']} seal(s) "
         f"not active, {out['bytes']} bytes, written to {out['list']}"
         + (f"\nQR text: {out['qr']}" if out["qr"] else "\n(too long for one QR code)"))
    return 0

