"""The admin's and the auditor's desk on the command line: PINs, retired cards, the log."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import cli_env, copy_home, error_line, run_cli

NEW_PIN = "730519"


def _restore_pin(module, serial: str, current: str, original: str) -> None:
    """Put a shared demo card back on its PIN (the weak demo PIN is refused by the station)."""
    module.forget(serial)
    module.scan()  # SoftHSM re-reads the token the command changed
    card = module.card(serial)
    card.login(current)
    card.change_pin(current, original)
    module.forget(serial)


@pytest.fixture
def desk(world, tmp_path: Path):
    home = copy_home(world, tmp_path / "home")
    return home, cli_env(world.conf, home.path, world.cards)


@pytest.mark.parametrize("pin, rule", [("12345", "shorter than 6"), ("777777", "all one digit"),
                                       ("234567", "run of digits"), ("987654", "run of digits"),
                                       ("123456", "run of digits")])
def test_weak_pins_are_refused_with_the_rule(desk, world, pin, rule) -> None:
    home, env = desk
    auditor = world.card("auditor")
    proc = run_cli(dict(env, **{f"SEAL_STATION_NEW_PIN_{auditor.serial}": pin}), "card", "change-pin",
                   auditor.serial)
    assert rule in error_line(proc, 2)
    assert run_cli(env, "staff", "--by", auditor.serial).returncode == 0  # the old PIN still works


def test_the_previous_pin_is_refused(desk, world) -> None:
    home, env = desk
    auditor = world.card("auditor")
    env = dict(env, **{f"SEAL_STATION_PIN_{auditor.serial}": "x7y8z9w0",
                       f"SEAL_STATION_NEW_PIN_{auditor.serial}": "x7y8z9w0"})
    assert "previous PIN" in error_line(run_cli(env, "card", "change-pin", auditor.serial), 2)


def test_after_change_pin_the_old_pin_fails_and_the_new_works(desk, world, module) -> None:
    home, env = desk
    auditor = world.card("auditor")
    proc = run_cli(dict(env, **{f"SEAL_STATION_NEW_PIN_{auditor.serial}": NEW_PIN}), "card", "change-pin",
                   auditor.serial)
    try:
        assert proc.returncode == 0, proc.stderr
        error_line(run_cli(env, "audit", "show", "--by", auditor.serial), 3)
        new_env = dict(env, **{f"SEAL_STATION_PIN_{auditor.serial}": NEW_PIN})
        proc = run_cli(new_env, "audit", "show", "--action", "change-pin", "--by", auditor.serial, "--json")
        assert proc.returncode == 0, proc.stderr
        changes = json.loads(proc.stdout)["entries"]
        assert [e["object"] for e in changes] == [auditor.serial] and changes[0]["outcome"] == "ok"
        staff = json.loads(run_cli(new_env, "staff", "--by", auditor.serial, "--json").stdout)["staff"]
        mine = next(m for m in staff if m["serial"] == auditor.serial)
        assert mine["pin_changed_at"] and not mine["must_change_pin"]
    finally:
        _restore_pin(module, auditor.serial, NEW_PIN, auditor.pin)


def _flag_initial_pin(home, world, serial: str) -> None:
    from station.session import login
    from station.store.pins import PinFacts

    admin = world.card("admin")
    session = login(home, admin.serial, admin.pin)
    try:
        PinFacts(session.store).record(serial, "2026-01-01T00:00:00.000Z", must_change=True)
    finally:
        session.close()


def test_an_initial_pin_card_changes_it_at_first_login(desk, world, module) -> None:
    home, env = desk
    auditor = world.card("auditor")
    _flag_initial_pin(home, world, auditor.serial)
    assert "initial PIN" in error_line(run_cli(env, "audit", "show", "--by", auditor.serial), 1)
    proc = run_cli(dict(env, **{f"SEAL_STATION_NEW_PIN_{auditor.serial}": NEW_PIN}), "card", "change-pin",
                   auditor.serial)
    try:
        assert proc.returncode == 0, proc.stderr
        new_env = dict(env, **{f"SEAL_STATION_PIN_{auditor.serial}": NEW_PIN})
        proc = run_cli(new_env, "audit", "show", "--action", "login", "--actor", auditor.serial,
                       "--by", auditor.serial, "--json")
        assert proc.returncode == 0, proc.stderr
        outcomes = [(e["outcome"], e["reason"]) for e in json.loads(proc.stdout)["entries"]]
        assert ("refused", "initial PIN not changed") in outcomes and outcomes[-1] == ("ok", "")
    finally:
        _restore_pin(module, auditor.serial, NEW_PIN, auditor.pin)


def test_a_retired_card_cannot_log_in(desk, world) -> None:
    home, env = desk
    admin, auditor, officer = world.card("admin"), world.card("auditor"), world.card("officer")
    error_line(run_cli(env, "unenroll", auditor.serial, "--reason", "left", "--by", officer.serial), 1)
    proc = run_cli(env, "unenroll", auditor.serial, "--reason", "left the post", "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    assert "not enrolled" in error_line(run_cli(env, "audit", "show", "--by", auditor.serial), 1)
    staff = json.loads(run_cli(env, "staff", "--by", admin.serial, "--json").stdout)["staff"]
    retired = next(m for m in staff if m["serial"] == auditor.serial)
    assert retired["removed_at"] and retired["role"] == "auditor"
    assert next(m for m in staff if m["serial"] == admin.serial)["last_login"]
    proc = run_cli(env, "audit", "show", "--outcome", "refused", "--by", admin.serial, "--json")
    entries = json.loads(proc.stdout)["entries"]
    assert any(e["action"] == "login" and e["card"] == auditor.serial for e in entries)
    proc = run_cli(env, "audit", "show", "--action", "unenroll", "--by", admin.serial, "--json")
    (entry,) = json.loads(proc.stdout)["entries"]
    assert entry["object"] == auditor.serial and entry["details"]["reason"] == "left the post"


def test_audit_show_refused_lists_wrong_pins_with_where(desk, world) -> None:
    home, env = desk
    officer, auditor = world.card("officer"), world.card("auditor")
    bad = dict(env, **{f"SEAL_STATION_PIN_{officer.serial}": "000000"})
    error_line(run_cli(bad, "staff", "--by", officer.serial), 3)
    home.set_pin_failures(officer.serial, 0)
    proc = run_cli(env, "audit", "show", "--outcome", "refused", "--by", auditor.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    wrong = [e for e in json.loads(proc.stdout)["entries"] if e["reason"] == "wrong PIN"]
    assert wrong and wrong[-1]["card"] == officer.serial
    assert all(wrong[-1][k] for k in ("host", "ip", "mac", "time"))
    text = run_cli(env, "audit", "show", "--outcome", "refused", "--by", auditor.serial).stdout
    assert "wrong PIN" in text and wrong[-1]["mac"] in text
    error_line(run_cli(env, "audit", "show", "--from", "yesterday", "--by", auditor.serial), 2)
    error_line(run_cli(env, "audit", "show", "--by", officer.serial), 1)  # not an auditor's card


def _log_makes(home, world, made: dict[str, int]) -> None:
    from station.session import login

    admin = world.card("admin")
    session = login(home, admin.serial, admin.pin)
    try:
        for unit, n in made.items():
            for i in range(n):
                session.log("make", f"TEST-{unit}-{i}", "ok", unit=unit, card="x")
        session.log("make", "TEST-refused", "refused", unit="统计测试甲单位", reason="no supervisor")
    finally:
        session.close()


def test_audit_stats_counts_seals_made_per_unit_this_month(desk, world) -> None:
    from station.clock import now

    home, env = desk
    auditor = world.card("auditor")

    def this_month() -> dict:
        proc = run_cli(env, "audit", "stats", "--period", "month", "--by", auditor.serial, "--json")
        assert proc.returncode == 0, proc.stderr
        periods = json.loads(proc.stdout)["by_period"]
        return next((p for p in periods if p["period"] == f"{now():%Y-%m}"), {"seals_made": 0, "logins": 0})

    before = this_month()  # other tests may have made seals in the demo world this month
    _log_makes(home, world, {"统计测试甲单位": 2, "统计测试乙单位": 1})
    proc = run_cli(env, "audit", "stats", "--period", "month", "--by", auditor.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)
    units = {u["unit"]: u for u in figures["by_unit"]}
    assert units["统计测试甲单位"]["seals_made"] == 2 and units["统计测试乙单位"]["seals_made"] == 1
    assert units["统计测试甲单位"]["refusals"] == 1
    after = next(p for p in figures["by_period"] if p["period"] == f"{now():%Y-%m}")
    assert after["seals_made"] - before["seals_made"] == 3 and after["logins"] - before["logins"] >= 2
    proc = run_cli(env, "audit", "stats", "--period", "year", "--from", "1999-01-01", "--to", "1999-12-31",
                   "--by", auditor.serial, "--json")
    assert json.loads(proc.stdout) == {"period": "year", "by_unit": [], "by_period": []}


def _export(env, world, path: Path) -> None:
    proc = run_cli(env, "audit", "export", "--xlsx", str(path), "--by", world.card("auditor").serial)
    assert proc.returncode == 0, proc.stderr


def test_the_xlsx_export_has_every_entry(desk, world, tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import load_workbook

    home, env = desk
    _log_makes(home, world, {"统计测试甲单位": 1})
    target = tmp_path / "audit.xlsx"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep")
    target.symlink_to(elsewhere)  # a link at the target is replaced, never followed
    _export(env, world, target)
    assert elsewhere.read_text() == "keep" and not target.is_symlink()
    book = load_workbook(target)
    assert {"Summary", "Entries", "Tree heads"} <= set(book.sheetnames)
    entries = book["Entries"]
    assert entries.freeze_panes == "A2" and entries.auto_filter.ref
    seqs = [row[0].value for row in entries.iter_rows(min_row=2)]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 10  # every entry, in order
    assert all(isinstance(row[1].value, datetime) for row in entries.iter_rows(min_row=2))
    summary = book["Summary"]
    assert summary._charts and any(c.value == "seals_made" for row in summary.iter_rows() for c in row)
    assert book["Tree heads"].max_row >= 2 and isinstance(book["Tree heads"]["A2"].value, int)


@pytest.mark.slow
def test_libreoffice_converts_the_xlsx(desk, world, tmp_path: Path) -> None:
    home, env = desk
    target = tmp_path / "audit.xlsx"
    _export(env, world, target)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "libreoffice-calc-nogui is a system package of `make test`"
    out = tmp_path / "csv"
    proc = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless",
                           "--convert-to", "csv", "--outdir", str(out), str(target)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (out / "audit.csv").read_text(encoding="utf-8", errors="replace")
    assert "Audit log export" in text


def _receipt_and_registry(env, world, made: dict, tmp_path: Path) -> tuple[str, str]:
    """What the receipt (checked offline) and the registry say of the seal card's PIN."""
    admin = world.card("admin")
    bundle = tmp_path / "bundle.json"
    assert run_cli(env, "bundle", "export", str(bundle), "--by", admin.serial).returncode == 0
    proc = run_cli(env, "receipt", "verify", "--text", made["receipt"], "--bundle", str(bundle), "--json")
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads(proc.stdout)
    text = run_cli(env, "receipt", "verify", "--text", made["receipt"], "--bundle", str(bundle)).stdout
    assert verdict["pin"] in text
    proc = run_cli(env, "seals", "--esid", made["seal"], "--by", admin.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    (line,) = json.loads(proc.stdout)["seals"]
    assert line["pin"]["note"] in run_cli(env, "seals", "--esid", made["seal"], "--by", admin.serial).stdout
    return verdict["pin"], line["pin"]["state"]


def test_a_seal_card_recipient_sets_the_pin_at_issue(world, module, tmp_path: Path) -> None:
    from tests.station.test_making import approved_applications, make_args, wipe

    home = copy_home(world, tmp_path / "home")
    officer, supervisor = world.card("officer"), world.card("supervisor")
    seal = world.card("seal", 3)
    wipe(world, module, seal, [world.home, home])
    env = cli_env(world.conf, home.path, world.cards)
    first, second = approved_applications(home, world, 2, cards=[seal])
    weak = dict(env, **{f"SEAL_STATION_NEW_PIN_{seal.serial}": "111111"})
    assert "all one digit" in error_line(run_cli(weak, *make_args(first, officer, seal, supervisor)), 2)
    assert run_cli(env, "seals", "--by", officer.serial, "--json", "--card", seal.serial).stdout.count("esid") == 0
    try:
        chosen = dict(env, **{f"SEAL_STATION_NEW_PIN_{seal.serial}": NEW_PIN})
        proc = run_cli(chosen, *make_args(first, officer, seal, supervisor), "--json")
        assert proc.returncode == 0, proc.stderr
        made = json.loads(proc.stdout)
        assert made["pin"] == "PIN set by the recipient"
        assert _receipt_and_registry(env, world, made, tmp_path) == ("PIN set by the recipient", "recipient")
        error_line(run_cli(env, "seal", "verify", "--card", seal.serial), 3)  # the initial PIN is gone
        proc = run_cli(dict(env, **{f"SEAL_STATION_PIN_{seal.serial}": NEW_PIN}), "seal", "verify", "--card",
                       seal.serial, "--json")
        assert proc.returncode == 0, proc.stderr
        # the recipient changes it later: the registry says so (the receipt keeps what it signed)
        later = dict(env, **{f"SEAL_STATION_PIN_{seal.serial}": NEW_PIN, f"SEAL_STATION_NEW_PIN_{seal.serial}": "846205"})
        assert run_cli(later, "card", "change-pin", seal.serial).returncode == 0
        try:
            assert _receipt_and_registry(env, world, made, tmp_path) == ("PIN set by the recipient", "changed")
        finally:
            _restore_pin(module, seal.serial, "846205", NEW_PIN)
    finally:
        _restore_pin(module, seal.serial, NEW_PIN, seal.pin)
        wipe(world, module, seal, [world.home, home])
    try:
        proc = run_cli(env, *make_args(second, officer, seal, supervisor), "--json")
        assert proc.returncode == 0, proc.stderr
        made = json.loads(proc.stdout)
        assert made["pin"] == "initial PIN, change at first use"
        assert _receipt_and_registry(env, world, made, tmp_path) == ("initial PIN, change at first use", "initial")
        assert run_cli(env, "seal", "verify", "--card", seal.serial).returncode == 0  # the initial PIN opens it
    finally:
        wipe(world, module, seal, [world.home, home])


def test_the_jsonl_export_verifies_offline(desk, world, tmp_path: Path) -> None:
    home, env = desk
    target = tmp_path / "audit.jsonl"
    proc = run_cli(env, "audit", "export", "--jsonl", str(target), "--by", world.card("auditor").serial)
    assert proc.returncode == 0, proc.stderr
    bundle = tmp_path / "bundle.json"
    proc = run_cli(env, "bundle", "export", str(bundle), "--by", world.card("admin").serial)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(env, "audit", "verify", "--file", str(target), "--bundle", str(bundle), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["valid"] is True
