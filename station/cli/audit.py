"""``seal-station audit verify|export|show|stats``: is the audit log intact (in the store,
or an export checked against the enrollment bundle), and the auditor's desk: the log
filtered, counted, and exported as a workbook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from station.cli.common import emit, one_line, session_for
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
    target = ae.add_mutually_exclusive_group(required=True)
    target.add_argument("--jsonl")
    target.add_argument("--xlsx")
    ae.add_argument("--by", required=True)
    ae.add_argument("--json", action="store_true")
    show = a_sub.add_parser("show", parents=[common], help="entries, filtered")
    stats = a_sub.add_parser("stats", parents=[common], help="counts per unit and period")
    for p in (show, stats, ae):
        p.add_argument("--from", dest="start", default="")
        p.add_argument("--to", dest="end", default="")
    for p in (show, ae):
        p.add_argument("--action", default="")
        p.add_argument("--actor", default="")
        p.add_argument("--unit", default="")
        p.add_argument("--outcome", default="", choices=["", "ok", "refused", "failed"])
    for p in (show, stats):
        p.add_argument("--by")
        p.add_argument("--json", action="store_true")
    for p in (stats, ae):
        p.add_argument("--period", default="month", choices=["day", "month", "year"])
    a.set_defaults(run=_audit)


def _export(args: argparse.Namespace) -> int:
    from station.audit import export_signed

    if args.xlsx is not None:
        return _export_xlsx(args)
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
    if args.audit_cmd in ("show", "stats"):
        return _show(args) if args.audit_cmd == "show" else _stats(args)
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
        print(one_line(f"seal-station: Invalid: the audit log is NOT intact ({len(report.problems)} problems,"
                       f" first at #{first[0]}: {first[1]})"), file=sys.stderr)
    return 0 if report.ok else 1


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


def _export_xlsx(args: argparse.Namespace) -> int:
    from station.audit_xlsx import export_xlsx
    from station.store.counters import Meta

    if not args.xlsx.strip():
        raise UsageError("the export file must be named")
    where = _filter(args)
    session = _desk(args, "audit-export")
    try:
        count = export_xlsx(session.store, Path(args.xlsx), where, args.period,
                            Meta(session.store).get("station_id") or "")
        session.log("audit-export", Path(args.xlsx).name, "ok", entries=count, format="xlsx")
    finally:
        session.close()
    emit(args, {"file": args.xlsx, "entries": count}, f"audit log exported to {args.xlsx} ({count} entries)")
    return 0
