"""``seal-station staff | unenroll``: the administrator's desk on the command line."""

from __future__ import annotations

import argparse
from typing import Any

from station.cli.common import emit, say, session_for

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("staff", parents=[common], help="enrolled cards: role, enrolled, last login")
    s.add_argument("--by", required=True)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=_staff)

    u = sub.add_parser("unenroll", parents=[common], help="retire a card: it can no longer log in")
    u.add_argument("serial")
    u.add_argument("--reason", required=True)
    u.add_argument("--by", required=True)
    u.set_defaults(run=_unenroll)


def _staff(args: argparse.Namespace) -> int:
    from station.model import Role
    from station.staff import require_role, staff

    session = session_for(args)
    try:
        require_role(session, "staff-list", Role.ADMIN, Role.AUDITOR)
        members = staff(session)
    finally:
        session.close()
    lines = [f"{m.serial:<20}{m.role:<12}{m.name:<20}{m.enrolled_at[:10]:<12}"
             f"{(m.last_login or '-')[:16]:<18}{'retired ' + m.removed_at[:10] if m.removed_at else ''}"
             for m in members]
    emit(args, {"staff": [m.to_json() for m in members]}, "\n".join(lines) or "no one is enrolled")
    return 0


def _unenroll(args: argparse.Namespace) -> int:
    from station.model import Role
    from station.staff import unenroll

    session = session_for(args, role=Role.ADMIN)
    try:
        member = unenroll(session, args.serial, args.reason)
    finally:
        session.close()
    say(f"card {member.serial} ({member.name}, {member.role}) retired: it can no longer log in")
    return 0
