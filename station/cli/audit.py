"""``seal-station audit verify|show|stats|export``: the auditor's desk on the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station.cli.common import emit, session_for
from station.errors import UsageError

__all__ = ["add_parsers"]

_USAGE = "usage: seal-station audit (verify|show|stats|export) ... (see `seal-station audit --help`)"


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("audit", parents=[common], help="the audit log")
    a_sub = a.add_subparsers(dest="audit_cmd")
    av = a_sub.add_parser("verify", parents=[common])
    av.add_argument("--by")
    av.add_argument("--file")
    av.add_argument("--json", action="store_true")
    show = a_sub.add_parser("show", parents=[common], help="entries, filtered")
    stats = a_sub.add_parser("stats", parents=[common], help="counts per unit and period")
    export = a_sub.add_parser("export", parents=[common], help="the log as a workbook or JSON lines")
    for p in (show, stats, export):
        p.add_argument("--from", dest="start", default="")
        p.add_argument("--to", dest="end", default="")
        p.add_argument("--by")
    for p in (show, export):
        p.add_argument("--action", default="")
        p.add_argument("--actor", default="")
        p.add_argument("--unit", default="")
        p.add_argument("--outcome", default="", choices=["", "ok", "refused", "failed"])
    for p in (show, stats):
        p.add_argument("--json", action="store_true")
    stats.add_argument("--period", default="month", choices=["day", "month", "year"])
    export.add_argument("--period", default="month", choices=["day", "month", "year"])
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--xlsx")
    target.add_argument("--jsonl")
    a.set_defaults(run=_audit)


def _audit(args: argparse.Namespace) -> int:
    handler = {"verify": _verify, "show": _show, "stats": _stats, "export": _export}.get(args.audit_cmd)
    if handler is None:
        raise UsageError(_USAGE)
    return handler(args)


def _desk(args: argparse.Namespace, action: str) -> Any:
    """A session for the auditor's desk: auditors and administrators only."""
    from station.model import Role
    from station.staff import require_role

    session = session_for(args)
    try:
        require_role(session, action, Role.AUDITOR, Role.ADMIN)
    except BaseException:
        session.close()
        raise
    return session


def _filter(args: argparse.Namespace) -> Any:
    from station.auditor import AuditFilter, check_date

    return AuditFilter(start=check_date(args.start, "--from"), end=check_date(args.end, "--to"),
                       action=getattr(args, "action", ""), actor=getattr(args, "actor", ""),
                       unit=getattr(args, "unit", ""), outcome=getattr(args, "outcome", ""))


def _show(args: argparse.Namespace) -> int:
    from station.auditor import show

    where = _filter(args)
    session = _desk(args, "audit-show")
    try:
        entries = show(session.store, where)
        session.log("audit-show", "", "ok", matched=len(entries))
    finally:
        session.close()
    lines = [f"#{e['seq']:<7} {e['time']:<25} {e['action']:<22} {e['outcome']:<8} {e['card']:<18}"
             f" {e['host']} {e['ip']} {e['mac']} {e['object']} {e['reason']}" for e in entries]
    emit(args, {"entries": entries}, "\n".join(lines) or "no entries match")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from station.auditor import KINDS, stats

    where = _filter(args)
    session = _desk(args, "audit-stats")
    try:
        figures = stats(session.store, where.start, where.end, args.period)
        session.log("audit-stats", "", "ok", period=args.period)
    finally:
        session.close()
    head = " ".join(f"{k:>11}" for k in KINDS)
    lines = [f"{'unit':<30}{head}"]
    lines += [f"{(u['unit'] or '-'):<30}" + " ".join(f"{u[k]:>11}" for k in KINDS) for u in figures.by_unit]
    lines += ["", f"{args.period:<30}{head}"]
    lines += [f"{p['period']:<30}" + " ".join(f"{p[k]:>11}" for k in KINDS) for p in figures.by_period]
    emit(args, figures.to_json(), "\n".join(lines))
    return 0


def _export(args: argparse.Namespace) -> int:
    from station.audit import export_jsonl
    from station.audit_xlsx import export_xlsx
    from station.store.counters import Meta

    where = _filter(args)
    session = _desk(args, "audit-export")
    try:
        if args.xlsx:
            count = export_xlsx(session.store, Path(args.xlsx), where, args.period,
                                Meta(session.store).get("station_id") or "")
            target = args.xlsx
        else:
            count = export_jsonl(session.audit, Path(args.jsonl), session.certificates())
            target = args.jsonl
        session.log("audit-export", Path(target).name, "ok", entries=count,
                    format="xlsx" if args.xlsx else "jsonl")
    finally:
        session.close()
    print(f"audit log exported to {target} ({count} {'entries' if args.xlsx else 'lines'})")
    return 0


def _verify(args: argparse.Namespace) -> int:
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
