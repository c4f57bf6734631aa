"""The `seal-station` command's foundation (CLI.md): demo, cards, exit codes, one-line errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from devices import softhsm
from station.demo import DEMO_PIN, DEMO_SO_PIN
from tests.helpers import DemoWorld, cli_env, error_line, run_cli

ROLES = {"admin", "officer", "supervisor", "auditor", "seal", "seal-expired", "seal-untrusted"}
ENROLLED = {"admin", "officer", "supervisor", "auditor"}


def test_demo_json_then_cards_then_force(tmp_path: Path) -> None:
    conf = softhsm.write_config(tmp_path / "hsm")  # outside the home: --force must keep it
    home = tmp_path / "home"
    env = cli_env(conf, home)

    proc = run_cli(env, "demo", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    world = json.loads(proc.stdout)  # stdout is one JSON document and nothing else
    assert set(world) == {"home", "softhsm2_conf", "recovery_code", "cards"}
    from crypto.envelope import normalise_recovery_code

    assert len(normalise_recovery_code(world["recovery_code"])) == 40  # a code the restore accepts
    assert Path(world["home"]) == home and Path(world["softhsm2_conf"]) == conf
    for card in world["cards"]:
        names = ({"holder", "holder_id"} if "holder" in card
                 else {"unit", "credit_code"} if card["role"].startswith("seal") else set())
        assert set(card) == {"role", "label", "serial", "pin", "so_pin"} | names
        assert card["pin"] == DEMO_PIN and card["so_pin"] == DEMO_SO_PIN and card["serial"] and card["label"]
    seals = [c for c in world["cards"] if c["role"] == "seal"]
    units = Counter(c.get("unit") for c in seals)
    assert max(units.values()) >= 2, units  # two blank cards of one unit: a seal can be renewed
    assert sum(1 for c in seals if "holder" in c) == 1  # and one personal seal card
    roles = Counter(c["role"] for c in world["cards"])
    assert set(roles) == ROLES
    assert roles["supervisor"] == 2 and roles["seal"] == 5
    assert all(roles[r] == 1 for r in ROLES - {"supervisor", "seal"})
    assert len({c["serial"] for c in world["cards"]}) == len(world["cards"])

    proc = run_cli(env, "cards", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {c["serial"]: c for c in json.loads(proc.stdout)}
    assert set(listed) == {c["serial"] for c in world["cards"]}
    for card in world["cards"]:
        seen = listed[card["serial"]]
        assert seen["label"] == card["label"]
        if card["role"] in ENROLLED:
            assert (seen["state"], seen["role"]) == ("authorization", card["role"]), seen
        else:  # blank seal cards, the expired and the untrusted one: not enrolled, no seal
            assert (seen["state"], seen["role"]) == ("blank", None), seen
        assert seen["subject"].startswith("CN=") and seen["locked"] is False

    proc = run_cli(env, "demo")  # an existing world is never overwritten by accident
    line = error_line(proc, 4)
    assert "--force" in line
    assert (home / "station.toml").exists()

    proc = run_cli(env, "demo", "--force", "--json")
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)
    assert Counter(c["role"] for c in again["cards"]) == roles
    assert not {c["serial"] for c in again["cards"]} & set(listed)  # fresh tokens
    proc = run_cli(env, "cards", "--json")
    assert proc.returncode == 0, proc.stderr
    now = {c["serial"]: c for c in json.loads(proc.stdout)}
    admin = next(c for c in again["cards"] if c["role"] == "admin")
    assert now[admin["serial"]]["state"] == "authorization"
    old_admin = next(c for c in world["cards"] if c["role"] == "admin")
    assert now.get(old_admin["serial"], {}).get("state") != "authorization"


def test_demo_force_with_the_printed_softhsm_conf(tmp_path: Path) -> None:
    """`demo`, export the SOFTHSM2_CONF it printed, `demo --force`: the conf lived in the home."""
    home = tmp_path / "home"
    env = cli_env(tmp_path / "unset", home)
    del env["SOFTHSM2_CONF"]
    proc = run_cli(env, "demo", "--json")
    assert proc.returncode == 0, proc.stderr
    conf = json.loads(proc.stdout)["softhsm2_conf"]
    assert Path(conf).is_relative_to(home)
    proc = run_cli(cli_env(Path(conf), home), "demo", "--force", "--json")
    assert proc.returncode == 0, proc.stderr
    world = json.loads(proc.stdout)
    assert world["softhsm2_conf"] == conf
    proc = run_cli(cli_env(Path(conf), home), "cards", "--json")
    assert {c["serial"] for c in json.loads(proc.stdout)} == {c["serial"] for c in world["cards"]}


def test_cards_text_lists_every_token(world: DemoWorld) -> None:
    proc = run_cli(world.env(), "cards")
    assert proc.returncode == 0, proc.stderr
    for c in world.cards:
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(c.serial))
        assert c.label in line
        assert ("authorization" if c.role in ENROLLED else "blank") in line


def test_usage_errors_are_one_line_exit_2(world: DemoWorld) -> None:
    for args in (["no-such-command"], ["card", "unblock"], ["audit", "verify", "--bogus"], ["audit"],
                 ["audit", "verify"]):
        error_line(run_cli(world.env(), *args), 2)


def test_no_pin_and_no_terminal_is_usage(world: DemoWorld) -> None:
    officer = world.card("officer")
    line = error_line(run_cli(world.env(), "audit", "verify", "--by", officer.serial), 2)
    assert f"SEAL_STATION_PIN_{officer.serial}" in line  # says how to give it


def test_card_not_in_a_reader_is_exit_3(world: DemoWorld) -> None:
    env = world.env(SEAL_STATION_PIN_0000000000000000="123456")
    line = error_line(run_cli(env, "audit", "verify", "--by", "0000000000000000", "--json"), 3)
    assert "0000000000000000" in line


def test_not_initialised_home_is_exit_4(world: DemoWorld, tmp_path: Path) -> None:
    officer = world.card("officer")
    for args in (["cards"], ["audit", "verify", "--by", officer.serial]):
        line = error_line(run_cli(world.env(officer, home=tmp_path / "empty"), *args), 4)
        assert "not initialised" in line
