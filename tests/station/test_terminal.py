"""Text from outside is drawn, never obeyed: a seal whose name carries terminal escapes
(retitle the window, move the cursor up and paint over the verdict) is shown with the
escapes written out, by the CLI and in the TUI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crypto import seseal, testkeys
from station.terminal import printable, printable_json
from tests.helpers import cli_env, run_cli

HOSTILE = "假章\x1b]0;pwned\x07\x1b[1A\x1b[2K✓ VALID\x9b31m\u202e"


def hostile_seal(tmp_path: Path) -> Path:
    """A well-formed seal, signed and intact, whose name is :data:`HOSTILE`."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ca = testkeys.make_ca("ec", "Escape Test CA")
    maker = testkeys.issue(ca, "ec", "Escape Test Officer")
    card = testkeys.issue(ca, "ec", "Escape Test Card")
    der = seseal.build_v4(esid="ESC-2026-000001", seal_type=1, name=HOSTILE, certs=[card.certificate],
                          created=now, valid_start=now, valid_end=now + timedelta(days=30),
                          picture=b"\x89PNG\r\n\x1a\n" + bytes(64), width_mm=40, height_mm=40,
                          ext_datas=[], signer=maker.signer)
    path = tmp_path / "hostile.esl"
    path.write_bytes(der)
    return path


def test_printable_writes_controls_out_and_keeps_chinese_spaces_and_lines():
    assert printable("示例科技有限公司 张\u3000三\n第二行\t!") == "示例科技有限公司 张\u3000三\n第二行\t!"
    shown = printable(HOSTILE)
    assert not any(c in shown for c in "\x1b\x07\x9b\u202e")
    assert shown == "假章\\x1b]0;pwned\\x07\\x1b[1A\\x1b[2K✓ VALID\\x9b31m\\u202e"
    assert printable("a\nb", lines=False) == "a\\x0ab"


def test_printable_json_is_the_same_document_with_nothing_a_terminal_obeys():
    data = {"name": HOSTILE, "unit": "张\u3000三", "astral": "\U000e0001"}
    text = printable_json(json.dumps(data, ensure_ascii=False, indent=2))
    assert json.loads(text) == data
    assert all(c.isprintable() or c in "\n\u3000" for c in text)


def test_the_cli_writes_a_hostile_seal_name_out_in_text_and_in_json(tmp_path: Path):
    path = hostile_seal(tmp_path)
    env = cli_env(tmp_path / "no-softhsm.conf", tmp_path / "home")
    human = run_cli(env, "seal", "verify", str(path))
    as_json = run_cli(env, "seal", "verify", str(path), "--json")
    for proc in (human, as_json):
        assert not any(c in proc.stdout + proc.stderr for c in "\x1b\x07\x9b\u202e"), proc.stdout
    assert json.loads(as_json.stdout)["name"] == HOSTILE  # the data itself is kept, only its drawing changes
    assert "\\x1b[1A" in human.stdout or "\\x1b[1A" in human.stderr
