"""Applications: the form's national checks, enter -> approve | return -> made, separation
of duties (each refusal audited), and the CLI contract for all of it.

Every test works on its own unit names, so the demo world's sample applications stay
as the other tests expect them.
"""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station import applications, impressions
from station.errors import InputError, PolicyError, StateError
from station.demo_impressions import make_demo_impression
from station.images import MAX_FILE_BYTES, normalise_impression
from station.session import Session, login
from station.validation import (IDENTITY_DOC_TYPES, PERSONAL_SEAL_KINDS, SEAL_KINDS, UNIT_SEAL_KINDS,
                                generate_credit_code, generate_resident_id)
from tests.helpers import DemoWorld, error_line, run_cli

CODE = generate_credit_code(4242)
RESIDENT = generate_resident_id(sequence=77)


def unit_name() -> str:
    return f"测试{uuid.uuid4().hex[:8]}有限公司"


@contextmanager
def as_card(world: DemoWorld, role: str, n: int = 0) -> Iterator[Session]:
    """One session at a time: each session's audit log view is its own."""
    card = world.card(role, n)
    session = login(world.home, card.serial, card.pin)
    try:
        yield session
    finally:
        session.close()


def picture(text: str = "测试", kind: str = "official"):
    return normalise_impression(make_demo_impression(text, kind, size=160), seal_kind=kind)


def enter(world: DemoWorld, unit: str, *, name: str | None = None, kind: str = "official") -> int:
    with as_card(world, "officer") as officer:
        form = applications.check_form(seal_kind=kind, unit=unit, credit_code=CODE, seal_name=name or unit)
        return applications.submit(officer, form, picture(unit, kind)).id


def last_entries(world: DemoWorld, n: int = 12) -> list[dict]:
    with as_card(world, "auditor") as auditor:
        return auditor.audit.entries()[-n:]


# -- the form -----------------------------------------------------------------------------
def test_unit_seal_form_is_checked_and_normalised() -> None:
    form = applications.check_form(seal_kind="contract", unit=" 华东贸易有限公司 ", credit_code=CODE.lower(),
                                   seal_name="华东贸易有限公司合同专用章", purpose="签订合同")
    assert (form.unit, form.credit_code, form.holder_id) == ("华东贸易有限公司", CODE, None)
    with pytest.raises(InputError, match="credit code"):
        applications.check_form(seal_kind="official", unit="某公司", seal_name="某公司")
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    with pytest.raises(InputError, match="unified social credit code: check digit"):
        applications.check_form(seal_kind="official", unit="某公司", credit_code=wrong, seal_name="某公司")
    with pytest.raises(InputError, match="unit name is missing"):
        applications.check_form(seal_kind="finance", unit=" ", credit_code=CODE, seal_name="财务专用章")
    with pytest.raises(InputError, match="unknown seal kind"):
        applications.check_form(seal_kind="stamp", unit="某公司", credit_code=CODE, seal_name="x")


def test_personal_seal_form_needs_holder_and_identity() -> None:
    form = applications.check_form(seal_kind="personal-name", holder_name="李四", holder_id=RESIDENT,
                                   seal_name="李四")
    assert (form.unit, form.holder_id_type, form.holder_id, form.credit_code) == ("李四", "resident-id", RESIDENT, None)
    passport = applications.check_form(seal_kind="personal-signature", holder_name="Anna Berg", unit="示例科技有限公司",
                                       holder_id_type="passport", holder_id="e1234567", seal_name="Anna Berg")
    assert (passport.unit, passport.holder_id) == ("示例科技有限公司", "E1234567")
    wrong = RESIDENT[:17] + ("0" if RESIDENT[17] != "0" else "1")
    with pytest.raises(InputError, match="identity number: check digit"):
        applications.check_form(seal_kind="personal-name", holder_name="李四", holder_id=wrong, seal_name="李四")
    with pytest.raises(InputError, match="identity number"):
        applications.check_form(seal_kind="personal-name", holder_name="李四", seal_name="李四")
    with pytest.raises(InputError, match="holder's name"):
        applications.check_form(seal_kind="personal-name", holder_id=RESIDENT, seal_name="李四")


TEXT = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["", " ", CODE, RESIDENT, "张伟", "示例科技有限公司"]))


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(SEAL_KINDS + ("stamp", "")), unit=TEXT, code=TEXT, name=TEXT, purpose=TEXT,
       holder=TEXT, id_type=st.one_of(st.none(), st.sampled_from(IDENTITY_DOC_TYPES + ("bogus",))), number=TEXT)
def test_any_form_is_accepted_or_refused_with_input_error(kind, unit, code, name, purpose, holder, id_type,
                                                         number) -> None:
    try:
        form = applications.check_form(seal_kind=kind, unit=unit, credit_code=code, seal_name=name,
                                       purpose=purpose, holder_name=holder, holder_id_type=id_type, holder_id=number)
    except InputError as exc:
        assert exc.message and exc.exit_code == 2
        return
    assert form.seal_kind in SEAL_KINDS and form.unit and form.seal_name
    if kind in UNIT_SEAL_KINDS:
        assert form.credit_code and len(form.credit_code) == 18
    if kind in PERSONAL_SEAL_KINDS:
        assert form.holder_name and form.holder_id and form.holder_id_type in IDENTITY_DOC_TYPES


def test_size_and_file_loading(tmp_path: Path) -> None:
    assert applications.parse_size("40x30") == (40, 30) and applications.parse_size("") is None
    with pytest.raises(InputError):
        applications.parse_size("forty")
    good = tmp_path / "seal.png"
    good.write_bytes(make_demo_impression("测试", "official", size=160))
    image = applications.load_impression(good, "official", (40, 40))
    assert (image.width_mm, image.height_mm) == (40, 40)
    big = tmp_path / "big.png"
    big.write_bytes(good.read_bytes() + b"\0" * MAX_FILE_BYTES)
    with pytest.raises(InputError, match="larger than 10 MB"):
        applications.load_impression(big, "official")
    with pytest.raises(InputError, match="no such file"):
        applications.load_impression(tmp_path / "missing.png", "official")


# -- the life of an application -------------------------------------------------------------
def test_officer_enters_and_supervisor_approves(world: DemoWorld) -> None:
    unit = unit_name()
    app_id = enter(world, unit)
    with as_card(world, "supervisor") as boss:
        app = applications.get(boss, app_id)
        assert app.state == "submitted" and app.impression_id is None
        assert "Wang Fang" in app.entered_by_name and len(app.entered_by) == 64
        assert app.width_mm == 42 and app.original_sha256 != app.png_sha256
        assert app in applications.list_(boss, state="submitted", unit=unit)
        result = applications.approve(boss, app_id)
        assert result.application.state == "approved" and result.replaced is None
        assert result.application.impression_id == result.impression.id
        assert "Li Qiang" in (result.application.decided_by_name or "")
        imp = impressions.get(boss, result.impression.id)
        assert (imp.state, imp.unit, imp.seal_name, imp.application_id) == ("active", unit, unit, app_id)
        assert imp.png_sha256 == app.png_sha256 and imp.original_sha256 == app.original_sha256
        upload = boss.store.one("SELECT upload_key, upload FROM applications WHERE id = ?", (app_id,))
        assert upload == (None, None)  # the application's copy is erased once imported
    actions = [(e["action"], e["object"], e["outcome"]) for e in last_entries(world)]
    assert ("impression-import", str(imp.id), "ok") in actions
    assert ("application-approve", str(app_id), "ok") in actions


def test_return_with_a_reason_erases_the_picture(world: DemoWorld) -> None:
    app_id = enter(world, unit_name())
    with as_card(world, "supervisor", 1) as boss:
        with pytest.raises(InputError, match="reason"):
            applications.reject(boss, app_id, "  ")
        app = applications.reject(boss, app_id, "印模不清晰")
        assert (app.state, app.reason, app.impression_id) == ("rejected", "印模不清晰", None)
        assert boss.store.one("SELECT upload_key, upload FROM applications WHERE id = ?", (app_id,)) == (None, None)
        with pytest.raises(PolicyError) as caught:
            applications.approve(boss, app_id)
        assert caught.value.reason == "not-submitted"
    entries = last_entries(world)
    assert any(e["action"] == "application-reject" and e["details"]["reason"] == "印模不清晰" for e in entries)
    assert any(e["action"] == "application-approve" and e["outcome"] == "refused"
               and e["details"]["reason"] == "not-submitted" for e in entries)


def test_only_supervisors_decide_and_never_on_their_own(world: DemoWorld) -> None:
    app_id = enter(world, unit_name())
    with as_card(world, "officer") as officer:
        with pytest.raises(PolicyError) as caught:
            applications.approve(officer, app_id)
        assert caught.value.reason == "role"
    with as_card(world, "supervisor") as boss:
        with pytest.raises(PolicyError) as caught:
            applications.submit(boss, applications.check_form(seal_kind="official", unit="x", credit_code=CODE,
                                                              seal_name="x"), picture())
        assert caught.value.reason == "role"
        # A card that entered an application as an officer and is now a supervisor's:
        boss.store.execute("UPDATE applications SET entered_by = ? WHERE id = ?", (boss.actor.cert_sha256, app_id))
        for decide in (lambda: applications.approve(boss, app_id), lambda: applications.reject(boss, app_id, "x")):
            with pytest.raises(PolicyError) as caught:
                decide()
            assert caught.value.reason == "own-application"
        assert applications.get(boss, app_id).state == "submitted"
    refused = [e for e in last_entries(world, 20) if e["outcome"] == "refused"]
    reasons = {(e["action"], e["details"]["reason"]) for e in refused}
    assert {("application-approve", "role"), ("application-submit", "role"),
            ("application-approve", "own-application"), ("application-reject", "own-application")} <= reasons


def test_mark_made_only_once_and_only_when_approved(world: DemoWorld) -> None:
    app_id = enter(world, unit_name())
    with as_card(world, "supervisor") as boss:
        with pytest.raises(StateError):
            applications.mark_made(boss, app_id, "ES-TEST")
        applications.approve(boss, app_id)
    with as_card(world, "officer") as officer:
        with officer.store.transaction():
            applications.mark_made(officer, app_id, "ES-TEST-0001")
        app = applications.get(officer, app_id)
        assert (app.state, app.esid) == ("made", "ES-TEST-0001") and app.made_at
        with pytest.raises(StateError):
            applications.mark_made(officer, app_id, "ES-TEST-0002")
        with pytest.raises(InputError):
            applications.get(officer, 10**9)


def test_demo_world_has_its_sample_applications(world: DemoWorld) -> None:
    with as_card(world, "officer") as officer:
        states = {(a.unit, a.state) for a in applications.list_(officer)[:4]}
        active = impressions.search(officer, state="active")
    assert {("示例科技有限公司", "approved"), ("张伟", "approved"), ("华东贸易有限公司", "submitted"),
            ("星河建设集团有限公司", "rejected")} <= states
    assert {("示例科技有限公司", "official"), ("张伟", "personal-name")} <= {(i.unit, i.seal_kind) for i in active}


# -- the CLI ------------------------------------------------------------------------------
def bomb_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
            + chunk(b"IEND", b""))


def test_cli_bad_files_and_check_digits_are_exit_2_before_any_card(world: DemoWorld, tmp_path: Path) -> None:
    good = make_demo_impression("测试", "official", size=160)
    files = {"truncated": good[: len(good) // 2], "not a PNG, JPEG or BMP": b"just some text\n" * 10,
             "decompression bomb": bomb_png(), "larger than 10 MB": good + b"\0" * MAX_FILE_BYTES}
    officer = world.card("officer")
    env = world.env()  # no PIN at all: a check that ran after login would fail on the PIN instead
    for what, data in files.items():
        path = tmp_path / f"{what.replace(' ', '-')}.png"
        path.write_bytes(data)
        line = error_line(run_cli(env, "apply", "--type", "official", "--unit", "某公司", "--credit-code", CODE,
                                  "--name", "某公司", "--impression", str(path), "--by", officer.serial), 2)
        assert what in line, line
    ok = tmp_path / "ok.png"
    ok.write_bytes(good)
    wrong_code = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    line = error_line(run_cli(env, "apply", "--type", "official", "--unit", "某公司", "--credit-code", wrong_code,
                              "--name", "某公司", "--impression", str(ok), "--by", officer.serial), 2)
    assert "credit code: check digit" in line
    wrong_id = RESIDENT[:17] + ("0" if RESIDENT[17] != "0" else "1")
    line = error_line(run_cli(env, "apply", "--type", "personal-name", "--holder", "李四", "--holder-id", wrong_id,
                              "--name", "李四", "--impression", str(ok), "--by", officer.serial), 2)
    assert "identity number: check digit" in line
    error_line(run_cli(env, "apply", "--kind", "finance", "--type", "personal-name", "--unit", "x", "--name", "x",
                       "--impression", str(ok), "--by", officer.serial), 2)


def test_cli_apply_approve_reject_and_list(world: DemoWorld, tmp_path: Path) -> None:
    officer, boss = world.card("officer"), world.card("supervisor")
    env = world.env(officer, boss)
    scan = tmp_path / "scan.png"
    scan.write_bytes(make_demo_impression("测试", "contract", size=160))
    unit = unit_name()
    ids = []
    for _ in range(2):
        proc = run_cli(env, "apply", "--kind", "contract", "--unit", unit, "--credit-code", CODE, "--name",
                       f"{unit}合同专用章", "--purpose", "合同", "--impression", str(scan), "--size-mm", "38x38",
                       "--by", officer.serial, "--json")
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        assert set(data) == {"application"}
        ids.append(data["application"])

    line = error_line(run_cli(env, "approve", str(ids[0]), "--by", officer.serial), 1)  # officers do not approve
    assert "may not decide" in line
    proc = run_cli(env, "approve", str(ids[0]), "--by", boss.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    approved = json.loads(proc.stdout)
    assert approved["state"] == "approved" and approved["disabled"] == []
    proc = run_cli(env, "reject", str(ids[1]), "--reason", "重复申请", "--by", boss.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"application": ids[1], "state": "rejected", "reason": "重复申请"}
    error_line(run_cli(env, "approve", str(ids[1]), "--by", boss.serial), 1)  # returned is final
    error_line(run_cli(env, "approve", "999999", "--by", boss.serial), 2)

    proc = run_cli(env, "applications", "--unit", unit, "--by", officer.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {a["id"]: a for a in json.loads(proc.stdout)}
    assert rows[ids[0]]["state"] == "approved" and rows[ids[0]]["impression_id"] == approved["impression"]
    assert rows[ids[0]]["seal_kind"] == "contract" and rows[ids[0]]["width_mm"] == 38
    assert rows[ids[1]]["state"] == "rejected" and rows[ids[1]]["reason"] == "重复申请"
    proc = run_cli(env, "applications", "--state", "rejected", "--by", officer.serial)
    assert proc.returncode == 0 and unit in proc.stdout and "重复申请" in proc.stdout

    refused = [e for e in last_entries(world, 30) if e["outcome"] == "refused"
               and e["action"] == "application-approve" and e["object"] == str(ids[0])]
    assert refused and refused[-1]["actor"]["serial"] == officer.serial
