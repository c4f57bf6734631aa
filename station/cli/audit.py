"""``seal-station audit verify`` and ``audit export``: is the audit log intact, in the
store or in an export checked against the enrollment bundle?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station.cli.common import emit, session_for
from station.errors import UsageError

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("audit", parents=[common], help="the audit log")
    a_sub = a.add_subparsers(dest="audit_cmd")
    av = a_sub.add_parser("verify", parents=[common])
    av.add_argument("--by")
    av.add_argument("--file")
    av.add_argument("--bundle")
    av.add_argument("--json", action="store_true")
    ae = a_sub.add_parser("export", parents=[common])
    ae.add_argument("--jsonl", required=True)
    ae.add_argument("--by", required=True)
    ae.add_argument("--json", action="store_true")
    a.set_defaults(run=_audit)


def _export(args: argparse.Namespace) -> int:
    from station.audit import export_signed

    if not args.jsonl.strip():
        raise UsageError("the export file must be named")
    session = session_for(args)
    try:
        count = export_signed(session, Path(args.jsonl))
    finally:
        session.close()
    emit(args, {"file": args.jsonl, "lines": count}, f"audit log exported to {args.jsonl} ({count} lines)")
    return 0


def _audit(args: argparse.Namespace) -> int:
    if args.audit_cmd == "export":
        return _export(args)
    if args.audit_cmd != "verify":
        raise UsageError("usage: seal-station audit verify (--by SERIAL | --file EXPORT --bundle BUNDLE)")
    from station.audit import verify_and_record, verify_export

    if args.file:
        if not args.bundle:
            raise UsageError("an export is trusted only through the enrollment bundle: give --bundle BUNDLE.json")
        from station.receipts.bundle import load_bundle

        bundle = load_bundle(Path(args.bundle))
        problems = list(bundle.problems) or ([] if bundle.signature_ok else ["its signature does not verify"])
        report = verify_export(Path(args.file), {e.cert_sha256: e.certificate for e in bundle.enrolled}, problems)
    else:
        session = session_for(args)
        try:
            report = verify_and_record(session)
        finally:
            session.close()
    data = {"valid": report.ok, "size": report.size, "signed_size": report.signed_size,
            "root": report.root.hex(), "heads_checked": report.heads_checked,
            "problems": [{"seq": s, "problem": p} for s, p in report.problems]}
    text = (f"audit log {'intact' if report.ok else 'NOT intact'}: {report.size} entries, "
            f"signed up to {report.signed_size}, root {report.root.hex()[:16]}…")
    text += "".join(f"\n  #{s}: {p}" for s, p in report.problems)
    emit(args, data, text)
    if not report.ok:
        first = report.problems[0] if report.problems else (0, "")
        print(f"seal-station: Invalid: the audit log is NOT intact ({len(report.problems)} problems,"
              f" first at #{first[0]}: {first[1]})", file=sys.stderr)
    return 0 if report.ok else 1
