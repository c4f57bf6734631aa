"""A station with seals to live through: helpers shared by the lifecycle tests.

Making a seal takes card work, so a module makes one real seal (and a personal one) and
then *clones* the real seal's rows under new esIDs for the state-machine table: a clone
has every record an event needs (issuance, receipt), and the card stays free.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from station.demo import DemoCard
from station.home import Home
from tests.helpers import DemoWorld, copy_home, fitting_form

__all__ = ["make_real_seal", "clone_seal", "set_state", "audit_entries", "in_process", "new_life_home",
           "personal_application", "bundle_of"]


def new_life_home(world: DemoWorld, dest: Path) -> Home:
    return copy_home(world, dest)


def make_real_seal(world: DemoWorld, home: Home, seal: DemoCard, app_id: int,
                   functions: tuple[str, ...] = ("office", "web")) -> Any:
    """One seal made by the ceremony in process (officer + first supervisor)."""
    from station import making
    from station.model import Role
    from station.session import login

    officer, supervisor = world.card("officer"), world.card("supervisor")
    session = login(home, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        return making.make_seal(session, application_id=app_id, seal_card=seal.serial, seal_pin=seal.pin,
                                supervisors=[(supervisor.serial, lambda: supervisor.pin)], recipient="张三",
                                functions=functions)
    finally:
        session.close()


def _with_store(world: DemoWorld, home: Home, fn: Any) -> Any:
    from station.session import login

    officer = world.card("officer")
    session = login(home, officer.serial, officer.pin)
    try:
        return fn(session)
    finally:
        session.close()


def clone_seal(world: DemoWorld, home: Home, esid: str) -> str:
    """A copy of seal ``esid`` under a new esID (same station prefix), active."""
    new = f"{esid.rsplit('-', 1)[0]}-9{secrets.randbelow(10 ** 5):05d}"

    def run(session: Any) -> None:
        with session.store.transaction():
            session.store.execute(
                "INSERT INTO seals (esid, application_id, seal_der, seal_sha256, card_serial, card_cert_sha256,"
                " name, unit, seal_kind, valid_start, valid_end, made_at, officer_cert_sha256, functions, state)"
                " SELECT ?, application_id, seal_der, seal_sha256, card_serial || '-' || ?, card_cert_sha256,"
                " name, unit, seal_kind, valid_start, valid_end, made_at, officer_cert_sha256, functions,"
                " 'active' FROM seals WHERE esid = ?", (new, new, esid))
            session.store.execute(
                "INSERT INTO issuances (esid, recipient, issued_at, officer_cert_sha256, supervisors, digest,"
                " receipt) SELECT ?, recipient, issued_at, officer_cert_sha256, supervisors, digest, receipt"
                " FROM issuances WHERE esid = ?", (new, esid))

    _with_store(world, home, run)
    return new


def set_state(world: DemoWorld, home: Home, esid: str, state: str) -> None:
    _with_store(world, home, lambda s: s.store.execute("UPDATE seals SET state = ? WHERE esid = ?", (state, esid)))


def audit_entries(world: DemoWorld, home: Home, obj: str) -> list[dict]:
    rows = _with_store(world, home, lambda s: s.store.all("SELECT entry FROM audit ORDER BY seq"))
    entries = [json.loads(r[0]) for r in rows]
    return [e for e in entries if e["object"] == obj]


def in_process(monkeypatch: Any, world: DemoWorld, home: Home, capsys: Any, *args: str,
               cards: tuple[DemoCard, ...] = ()) -> tuple[int, str, str]:
    """Run ``seal-station ARGS`` in this process (faster than a child); (code, stdout, stderr)."""
    from station.cli import main

    monkeypatch.setenv("SEAL_STATION_HOME", str(home.path))
    for c in cards:
        monkeypatch.setenv(f"SEAL_STATION_PIN_{c.serial}", c.pin)
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def personal_application(world: DemoWorld, home: Home, card: DemoCard) -> tuple[int, str, str]:
    """An approved personal name seal application fitting ``card`` (a card that names a
    person); (id, holder, holder id)."""
    from station import applications
    from station.demo_impressions import make_demo_impression
    from station.images import normalise_impression
    from station.model import Role
    from station.session import login

    fields = fitting_form(card)
    holder, holder_id = fields["holder_name"], fields["holder_id"]
    officer, supervisor = world.card("officer"), world.card("supervisor")
    form = applications.check_form(**fields, holder_id_type="resident-id", purpose="测试")
    image = normalise_impression(make_demo_impression(holder, "personal-name", size=160), seal_kind="personal-name")
    desk = login(home, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        app_id = applications.submit(desk, form, image).id
    finally:
        desk.close()
    boss = login(home, supervisor.serial, supervisor.pin, role=Role.SUPERVISOR)
    try:
        applications.approve(boss, app_id)
    finally:
        boss.close()
    return app_id, holder, holder_id


def bundle_of(world: DemoWorld, home: Home, out: Path) -> Path:
    from station.receipts.bundle import export_bundle
    from station.session import login

    admin = world.card("admin")
    session = login(home, admin.serial, admin.pin)
    try:
        export_bundle(session, out)
    finally:
        session.close()
    return out
