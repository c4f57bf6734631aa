"""Login and the session: PIN counting and locking, policy refusals, audit of refusals, idle lock."""

from __future__ import annotations

import pytest

from devices import softhsm
from station.demo import DEMO_SO_PIN
from station.errors import CardAbsentError, PinLockedError, PolicyError, WrongPinError
from station.model import Role
from station.session import IdleTimer, login
from tests.helpers import DemoWorld, error_line, run_cli

WRONG = "000000"


def test_login_opens_a_session_for_an_enrolled_card(world: DemoWorld) -> None:
    officer = world.card("officer")
    session = login(world.home, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        assert session.actor.role is Role.OFFICER
        assert session.actor.serial == officer.serial
        assert "Wang Fang" in session.actor.name
        last = session.audit.entries()[-1]
        assert (last["action"], last["object"], last["outcome"]) == ("login", officer.serial, "ok")
        assert last["actor"]["cert_sha256"] == session.actor.cert_sha256
    finally:
        session.close()
    assert session.closed
    again = login(world.home, officer.serial, officer.pin)  # the card is free again
    try:
        entries = again.audit.entries()
        assert [e["action"] for e in entries[-2:]] == ["logout", "login"]
        assert entries[-2]["object"] == officer.serial
    finally:
        again.close()


def test_wrong_pins_lock_the_card_until_unblocked(world: DemoWorld) -> None:
    card = world.card("supervisor", 1)
    wrong_env = world.env(home=world.home, **{f"SEAL_STATION_PIN_{card.serial}": WRONG})
    right_env = world.env(card)
    verify = ("audit", "verify", "--by", card.serial)

    line = error_line(run_cli(wrong_env, *verify), 3)
    assert "wrong PIN" in line and "4 tries left" in line
    for left in (3, 2, 1):
        with pytest.raises(WrongPinError) as caught:
            login(world.home, card.serial, WRONG)
        assert caught.value.tries_left == left
    line = error_line(run_cli(wrong_env, *verify), 3)  # the fifth
    assert "locked" in line and "unblock" in line
    assert world.home.pin_failures(card.serial) == 5

    line = error_line(run_cli(right_env, *verify), 3)  # the right PIN no longer helps
    assert "locked" in line and "unblock" in line
    with pytest.raises(PinLockedError):
        login(world.home, card.serial, card.pin)
    proc = run_cli(world.env(home=world.home), "cards", "--json")
    assert '"locked": true' in proc.stdout

    admin, officer = world.card("admin"), world.card("officer")
    fresh = "580214"
    so_env = {f"SEAL_STATION_SO_PIN_{card.serial}": WRONG + "00", f"SEAL_STATION_NEW_PIN_{card.serial}": fresh}
    unblock = ("card", "unblock", card.serial, "--by")
    error_line(run_cli(world.env(**so_env), "card", "unblock", card.serial), 2)  # no --by: no unblock
    assert "administrator" in error_line(run_cli(world.env(officer, **so_env), *unblock, officer.serial), 1)
    assert "wrong SO PIN" in error_line(run_cli(world.env(admin, **so_env), *unblock, admin.serial), 3)
    assert world.home.pin_failures(card.serial) == 5
    assert world.home.pin_failures(f"so:{card.serial}") == 1  # wrong SO PINs count too
    weak = {**so_env, f"SEAL_STATION_SO_PIN_{card.serial}": DEMO_SO_PIN, f"SEAL_STATION_NEW_PIN_{card.serial}": "111111"}
    error_line(run_cli(world.env(admin, **weak), *unblock, admin.serial), 2)  # a weak new PIN
    so_env[f"SEAL_STATION_SO_PIN_{card.serial}"] = DEMO_SO_PIN
    proc = run_cli(world.env(admin, **so_env), *unblock, admin.serial)
    assert proc.returncode == 0, proc.stderr
    assert world.home.pin_failures(card.serial) == 0
    assert world.home.pin_failures(f"so:{card.serial}") == 0

    # the new PIN opens the card (in a fresh process: this one's SoftHSM caches the old PIN)
    proc = run_cli(world.env(home=world.home, **{f"SEAL_STATION_PIN_{card.serial}": fresh}),
                   "audit", "verify", "--by", card.serial)
    assert proc.returncode == 0, proc.stderr
    session = login(world.home, admin.serial, admin.pin)
    try:
        entries = session.audit.entries()
    finally:
        session.close()
    refused = [e for e in entries if e["object"] == card.serial
               and e["action"] == "login" and e["outcome"] == "refused"]
    reasons = [e["details"]["reason"] for e in refused[-7:]]
    assert reasons == ["wrong PIN"] * 5 + ["card locked"] * 2
    unblocks = [(e["outcome"], e["details"].get("reason"), e["actor"]["serial"])
                for e in entries if e["action"] == "card-unblock"][-3:]
    assert unblocks == [("refused", "not an administrator", officer.serial),
                        ("refused", "wrong SO PIN", admin.serial), ("ok", None, admin.serial)]
    from devices.pkcs11 import open_module, unblock as device_unblock

    device_unblock(open_module(world.home.config().module), card.serial, DEMO_SO_PIN, card.pin)


def test_refusals_by_policy_are_audited_at_next_login(world: DemoWorld) -> None:
    officer, seal = world.card("officer"), world.card("seal", 2)
    with pytest.raises(PolicyError) as caught:
        login(world.home, officer.serial, officer.pin, role=Role.ADMIN)
    assert caught.value.reason == "wrong-role"
    assert caught.value.exit_code == 1
    with pytest.raises(PolicyError) as caught:  # a blank seal card is no one's login card
        login(world.home, seal.serial, seal.pin)
    assert caught.value.reason == "not-enrolled"
    with pytest.raises(PolicyError) as caught:
        login(world.home, world.card("seal-expired").serial, seal.pin)
    assert caught.value.reason == "not-enrolled"
    assert world.home.inbox_file.exists()  # no store was open: sealed for later

    admin = world.card("admin")
    session = login(world.home, admin.serial, admin.pin, role=Role.ADMIN)
    try:
        entries = session.audit.entries()
    finally:
        session.close()
    assert not world.home.inbox_file.exists()
    refused = {(e["object"], e["details"]["reason"]) for e in entries
               if e["action"] == "login" and e["outcome"] == "refused"}
    assert (officer.serial, "enrolled as officer, not admin") in refused
    assert (seal.serial, "not enrolled") in refused
    by_seal = next(e for e in entries if e["object"] == seal.serial and e["outcome"] == "refused")
    assert by_seal["actor"]["serial"] == seal.serial and by_seal["actor"]["cert_sha256"]
    assert by_seal["terminal"]["host"]
    login_at = max(e["seq"] for e in entries if e["action"] == "login" and e["outcome"] == "ok")
    assert by_seal["seq"] < login_at  # moved in before the login that found them


def test_cli_refusals_exit_1(world: DemoWorld) -> None:
    seal = world.card("seal", 3)
    line = error_line(run_cli(world.env(seal), "audit", "verify", "--by", seal.serial), 1)
    assert "not enrolled" in line


def test_pulling_the_card_ends_the_session(world: DemoWorld, module) -> None:
    auditor = world.card("auditor")
    session = login(world.home, auditor.serial, auditor.pin, role=Role.AUDITOR)
    softhsm.eject(world.conf, auditor.serial)
    assert not session.card.probe()
    session.close()  # records the logout, cannot sign a head: must not raise
    assert session.closed
    with pytest.raises(CardAbsentError):
        login(world.home, auditor.serial, auditor.pin)
    softhsm.insert(world.conf, auditor.serial)
    module.scan()
    again = login(world.home, auditor.serial, auditor.pin, role=Role.AUDITOR)
    try:
        actions = [(e["action"], e["object"]) for e in again.audit.entries()[-2:]]
        assert actions == [("logout", auditor.serial), ("login", auditor.serial)]
    finally:
        again.close()


def test_idle_timer_with_a_fake_clock() -> None:
    t = [1000.0]
    timer = IdleTimer(5, clock=lambda: t[0])
    assert not timer.expired() and timer.remaining() == 300
    t[0] += 299
    assert not timer.expired() and timer.remaining() == pytest.approx(1)
    timer.touch()
    t[0] += 299
    assert not timer.expired()
    t[0] += 1
    assert timer.expired() and timer.remaining() == 0
    t[0] += 1000
    assert timer.expired()
    timer.touch()
    assert not timer.expired()
