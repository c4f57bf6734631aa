"""The making wizard at a real desk, on SoftHSM: live cards while logged in, a pulled seal
card that keeps the co-authorizations, refusals before the PIN, focus and keys per step,
the supervisor's PIN with what it authorizes in sight."""

from __future__ import annotations

from textual.widgets import OptionList

from devices import softhsm
from screens.app import make_app
from screens.ceremony import CeremonyScreen
from screens.pin import PinModal
from tests.screens.pilot import login, recipient_pin, type_pin, until
from tests.screens.test_ceremony import _approved_application, _pick


def _footer_keys(screen) -> dict[str, str]:
    """What the footer offers now: key -> description, for the actions allowed now."""
    return {key: b.binding.description for key, b in screen.active_bindings.items() if b.enabled and b.binding.show}


async def _to_supervisor(pilot, app, world, seal_card):
    app_id = _approved_application(world, seal_card)
    officer, supervisor = world.card("officer"), world.card("supervisor", 1)
    await login(pilot, app, officer.serial, officer.pin)
    app.run_home_action("make")
    await until(pilot, lambda: isinstance(app.screen, CeremonyScreen))
    wizard = app.screen
    await _pick(pilot, wizard, "#cer-cards", seal_card.serial)
    await until(pilot, lambda: isinstance(app.screen, PinModal))
    await type_pin(pilot, app, seal_card.pin)
    await _pick(pilot, wizard, "#cer-apps", str(app_id))
    await until(pilot, lambda: wizard.review_data is not None, seconds=10)
    return wizard, supervisor


async def test_review_focuses_the_recipient_and_write_has_a_key(world, blank_seal_card):
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard, supervisor = await _to_supervisor(pilot, app, world, blank_seal_card)
        recipient = wizard.query_one("#cer-recipient")
        assert app.focused is recipient  # typing goes into the field, not onto a button
        recipient.value = ""
        await pilot.press(*"Zhao")
        assert recipient.value == "Zhao"
        wizard.query_one("#cer-fn-office").value = True  # a seal's functions are ticked one by one
        await pilot.press("enter")
        await until(pilot, lambda: wizard.step == "newpin")
        assert app.focused is wizard.query_one("#cer-newpin")  # the recipient types at once
        await recipient_pin(pilot, wizard)
        sups = wizard.query_one("#cer-sups", OptionList)
        assert sups.highlighted == 0  # the list opens with its first row highlighted
        assert "ctrl+w" not in _footer_keys(wizard)  # nothing to write yet
        await _pick(pilot, wizard, "#cer-sups", supervisor.serial)
        await until(pilot, lambda: isinstance(app.screen, PinModal))
        summary = str(app.screen.query_one("#pin-summary").render())
        review = wizard.review_data
        for shown in (review.application.unit, review.application.seal_name, review.esid, blank_seal_card.serial,
                      "Zhao"):
            assert shown in summary  # the supervisor sees what they authorize
        await type_pin(pilot, app, supervisor.pin)
        await until(pilot, lambda: not wizard.query_one("#cer-write").disabled)
        assert _footer_keys(wizard).get("ctrl+w") == "Sign and write"
        await pilot.press("ctrl+w")  # one key, no Tabs
        await until(pilot, lambda: wizard.made is not None, seconds=15)
        assert wizard.step == "done"
        keys = _footer_keys(wizard)
        assert keys.get("escape") == "Close" and "Cancel" not in keys.values()
        assert review.esid == wizard.made.esid  # the esID shown is the one the seal got


async def test_pulled_seal_card_keeps_the_co_authorization(world, blank_seal_card):
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard, supervisor = await _to_supervisor(pilot, app, world, blank_seal_card)
        wizard.query_one("#cer-recipient").value = "赵六"
        wizard.query_one("#cer-fn-office").value = True
        await pilot.click("#cer-confirm")
        await recipient_pin(pilot, wizard)
        await _pick(pilot, wizard, "#cer-sups", supervisor.serial)
        await until(pilot, lambda: isinstance(app.screen, PinModal))
        await type_pin(pilot, app, supervisor.pin)
        await until(pilot, lambda: not wizard.query_one("#cer-write").disabled)

        softhsm.eject(world.conf, blank_seal_card.serial)
        try:
            await until(pilot, lambda: all(c.serial != blank_seal_card.serial for c in app.cards), seconds=8)
            await pilot.press("ctrl+w")
            await pilot.pause(0.3)
            error = str(wizard.query_one("#cer-error").render())
            assert "not in a reader" in error and blank_seal_card.serial in error
            assert error.count(blank_seal_card.serial) == 1  # one clear message
            assert wizard.step == "supervisor" and len(wizard.cosigners) == 1  # kept
        finally:
            softhsm.insert(world.conf, blank_seal_card.serial)
        await until(pilot, lambda: any(c.serial == blank_seal_card.serial for c in app.cards), seconds=8)
        others = {c.serial for c in world.cards}
        await until(pilot, lambda: others <= {c.serial for c in app.cards}, seconds=8)  # none "not in a reader"
        await pilot.press("ctrl+w")
        await until(pilot, lambda: wizard.made is not None, seconds=15)
        assert wizard.made.card_serial == blank_seal_card.serial


async def test_cards_come_and_go_while_logged_in(world):
    officer, other = world.card("officer"), world.card("seal", 2)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, app, officer.serial, officer.pin)
        app.run_home_action("make")
        await until(pilot, lambda: isinstance(app.screen, CeremonyScreen))
        await until(pilot, lambda: len(app.screen.query("#cer-cards")) == 1)
        blanks = app.screen.query_one("#cer-cards", OptionList)

        def listed() -> set[str]:
            return {blanks.get_option_at_index(i).id for i in range(blanks.option_count)}

        await until(pilot, lambda: other.serial in listed())
        softhsm.eject(world.conf, other.serial)
        await until(pilot, lambda: other.serial not in listed(), seconds=8)
        softhsm.insert(world.conf, other.serial)
        await until(pilot, lambda: other.serial in listed(), seconds=8)
        assert app.session is not None  # the officer is still logged in


async def test_expired_seal_card_is_refused_before_its_pin(world):
    officer = world.card("officer")
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, app, officer.serial, officer.pin)
        app.run_home_action("make")
        await until(pilot, lambda: isinstance(app.screen, CeremonyScreen))
        wizard = app.screen
        for role, words in (("seal-expired", "expired"), ("seal-untrusted", "not issued by a CA")):
            await _pick(pilot, wizard, "#cer-cards", world.card(role).serial)
            await until(pilot, lambda: words in str(wizard.query_one("#cer-error").render()))
            assert not isinstance(app.screen, PinModal)  # no PIN asked for a card that cannot be used


async def test_no_approved_application_is_said_before_the_pin(world, blank_seal_card, monkeypatch):
    from station import applications

    officer = world.card("officer")
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, app, officer.serial, officer.pin)
        app.run_home_action("make")
        await until(pilot, lambda: isinstance(app.screen, CeremonyScreen))
        wizard = app.screen
        monkeypatch.setattr(applications, "list_", lambda session, **kw: [])
        await _pick(pilot, wizard, "#cer-cards", blank_seal_card.serial)
        await until(pilot, lambda: "no approved application" in str(wizard.query_one("#cer-error").render()))
        assert not isinstance(app.screen, PinModal)


async def test_step_bar_keeps_every_step_at_80_columns(world):
    officer = world.card("officer")
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, app, officer.serial, officer.pin)
        app.run_home_action("make")
        await until(pilot, lambda: len(app.screen.query("#steps")) == 1)
        await pilot.pause()
        wizard = app.screen
        for step in ("card", "newpin", "supervisor", "done"):
            wizard.goto(step)
            await pilot.pause()
            text = str(wizard.query_one("#steps").render())
            assert all(str(n) in text for n in range(1, 9)), text
            assert wizard.station.tr(f"cer.step.{step}") in text
            assert len(text) <= 78, text  # nothing falls off the bar
        prompt = wizard.query_one("#cer-sup-prompt")
        wizard.goto("supervisor")
        await pilot.pause()
        assert prompt.size.width * prompt.size.height >= len(str(prompt.render()))  # wrapped, not cut
