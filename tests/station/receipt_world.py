"""A station with one seal made and issued through `seal-station make`, for receipt tests.

Works on a private copy of the demo station home (the SoftHSM tokens stay shared) and on
the last demo seal card, wiped to blank before and after — as the `blank_seal_card`
fixture does — so other tests find the world as they expect it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import DemoWorld, copy_home, fitting_form, run_cli

__all__ = ["Issued", "make_issued", "wipe_card", "UNIT"]

UNIT = "星河建设集团有限公司"  # the unit demo seal card SEAL-05 names


@dataclass
class Issued:
    home: Path
    out: Path
    esid: str
    text: str
    files: list[Path]
    bundle: Path
    env: dict[str, str]

    def file(self, suffix: str) -> Path:
        return next(f for f in self.files if f.name.endswith(suffix))


def wipe_card(world: DemoWorld, serial: str, pin: str, home_path: Path | None = None) -> None:
    from devices.pkcs11 import open_module
    from devices.softhsm import find_module
    from station.home import Home

    module = open_module(find_module())
    module.scan()
    card = module.card(serial)
    card.login(pin)
    try:
        card.delete_data("SESeal")
    finally:
        module.forget(serial)
    from tests.helpers import set_mark

    for home in {world.home, Home(home_path) if home_path else world.home}:
        set_mark(home, serial, None)


def _approved_application(home_path: Path, world: DemoWorld) -> int:
    from station import applications
    from station.home import Home
    from station.demo_impressions import make_demo_impression
    from station.images import normalise_impression
    from station.model import Role
    from station.session import login

    home = Home(home_path)
    officer, supervisor = world.card("officer"), world.card("supervisor")
    form = applications.check_form(**fitting_form(world.card("seal", 4)), purpose="回执测试")
    assert form.unit == UNIT
    image = normalise_impression(make_demo_impression(UNIT, "official", size=320), seal_kind="official")
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
    return app_id


def make_issued(world: DemoWorld, root: Path) -> Issued:
    """Copy the home, approve an application, `make` it with two supervisors, export the bundle."""
    home = root / "home"
    copy_home(world, home)
    seal = world.card("seal", 4)
    wipe_card(world, seal.serial, seal.pin, home)
    app_id = _approved_application(home, world)
    officer, admin = world.card("officer"), world.card("admin")
    sups = [world.card("supervisor", 0), world.card("supervisor", 1)]
    env = world.env(officer, admin, seal, *sups, home=home)
    out = root / "out"
    proc = run_cli(env, "make", str(app_id), "--officer", officer.serial, "--seal-card", seal.serial,
                   "--supervisor", sups[0].serial, "--supervisor", sups[1].serial, "--recipient", "张三",
                   "--receipt-dir", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    bundle = root / "bundle.json"
    proc = run_cli(env, "bundle", "export", str(bundle), "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    return Issued(home, out, data["seal"], data["receipt"], [Path(f) for f in data["files"]], bundle, env)
