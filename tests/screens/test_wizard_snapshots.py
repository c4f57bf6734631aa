"""Snapshots of every making-wizard step, the supervisor's PIN modal and the export screen,
at 80×24 (the smallest desk terminal) and 160×48, with fixed data so they do not depend
on the demo world's random serials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from screens.app import make_app
from screens.ceremony import CeremonyScreen
from screens.ceremony_pin import RecipientPin
from screens.export import ExportScreen
from screens.pin import PinModal
from station.demo_impressions import make_demo_impression
from station.images import normalise_impression
from station.making import MadeSeal, Review, SealCardCheck
from station.model import Actor, Role
from tests.screens.test_snapshots import CARDS

SIZES = [(80, 24), (160, 48)]
START = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
END = datetime(2029, 11, 21, 9, 30, tzinfo=timezone.utc)


@dataclass
class _Session:
    """What the wizard reads of the session: the actor and the quorum."""

    actor: Actor
    config: SimpleNamespace

    def close(self, reason: str = "") -> None:
        pass


def _review() -> Review:
    picture = normalise_impression(make_demo_impression("示例科技有限公司", "official", size=240),
                                   seal_kind="official").png
    application = SimpleNamespace(id=7, unit="示例科技有限公司", seal_name="示例科技有限公司", seal_kind="official",
                                  credit_code="91110108551385082Q", holder_id=None, holder_name=None)
    card = SealCardCheck("3333cccc4444dddd", "SEAL-01", "CN=示例科技有限公司,O=示例科技有限公司,C=CN",
                         "CN=示范电子认证中心 Demo CA,O=示范电子认证中心 Demo CA,C=CN", "5a3f09", START, END, b"")
    return Review(application, SimpleNamespace(width_mm=42, height_mm=42), picture, card, START, END,
                  "DEMO-2026-000007")


async def _wizard(app, pilot, step: str) -> CeremonyScreen:
    app.apply_cards(CARDS)
    app.session = _Session(Actor("00" * 32, "王芳 Wang Fang", Role.OFFICER, "1111aaaa2222bbbb"),
                           SimpleNamespace(quorum=1))
    screen = CeremonyScreen()
    await app.push_screen(screen)
    await pilot.pause()
    if step == "card":
        return screen
    seal = CARDS[1]
    screen.seal_card, screen.seal_pin = seal, "x"
    if step == "application":
        screen.query_one("#cer-main").current = "application"
        screen._show_applications([SimpleNamespace(id=7, unit="示例科技有限公司", seal_name="示例科技有限公司",
                                                   seal_kind="official")])
        screen.goto("application")
        screen.workers.cancel_all()
        return screen
    screen._show_review(_review())
    screen.query_one("#cer-recipient").value = "赵六"
    if step == "review":
        return screen
    if step == "newpin":
        screen.query_one(RecipientPin).prepare("赵六", seal.serial, "x")
        screen.goto("newpin")
        return screen
    screen.goto("supervisor")
    screen._sup_status()
    if step in ("supervisor", "pin"):
        if step == "pin":
            await app.push_screen(PinModal(CARDS[2], collect=True, summary=screen.summary()))
        return screen
    if step == "writing":
        screen.goto("writing")
        screen._progress("co-authorize")
        return screen
    made = MadeSeal("DEMO-2026-000007", seal.serial, 7, b"", "ab" * 32, "cd" * 32, START.isoformat(), START, END,
                    "赵六", ())
    screen._written(made)
    return screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", ["card", "application", "review", "newpin", "supervisor", "pin", "writing",
                                  "done"])
def test_wizard_step(snap_compare, demo_world, monkeypatch, step: str, size: tuple[int, int]) -> None:
    monkeypatch.setattr(CeremonyScreen, "_load_applications", lambda self: None)
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    app.rescan = lambda: None  # the snapshot's cards are fixed

    async def run_before(pilot):
        from textual.widgets import Input

        screen = await _wizard(app, pilot, step)
        for field in screen.query(Input):
            field.cursor_blink = False  # a blinking cursor is no state to compare
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_export_screen(snap_compare, demo_world, monkeypatch, size: tuple[int, int]) -> None:
    from station.receipts import export

    monkeypatch.setattr(export, "list_targets", lambda: export.Targets((), (), ()))
    app = make_app(demo_world.home, lang="en", start_monitor=False)

    async def run_before(pilot):
        app.apply_cards(CARDS)
        await app.push_screen(ExportScreen("DEMO-2026-000007"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)

