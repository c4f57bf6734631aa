"""``seal-station audit verify``: is the audit log intact (in the store, or an export)?"""

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
    av.add_argument("--json", action="store_true")
    a.set_defaults(run=_audit)


def _audit(args: argparse.Namespace) -> int:
    if args.audit_cmd != "verify":
        raise UsageError("usage: seal-station audit verify (--by SERIAL | --file EXPORT)")
    from station.audit import verify_and_record, verify_export

    if args.file:
        report = verify_export(Path(args.file))
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
