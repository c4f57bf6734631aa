"""The making ceremony in the TUI, on SoftHSM: officer → seal card → application →
review → supervisor → writing → done; and a snapshot of the review."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from screens.app import make_app
from screens.ceremony import CeremonyScreen
from screens.pin import PinModal
from station import applications
from station.demo_impressions import make_demo_impression
from station.images import normalise_impression
from station.making import Review, SealCardCheck
from station.model import Role
from station.session import login as station_login
from tests.helpers import fitting_form
from tests.screens.pilot import login, recipient_pin, type_pin, until


def _approved_application(world, card) -> int:
    """An approved application of the unit ``card``'s certificate names."""
    officer, supervisor = world.card("officer"), world.card("supervisor")
    form = applications.check_form(**fitting_form(card), purpose="Pilot test")
    image = normalise_impression(make_demo_impression(form.unit, "official", size=240), seal_kind="official")
    desk = station_login(world.home, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        app_id = applications.submit(desk, form, image).id
    finally:
        desk.close()
    boss = station_login(world.home, supervisor.serial, supervisor.pin, role=Role.SUPERVISOR)
    try:
        applications.approve(boss, app_id)
    finally:
        boss.close()
    return app_id


async def _pick(pilot, screen, list_id: str, option_id: str) -> None:
    from textual.widgets import OptionList

    await until(pilot, lambda: len(screen.query(list_id)) == 1)
    options = screen.query_one(list_id, OptionList)
    await until(pilot, lambda: any(options.get_option_at_index(i).id == option_id
                                   for i in range(options.option_count)))
    index = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == option_id)
    options.focus()
    options.highlighted = index
    await pilot.press("enter")


async def _make_in_the_tui(pilot, app, app_id: int, officer, supervisor, seal_card,
                           new_pin: str | None = None) -> CeremonyScreen:
    """Drive the wizard from login to its "done" step (the recipient sets ``new_pin``, or
    skips the PIN step); the wizard, with ``made`` set."""
    await login(pilot, app, officer.serial, officer.pin)
    app.run_home_action("make")
    await until(pilot, lambda: isinstance(app.screen, CeremonyScreen))
    wizard = app.screen
    await _pick(pilot, wizard, "#cer-cards", seal_card.serial)
    await until(pilot, lambda: isinstance(app.screen, PinModal))
    await type_pin(pilot, app, seal_card.pin)
    await _pick(pilot, wizard, "#cer-apps", str(app_id))
    await until(pilot, lambda: wizard.review_data is not None, seconds=10)
    review = str(wizard.query_one("#cer-review").render())
    assert seal_card.owner.name in review and seal_card.serial in review
    assert f"serialNumber={seal_card.owner.code} (credit-code)" in review  # what names the applicant
    wizard.query_one("#cer-recipient").value = "赵六"
    await pilot.click("#cer-confirm")
    assert wizard.query_one("#cer-main").current == "review"  # no function ticked: none is granted
    assert "function" in str(wizard.query_one("#cer-error").render())
    wizard.query_one("#cer-fn-office").value = True
    await pilot.click("#cer-confirm")
    await recipient_pin(pilot, wizard, new_pin)
    await _pick(pilot, wizard, "#cer-sups", supervisor.serial)
    await until(pilot, lambda: isinstance(app.screen, PinModal))
    await type_pin(pilot, app, supervisor.pin)
    await until(pilot, lambda: not wizard.query_one("#cer-write").disabled)
    await pilot.click("#cer-write")
    await until(pilot, lambda: wizard.made is not None, seconds=15)
    return wizard


async def test_whole_ceremony_in_the_tui(world, blank_seal_card):
    app_id = _approved_application(world, blank_seal_card)
    officer, supervisor = world.card("officer"), world.card("supervisor", 1)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 45)) as pilot:
        wizard = await _make_in_the_tui(pilot, app, app_id, officer, supervisor, blank_seal_card)
        assert "赵六" in str(wizard.query_one("#cer-done").render())
        made = wizard.made
    assert made.card_serial == blank_seal_card.serial
    assert world.home.card_marks()[blank_seal_card.serial] == "sealed"
    desk = station_login(world.home, officer.serial, officer.pin)
    try:
        assert applications.get(desk, app_id).state == "made"
        from station.lifecycle import status

        assert status(desk, made.esid).seal.functions == ("office",)  # only what was ticked
    finally:
        desk.close()


async def test_a_seal_made_in_the_tui_has_its_receipt_without_pressing_receipt(world, blank_seal_card):
    """The receipt and the tree head the officer's card signed are in the store when the
    wizard reaches "done", whatever the officer presses next (here: Close)."""
    from crypto import receipt as cose
    from station.receipts.claims import Claim
    from station.receipts.issue import issued_seal

    app_id = _approved_application(world, blank_seal_card)
    officer, supervisor = world.card("officer"), world.card("supervisor", 1)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 45)) as pilot:
        wizard = await _make_in_the_tui(pilot, app, app_id, officer, supervisor, blank_seal_card)
        made = wizard.made
        assert made.receipt_error is None and made.receipt is not None
        assert not str(wizard.query_one("#cer-error").render())
        await pilot.click("#cer-close")
        await until(pilot, lambda: not isinstance(app.screen, CeremonyScreen))
    desk = station_login(world.home, officer.serial, officer.pin)
    try:
        stored = issued_seal(desk, made.esid)
        officer_cert = desk.certificates()[desk.actor.cert_sha256]
        heads = desk.audit.heads()
        receipts = [e for e in desk.audit.entries()
                    if e["action"] == "receipt" and e["object"] == made.esid]
    finally:
        desk.close()
    assert stored.receipt == made.receipt and stored.number is not None
    signed = cose.decode(stored.receipt)
    assert cose.verify(signed, officer_cert)
    assert signed.claims[Claim.ESID] == made.esid and signed.claims[Claim.RECIPIENT] == "赵六"
    size, root = signed.claims[Claim.HEAD]
    assert any(h.size == size and h.root == root for h in heads), "the receipt's tree head is stored"
    assert [e["outcome"] for e in receipts] == ["ok"]


NEW_PIN = "730519"


async def test_the_recipient_sets_the_pin_in_the_wizard(world, module, blank_seal_card):
    """Weak or mistyped PINs are refused at the step, in the wizard's language; the PIN
    chosen there opens the card afterwards and the initial one no longer does."""
    from crypto import receipt as cose
    from devices.errors import DeviceError, WrongPin
    from station.receipts.claims import Claim

    app_id = _approved_application(world, blank_seal_card)
    officer, supervisor = world.card("officer"), world.card("supervisor", 1)
    app = make_app(world.home, lang="zh_CN", watch_interval=0.1)
    try:
        async with app.run_test(size=(140, 45)) as pilot:
            await login(pilot, app, officer.serial, officer.pin)
            app.run_home_action("make")
            await until(pilot, lambda: isinstance(app.screen, CeremonyScreen))
            wizard = app.screen
            await _pick(pilot, wizard, "#cer-cards", blank_seal_card.serial)
            await until(pilot, lambda: isinstance(app.screen, PinModal))
            await type_pin(pilot, app, blank_seal_card.pin)
            await _pick(pilot, wizard, "#cer-apps", str(app_id))
            await until(pilot, lambda: wizard.review_data is not None, seconds=10)
            wizard.query_one("#cer-recipient").value = "赵六"
            wizard.query_one("#cer-fn-office").value = True
            await pilot.click("#cer-confirm")
            await until(pilot, lambda: wizard.step == "newpin")
            rules = str(wizard.query_one("#cer-newpin-rules").render())
            assert "至少6位" in rules and "初始PIN" in rules
            error = wizard.query_one("#cer-newpin-error")
            for weak, said in (("111111", "全部是同一个数字"), ("654321", "连续数字"), ("12345", "少于6位")):
                wizard.query_one("#cer-newpin").value = wizard.query_one("#cer-newpin-again").value = weak
                await pilot.click("#cer-newpin-set")
                assert said in str(error.render()) and wizard.step == "newpin", weak
            wizard.query_one("#cer-newpin").value = NEW_PIN
            wizard.query_one("#cer-newpin-again").value = "730518"
            await pilot.click("#cer-newpin-set")
            assert "不一致" in str(error.render()) and wizard.step == "newpin"
            assert wizard.query_one("#cer-newpin").password and wizard.query_one("#cer-newpin-again").password
            wizard.query_one("#cer-newpin").value = wizard.query_one("#cer-newpin-again").value = ""
            await recipient_pin(pilot, wizard, NEW_PIN)
            assert "领用人" in str(wizard.query_one("#cer-sup-status").render())
            await _pick(pilot, wizard, "#cer-sups", supervisor.serial)
            await until(pilot, lambda: isinstance(app.screen, PinModal))
            await type_pin(pilot, app, supervisor.pin)
            await until(pilot, lambda: not wizard.query_one("#cer-write").disabled)
            await pilot.click("#cer-write")
            await until(pilot, lambda: wizard.made is not None, seconds=15)
            made = wizard.made
            assert made.pin_set and made.pin_error is None
            assert "领用人已设置PIN" in str(wizard.query_one("#cer-done").render())
            assert not wizard.new_pin and not wizard.query_one("#cer-newpin").value  # forgotten
        assert cose.decode(made.receipt).claims[Claim.PIN] is True
        module.scan()
        card = module.card(blank_seal_card.serial)
        try:
            with pytest.raises(WrongPin):  # the initial PIN no longer opens the card
                card.login(blank_seal_card.pin)
        finally:
            module.forget(blank_seal_card.serial)
        card = module.card(blank_seal_card.serial)
        card.login(NEW_PIN)
        assert card.read_data("SESeal") == made.seal_der
    finally:
        module.forget(blank_seal_card.serial)
        card = module.card(blank_seal_card.serial)
        try:
            card.login(NEW_PIN)
            card.change_pin(NEW_PIN, blank_seal_card.pin)  # the shared demo card's PIN again
        except DeviceError:
            pass
        finally:
            module.forget(blank_seal_card.serial)


async def test_a_skipped_pin_step_leaves_the_initial_pin_and_the_receipt_says_it(world, module, blank_seal_card):
    from crypto import receipt as cose
    from screens.receipt import ReceiptScreen
    from station.receipts.claims import Claim

    app_id = _approved_application(world, blank_seal_card)
    officer, supervisor = world.card("officer"), world.card("supervisor", 1)
    app = make_app(world.home, lang="en", watch_interval=0.1)
    async with app.run_test(size=(140, 45)) as pilot:
        wizard = await _make_in_the_tui(pilot, app, app_id, officer, supervisor, blank_seal_card)
        made = wizard.made
        assert not made.pin_set and made.pin_error is None
        assert "initial PIN, change at first use" in str(wizard.query_one("#cer-done").render())
        wizard.query_one("#cer-receipt").press()
        await until(pilot, lambda: isinstance(app.screen, ReceiptScreen), seconds=10)
        await until(pilot, lambda: len(app.screen.query("#receipt-summary")) == 1)
        await pilot.pause()
        summary = str(app.screen.query_one("#receipt-summary").render())
        assert "Card PIN" in summary and "initial PIN, change at first use" in summary
    assert cose.decode(made.receipt).claims[Claim.PIN] is False
    card = module.card(blank_seal_card.serial)
    try:
        card.login(blank_seal_card.pin)
        assert card.read_data("SESeal") == made.seal_der
    finally:
        module.forget(blank_seal_card.serial)


def test_review_snapshot(snap_compare, demo_world):
    picture = normalise_impression(make_demo_impression("示例科技有限公司", "official", size=240),
                                   seal_kind="official").png

    class _App:
        id, unit, seal_name, seal_kind = 7, "示例科技有限公司", "示例科技有限公司", "official"
        credit_code, holder_id, holder_name = "91110108551385082Q", None, None

    class _Imp:
        width_mm = height_mm = 42

    start = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
    end = datetime(2029, 11, 21, 9, 30, tzinfo=timezone.utc)
    card = SealCardCheck("3333cccc4444dddd", "SEAL-01",
                         "CN=示例科技有限公司,serialNumber=91110108551385082Q,O=示例科技有限公司,C=CN",
                         "CN=示范电子认证中心 Demo CA,O=示范电子认证中心 Demo CA,C=CN", "5a3f09", start, end, b"",
                         "serialNumber=91110108551385082Q (credit-code)")
    review = Review(_App(), _Imp(), picture, card, start, end)
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)

    async def run_before(pilot):
        screen = CeremonyScreen()
        await app.push_screen(screen)
        await pilot.pause()
        screen._show_review(review)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(130, 48), run_before=run_before)
