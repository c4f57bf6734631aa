"""``seal-station trust list | add | remove``: the CA certificates the station trusts.

Only the store's list counts: a certificate copied into ``trust/`` by hand is listed as
not trusted (and noticed at the next login); adding and removing need an administrator.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from station.cli.common import emit, home_of, say, session_for
from station.errors import UsageError

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    t = sub.add_parser("trust", parents=[common], help="trusted CA certificates")
    t_sub = t.add_subparsers(dest="trust_cmd")
    ls = t_sub.add_parser("list", parents=[common], help="the trust anchors (--by: the store's list)")
    ls.add_argument("--by")
    ls.add_argument("--json", action="store_true")
    add = t_sub.add_parser("add", parents=[common], help="trust a CA certificate (administrator)")
    add.add_argument("certificate")
    add.add_argument("--by")
    rm = t_sub.add_parser("remove", parents=[common], help="stop trusting a CA (administrator)")
    rm.add_argument("sha256")
    rm.add_argument("--by")
    t.set_defaults(run=_trust)


def _trust(args: argparse.Namespace) -> int:
    cmd = getattr(args, "trust_cmd", None)
    if cmd is None:
        raise UsageError("usage: seal-station trust list|add|remove")
    from station import configure

    if cmd == "list" and not getattr(args, "by", None):
        return _print(args, configure.trust_entries(home_of(args)))
    if not getattr(args, "by", None):
        raise UsageError(f"trust {cmd} needs --by ADMIN_SERIAL (an administrator's card)")
    session = session_for(args)
    try:
        if cmd == "list":
            return _print(args, configure.trust_entries(home_of(args), session))
        if cmd == "add":
            say(f"trusted {configure.trust_add(session, Path(args.certificate))}")
        else:
            say(f"no longer trusted {configure.trust_remove(session, args.sha256)}")
        return 0
    finally:
        session.close()


def _print(args: argparse.Namespace, entries: list[dict[str, Any]]) -> int:
    lines = [f"{'trusted' if e['trusted'] else 'NOT TRUSTED':<12}{e['sha256'][:16]}…  {e['subject']}"
             for e in entries] or ["no trust anchors"]
    emit(args, {"anchors": entries}, "\n".join(lines))
    return 0
