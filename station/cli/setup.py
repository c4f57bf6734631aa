"""``seal-station demo | init | enroll``: bringing a station (or a demo world) to life."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from station.cli.common import emit, home_of, read_pin, read_secret, say, session_for

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    d = sub.add_parser("demo", parents=[common], help="build a ready demo world in --home")
    d.add_argument("--force", action="store_true")
    d.add_argument("--json", action="store_true")
    d.set_defaults(run=_demo)

    i = sub.add_parser("init", parents=[common], help="initialise a station")
    i.add_argument("--module", required=True)
    i.add_argument("--trust", action="append", required=True)
    i.add_argument("--station-id", required=True)
    i.set_defaults(run=_init)

    e = sub.add_parser("enroll", parents=[common], help="enroll a card for a role")
    e.add_argument("--role", required=True, choices=["admin", "officer", "supervisor", "auditor"])
    e.add_argument("--card", required=True)
    e.add_argument("--by")
    e.set_defaults(run=_enroll)


def _demo(args: argparse.Namespace) -> int:
    from station.demo import build_demo_world

    home = home_of(args)
    world = build_demo_world(home, force=args.force)
    cards, conf = world.cards, world.conf
    data = {"home": str(home.path), "softhsm2_conf": str(conf), "recovery_code": world.recovery_code,
            "cards": [{"role": c.role, "label": c.label, "serial": c.serial, "pin": c.pin, "so_pin": c.so_pin,
                       **c.applicant()} for c in cards]}
    lines = [f"demo world in {home.path}", f"SOFTHSM2_CONF={conf}", f"recovery code: {world.recovery_code}", "",
             f"{'role':<16}{'label':<16}{'serial':<20}{'PIN':<8}SO PIN    names"]
    lines += [f"{c.role:<16}{c.label:<16}{c.serial:<20}{c.pin:<8}{c.so_pin:<10}"
              + " ".join(c.applicant().values()) for c in cards]
    emit(args, data, "\n".join(lines))
    return 0


def _init(args: argparse.Namespace) -> int:
    from station.setup import init_station

    code = init_station(home_of(args), module=args.module, trust=[Path(t) for t in args.trust],
                        station_id=args.station_id)
    print("Station initialised. Recovery code — write it down now, it is shown only once:")
    print(f"  {code}")
    return 0


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
    say(f"enrolled card {actor.serial} ({actor.name}) as {actor.role.value}")
    return 0
