"""``seal-station backup create | verify | restore``: one encrypted, signed file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station.cli.common import emit, home_of, one_line, read_pin, read_secret, session_for
from station.errors import UsageError

__all__ = ["add_parsers"]

RESTORE_WARNING = ("impressions destroyed after {created} come back with this backup: "
                   "destroy them again if they must stay destroyed")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("backup", parents=[common], help="encrypted backup and restore")
    b_sub = b.add_subparsers(dest="backup_cmd")
    c = b_sub.add_parser("create", parents=[common])
    c.add_argument("file")
    c.add_argument("--by")
    c.add_argument("--json", action="store_true")
    v = b_sub.add_parser("verify", parents=[common])
    v.add_argument("file")
    v.add_argument("--bundle")
    v.add_argument("--json", action="store_true")
    r = b_sub.add_parser("restore", parents=[common])
    r.add_argument("file")
    r.add_argument("--by")
    r.add_argument("--force", action="store_true")
    r.add_argument("--json", action="store_true")
    b.set_defaults(run=_backup)


def _backup(args: argparse.Namespace) -> int:
    if args.backup_cmd == "create":
        return _create(args)
    if args.backup_cmd == "verify":
        return _verify(args)
    if args.backup_cmd == "restore":
        return _restore(args)
    raise UsageError("usage: seal-station backup (create FILE --by ADMIN | verify FILE --bundle B | "
                     "restore FILE [--by ADMIN] [--force])")


def _create(args: argparse.Namespace) -> int:
    from station.backup import create_backup
    from station.model import Role

    if not args.by:
        raise UsageError("backup create needs --by ADMIN_SERIAL (an administrator card)")
    session = session_for(args, role=Role.ADMIN)
    try:
        made = create_backup(session, Path(args.file))
    finally:
        session.close()
    emit(args, {"file": str(made.path), "size": made.size, "signed_sha256": made.sha256, "station_id": made.station_id,
                "created": made.created, "tree_size": made.tree_size, "numbers": made.numbers},
         f"backup written: {made.path} ({made.size} bytes, signed SHA-256 {made.sha256[:16]}…, "
         f"audit tree size {made.tree_size})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from station.backup import verify_backup

    if not args.bundle:
        raise UsageError("backup verify needs --bundle BUNDLE.json (the station's enrollment bundle)")
    report = verify_backup(Path(args.file), Path(args.bundle))
    emit(args, {"valid": report.valid, "station_id": report.station_id, "created": report.created,
                "size": report.size, "tree_size": report.tree_size, "signer": report.signer,
                "signer_name": report.signer_name, "problems": list(report.problems)},
         f"backup {'valid' if report.valid else 'NOT valid'}: station {report.station_id}, made "
         f"{report.created}, signed by {report.signer_name or report.signer[:16]}"
         + "".join(f"\n  {p}" for p in report.problems))
    if not report.valid:
        print(one_line(f"seal-station: Invalid: the backup is NOT valid ({report.problems[0]})"), file=sys.stderr)
        return 1
    return 0


def _restore(args: argparse.Namespace) -> int:
    from station.backup import restore_backup

    home = home_of(args)
    if args.by:
        unlock: dict[str, Any] = {"by": args.by, "pin": lambda: read_pin(args.by)}
    else:
        unlock = {"recovery_code": lambda: read_secret("SEAL_STATION_RECOVERY_CODE", "Recovery code")}
    done = restore_backup(Path(args.file), home, force=args.force, **unlock)
    print(one_line(f"seal-station: note: {RESTORE_WARNING.format(created=done.created)}"
                   + (f" ({len(done.back_again)} are back now: {', '.join(map(str, done.back_again))})"
                      if done.back_again else "")), file=sys.stderr)
    gaps = ", ".join(f"{k} {g['from']}→{g['to']}" for k, g in done.gaps.items()) or "none"
    emit(args, {"home": str(done.home), "station_id": done.station_id, "backup_created": done.created,
                "replaced": done.replaced, "gaps": done.gaps, "impressions_back": list(done.back_again)},
         f"restored station {done.station_id} (backup of {done.created}) into {done.home}; "
         f"numbering raised: {gaps}")
    return 0
