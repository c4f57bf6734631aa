"""CLI commands for applications and the impression library (CLI.md).

`apply`, `approve`, `reject`, `applications`, `impressions`, `impression disable|destroy`.
Everything a user typed is checked — the form with its check digits, the impression file
read and normalised — *before* any card is asked for its PIN, so a bad input is exit 2
without touching a card. `impressions` needs `--by` too: the library lives in the
encrypted store, which only an enrolled card opens.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from station.cli.common import emit, session_for
from station.errors import UsageError
from station.vocabulary import ApplicationState, ImpressionState, SealKind, values

__all__ = ["add_parsers"]

_UNIT_KINDS = [k.value for k in SealKind if not k.personal and k is not SealKind.OFFICIAL]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("apply", parents=[common], help="enter an application with its impression")
    a.add_argument("--type", dest="seal_type",
                   choices=[k.value for k in SealKind if k.personal or k is SealKind.OFFICIAL])
    a.add_argument("--kind", choices=_UNIT_KINDS, help="a unit seal other than the official seal")
    a.add_argument("--unit")
    a.add_argument("--credit-code")
    a.add_argument("--name", required=True, help="the seal name")
    a.add_argument("--purpose", default="")
    a.add_argument("--impression", required=True, help="PNG, JPEG or BMP, at most 10 MB and 4096×4096")
    a.add_argument("--size-mm", help="physical size WIDTHxHEIGHT in mm (default per seal type)")
    a.add_argument("--holder")
    a.add_argument("--holder-id")
    a.add_argument("--holder-id-type", default=None,
                   choices=["resident-id", "passport", "hk-macao-permit", "taiwan-permit", "other"])
    a.add_argument("--by")
    a.add_argument("--json", action="store_true")
    a.set_defaults(run=_apply)

    ap = sub.add_parser("approve", parents=[common], help="approve an application (supervisor)")
    ap.add_argument("application", type=int)
    ap.add_argument("--by")
    ap.add_argument("--json", action="store_true")
    ap.set_defaults(run=_approve)

    rj = sub.add_parser("reject", parents=[common], help="return an application with a reason (supervisor)")
    rj.add_argument("application", type=int)
    rj.add_argument("--reason", required=True)
    rj.add_argument("--by")
    rj.add_argument("--json", action="store_true")
    rj.set_defaults(run=_reject)

    ls = sub.add_parser("applications", parents=[common], help="list applications")
    ls.add_argument("--state", choices=values(ApplicationState))
    ls.add_argument("--unit")
    ls.add_argument("--by")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=_applications)

    im = sub.add_parser("impressions", parents=[common], help="search the impression library")
    im.add_argument("--name")
    im.add_argument("--unit")
    im.add_argument("--state", choices=values(ImpressionState))
    im.add_argument("--since", help="imported on or after (YYYY-MM-DD or ISO time)")
    im.add_argument("--until", help="imported on or before (YYYY-MM-DD or ISO time)")
    im.add_argument("--limit", type=int, default=200)
    im.add_argument("--by")
    im.add_argument("--json", action="store_true")
    im.set_defaults(run=_impressions)

    one = sub.add_parser("impression", parents=[common], help="disable or destroy an impression")
    one.add_argument("action", choices=["disable", "destroy"])
    one.add_argument("impression", type=int)
    one.add_argument("--reason", default="")
    one.add_argument("--by")
    one.add_argument("--json", action="store_true")
    one.set_defaults(run=_impression)


def _need_by(args: argparse.Namespace) -> None:
    if not args.by:
        raise UsageError("this command needs --by SERIAL (the enrolled card that unlocks the station)")


def _kind(args: argparse.Namespace) -> str:
    if args.kind:
        if args.seal_type not in (None, "official"):
            raise UsageError(f"--kind {args.kind} is a unit seal; it cannot be --type {args.seal_type}")
        return str(args.kind)
    if not args.seal_type:
        raise UsageError("apply needs --type official|personal-name|personal-signature (or --kind)")
    return str(args.seal_type)


def _app_dict(app: Any) -> dict[str, Any]:
    return asdict(app)


def _apply(args: argparse.Namespace) -> int:
    from station import applications

    _need_by(args)
    form = applications.check_form(
        seal_kind=_kind(args), unit=args.unit, credit_code=args.credit_code, seal_name=args.name,
        purpose=args.purpose, holder_name=args.holder, holder_id_type=args.holder_id_type,
        holder_id=args.holder_id)
    image = applications.load_impression(args.impression, form.seal_kind, applications.parse_size(args.size_mm))
    session = session_for(args)
    try:
        app = applications.submit(session, form, image)
    finally:
        session.close()
    emit(args, {"application": app.id},
         f"application {app.id} entered: {app.seal_name} ({app.unit}), waiting for a supervisor")
    return 0


def _approve(args: argparse.Namespace) -> int:
    from station import applications

    _need_by(args)
    session = session_for(args)
    try:
        result = applications.approve(session, args.application)
    finally:
        session.close()
    imp, old = result.impression, result.replaced
    data = {"application": result.application.id, "state": result.application.state, "impression": imp.id,
            "disabled": [old.id] if old else []}
    text = f"application {result.application.id} approved; impression {imp.id} is active"
    if old:
        text += f"; impression {old.id} (the previous one for {imp.seal_name}) is now disabled"
    emit(args, data, text)
    return 0


def _reject(args: argparse.Namespace) -> int:
    from station import applications

    _need_by(args)
    if not args.reason.strip():
        raise UsageError("--reason must say why the application is rejected")
    session = session_for(args)
    try:
        app = applications.reject(session, args.application, args.reason)
    finally:
        session.close()
    emit(args, {"application": app.id, "state": app.state, "reason": app.reason},
         f"application {app.id} rejected: {app.reason}")
    return 0


def _applications(args: argparse.Namespace) -> int:
    from station import applications

    _need_by(args)
    session = session_for(args)
    try:
        rows = applications.list_(session, state=args.state, unit=args.unit)
    finally:
        session.close()
    lines = [f"{a.id:>6}  {a.state:<10} {a.seal_kind:<19} {a.unit} · {a.seal_name}"
             + (f"  → impression {a.impression_id}" if a.impression_id else "")
             + (f"  ({a.reason})" if a.reason else "") for a in rows] or ["no applications"]
    emit(args, [_app_dict(a) for a in rows], "\n".join(lines))
    return 0


def _impressions(args: argparse.Namespace) -> int:
    from station import impressions

    _need_by(args)
    session = session_for(args)
    try:
        rows = impressions.search(session, unit=args.unit, name=args.name, state=args.state,
                                  since=args.since, until=args.until, limit=args.limit)
    finally:
        session.close()
    lines = [f"{i.id:>6}  {i.state:<9} {i.imported_at[:19]}  {i.unit} · {i.seal_name}  "
             f"{i.width_mm}×{i.height_mm} mm" for i in rows] or ["no impressions match"]
    emit(args, [asdict(i) for i in rows], "\n".join(lines))
    return 0


def _impression(args: argparse.Namespace) -> int:
    from station import impressions

    _need_by(args)
    session = session_for(args)
    try:
        change = impressions.disable if args.action == "disable" else impressions.destroy
        imp = change(session, args.impression, args.reason)
    finally:
        session.close()
    emit(args, {"impression": imp.id, "state": imp.state},
         f"impression {imp.id} ({imp.unit} · {imp.seal_name}) is {imp.state}")
    return 0
