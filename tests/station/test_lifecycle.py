"""Issue #10, "must show": the state machine, the status list honoured by `seal verify`,
event receipts that `receipt verify` accepts, authorization of use.

A private copy of the demo station gets one real seal (demo seal card 4, wiped after);
the state-machine table runs on clones of it, through the command in this process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from station.home import Home
from tests.helpers import DemoWorld, run_cli, wipe_seal_card
from tests.station.life_world import (audit_entries, bundle_of, clone_seal, in_process, make_real_seal,
                                      new_life_home, personal_application, set_state)
from tests.station.test_making import approved_applications

ALLOWED = {  # (state, event) -> new state; every other pair is refused
    ("active", "freeze"): "frozen", ("active", "report-lost"): "lost", ("active", "revoke"): "revoked",
    ("frozen", "unfreeze"): "active", ("frozen", "report-lost"): "lost", ("frozen", "revoke"): "revoked",
    ("lost", "unfreeze"): "active", ("lost", "revoke"): "revoked",
}
STATES = ("active", "frozen", "lost", "revoked")
EVENTS = ("freeze", "unfreeze", "report-lost", "revoke")


@dataclass
class Life:
    world: DemoWorld
    home: Home
    esid: str
    seal_der: bytes
    bundle: Path


@pytest.fixture(scope="module")
def life(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Life]:
    from devices.pkcs11 import open_module
    from devices.softhsm import find_module

    module = open_module(find_module())
    root = tmp_path_factory.mktemp("life")
    home = new_life_home(demo_world, root / "home")
    seal = demo_world.card("seal", 4)
    wipe_seal_card(module, seal, [demo_world.home, home])
    (app_id,) = approved_applications(home, demo_world)
    made = make_real_seal(demo_world, home, seal, app_id)
    try:
        yield Life(demo_world, home, made.esid, made.seal_der, bundle_of(demo_world, home, root / "bundle.json"))
    finally:
        wipe_seal_card(module, seal, [demo_world.home, home])


def _cli(life: Life, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    w = life.world
    return in_process(monkeypatch, w, life.home, capsys, *args,
                      cards=(w.card("officer"), w.card("supervisor"), w.card("auditor"), w.card("admin")))


def _event_args(life: Life, esid: str, event: str) -> list[str]:
    args = [event, esid, "--reason", "card-lost: 测试", "--by", life.world.card("officer").serial]
    if event == "revoke":
        args += ["--supervisor", life.world.card("supervisor").serial]
    return args


@pytest.mark.parametrize("state", STATES)
def test_every_event_from_every_state(state: str, life: Life, monkeypatch, capsys) -> None:
    for event in EVENTS:
        esid = clone_seal(life.world, life.home, life.esid)
        if state != "active":
            set_state(life.world, life.home, esid, state)
        code, out, err = _cli(life, monkeypatch, capsys, *_event_args(life, esid, event), "--json")
        entries = [e for e in audit_entries(life.world, life.home, esid) if e["action"] == event]
        target = ALLOWED.get((state, event))
        if target is None:
            assert code == 1, (state, event, err)
            assert len(err.splitlines()) == 1 and err.startswith("seal-station: Refused:"), err
            reason = "revoked-is-final" if state == "revoked" else f"seal-{state}"
            assert state in err, err
            assert [(e["outcome"], e["details"]["reason"]) for e in entries] == [("refused", reason)]
        else:
            assert code == 0, (state, event, err)
            result = json.loads(out)
            assert result["state"] == target and result["receipt"].startswith("SSR1:")
            assert [e["outcome"] for e in entries] == ["ok"]
        code, out, _ = _cli(life, monkeypatch, capsys, "seal", "status", esid, "--by",
                            life.world.card("auditor").serial, "--json")
        assert code == 0 and json.loads(out)["state"] == (target or state)


def test_revoke_needs_the_supervisor_quorum(life: Life, monkeypatch, capsys) -> None:
    esid = clone_seal(life.world, life.home, life.esid)
    code, _, err = _cli(life, monkeypatch, capsys, "revoke", esid, "--reason", "unit-closed", "--by",
                        life.world.card("officer").serial)
    assert code == 1 and "supervisors" in err
    assert [e["details"]["reason"] for e in audit_entries(life.world, life.home, esid)] == ["quorum"]
    code, _, err = _cli(life, monkeypatch, capsys, "revoke", esid, "--reason", "unit-closed", "--by",
                        life.world.card("officer").serial, "--supervisor", life.world.card("officer").serial)
    assert code == 1 and "officer" in err  # the officer cannot co-authorize their own revocation
    reasons = [e["details"]["reason"] for e in audit_entries(life.world, life.home, esid)]
    assert reasons == ["quorum", "officer-as-supervisor"]


def test_a_reason_is_required_and_audited(life: Life, monkeypatch, capsys) -> None:
    esid = clone_seal(life.world, life.home, life.esid)
    code, _, err = _cli(life, monkeypatch, capsys, "freeze", esid, "--reason", "  ", "--by",
                        life.world.card("officer").serial)
    assert code == 2 and "reason" in err


def _verify(life: Life, seal_file: Path, status: Path, *extra: str) -> tuple[int, dict, str]:
    env = life.world.env(home=life.home)
    proc = run_cli(env, "seal", "verify", str(seal_file), "--status", str(status), "--bundle", str(life.bundle),
                   "--json", *extra)
    return proc.returncode, (json.loads(proc.stdout) if proc.stdout else {}), proc.stderr


def _export(life: Life, monkeypatch, capsys, out: Path) -> dict:
    code, stdout, err = _cli(life, monkeypatch, capsys, "revocations", "export", str(out), "--by",
                             life.world.card("officer").serial, "--json")
    assert code == 0, err
    return json.loads(stdout)


def test_status_list_is_honoured_by_seal_verify(life: Life, monkeypatch, capsys, tmp_path: Path) -> None:
    officer = life.world.card("officer").serial
    seal_file = tmp_path / "seal.esl"
    seal_file.write_bytes(life.seal_der)
    before = _export(life, monkeypatch, capsys, tmp_path / "l0.json")
    code, result, _ = _verify(life, seal_file, tmp_path / "l0.json")
    assert (code, result["status"], result["valid"]) == (0, "active", True)

    assert _cli(life, monkeypatch, capsys, "freeze", life.esid, "--reason", "card-lost", "--by", officer)[0] == 0
    frozen = _export(life, monkeypatch, capsys, tmp_path / "l1.json")
    assert frozen["sequence"] > before["sequence"] and frozen["qr"].startswith("SSL1:")
    code, result, err = _verify(life, seal_file, tmp_path / "l1.json")
    assert (code, result["status"], result["valid"]) == (1, "frozen", False)
    assert "frozen" in result["problems"] and "frozen" in err
    # judged at a time before the freeze, the freeze does not count against it
    code, result, _ = _verify(life, seal_file, tmp_path / "l1.json", "--at", result["valid_start"])
    assert (code, result["status"]) == (0, "active") and result["warnings"]
    # the QR text of the list is the list
    (tmp_path / "l1.txt").write_text(frozen["qr"])
    assert _verify(life, seal_file, tmp_path / "l1.txt")[1]["status"] == "frozen"

    assert _cli(life, monkeypatch, capsys, "unfreeze", life.esid, "--reason", "other: 找到了", "--by", officer)[0] == 0
    active = _export(life, monkeypatch, capsys, tmp_path / "l2.json")
    assert active["sequence"] > frozen["sequence"]
    code, result, _ = _verify(life, seal_file, tmp_path / "l2.json")
    assert (code, result["status"], result["valid"]) == (0, "active", True)

    assert _cli(life, monkeypatch, capsys, "report-lost", life.esid, "--reason", "card-lost", "--by", officer)[0] == 0
    _export(life, monkeypatch, capsys, tmp_path / "l3.json")
    code, result, _ = _verify(life, seal_file, tmp_path / "l3.json")
    assert (code, result["status"]) == (1, "lost") and "lost" in result["problems"]

    assert _cli(life, monkeypatch, capsys, *_event_args(life, life.esid, "revoke"))[0] == 0
    for event in ("unfreeze", "freeze", "report-lost", "revoke"):  # nothing brings it back
        code, _, err = _cli(life, monkeypatch, capsys, *_event_args(life, life.esid, event))
        assert code == 1 and "revoked" in err
    _export(life, monkeypatch, capsys, tmp_path / "l4.json")
    code, result, _ = _verify(life, seal_file, tmp_path / "l4.json")
    assert (code, result["status"]) == (1, "revoked") and "revoked" in result["problems"]

    # a list with one flipped byte is refused
    data = bytearray((tmp_path / "l2.json").read_bytes())
    at = data.index(b'"sequence":') + len(b'"sequence":')
    data[at] = ord("9") if data[at] != ord("9") else ord("8")
    (tmp_path / "flipped.json").write_bytes(bytes(data))
    code, _, err = _verify(life, seal_file, tmp_path / "flipped.json")
    assert code == 1 and "signature" in err and len(err.splitlines()) == 1

    # every event has a receipt that `receipt verify` accepts with the bundle
    code, out, _ = _cli(life, monkeypatch, capsys, "seal", "status", life.esid, "--by", officer, "--json")
    events = json.loads(out)["events"]
    assert [e["action"] for e in events] == ["freeze", "unfreeze", "report-lost", "revoke"]
    for e in events:
        proc = run_cli(life.world.env(home=life.home), "receipt", "verify", "--text", e["receipt"], "--bundle",
                       str(life.bundle), "--json")
        assert proc.returncode == 0, proc.stderr
        verdict = json.loads(proc.stdout)
        assert verdict["event"]["action"] == e["action"] and verdict["esID"] == life.esid
    revoke = json.loads(run_cli(life.world.env(home=life.home), "receipt", "verify", "--text", events[-1]["receipt"],
                                "--bundle", str(life.bundle), "--json").stdout)
    assert len(revoke["event"]["supervisors"]) == 1 and revoke["valid"] is True


def test_status_list_of_another_station_is_refused(life: Life, monkeypatch, capsys, tmp_path: Path) -> None:
    """A second station (same id, its own enrollments) cannot vouch for this one's list."""
    w = life.world
    admin = w.card("admin")
    other = tmp_path / "other"
    config = life.home.config()
    ca = next(life.home.trust_dir.iterdir())
    env = w.env(admin, home=other)
    proc = run_cli(env, "init", "--module", config.module, "--trust", str(ca), "--station-id", config.station_id)
    assert proc.returncode == 0, proc.stderr
    env["SEAL_STATION_RECOVERY_CODE"] = proc.stdout.splitlines()[-1].strip()
    proc = run_cli(env, "enroll", "--role", "admin", "--card", admin.serial)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(env, "bundle", "export", str(tmp_path / "other.json"), "--by", admin.serial)
    assert proc.returncode == 0, proc.stderr
    _export(life, monkeypatch, capsys, tmp_path / "list.json")
    seal_file = tmp_path / "seal.esl"
    seal_file.write_bytes(life.seal_der)
    proc = run_cli(w.env(home=life.home), "seal", "verify", str(seal_file), "--status", str(tmp_path / "list.json"),
                   "--bundle", str(tmp_path / "other.json"))
    assert proc.returncode == 1 and "not signed by a card the bundle lists" in proc.stderr
    proc = run_cli(w.env(home=life.home), "seal", "verify", str(seal_file), "--status", str(tmp_path / "list.json"))
    assert proc.returncode == 2  # a list is trusted only through a bundle


def test_personal_seal_is_authorized_to_its_holder(life: Life, monkeypatch, capsys) -> None:
    from devices.pkcs11 import open_module
    from devices.softhsm import find_module

    module = open_module(find_module())
    seal = life.world.card("seal", 2)  # names a person
    wipe_seal_card(module, seal, [life.home])
    app_id, holder, holder_id = personal_application(life.world, life.home, seal)
    try:
        made = make_real_seal(life.world, life.home, seal, app_id, functions=("office", "login"))
    finally:
        wipe_seal_card(module, seal, [life.world.home, life.home])
    code, out, _ = _cli(life, monkeypatch, capsys, "seal", "status", made.esid, "--by",
                        life.world.card("auditor").serial, "--json")
    auths = json.loads(out)["authorizations"]
    assert [(a["person"], a["person_id"], a["functions"], a["automatic"]) for a in auths] == \
        [(holder, holder_id, ["office", "login"], True)]


def test_authorize_and_deauthorize(life: Life, monkeypatch, capsys) -> None:
    from station.validation import generate_resident_id

    officer = life.world.card("officer").serial
    esid = clone_seal(life.world, life.home, life.esid)
    good = generate_resident_id(sequence=42)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    code, _, err = _cli(life, monkeypatch, capsys, "authorize", esid, "--person", "王五", "--person-id", bad,
                        "--functions", "office", "--by", officer)
    assert code == 2 and "check digit" in err
    code, _, err = _cli(life, monkeypatch, capsys, "authorize", esid, "--role", "财务主管", "--functions", "login",
                        "--by", officer)
    assert code == 1 and "cannot be authorized for login" in err  # the seal carries office and web only
    code, out, err = _cli(life, monkeypatch, capsys, "authorize", esid, "--person", "王五", "--person-id", good,
                          "--functions", "office,web", "--by", officer, "--json")
    assert code == 0, err
    person = json.loads(out)["authorization"]
    code, out, _ = _cli(life, monkeypatch, capsys, "authorize", esid, "--role", "财务主管", "--functions", "web",
                        "--by", officer, "--json")
    role = json.loads(out)["authorization"]
    status = json.loads(_cli(life, monkeypatch, capsys, "seal", "status", esid, "--by", officer, "--json")[1])
    assert [(a["id"], a["person"] or a["role"], a["functions"]) for a in status["authorizations"]] == \
        [(person, "王五", ["office", "web"]), (role, "财务主管", ["web"])]
    assert _cli(life, monkeypatch, capsys, "deauthorize", esid, str(person), "--by", officer)[0] == 0
    status = json.loads(_cli(life, monkeypatch, capsys, "seal", "status", esid, "--by", officer, "--json")[1])
    assert [a["id"] for a in status["authorizations"]] == [role]
    assert _cli(life, monkeypatch, capsys, "deauthorize", esid, str(person), "--by", officer)[0] == 2
    actions = [(e["action"], e["outcome"]) for e in audit_entries(life.world, life.home, esid)]
    assert actions == [("authorize", "refused"), ("authorize", "ok"), ("authorize", "ok"), ("deauthorize", "ok")]


def test_registry_search(life: Life, monkeypatch, capsys) -> None:
    auditor = life.world.card("auditor").serial
    code, out, _ = _cli(life, monkeypatch, capsys, "seals", "--by", auditor, "--json")
    seals = json.loads(out)["seals"]
    mine = next(s for s in seals if s["esid"] == life.esid)
    assert set(mine) >= {"esid", "unit", "name", "type", "card", "state", "made_at", "valid_end", "recipient",
                         "renews", "renewed_by"}
    for flag, value in (("--unit", mine["unit"][2:8]), ("--card", mine["card"]), ("--esid", life.esid)):
        found = json.loads(_cli(life, monkeypatch, capsys, "seals", flag, value, "--by", auditor, "--json")[1])
        assert life.esid in [s["esid"] for s in found["seals"]], flag
    code, _, err = _cli(life, monkeypatch, capsys, "seals", "--state", "gone", "--by", auditor)
    assert code == 2


def test_malformed_status_lists_are_bad_input_never_a_crash(tmp_path: Path) -> None:
    """Whatever a stick holds, loading it as a status list is exit 2 (malformed) or 1 (untrusted)."""
    import base45
    import zlib

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from station.errors import InputError, InvalidError
    from station.receipts.bundle import Bundle
    from station.revocations import FORMAT, load_status_list

    bundle = Bundle("DEMO-0001", (), (), 1, None, "", True, ())
    path = tmp_path / "list"
    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                               lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                               max_leaves=8)
    docs = st.fixed_dictionaries({"format": st.just(FORMAT)}, optional={
        "station_id": json_values, "sequence": json_values, "time": json_values, "entries": json_values,
        "signature": json_values})

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.one_of(st.binary(max_size=200), docs.map(lambda d: json.dumps(d).encode()),
                     docs.map(lambda d: b"SSL1:" + base45.b45encode(zlib.compress(json.dumps(d).encode())))))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        try:
            load_status_list(path, bundle)
        except (InputError, InvalidError):
            return
        raise AssertionError("an unsigned list was accepted")

    check()
    bomb = b"SSL1:" + base45.b45encode(zlib.compress(b" " * (80 * 1024 * 1024)))
    path.write_bytes(bomb)
    with pytest.raises(InputError):
        load_status_list(path, bundle)
