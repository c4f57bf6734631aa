"""A seal card made from the command line, checked by other tools.

apply -> approve -> make run as a user runs them; then the card is read with pkcs11-tool,
the maker signature is checked with openssl against the officer card's own certificate,
and `seal verify` and `cards` agree. Each refusal names its reason in the one stderr line,
leaves the card blank and records nothing.

These tests work on a private copy of the demo station home (the SoftHSM tokens stay
shared) and wipe the seal card they write on before and after. The helpers below are
shared with tests/station/test_making_crash.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import pytest

from crypto import seseal
from devices import softhsm
from station.demo import DemoCard
from station.home import Home
from tests.helpers import DemoWorld, error_line, fitting_form, run_cli, wipe_seal_card

__all__ = ["SEAL_CARD", "new_unit", "approved_applications", "seal_on_card", "wipe", "pkcs11_tool",
           "tool_token", "card_states", "store_query", "make_args"]

SEAL_CARD = 4  # the demo seal card these tests write on (wiped before and after)
RECIPIENT = "张三"


# -- helpers (also used by test_making_crash.py) ---------------------------------------------
def new_unit(world: DemoWorld) -> tuple[str, str, str]:
    """The unit the test seal card names, its credit code and a fresh seal name (one
    active impression per unit and seal name)."""
    form = fitting_form(world.card("seal", SEAL_CARD))
    return form["unit"], form["credit_code"], form["seal_name"]


def approved_applications(home: Home, world: DemoWorld, count: int = 1,
                          cards: Sequence[DemoCard] | None = None) -> list[int]:
    """``count`` approved applications (in process), the i-th fitting ``cards[i % len]``
    (default: the test seal card)."""
    from station import applications
    from station.demo_impressions import make_demo_impression
    from station.images import normalise_impression
    from station.model import Role
    from station.session import login

    officer, supervisor = world.card("officer"), world.card("supervisor")
    ids: list[int] = []
    desk = login(home, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        fits = list(cards) if cards else [world.card("seal", SEAL_CARD)]
        for i in range(count):
            form = applications.check_form(**fitting_form(fits[i % len(fits)]), purpose="测试")
            image = normalise_impression(make_demo_impression(form.unit, form.seal_kind, size=160),
                                         seal_kind=form.seal_kind)
            ids.append(applications.submit(desk, form, image).id)
    finally:
        desk.close()
    boss = login(home, supervisor.serial, supervisor.pin, role=Role.SUPERVISOR)
    try:
        for app_id in ids:
            applications.approve(boss, app_id)
    finally:
        boss.close()
    return ids


def _present(world: DemoWorld, module, serial: str) -> None:
    """Put a card back if a failed test left it on the shelf (then re-read the reader)."""
    if softhsm.token_folder(world.conf, serial) is None:
        softhsm.insert(world.conf, serial)
        for s in list(module._cards):
            module.forget(s)
        module.scan()


def seal_on_card(module, card: DemoCard) -> bytes | None:
    """The SESeal object's value on ``card`` (logged in with its PIN, then logged out)."""
    c = module.card(card.serial)
    try:
        c.login(card.pin)
        return c.read_data("SESeal")
    finally:
        module.forget(card.serial)


def wipe(world: DemoWorld, module, card: DemoCard, homes: Iterable[Home]) -> None:
    """Make ``card`` blank again: delete its SESeal object, clear the station's marks."""
    _present(world, module, card.serial)
    wipe_seal_card(module, card, homes)


def pkcs11_tool(conf: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The independent PKCS#11 client (opensc), on the tokens of ``conf``."""
    return subprocess.run(["pkcs11-tool", "--module", softhsm.find_module(), *args], capture_output=True,
                          env=dict(os.environ, SOFTHSM2_CONF=str(conf)), check=False,
                          stdin=subprocess.DEVNULL, timeout=60)


def tool_token(conf: Path, serial: str) -> list[str]:
    """pkcs11-tool arguments that pick the token with this serial: its label if unique."""
    listing = pkcs11_tool(conf, "--list-token-slots").stdout.decode()
    slots: list[dict[str, str]] = []
    for line in listing.splitlines():
        if line.startswith("Slot "):
            slots.append({"id": line.split("(", 1)[1].split(")", 1)[0]})
        elif ":" in line and slots:
            key, value = line.split(":", 1)
            slots[-1][key.strip()] = value.strip()
    mine = [s for s in slots if s.get("serial num") == serial]
    assert len(mine) == 1, f"pkcs11-tool does not list token {serial}:\n{listing}"
    label = mine[0]["token label"]
    if sum(s.get("token label") == label for s in slots) == 1:
        return ["--token-label", label]
    return ["--slot", mine[0]["id"]]


def card_states(env: dict[str, str]) -> dict[str, str]:
    """serial -> state, as `seal-station cards --json` reports it."""
    proc = run_cli(env, "cards", "--json")
    assert proc.returncode == 0, proc.stderr
    return {c["serial"]: c["state"] for c in json.loads(proc.stdout)}


def store_query(home: Home, world: DemoWorld, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows from the station's store, opened by the auditor's card (proves it opens)."""
    from station.session import login

    auditor = world.card("auditor")
    session = login(home, auditor.serial, auditor.pin)
    try:
        return [tuple(r) for r in session.store.all(sql, params)]
    finally:
        session.close()


def make_args(app_id: int, officer: DemoCard, seal: DemoCard, *supervisors: DemoCard) -> list[str]:
    args = ["make", str(app_id), "--officer", officer.serial, "--seal-card", seal.serial,
            "--recipient", RECIPIENT]
    for s in supervisors:
        args += ["--supervisor", s.serial]
    return args


@pytest.fixture
def seal_card(world: DemoWorld, module, home_copy: Home) -> Iterator[DemoCard]:
    """A blank demo seal card (wiped before and after the test)."""
    card = world.card("seal", SEAL_CARD)
    wipe(world, module, card, [world.home, home_copy])
    yield card
    wipe(world, module, card, [world.home, home_copy])


# -- 1. the whole ceremony from the command line ------------------------------------------------
def test_apply_approve_make_then_check_with_independent_tools(world: DemoWorld, home_copy: Home,
                                                              seal_card: DemoCard, tmp_path: Path) -> None:
    from station.demo_impressions import make_demo_impression

    officer, supervisor = world.card("officer"), world.card("supervisor")
    env = world.env(officer, supervisor, seal_card, home=home_copy)
    unit, code, name = new_unit(world)
    png = tmp_path / "impression.png"
    png.write_bytes(make_demo_impression(unit, "official", size=240))

    proc = run_cli(env, "apply", "--type", "official", "--unit", unit, "--credit-code", code, "--name", name,
                   "--impression", str(png), "--by", officer.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    app_id = json.loads(proc.stdout)["application"]
    proc = run_cli(env, "approve", str(app_id), "--by", supervisor.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == "approved"

    proc = run_cli(env, *make_args(app_id, officer, seal_card, supervisor),
                   "--receipt-dir", str(tmp_path / "receipts"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    made = json.loads(proc.stdout)  # one JSON document on stdout
    assert {"seal", "card", "receipt", "files"} <= set(made), made
    assert made["card"] == seal_card.serial
    assert isinstance(made["receipt"], str) and isinstance(made["files"], list)
    esid = made["seal"]

    # What the station recorded, and what is on the card according to opensc's pkcs11-tool.
    rows = store_query(home_copy, world, "SELECT seal_der, card_serial, application_id FROM seals WHERE esid = ?",
                       (esid,))
    assert len(rows) == 1
    recorded, card_serial, recorded_app = bytes(rows[0][0]), rows[0][1], rows[0][2]
    assert (card_serial, recorded_app) == (seal_card.serial, app_id)
    out = tmp_path / "out.der"
    tool = pkcs11_tool(world.conf, *tool_token(world.conf, seal_card.serial), "--login", "--pin", seal_card.pin,
                       "--read-object", "--type", "data", "--label", "SESeal", "-o", str(out))
    assert tool.returncode == 0, tool.stderr
    der = out.read_bytes()
    assert der == recorded
    listing = pkcs11_tool(world.conf, *tool_token(world.conf, seal_card.serial), "--login", "--pin",
                          seal_card.pin, "--list-objects", "--type", "data").stdout.decode()
    assert "GB/T 38540-2020" in listing and "private" in listing  # CKA_APPLICATION, CKA_PRIVATE

    # openssl checks the maker signature over DER(SES_SealInfo) with the officer card's own key.
    parsed = seseal.parse(der)
    assert parsed.esid == esid and parsed.version == 4
    officer_cert = tmp_path / "officer.der"
    tool = pkcs11_tool(world.conf, *tool_token(world.conf, officer.serial), "--read-object", "--type", "cert",
                       "--label", officer.label, "-o", str(officer_cert))
    assert tool.returncode == 0, tool.stderr
    assert parsed.maker_cert == officer_cert.read_bytes()
    pub = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", str(officer_cert), "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    (tmp_path / "pub.pem").write_bytes(pub)
    (tmp_path / "data.bin").write_bytes(parsed.signed_bytes)
    (tmp_path / "sig.der").write_bytes(parsed.signature)
    info_start = der.index(parsed.signed_bytes)
    assert info_start < 6 and der[info_start] == 0x30  # the first element of the SESeal itself

    def openssl_verify(data: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"),
                               "-signature", str(tmp_path / "sig.der"), str(data)],
                              capture_output=True, text=True, check=False)

    checked = openssl_verify(tmp_path / "data.bin")
    assert checked.returncode == 0 and "Verified OK" in checked.stdout, checked
    tampered = bytearray(parsed.signed_bytes)
    tampered[len(tampered) // 2] ^= 0x01
    (tmp_path / "tampered.bin").write_bytes(bytes(tampered))
    assert openssl_verify(tmp_path / "tampered.bin").returncode == 1  # the check can fail

    # The seal card's own certificate is in certList.
    card_cert = tmp_path / "card.der"
    tool = pkcs11_tool(world.conf, *tool_token(world.conf, seal_card.serial), "--read-object", "--type", "cert",
                       "--label", seal_card.label, "-o", str(card_cert))
    assert tool.returncode == 0, tool.stderr
    assert parsed.cert_list_type == 1 and parsed.certs[0] == card_cert.read_bytes()

    # The station's own verifier agrees, from the card and from the file.
    proc = run_cli(env, "seal", "verify", "--card", seal_card.serial, "--json")
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads(proc.stdout)
    assert verdict["valid"] and verdict["esID"] == esid and verdict["chain"] == "ok", verdict
    assert verdict["name"] == name
    proc = run_cli(env, "seal", "verify", str(out), "--trust", str(home_copy.path / "demo-ca.pem"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("VALID")
    assert card_states(env)[seal_card.serial] == "sealed"
    rows = store_query(home_copy, world, "SELECT state, esid FROM applications WHERE id = ?", (app_id,))
    assert rows == [("made", esid)]


# -- 2. refusals ----------------------------------------------------------------------------
# case -> (seal card role, officer role, supervisor role, words in the stderr line, audit reason)
REFUSALS = {
    "expired-certificate": ("seal-expired", "officer", "supervisor", ("expired",), "certificate-expired"),
    "untrusted-ca": ("seal-untrusted", "officer", "supervisor",
                     ("not issued by a CA this station trusts",), "issuer-not-trusted"),
    "card-of-another-unit": ("seal-other", "officer", "supervisor", ("does not belong to the applicant",),
                             "card-not-applicants"),
    "officer-as-own-supervisor": ("seal", "officer", "officer", ("cannot co-authorize",), "officer-as-supervisor"),
    "supervisor-as-officer": ("seal", "supervisor", "supervisor-2",
                              ("enrolled as supervisor, not as officer", "only a seal officer"), None),
}


def _card(world: DemoWorld, role: str, seal_card: DemoCard) -> DemoCard:
    if role == "seal":
        return seal_card
    if role == "supervisor-2":
        return world.card("supervisor", 1)
    if role == "seal-other":  # a blank seal card whose certificate names another unit
        return world.card("seal", 3)
    return world.card(role)


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_name_their_reason_and_leave_the_card_blank(case: str, world: DemoWorld, module,
                                                             home_copy: Home, seal_card: DemoCard) -> None:
    seal_role, officer_role, supervisor_role, words, reason = REFUSALS[case]
    seal = _card(world, seal_role, seal_card)
    officer, supervisor = _card(world, officer_role, seal_card), _card(world, supervisor_role, seal_card)
    wipe(world, module, seal, [home_copy])
    assert seal_on_card(module, seal) is None
    (app_id,) = approved_applications(home_copy, world)
    seals_before = store_query(home_copy, world, "SELECT count(*) FROM seals")[0][0]  # other tests made some
    env = world.env(officer, supervisor, seal, world.card("supervisor", 1), home=home_copy)

    line = error_line(run_cli(env, *make_args(app_id, officer, seal, supervisor)), 1)
    assert any(w in line for w in words), line

    assert seal_on_card(module, seal) is None  # the card is still blank ...
    assert card_states(env)[seal.serial] == "blank"  # ... and not flagged
    assert seal.serial not in home_copy.card_marks()
    assert store_query(home_copy, world, "SELECT state, esid FROM applications WHERE id = ?",
                       (app_id,)) == [("approved", None)]
    assert store_query(home_copy, world, "SELECT count(*) FROM seals")[0][0] == seals_before
    assert store_query(home_copy, world, "SELECT count(*) FROM seals WHERE application_id = ?", (app_id,)) == [(0,)]
    if reason:  # refused by the ceremony: audited with its reason
        entries = [json.loads(r[0]) for r in store_query(home_copy, world, "SELECT entry FROM audit ORDER BY seq")]
        refused = [e for e in entries if e["action"] == "make" and e["outcome"] == "refused"]
        assert refused and refused[-1]["details"]["reason"] == reason, refused[-1:]


def test_a_card_that_holds_a_seal_is_refused_and_kept(world: DemoWorld, module, home_copy: Home,
                                                      seal_card: DemoCard) -> None:
    from station import making
    from station.model import Role
    from station.session import login

    officer, supervisor = world.card("officer"), world.card("supervisor")
    first, second = approved_applications(home_copy, world, 2)
    session = login(home_copy, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        made = making.make_seal(session, application_id=first, seal_card=seal_card.serial, seal_pin=seal_card.pin,
                                supervisors=[(supervisor.serial, lambda: supervisor.pin)], recipient=RECIPIENT)
    finally:
        session.close()
    env = world.env(officer, supervisor, seal_card, home=home_copy)

    line = error_line(run_cli(env, *make_args(second, officer, seal_card, supervisor)), 1)
    assert "already holds a seal" in line

    assert seal_on_card(module, seal_card) == made.seal_der  # the first seal is untouched
    assert card_states(env)[seal_card.serial] == "sealed"
    assert store_query(home_copy, world, "SELECT esid, card_serial FROM seals WHERE application_id IN (?, ?)",
                       (first, second)) == [(made.esid, seal_card.serial)]
    assert store_query(home_copy, world, "SELECT state FROM applications WHERE id = ?", (second,)) == [("approved",)]


def test_a_receipt_the_card_cannot_sign_leaves_the_seal_made(world: DemoWorld, home_copy: Home,
                                                             seal_card: DemoCard, monkeypatch) -> None:
    """The receipt is the ceremony's last step: if the officer's card fails there, the seal
    stays made, the result says why, and the receipt is signed at the next export."""
    from crypto import receipt as cose
    from station import making
    from station.errors import CardError
    from station.model import Role
    from station.receipts.claims import Claim
    from station.receipts.export import after_make
    from station.session import login

    def card_fails(session, esid: str) -> str:
        raise CardError("card stopped answering")

    officer, supervisor = world.card("officer"), world.card("supervisor")
    (app_id,) = approved_applications(home_copy, world)
    session = login(home_copy, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(making, "issue_receipt", card_fails)
            made = making.make_seal(session, application_id=app_id, seal_card=seal_card.serial,
                                    seal_pin=seal_card.pin, supervisors=[(supervisor.serial, lambda: supervisor.pin)],
                                    recipient=RECIPIENT)
        assert made.receipt is None and isinstance(made.receipt_error, CardError)
        failed = [e for e in session.audit.entries() if e["action"] == "receipt" and e["object"] == made.esid]
        assert [e["outcome"] for e in failed] == ["failed"]
        text, files = after_make(session, made.esid, None)
    finally:
        session.close()
    assert cose.decode(text).claims[Claim.ESID] == made.esid and files == []
    assert store_query(home_copy, world, "SELECT state FROM applications WHERE id = ?", (app_id,)) == [("made",)]
    assert store_query(home_copy, world, "SELECT receipt FROM issuances WHERE esid = ?", (made.esid,)) == [(text,)]


def test_only_an_officer_session_makes_seals(world: DemoWorld, module, home_copy: Home,
                                             seal_card: DemoCard) -> None:
    """The ceremony itself refuses a supervisor's session, whatever a caller does."""
    from station import making
    from station.errors import PolicyError
    from station.model import Role
    from station.session import login

    supervisor, other = world.card("supervisor"), world.card("supervisor", 1)
    (app_id,) = approved_applications(home_copy, world)
    session = login(home_copy, supervisor.serial, supervisor.pin, role=Role.SUPERVISOR)
    try:
        with pytest.raises(PolicyError) as caught:
            making.make_seal(session, application_id=app_id, seal_card=seal_card.serial, seal_pin=seal_card.pin,
                             supervisors=[(other.serial, lambda: other.pin)], recipient=RECIPIENT)
    finally:
        session.close()
    assert caught.value.reason == "not-officer" and "only a seal officer" in caught.value.message
    assert seal_on_card(module, seal_card) is None
    assert seal_card.serial not in home_copy.card_marks()
    assert store_query(home_copy, world, "SELECT state FROM applications WHERE id = ?", (app_id,)) == [("approved",)]


def test_supervisor_card_is_checked_before_signing_and_wrong_pins_count(world) -> None:
    """The wizard checks a supervisor's card when the PIN is typed, not at the end; a
    wrong PIN there counts toward the card's lock like any other."""
    from station.errors import PolicyError, WrongPinError
    from station.making import check_supervisor
    from station.session import login

    officer, supervisor, auditor = world.card("officer"), world.card("supervisor"), world.card("auditor")
    session = login(world.home, officer.serial, officer.pin)
    try:
        assert "Li Qiang" in check_supervisor(session, supervisor.serial, supervisor.pin)
        with pytest.raises(WrongPinError) as wrong:
            check_supervisor(session, supervisor.serial, "000000")
        assert wrong.value.tries_left == world.home.config().max_pin_tries - 1
        assert world.home.pin_failures(supervisor.serial) == 1
        with pytest.raises(PolicyError) as own:
            check_supervisor(session, officer.serial, officer.pin)
        assert own.value.reason == "officer-as-supervisor"
        with pytest.raises(PolicyError) as not_sup:
            check_supervisor(session, auditor.serial, auditor.pin)
        assert not_sup.value.reason == "not-supervisor"
        assert check_supervisor(session, supervisor.serial, supervisor.pin)
        assert world.home.pin_failures(supervisor.serial) == 0
    finally:
        session.close()


class _GarbledSigner:
    """The officer's card, but answering with bytes that are no signature at all."""

    def __init__(self, real) -> None:
        self.algorithm, self.certificate = real.algorithm, real.certificate

    def sign(self, data: bytes, *, pss: bool = False) -> bytes:
        return b"\x01\x02\x03"


def test_a_seal_that_cannot_be_built_is_a_station_error(world: DemoWorld, module, home_copy: Home,
                                                        seal_card: DemoCard) -> None:
    """crypto's SealBuildError reaches the caller as a StateError with a message, and nothing is made."""
    from crypto.errors import CryptoError
    from station import making
    from station.errors import StateError
    from station.model import Role
    from station.session import login

    officer, supervisor = world.card("officer"), world.card("supervisor")
    (app_id,) = approved_applications(home_copy, world)
    session = login(home_copy, officer.serial, officer.pin, role=Role.OFFICER)
    real = session.signer
    session.signer = _GarbledSigner(real)
    try:
        with pytest.raises(StateError) as caught:
            making.make_seal(session, application_id=app_id, seal_card=seal_card.serial, seal_pin=seal_card.pin,
                             supervisors=[(supervisor.serial, lambda: supervisor.pin)], recipient=RECIPIENT)
    finally:
        session.signer = real
        session.close()
    assert not isinstance(caught.value, CryptoError)
    assert caught.value.one_line().startswith("Station: the new seal cannot be made: the signer returned no EC")
    assert seal_on_card(module, seal_card) is None
    assert store_query(home_copy, world, "SELECT state FROM applications WHERE id = ?", (app_id,)) == [("approved",)]


def test_the_receipt_number_is_reserved_when_the_supervisors_co_sign(world: DemoWorld, home_copy: Home,
                                                                     seal_card: DemoCard) -> None:
    """The supervisors co-sign the receipt number, so it is taken before they sign: a
    ceremony aborted after co-signing leaves a gap, and no number is used twice."""
    from crypto import receipt as cose
    from station import making
    from station.model import Role
    from station.receipts.claims import Claim
    from station.session import login

    officer, supervisor = world.card("officer"), world.card("supervisor")
    first, second = approved_applications(home_copy, world, 2)

    def seq() -> int:
        rows = store_query(home_copy, world, "SELECT value FROM meta WHERE key = 'receipt-seq'")
        return int(rows[0][0]) if rows else 0

    before = seq()

    def pull_at_write(step: str) -> None:
        if step == "write":
            raise RuntimeError("the officer pressed cancel")

    session = login(home_copy, officer.serial, officer.pin, role=Role.OFFICER)
    try:
        with pytest.raises(RuntimeError):
            making.make_seal(session, application_id=first, seal_card=seal_card.serial, seal_pin=seal_card.pin,
                             supervisors=[(supervisor.serial, lambda: supervisor.pin)], recipient=RECIPIENT,
                             progress=pull_at_write)
        assert seq() == before + 1  # taken before the supervisors co-signed, not given back
        made = making.make_seal(session, application_id=second, seal_card=seal_card.serial,
                                seal_pin=seal_card.pin, supervisors=[(supervisor.serial, lambda: supervisor.pin)],
                                recipient=RECIPIENT)
    finally:
        session.close()
    assert made.number == before + 2 and seq() == before + 2
    assert cose.decode(made.receipt).claims[Claim.NUMBER] == made.number
    assert store_query(home_copy, world, "SELECT number FROM issuances WHERE esid = ?", (made.esid,)) == [
        (made.number,)]
