"""Pilot tests of the seal registry, a revocation with the supervisor's card, the wipe the
station then offers, and the Verify screen; snapshots of the registry and a seal's detail
from fixed rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.widgets import DataTable, Select

from screens.app import make_app
from screens.authorize import AuthorizeModal
from screens.pin import PinModal
from screens.reason import ReasonModal
from screens.seal_detail import SealDetailScreen
from screens.seals import SealsScreen
from screens.verify import VerifyScreen
from station.lifecycle import SealStatus
from station.model import Actor, Authorization, RegistrySeal, Role, SealEvent
from tests.screens.pilot import recipient_pin, type_pin, until
from tests.screens.test_library import open_action, settle
from tests.station.life_world import audit_entries, make_real_seal
from tests.station.test_making import approved_applications, seal_on_card


async def _open_seal(pilot, app, esid: str) -> SealDetailScreen:
    screen = app.screen
    assert isinstance(screen, SealsScreen)
    screen.query_one("#seals-text").value = esid
    screen.action_search()
    await settle(pilot, app)
    assert [r.esid for r in screen.rows] == [esid]
    table = screen.query_one(DataTable)
    table.focus()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, SealDetailScreen))
    detail = app.screen
    await until(pilot, lambda: detail.info is not None)
    return detail


async def test_registry_search_revoke_with_a_supervisor_then_wipe(world, module, blank_seal_card) -> None:
    (app_id,) = approved_applications(world.home, world)
    made = make_real_seal(world, world.home, blank_seal_card, app_id)
    supervisor = world.card("supervisor", 1)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_action(pilot, app, world, "officer", "seals")
        registry = app.screen
        assert isinstance(registry, SealsScreen)
        made_unit = next((r.unit for r in registry.rows if r.esid == made.esid), None)
        assert made_unit, "the new seal is in the registry"
        # search by a part of the unit name, then by state
        registry.query_one("#seals-text").value = made_unit[2:10]
        registry.action_search()
        await settle(pilot, app)
        assert made.esid in [r.esid for r in registry.rows]
        registry.query_one("#seals-state", Select).value = "revoked"
        await settle(pilot, app)
        assert made.esid not in [r.esid for r in registry.rows]
        registry.query_one("#seals-state", Select).clear()
        await settle(pilot, app)

        detail = await _open_seal(pilot, app, made.esid)
        assert not detail.query_one("#seal-revoke").disabled and detail.query_one("#seal-unfreeze").disabled

        # authorize a role for one function, chosen explicitly; then withdraw it
        await pilot.click("#seal-authorize")
        await until(pilot, lambda: isinstance(app.screen, AuthorizeModal))
        modal = app.screen
        assert not any(modal.query_one(f"#auth-fn-{f}").value for f in ("office", "web", "login"))
        modal.query_one("#auth-role").value = "财务主管"
        modal.query_one("#auth-fn-office").value = True
        await pilot.click("#auth-ok")
        await until(pilot, lambda: detail.info is not None and len(detail.info.authorizations) == 1, seconds=10)
        assert (detail.info.authorizations[0].role, detail.info.authorizations[0].functions) == ("财务主管", ("office",))
        await settle(pilot, app)
        await pilot.click("#seal-deauthorize")
        await until(pilot, lambda: detail.info is not None and not detail.info.authorizations, seconds=10)
        await settle(pilot, app)
        await pilot.click("#seal-revoke")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal))
        app.screen.query_one(Select).value = "unit-closed"
        app.screen.query_one("#reason-text").value = "Pilot 测试"
        await pilot.click("#reason-ok")
        await until(pilot, lambda: detail.pending is not None and detail.query_one("#seal-sups").display)
        sups = detail.query_one("#seal-sups")
        await until(pilot, lambda: any(sups.get_option_at_index(i).id == supervisor.serial
                                       for i in range(sups.option_count)))
        sups.focus()
        sups.highlighted = next(i for i in range(sups.option_count)
                                if sups.get_option_at_index(i).id == supervisor.serial)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PinModal))
        await type_pin(pilot, app, supervisor.pin)
        await until(pilot, lambda: detail.info is not None and detail.info.seal.state == "revoked", seconds=15)
        assert [e.action for e in detail.info.events] == ["revoke"]
        assert detail.info.events[0].supervisors[0]["serial"] == supervisor.serial
        assert detail.info.events[0].receipt.startswith("SSR1:")
        assert all(detail.query_one(f"#seal-{a}").disabled for a in ("freeze", "unfreeze", "report-lost", "revoke"))

        # the revoked seal's card is in a reader: the station offers to wipe it
        await until(pilot, lambda: not detail.query_one("#seal-wipe").disabled)
        await pilot.click("#seal-wipe")
        await until(pilot, lambda: isinstance(app.screen, PinModal))
        await type_pin(pilot, app, blank_seal_card.pin)
        await until(pilot, lambda: "wiped" in str(detail.query_one("#seal-error").render()), seconds=10)
    assert seal_on_card(module, blank_seal_card) is None
    actions = [(e["action"], e["outcome"]) for e in audit_entries(world, world.home, made.esid)]
    assert ("revoke", "ok") in actions
    wipes = [e for e in audit_entries(world, world.home, blank_seal_card.serial) if e["action"] == "wipe"]
    assert [(e["outcome"], e["details"]["esid"]) for e in wipes][-1] == ("ok", made.esid)


async def test_verify_screen_for_a_seal_file_and_a_receipt(world, blank_seal_card, tmp_path: Path) -> None:
    (app_id,) = approved_applications(world.home, world)
    made = make_real_seal(world, world.home, blank_seal_card, app_id)
    seal_file = tmp_path / "seal.esl"
    seal_file.write_bytes(made.seal_der)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_action(pilot, app, world, "auditor", "verify")
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        screen.query_one("#verify-path").value = str(seal_file)
        screen.query_one("#verify-path").focus()
        await pilot.press("enter")
        await until(pilot, lambda: screen.verdict is not None, seconds=10)
        shown = str(screen.query_one("#verify-result").render())
        assert screen.verdict.valid and screen.verdict.status == "active"
        assert "VALID" in shown and "NOT VALID" not in shown and "active" in shown
        screen.verdict = None
        screen.query_one("#verify-path").value = made.receipt
        await pilot.click("#verify-receipt")
        await until(pilot, lambda: screen.verdict is not None, seconds=10)
        assert screen.verdict.kind == "receipt" and screen.verdict.valid, screen.verdict.problems
    verified = [e for e in audit_entries(world, world.home, str(seal_file)) if e["action"] == "verify"]
    assert [(e["outcome"], e["details"]["valid"], e["details"]["kind"]) for e in verified] == [(("ok", True,
                                                                                                 "seal-file"))]


# -- snapshots, from fixed rows ------------------------------------------------------------------
SEALS = [
    RegistrySeal("DEMO-0001-2026-000012", "示例科技有限公司", "示例科技有限公司", "official", "3333cccc4444dddd",
                 "frozen", "2026-03-02T09:15:00+00:00", "2028-03-01T00:00:00+00:00", "张三",
                 state_reason="card-lost: 地铁", state_at="2026-05-01T10:00:00+00:00", functions=("office", "web")),
    RegistrySeal("DEMO-0001-2026-000011", "示例科技有限公司", "合同专用章", "contract", "7777aaaa8888bbbb",
                 "active", "2026-03-01T08:00:00+00:00", "2028-02-28T00:00:00+00:00", "李四",
                 renews="DEMO-0001-2025-000003", functions=("office",)),
    RegistrySeal("DEMO-0001-2025-000003", "示例科技有限公司", "合同专用章", "contract", "9999cccc0000dddd",
                 "revoked", "2025-01-10T08:00:00+00:00", "2026-01-10T00:00:00+00:00", "李四",
                 renewed_by="DEMO-0001-2026-000011", state_reason="renewed: DEMO-0001-2026-000011",
                 functions=("office",)),
]
EVENTS = (SealEvent(1, SEALS[0].esid, "freeze", "active", "frozen", "card-lost", "card-lost: 地铁",
                    "2026-05-01T10:00:00+00:00", "00" * 32, "王芳 Wang Fang", (), "SSR1:X"),)
AUTHS = (Authorization(1, SEALS[0].esid, "王五", "110105199001010429", None, ("office",),
                       "2026-03-02T10:00:00+00:00", "王芳 Wang Fang"),
         Authorization(2, SEALS[0].esid, None, None, "财务主管", ("office", "web"), "2026-03-03T10:00:00+00:00",
                       "王芳 Wang Fang"))


class FixedRegistry:
    def search(self, **filters):
        return list(SEALS)

    def status(self, esid):
        from station.seal_pins import RECIPIENT, SealPin

        return SealStatus(SEALS[0], EVENTS, AUTHS, "SSR1:X", SealPin(RECIPIENT, "2026-03-01T09:12:00.000Z"))


@dataclass
class _SessionView:
    actor: Actor

    def close(self, reason: str = "") -> None:
        pass


def _app(demo_world):
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)
    return app


def test_registry_snapshot(snap_compare, demo_world):
    app = _app(demo_world)

    async def run_before(pilot):
        app.session = _SessionView(Actor("00" * 32, "王芳 Wang Fang", Role.AUDITOR, "1111aaaa2222bbbb"))
        await app.push_screen(SealsScreen(FixedRegistry()))
        await pilot.pause()
        await until(pilot, lambda: len(app.screen.rows) == 3)
        app.screen.query_one("#seals-text").cursor_blink = False  # a blinking cursor is no state to compare
        await pilot.pause()

    assert snap_compare(app, terminal_size=(130, 30), run_before=run_before)


def test_seal_detail_snapshot(snap_compare, demo_world):
    app = _app(demo_world)

    async def run_before(pilot):
        app.session = _SessionView(Actor("00" * 32, "王芳 Wang Fang", Role.AUDITOR, "1111aaaa2222bbbb"))
        await app.push_screen(SealDetailScreen(SEALS[0].esid, FixedRegistry()))
        await pilot.pause()
        await until(pilot, lambda: app.screen.info is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(130, 40), run_before=run_before)



async def test_renew_from_the_detail_runs_the_making_ceremony(world, module) -> None:
    from screens.ceremony import CeremonyScreen
    from tests.screens.test_ceremony import _pick
    from tests.station.test_making import wipe

    old_card, new_card = world.card("seal", 0), world.card("seal", 1)  # both name the same unit
    for card in (old_card, new_card):
        wipe(world, module, card, [world.home])
    (app_id,) = approved_applications(world.home, world, cards=[old_card])
    old = make_real_seal(world, world.home, old_card, app_id)
    supervisor = world.card("supervisor", 1)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    try:
        async with app.run_test(size=(140, 45)) as pilot:
            await open_action(pilot, app, world, "officer", "seals")
            detail = await _open_seal(pilot, app, old.esid)
            await until(pilot, lambda: not detail.query_one("#seal-renew").disabled)
            await pilot.click("#seal-renew")
            await until(pilot, lambda: isinstance(app.screen, CeremonyScreen))
            wizard = app.screen
            assert wizard.preset_application is not None
            await _pick(pilot, wizard, "#cer-cards", new_card.serial)
            await until(pilot, lambda: isinstance(app.screen, PinModal))
            await type_pin(pilot, app, new_card.pin)
            await until(pilot, lambda: wizard.review_data is not None, seconds=10)
            wizard.query_one("#cer-recipient").value = "赵六"
            wizard.query_one("#cer-fn-office").value = True
            await pilot.click("#cer-confirm")
            await recipient_pin(pilot, wizard)
            await _pick(pilot, wizard, "#cer-sups", supervisor.serial)
            await until(pilot, lambda: isinstance(app.screen, PinModal))
            await type_pin(pilot, app, supervisor.pin)
            await until(pilot, lambda: not wizard.query_one("#cer-write").disabled)
            await pilot.click("#cer-write")
            await until(pilot, lambda: wizard.made is not None, seconds=15)
            new = wizard.made.esid
            await pilot.click("#cer-close")
            await until(pilot, lambda: app.screen is detail)
            await until(pilot, lambda: detail.info.seal.renewed_by == new, seconds=10)
            assert detail.info.seal.state == "revoked"
            assert [(e.action, e.reason_code) for e in detail.info.events] == [("revoke", "renewed")]
            await until(pilot, lambda: detail.info.events[0].receipt is not None, seconds=10)
    finally:
        for card in (old_card, new_card):
            wipe(world, module, card, [world.home])
