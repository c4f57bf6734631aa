"""The ``seal-station`` command (CLI.md): the TUI's scriptable twin.

Every failure is one line on stderr and an exit code from CLI.md; no traceback ever
reaches the user. PINs come from ``SEAL_STATION_PIN_<SERIAL>`` or a hidden prompt.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from station.errors import StationError, UsageError
from station.home import Home, default_home

__all__ = ["main", "read_pin", "COMMANDS"]

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    def deco(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = fn
        return fn

    return deco


def read_secret(env_name: str, prompt: str) -> str:
    """From the environment (automation) or a hidden prompt; never from argv."""
    value = os.environ.get(env_name)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for it: set {env_name}", title=prompt)
    return getpass.getpass(f"{prompt}: ")


def read_pin(serial: str) -> str:
    return read_secret(f"SEAL_STATION_PIN_{serial}", f"PIN for card {serial}")


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(text)


def home_of(args: argparse.Namespace) -> Home:
    home = getattr(args, "home", None)
    return Home(Path(home) if home else default_home())


def session_for(args: argparse.Namespace, serial: str | None = None, role: Any = None) -> Any:
    from station.session import login

    serial = serial or args.by
    if not serial:
        raise UsageError("this command needs --by SERIAL (the enrolled card that unlocks the station)")
    return login(home_of(args), serial, read_pin(serial), role=role)


class _Parser(argparse.ArgumentParser):
    """argparse prints a usage block and an error line; CLI.md wants one line (exit 2)."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", default=argparse.SUPPRESS, help="station home (default $SEAL_STATION_HOME or the user data dir)")
    p = _Parser(prog="seal-station", parents=[common],
                                description="Offline seal-making station (GB/T 38540 electronic seals).")
    sub = p.add_subparsers(dest="cmd")

    t = sub.add_parser("tui", parents=[common], help="the terminal UI (default)")
    t.add_argument("--lang", choices=["zh_CN", "en"])

    d = sub.add_parser("demo", parents=[common], help="build a ready demo world in --home")
    d.add_argument("--force", action="store_true")
    d.add_argument("--json", action="store_true")

    i = sub.add_parser("init", parents=[common], help="initialise a station")
    i.add_argument("--module", required=True)
    i.add_argument("--trust", action="append", required=True)
    i.add_argument("--station-id", required=True)

    e = sub.add_parser("enroll", parents=[common], help="enroll a card for a role")
    e.add_argument("--role", required=True, choices=["admin", "officer", "supervisor", "auditor"])
    e.add_argument("--card", required=True)
    e.add_argument("--by")

    c = sub.add_parser("cards", parents=[common], help="tokens present now")
    c.add_argument("--json", action="store_true")

    cu = sub.add_parser("card", parents=[common], help="card administration")
    cu_sub = cu.add_subparsers(dest="card_cmd")
    ub = cu_sub.add_parser("unblock", parents=[common], help="unblock a locked card with its SO PIN")
    ub.add_argument("serial")

    a = sub.add_parser("audit", parents=[common], help="the audit log")
    a_sub = a.add_subparsers(dest="audit_cmd")
    av = a_sub.add_parser("verify", parents=[common])
    av.add_argument("--by")
    av.add_argument("--file")
    av.add_argument("--json", action="store_true")

    for extend in _EXTENSIONS:
        extend(sub, common)
    return p


_EXTENSIONS: list[Callable[[Any, argparse.ArgumentParser], None]] = []
# Modules that add commands: each calls `extension(fn)` for its sub-parsers and
# `@command(name)` for its handlers when imported.
_EXTENSION_MODULES: list[str] = ["station.cli.making", "station.cli.library", "station.cli.receipts"]


def extension(fn: Callable[[Any, argparse.ArgumentParser], None]) -> Callable[[Any, argparse.ArgumentParser], None]:
    _EXTENSIONS.append(fn)
    return fn


def _load_extensions() -> None:
    import importlib

    for name in _EXTENSION_MODULES:
        importlib.import_module(name)


@command("demo")
def _demo(args: argparse.Namespace) -> int:
    from station.demo import build_demo

    home = home_of(args)
    cards, conf = build_demo(home, force=args.force)
    data = {"home": str(home.path), "softhsm2_conf": str(conf),
            "cards": [{"role": c.role, "label": c.label, "serial": c.serial, "pin": c.pin} for c in cards]}
    lines = [f"demo world in {home.path}", f"SOFTHSM2_CONF={conf}", "",
             f"{'role':<16}{'label':<16}{'serial':<20}PIN"]
    lines += [f"{c.role:<16}{c.label:<16}{c.serial:<20}{c.pin}" for c in cards]
    emit(args, data, "\n".join(lines))
    return 0


@command("init")
def _init(args: argparse.Namespace) -> int:
    from station.setup import init_station

    code = init_station(home_of(args), module=args.module, trust=[Path(t) for t in args.trust],
                        station_id=args.station_id)
    print("Station initialised. Recovery code — write it down now, it is shown only once:")
    print(f"  {code}")
    return 0


@command("enroll")
def _enroll(args: argparse.Namespace) -> int:
    from station.model import Role
    from station.setup import enroll

    home = home_of(args)
    by = session_for(args, role=Role.ADMIN) if args.by else None
    try:
        actor = enroll(home, role=Role(args.role), serial=args.card, pin=read_pin(args.card), by=by,
                       recovery_code=lambda: read_secret("SEAL_STATION_RECOVERY_CODE", "Recovery code"))
    finally:
        if by is not None:
            by.close()
    print(f"enrolled card {actor.serial} ({actor.name}) as {actor.role.value}")
    return 0


@command("cards")
def _cards(args: argparse.Namespace) -> int:
    from station.cards import list_cards

    views = list_cards(home_of(args))
    data = [{"serial": v.serial, "label": v.label, "state": v.state.value, "subject": v.subject,
             "role": v.role.value if v.role else None, "locked": v.pin_locked} for v in views]
    lines = [f"{v.serial:<20}{v.label:<16}{v.state.value:<18}{(v.role.value if v.role else '-'):<12}{v.subject}"
             for v in views] or ["no cards present"]
    emit(args, data, "\n".join(lines))
    return 0


@command("card")
def _card(args: argparse.Namespace) -> int:
    if args.card_cmd != "unblock":
        raise UsageError("usage: seal-station card unblock SERIAL")
    from station.cards import device_errors, module_for

    home = home_of(args)
    so_pin = read_secret(f"SEAL_STATION_SO_PIN_{args.serial}", f"SO PIN for card {args.serial}")
    new_pin = read_secret(f"SEAL_STATION_NEW_PIN_{args.serial}", f"new PIN for card {args.serial}")
    module = module_for(home)
    from devices.pkcs11 import unblock

    with device_errors(args.serial):
        unblock(module, args.serial, so_pin, new_pin)
    home.set_pin_failures(args.serial, 0)
    print(f"card {args.serial} unblocked with a new PIN")
    return 0


@command("audit")
def _audit(args: argparse.Namespace) -> int:
    if args.audit_cmd != "verify":
        raise UsageError("usage: seal-station audit verify (--by SERIAL | --file EXPORT)")
    from station.audit import verify_export

    if args.file:
        report = verify_export(Path(args.file))
    else:
        session = session_for(args)
        try:
            report = session.audit.verify(session.certificates())
            session.log("audit-verify", "", "ok" if report.ok else "failed", problems=len(report.problems))
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


@command("tui")
def _tui(args: argparse.Namespace) -> int:
    from screens.app import make_app

    app = make_app(home_of(args), lang=getattr(args, "lang", None))
    app.run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    _load_extensions()
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help
        return int(exc.code or 0) and 2
    except UsageError as exc:
        print(f"seal-station: {_one_line(exc.one_line())}", file=sys.stderr)
        return exc.exit_code
    if args.cmd is None:
        args.cmd, args.lang = "tui", None
    try:
        return COMMANDS[args.cmd](args)
    except StationError as exc:
        print(f"seal-station: {_one_line(exc.one_line())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("seal-station: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the promise: never a traceback
        print(f"seal-station: internal error: {_one_line(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return 4


def _one_line(text: str) -> str:
    """Messages quoting other tools may span lines; stderr gets exactly one."""
    return " ".join(text.split())
