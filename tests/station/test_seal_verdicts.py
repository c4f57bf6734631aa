"""Every seal we hold keeps its `seal verify --json` verdict.

The seals are the shared fixtures (../shared/fixtures/seals) and the vendor seals gathered
under tests/fixtures/seals (README.md there gives each one's source and licence). Their
expected verdicts are in tests/fixtures/seal-verdicts.json, each judged at a fixed
``--at`` so that the result does not depend on today: a change to the verifier (a faster
reader, a tolerant one, a cache of certificates) that alters anything in the
``--json`` document fails here, and a deliberate change is made by rewriting that file
(``python -m tests.station.test_seal_verdicts --write``) and reading its diff. Each
readable seal is also judged with its own maker's certificate as the one trust anchor
(``--trust``), so the chain verdicts are recorded too.

The gathered seals include the two kinds the verifier must read tolerantly: a GM/T 0031 v1
seal whose certList holds an IA5String instead of a certificate, and v4 seals whose listed
certificate carries a name attribute in a string type X.509 libraries do not expect.
Their maker signatures verify, so they are intact; the oddities are warnings.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from station.cli import main
from tests.helpers import ROOT, fixtures_dir

VERDICTS = ROOT / "tests" / "fixtures" / "seal-verdicts.json"
VENDOR = ROOT / "tests" / "fixtures" / "seals"
FIXED_AT = "2030-01-01T00:00:00Z"  # after every seal here has ended: the out-of-period verdicts


def _path(entry: dict) -> Path:
    return (VENDOR if entry["where"] == "vendor" else fixtures_dir()) / entry["file"]


def _seal_files() -> list[tuple[str, str]]:
    shared = [("shared", p.name) for p in fixtures_dir().iterdir() if p.is_file() and p.suffix != ".md"]
    vendor = [("vendor", p.name) for p in VENDOR.iterdir() if p.is_file() and p.suffix != ".md"]
    return sorted(shared + vendor)


def _maker_cert(data: bytes) -> bytes | None:
    """The maker's certificate of a seal (or of the seal in a signed value), if readable."""
    from crypto import seseal

    for read in (lambda: seseal.parse(data), lambda: seseal.parse_signature(data).seal):
        try:
            return read().maker_cert
        except Exception:  # noqa: BLE001 - not this kind, or malformed
            continue
    return None


def _run(path: Path, at: str, trust: str | None = None) -> tuple[int, dict]:
    """`seal verify PATH --at AT --json` (with ``trust="maker"``: ``--trust`` the seal's own
    maker certificate), in process: exit code and the whole JSON document."""
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        args = ["seal", "verify", str(path), "--at", at, "--json"]
        if trust == "maker":
            anchor = Path(tmp) / "maker.der"
            anchor.write_bytes(_maker_cert(path.read_bytes()) or b"")
            args += ["--trust", str(anchor)]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
    if code == 2:
        return code, {}
    return code, json.loads(out.getvalue())


def _expected() -> list[dict]:
    if not VERDICTS.exists() and sys.argv[1:] == ["--write"]:
        return []  # being written
    return json.loads(VERDICTS.read_text(encoding="utf-8"))["verdicts"]


def test_every_seal_we_hold_has_an_expected_verdict() -> None:
    held = set(_seal_files())
    recorded = {(e["where"], e["file"]) for e in _expected()}
    assert held == recorded, "rewrite the verdicts: python -m tests.station.test_seal_verdicts --write"


def _id(entry: dict) -> str:
    return f"{entry['file']}@{entry['at'][:10]}" + ("+trust" if entry.get("trust") else "")


@pytest.mark.parametrize("entry", _expected(), ids=_id)
def test_seal_verdict_is_unchanged(entry: dict) -> None:
    code, verdict = _run(_path(entry), entry["at"], entry.get("trust"))
    assert code == entry["exit"]
    assert verdict == entry["verdict"]
    if code != 2:
        assert verdict["valid"] == (verdict["problems"] == []), "valid exactly when problems is empty"
        assert code == (0 if verdict["valid"] else 1)


def test_vendor_seals_readme_names_every_file() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    for where, name in _seal_files():
        if where == "vendor":
            assert f"| {name} |" in readme, name


def _loads(der: bytes) -> bool:
    """Can `--trust` take this certificate (a malformed maker certificate cannot be one)?"""
    from crypto.certs import der_certificates

    try:
        der_certificates(der)
    except Exception:  # noqa: BLE001
        return False
    return True


def _write() -> None:
    """Record today's verdicts: inside each seal's period (its middle) and at FIXED_AT."""
    from datetime import datetime

    from station.verify import verify_bytes

    entries = []
    for where, name in _seal_files():
        path = _path({"where": where, "file": name})
        data = path.read_bytes()
        try:
            doc = verify_bytes(data)
        except Exception:  # noqa: BLE001 - a malformed seal: judged at FIXED_AT only
            doc = None
        times = [FIXED_AT]
        if doc is not None:
            begin = datetime.fromisoformat(doc["valid_start"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(doc["valid_end"].replace("Z", "+00:00"))
            middle = (begin + (end - begin) / 2).astimezone(timezone.utc).replace(microsecond=0)
            times.insert(0, middle.strftime("%Y-%m-%dT%H:%M:%SZ"))
            times.insert(1, (begin - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for at in times:
            code, verdict = _run(path, at)
            entries.append({"where": where, "file": name, "at": at, "exit": code, "verdict": verdict})
        maker = _maker_cert(data)
        if doc is not None and maker is not None and _loads(maker):
            code, verdict = _run(path, times[0], "maker")
            entries.append({"where": where, "file": name, "at": times[0], "trust": "maker", "exit": code,
                            "verdict": verdict})
    VERDICTS.write_text(json.dumps({"verdicts": entries}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} verdicts to {VERDICTS}")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    _write()
