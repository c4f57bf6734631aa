"""Cards the station did not provision work end to end.

Everything about the cards is made with other people's tools, as a CA or a card vendor
would: `softhsm2-util` initialises the tokens, `pkcs11-tool` (opensc) generates the key
pairs and writes the certificates, `openssl` is the CA. The station only gets the CA
certificate and the cards; then init -> enroll -> apply -> approve -> make -> seal verify
run as commands.

The tokens live in a token directory of their own (``SOFTHSM2_CONF`` is passed to each
child process); the test session's own PKCS#11 module is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from crypto import seseal
from devices import softhsm
from station.demo import DemoCard
from tests.helpers import cli_env, error_line, run_cli

SO_PIN = "87654321"
# role, token label, user PIN (each card its own PIN: the CLI must take the right one)
CARDS = [
    ("admin", "EXT-ADMIN", "11223344"),
    ("officer", "EXT-OFFICER", "22334455"),
    ("supervisor", "EXT-SUPERVISOR", "33445566"),
    ("seal", "EXT-SEAL-01", "44556677"),
]


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0, f"{cmd[0]} {cmd[1]} failed: {proc.stderr or proc.stdout}"
    return proc.stdout


def _serials(env: dict[str, str], cwd: Path) -> dict[str, str]:
    """token label -> serial, as pkcs11-tool lists them."""
    listing = _run(["pkcs11-tool", "--module", softhsm.find_module(), "--list-token-slots"], env, cwd)
    out: dict[str, str] = {}
    label = None
    for line in listing.splitlines():
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        if key == "token label":
            label = value
        elif key == "serial num" and label:
            out[label] = value
    return out


def _provision(work: Path, env: dict[str, str]) -> dict[str, DemoCard]:
    """Tokens, keys on the tokens, a CA with openssl, certificates written back onto the tokens."""
    module = softhsm.find_module()
    _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", "ca.key", "-out", "ca.pem", "-days", "60", "-subj", "/C=CN/O=External Test CA/CN=External Test CA",
          "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], env, work)
    (work / "card.ext").write_text("basicConstraints=critical,CA:FALSE\n"
                                   "keyUsage=critical,digitalSignature,nonRepudiation,keyAgreement\n")
    cards: dict[str, DemoCard] = {}
    for role, label, pin in CARDS:
        _run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", pin],
             env, work)
        tool = ["pkcs11-tool", "--module", module, "--token-label", label]
        _run(tool + ["--login", "--pin", pin, "--keypairgen", "--key-type", "EC:prime256v1", "--id", "01",
                     "--label", label], env, work)
        _run(tool + ["--login", "--pin", pin, "--read-object", "--type", "pubkey", "--id", "01",
                     "-o", f"{label}.pub.der"], env, work)
        _run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", f"{label}.pub.der", "-out", f"{label}.pub.pem"],
             env, work)
        unit = f"/OU={_credit_code()}" if role == "seal" else ""  # the seal card names its unit
        _run(["openssl", "x509", "-new", "-force_pubkey", f"{label}.pub.pem",
              "-subj", f"/C=CN/O=External Unit{unit}/CN={label}", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "30",
              "-extfile", "card.ext", "-outform", "DER", "-out", f"{label}.der"], env, work)
        _run(tool + ["--login", "--pin", pin, "--write-object", f"{label}.der", "--type", "cert", "--id", "01",
                     "--label", label], env, work)
    serials = _serials(env, work)
    for role, label, pin in CARDS:
        cards[role] = DemoCard(role, label, serials[label], pin)
    return cards


def test_cards_from_other_tools_make_a_seal(tmp_path: Path) -> None:
    from station.demo_impressions import make_demo_impression  # pure image code: no PKCS#11 here

    work = tmp_path / "work"
    work.mkdir()
    conf = softhsm.write_config(tmp_path / "hsm")  # a token directory of its own
    tool_env = {k: v for k, v in os.environ.items() if not k.startswith("SEAL_STATION_")}
    tool_env["SOFTHSM2_CONF"] = str(conf)
    cards = _provision(work, tool_env)
    admin, officer, supervisor, seal = (cards[r] for r in ("admin", "officer", "supervisor", "seal"))
    home = tmp_path / "home"
    env = cli_env(conf, home, cards.values())

    proc = run_cli(env, "init", "--module", softhsm.find_module(), "--trust", str(work / "ca.pem"),
                   "--station-id", "EXT-01")
    assert proc.returncode == 0, proc.stderr
    code = proc.stdout.strip().splitlines()[-1].strip()
    assert code and "recovery" not in code.lower()

    no_code = run_cli(env, "enroll", "--role", "admin", "--card", admin.serial)  # no terminal, no code
    error_line(no_code, 2)
    proc = run_cli(dict(env, SEAL_STATION_RECOVERY_CODE=code), "enroll", "--role", "admin", "--card", admin.serial)
    assert proc.returncode == 0, proc.stderr
    # a card enrolled with the PIN it came with acts only after its holder chose a new one
    refused = run_cli(env, "enroll", "--role", officer.role, "--card", officer.serial, "--by", admin.serial)
    assert "initial PIN" in error_line(refused, 1)
    for card in (admin, officer, supervisor):
        if card is not admin:
            proc = run_cli(env, "enroll", "--role", card.role, "--card", card.serial, "--by", admin.serial)
            assert proc.returncode == 0, proc.stderr
        new_pin = "730519"
        proc = run_cli(dict(env, **{f"SEAL_STATION_NEW_PIN_{card.serial}": new_pin}), "card", "change-pin",
                       card.serial)
        assert proc.returncode == 0, proc.stderr
        env[f"SEAL_STATION_PIN_{card.serial}"] = new_pin

    proc = run_cli(env, "cards", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {c["serial"]: c for c in json.loads(proc.stdout)}
    for card in (admin, officer, supervisor):
        assert (listed[card.serial]["state"], listed[card.serial]["role"]) == ("authorization", card.role)
    assert listed[seal.serial]["state"] == "blank"

    png = work / "impression.png"
    png.write_bytes(make_demo_impression("外部单位有限公司", "official", size=240))
    proc = run_cli(env, "apply", "--type", "official", "--unit", "外部单位有限公司",
                   "--credit-code", _credit_code(), "--name", "外部单位有限公司",
                   "--impression", str(png), "--by", officer.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    app_id = json.loads(proc.stdout)["application"]
    proc = run_cli(env, "approve", str(app_id), "--by", supervisor.serial)
    assert proc.returncode == 0, proc.stderr

    proc = run_cli(env, "make", str(app_id), "--officer", officer.serial, "--seal-card", seal.serial,
                   "--supervisor", supervisor.serial, "--recipient", "李四", "--receipt-dir", str(tmp_path / "r"),
                   "--json")
    assert proc.returncode == 0, proc.stderr
    made = json.loads(proc.stdout)
    assert made["card"] == seal.serial and made["seal"].startswith("EXT-01-")

    proc = run_cli(env, "seal", "verify", "--card", seal.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads(proc.stdout)
    assert verdict["valid"] and verdict["chain"] == "ok" and verdict["esID"] == made["seal"], verdict
    assert verdict["maker"] == "EXT-OFFICER" and verdict["certs"][0]["subject"].startswith("CN=EXT-SEAL-01")

    # Read back with pkcs11-tool; the seal's maker certificate is the one openssl issued.
    _run(["pkcs11-tool", "--module", softhsm.find_module(), "--token-label", seal.label, "--login", "--pin",
          seal.pin, "--read-object", "--type", "data", "--label", "SESeal", "-o", "seal.der"], tool_env, work)
    parsed = seseal.parse((work / "seal.der").read_bytes())
    assert parsed.maker_cert == (work / f"{officer.label}.der").read_bytes()
    assert parsed.certs == [(work / f"{seal.label}.der").read_bytes()]
    proc = run_cli(env, "seal", "verify", str(work / "seal.der"), "--trust", str(work / "ca.pem"))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(env, "cards", "--json")
    assert {c["serial"]: c["state"] for c in json.loads(proc.stdout)}[seal.serial] == "sealed"
    proc = run_cli(env, "audit", "verify", "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr


def _credit_code() -> str:
    from station.validation import generate_credit_code

    return generate_credit_code(12345)
