"""``seal-station config show | set | accept | revert``: the station's settings.

Without ``--by``, ``show`` prints ``station.toml`` as the files say (unchecked); with an
enrolled card it prints the store's settings, the ones that count, and any difference
the files show. Changes need an administrator's card and are audited.
"""

from __future__ import annotations

import argparse
from typing import Any

from station.cli.common import emit, home_of, say, session_for
from station.errors import UsageError

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    c = sub.add_parser("config", parents=[common], help="the station's settings")
    c_sub = c.add_subparsers(dest="config_cmd")
    show = c_sub.add_parser("show", parents=[common], help="the settings (--by: checked against the store)")
    show.add_argument("--by")
    show.add_argument("--json", action="store_true")
    st = c_sub.add_parser("set", parents=[common], help="change one setting (administrator)")
    st.add_argument("key")
    st.add_argument("value")
    st.add_argument("--by")
    for name, text in (("accept", "take the files as changed outside the station (administrator)"),
                       ("revert", "put the store's settings back over the files (administrator)")):
        p = c_sub.add_parser(name, parents=[common], help=text)
        p.add_argument("--by")
        p.add_argument("--json", action="store_true")
    c.set_defaults(run=_config)


def _config(args: argparse.Namespace) -> int:
    cmd = getattr(args, "config_cmd", None)
    if cmd is None:
        raise UsageError("usage: seal-station config show|set|accept|revert")
    if cmd == "show" and not getattr(args, "by", None):
        from station import config as config_mod

        values = config_mod.to_dict(home_of(args).config())
        emit(args, {"settings": values, "checked": False, "differences": []},
             "\n".join([f"{k} = {v}" for k, v in values.items()]
                       + ["(as station.toml says; give --by SERIAL to check it against the store)"]))
        return 0
    if cmd in ("set", "accept", "revert") and not getattr(args, "by", None):
        raise UsageError(f"config {cmd} needs --by ADMIN_SERIAL (an administrator's card)")
    from station import configure, settings
    from station import config as config_mod
    from station.home import Home

    session = session_for(args)
    try:
        if cmd == "set":
            old, new = configure.config_set(session, args.key, args.value)
            say(f"{args.key}: {old} -> {new}")
            return 0
        if cmd in ("accept", "revert"):
            diff = getattr(configure, cmd)(session)
            emit(args, {"differences": [d.to_json() for d in diff]},
                 "\n".join([d.text() for d in diff] + [f"{cmd}ed {len(diff)} difference(s)" if diff
                                                       else "the files agree with the store"]))
            return 0
        values = config_mod.to_dict(session.config)
        diff = settings.differences(Home(session.home.path), session.store)
        lines = [f"{k} = {v}" for k, v in values.items()]
        if diff:
            lines += ["", "changed outside the station (`config accept` or `config revert`):"]
            lines += [f"  {d.text()}" for d in diff]
        emit(args, {"settings": values, "checked": True, "differences": [d.to_json() for d in diff]},
             "\n".join(lines))
        return 0
    finally:
        session.close()
