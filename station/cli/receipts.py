"""CLI commands for receipts and the enrollment bundle (CLI.md):

    seal-station receipt verify (FILE | --text SSR1:... | --qr PNG) --bundle BUNDLE.json [--json]
    seal-station receipt export ESID --dir DIR --by SERIAL [--json]
    seal-station bundle export OUT.json --by SERIAL [--json]

``receipt verify`` needs no card and no station: it is what a unit, a court or the
registry runs with the bundle the bureau published.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station.cli.common import directory, emit, one_line, session_for
from station.errors import InputError, UsageError
from station.inputs import read_file

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("receipt", parents=[common], help="signed issuance receipts")
    r_sub = r.add_subparsers(dest="receipt_cmd")
    v = r_sub.add_parser("verify", parents=[common], help="check a receipt offline with the enrollment bundle")
    v.add_argument("file", nargs="?")
    v.add_argument("--text")
    v.add_argument("--qr")
    v.add_argument("--bundle", required=True)
    v.add_argument("--json", action="store_true")
    e = r_sub.add_parser("export", parents=[common], help="write a seal's receipt bundle (text, QR, PDF)")
    e.add_argument("esid")
    e.add_argument("--dir", required=True, type=directory)
    e.add_argument("--by")
    e.add_argument("--json", action="store_true")
    r.set_defaults(run=_receipt)

    b = sub.add_parser("bundle", parents=[common], help="the station's public enrollment bundle")
    b_sub = b.add_subparsers(dest="bundle_cmd")
    be = b_sub.add_parser("export", parents=[common], help="write the bundle, signed by an admin card")
    be.add_argument("out")
    be.add_argument("--by")
    be.add_argument("--json", action="store_true")
    b.set_defaults(run=_bundle)


def _receipt_text(args: argparse.Namespace) -> str:
    given = [x for x in (args.file, args.text, args.qr) if x]
    if len(given) != 1:
        raise UsageError("give exactly one of FILE, --text SSR1:... or --qr PNG")
    if args.text:
        return str(args.text)
    from station.receipts import qr

    if args.qr:
        return qr.decode_png(Path(args.qr))
    data = read_file(args.file, "receipt")
    try:
        if data.startswith(b"\x89PNG"):  # the bundle's QR image given as FILE
            return qr.decode_png(Path(args.file))
        return data.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {args.file} as a receipt ({type(exc).__name__})") from None


def _verify(args: argparse.Namespace) -> int:
    from station.receipts.bundle import load_bundle
    from station.receipts.verify import verify_receipt

    text = _receipt_text(args)
    bundle = load_bundle(Path(args.bundle))
    result = verify_receipt(text, bundle)
    head = (f"{'VALID' if result['valid'] else 'NOT VALID'}: receipt No. {result['receipt']} of station "
            f"{result['station_id']} — seal {result['esID']} {result['name']} ({result['unit']})")
    lines = [head,
             f"  card {result['card']}, recipient {result['recipient']}, issued {result['issued_at']}"
             + (f" ({result['pin']})" if result.get("pin") else ""),
             f"  officer {result.get('officer', result['officer_cert_sha256'][:16])}; supervisors "
             f"{', '.join(result['supervisor_names']) or '-'}",
             f"  audit log: {result['audit']['size']} entries, root {result['audit']['root'][:16]}…",
             f"  note: {result['trust_note']}"]
    lines += [f"  problem: {p}" for p in result["problems"]]
    emit(args, result, "\n".join(lines))
    if not result["valid"]:
        print(one_line(f"seal-station: Invalid: the receipt is NOT valid ({'; '.join(result['problems'])})"),
              file=sys.stderr)
    return 0 if result["valid"] else 1


def _export(args: argparse.Namespace) -> int:
    from station.receipts.export import export_receipt
    from station.receipts.issue import issued_seal

    session = session_for(args)
    try:
        paths = export_receipt(session, args.esid, Path(args.dir))
        text = issued_seal(session, args.esid).receipt
    finally:
        session.close()
    emit(args, {"seal": args.esid, "receipt": text, "files": [str(p) for p in paths]},
         f"receipt of {args.esid} written:" + "".join(f"\n  {p}" for p in paths))
    return 0


def _receipt(args: argparse.Namespace) -> int:
    if args.receipt_cmd == "verify":
        return _verify(args)
    if args.receipt_cmd == "export":
        return _export(args)
    raise UsageError("usage: seal-station receipt verify|export ...")


def _bundle(args: argparse.Namespace) -> int:
    if args.bundle_cmd != "export":
        raise UsageError("usage: seal-station bundle export OUT.json --by SERIAL")
    from station.receipts.bundle import export_bundle

    session = session_for(args)
    try:
        doc = export_bundle(session, Path(args.out))
    finally:
        session.close()
    emit(args, {"bundle": args.out, "station_id": doc["station_id"], "enrolled": len(doc["enrolled"]),
                "tree_size": doc["tree_head"]["size"]},
         f"enrollment bundle of station {doc['station_id']} written to {args.out} "
         f"({len(doc['enrolled'])} enrolled certificates, signed by an administrator)")
    return 0
