"""`seal verify` on real seals from elsewhere and on damaged ones.

The fixtures (../shared/fixtures/seals, README.md there) are real v1/v4/v5 seals and a v4
document signature made by another implementation; one has a bad maker signature. Every
one must get the verdict its README gives, be valid at a time inside its own validity,
and be out of period today if it has expired. A file that is not a seal is bad input
(exit 2); a seal with any one byte changed is never valid (exit 1 or 2), and nothing ever
ends in a traceback.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import seseal, testkeys
from station.errors import InputError
from station.verify import verify_bytes
from tests.helpers import cli_env, error_line, fixtures_dir, run_cli

BAD = "HebeiGede-bad-maker-signature.der"
SIGNATURE_DOCUMENT = "SignedValueV4.dat"


FIXTURES = fixtures_dir()
SEAL_FILES = sorted(p.name for p in FIXTURES.iterdir() if p.is_file() and p.suffix.lower() != ".md")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """`seal verify FILE` needs no card and no station: an empty home, no tokens."""
    return cli_env(tmp_path / "no-softhsm.conf", tmp_path / "home")


def _verify(env: dict[str, str], *args: str) -> tuple[int, dict]:
    proc = run_cli(env, "seal", "verify", *args, "--json")
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:
        assert proc.stderr == ""
    else:
        error_line(proc, 1)  # "not valid" is one stderr line too (CLI.md)
    return proc.returncode, json.loads(proc.stdout)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_every_fixture_is_here() -> None:
    assert {"UserV1.esl", "UserV4.esl", "UserV5.esl", SIGNATURE_DOCUMENT, BAD} <= set(SEAL_FILES)


@pytest.mark.parametrize("name", SEAL_FILES)
def test_fixture_verdicts(name: str, env: dict[str, str]) -> None:
    path = str(FIXTURES / name)
    code, today = _verify(env, path)
    assert code == (0 if today["valid"] else 1)
    start, end = _time(today["valid_start"]), _time(today["valid_end"])
    assert start < end
    if name == BAD:
        assert today["intact"] is False and today["valid"] is False
        assert "maker-signature-invalid" in today["problems"]
        return
    assert today["intact"] is True, today["problems"]
    assert "maker-signature-invalid" not in today["problems"]
    assert today["version"] in (1, 4, 5) and today["name"] and today["maker"]

    inside = start + (end - start) / 2
    code, then = _verify(env, path, "--at", _iso(inside))
    assert code == 0 and then["valid"] and then["in_period"], then["problems"]

    before = start - timedelta(days=1)
    code, early = _verify(env, path, "--at", _iso(before))
    assert code == 1 and not early["in_period"]
    assert {"out-of-period", "not-yet-valid"} <= set(early["problems"])

    now = datetime.now(timezone.utc)
    if name == SIGNATURE_DOCUMENT:
        # An old document is judged at its signing time: it stays validly sealed ...
        assert today["signature"]["signature_ok"] and today["signature"]["time"]
        assert start <= _time(today["signature"]["time"]) <= end
        assert today["valid"] is True, today["problems"]
        # ... while its seal, judged today, has expired.
        if end < now:
            code, judged_now = _verify(env, path, "--at", _iso(now))
            assert code == 1 and {"out-of-period", "expired"} <= set(judged_now["problems"])
    elif end < now:
        assert today["valid"] is False and today["in_period"] is False
        assert {"out-of-period", "expired"} <= set(today["problems"])
    else:
        assert today["in_period"] is True


def test_files_that_are_not_seals_are_bad_input(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.der"
    empty.write_bytes(b"")
    readme = next(p for p in FIXTURES.iterdir() if p.suffix.lower() == ".md")
    for path in (readme, empty, tmp_path / "missing.der", FIXTURES):
        proc = run_cli(env, "seal", "verify", str(path))
        error_line(proc, 2)
        assert proc.stdout == ""
    line = error_line(run_cli(env, "seal", "verify", str(readme), "--json"), 2)
    assert "not an electronic seal" in line
    error_line(run_cli(env, "seal", "verify", str(FIXTURES / "UserV4.esl"), "--at", "yesterday"), 2)
    error_line(run_cli(env, "seal", "verify"), 2)


# -- one flipped byte ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh_seal() -> tuple[bytes, bytes]:
    """A valid v4 seal (software keys, P-256) and its CA certificate."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ca = testkeys.make_ca("ec", "Flip Test CA")
    maker = testkeys.issue(ca, "ec", "Flip Test Officer")
    card = testkeys.issue(ca, "ec", "Flip Test Seal Card")
    der = seseal.build_v4(esid="FLIP-2024-000001", seal_type=1, name="翻转测试有限公司", certs=[card.certificate],
                          created=now, valid_start=now, valid_end=now + timedelta(days=365),
                          picture=b"\x89PNG\r\n\x1a\n" + bytes(range(64)), width_mm=42, height_mm=42,
                          ext_datas=[("2.25.1", False, b"office,web")], signer=maker.signer)
    assert verify_bytes(der)["valid"] and verify_bytes(der, anchors=[ca.certificate])["chain"] == "ok"
    return der, ca.certificate


def _flipped(der: bytes, index: int, mask: int) -> bytes:
    out = bytearray(der)
    out[index] ^= mask
    return bytes(out)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_byte_is_never_valid(fresh_seal: tuple[bytes, bytes], data: st.DataObject) -> None:
    der, ca = fresh_seal
    index = data.draw(st.integers(0, len(der) - 1), label="index")
    mask = data.draw(st.integers(1, 255), label="mask")
    try:
        result = verify_bytes(_flipped(der, index, mask), anchors=[ca])
    except InputError:
        return  # malformed: exit 2
    assert result["valid"] is False and result["problems"], (index, mask)  # exit 1, each reason named


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_flip_in_what_the_maker_signed_is_caught_without_a_trust_anchor(fresh_seal: tuple[bytes, bytes],
                                                                          data: st.DataObject) -> None:
    """Outside the maker certificate (which only its CA's signature protects), no anchor is needed."""
    der, _ = fresh_seal
    parsed = seseal.parse(der)
    cert_at = der.index(parsed.maker_cert)
    outside = [i for i in range(len(der)) if not cert_at <= i < cert_at + len(parsed.maker_cert)]
    index = data.draw(st.sampled_from(outside), label="index")
    mask = data.draw(st.integers(1, 255), label="mask")
    try:
        result = verify_bytes(_flipped(der, index, mask))
    except InputError:
        return
    assert result["valid"] is False and result["problems"], (index, mask)


def test_flipped_seals_on_the_command_line(fresh_seal: tuple[bytes, bytes], env: dict[str, str],
                                           tmp_path: Path) -> None:
    der, ca = fresh_seal
    (tmp_path / "ca.der").write_bytes(ca)
    parsed = seseal.parse(der)
    info_at = der.index(parsed.signed_bytes)
    cert_at = der.index(parsed.maker_cert)
    spots = {"outer length": 1, "seal name": der.index("翻转测试有限公司".encode()),
             "picture": der.index(bytes(range(64))) + 5, "maker certificate": cert_at + len(parsed.maker_cert) - 3,
             "signature": len(der) - 1, "header": info_at + 4}
    good = tmp_path / "good.der"
    good.write_bytes(der)
    assert _verify(env, str(good), "--trust", str(tmp_path / "ca.der"))[0] == 0
    for what, index in spots.items():
        path = tmp_path / f"{what.replace(' ', '-')}.der"
        path.write_bytes(_flipped(der, index, 0x20))
        proc = run_cli(env, "seal", "verify", str(path), "--trust", str(tmp_path / "ca.der"))
        line = error_line(proc)  # one stderr line, no traceback
        assert proc.returncode in (1, 2), (what, proc.returncode, line)
        if proc.returncode == 1:
            assert "NOT valid" in line
