"""Fuzz the station's own files (station.toml, keyslots.json, cards.json, pin-tries.json,
the audit inbox): whatever someone writes there, every command answers with one line and
a documented exit code — never a traceback, never "internal error"."""

from __future__ import annotations

import json
import os
import shutil
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.cli import main
from tests.helpers import DemoWorld, copy_home, error_line, run_cli

FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
           | st.text(max_size=24))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
raw_bytes = st.binary(max_size=300)


@st.composite
def mutated(draw: Any, original: Any) -> Any:
    """The original JSON with one value somewhere in it replaced (or a key added/dropped)."""
    value = json.loads(json.dumps(original))
    node = value
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        if not isinstance(node[key], (dict, list)) or not node[key] or draw(st.booleans()):
            action = draw(st.sampled_from(["replace", "drop", "add"]))
            if action == "replace":
                node[key] = draw(json_values)
            elif action == "drop" and isinstance(node, dict):
                del node[key]
            elif isinstance(node, dict):
                node[draw(st.text(max_size=8))] = draw(json_values)
            return value
        node = node[key]
    return draw(json_values) if draw(st.booleans()) else value


def _content(draw: Any, name: str, original: bytes, serials: list[str]) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "mutated"]))
    if kind == "bytes":
        return draw(raw_bytes)
    if kind == "json" and name in ("cards.json", "pin-tries.json"):
        values = (st.sampled_from(["sealed", "needs-inspection", "x", ""]) | json_values if name == "cards.json"
                  else st.integers(-3, 12) | json_values)
        return json.dumps(draw(st.dictionaries(st.sampled_from(serials) | st.text(max_size=6), values,
                                               max_size=4))).encode()
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if name == "station.toml":
        lines = original.decode().splitlines()
        keys = ["station_id", "module", "idle_lock_minutes", "quorum", "max_pin_tries", "sm2_mechanism",
                "language", "trust", "colour"]
        literals = st.sampled_from(["0", "3", "10", "11", "-1", "99999999999999999999", "true", "1.5",
                                    '"auto"', '"X"', '""', "[]", '["ca-1.pem", "../x"]', "{a = 1}",
                                    "1979-05-27", '"/usr/lib/softhsm/libsofthsm2.so"', '"/tmp/x.so"',
                                    '"\\u0000"', "'DEMO-0001'", "[1, 2]"])
        for _ in range(draw(st.integers(1, 3))):
            line = f"{draw(st.sampled_from(keys))} = {draw(literals)}"
            lines = [ln for ln in lines if not ln.startswith(line.split(" ")[0] + " ")] + [line]
        return ("\n".join(lines) + "\n").encode()
    if name == "audit-inbox.jsonl":
        items = draw(st.lists(json_values | st.dictionaries(
            st.sampled_from(["kind", "epk", "nonce", "wrapped", "payload", "card_id"]), scalars), max_size=4))
        return ("\n".join(json.dumps(i) for i in items) + "\n").encode()
    return json.dumps(draw(mutated(json.loads(original or b"{}")))).encode()


def _run(home: Path, argv: list[str], capsys: pytest.CaptureFixture[str], allowed: set[int]) -> int:
    code = main(["--home", str(home), *argv])
    captured = capsys.readouterr()
    assert code in allowed, (argv, code, captured.err)
    if code:
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("seal-station: "), lines
        assert "internal error" not in lines[0] and "Traceback" not in captured.err, lines
    return code


FILES = ["station.toml", "keyslots.json", "cards.json", "pin-tries.json", "audit-inbox.jsonl"]


@pytest.mark.parametrize("name", FILES)
def test_fuzzed_home_files_get_a_documented_answer(name: str, world: DemoWorld, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    officer = world.card("officer")
    serials = [c.serial for c in world.cards]
    original_path = world.home.path / name
    original = original_path.read_bytes() if original_path.exists() else b""
    numbers = count()
    os.environ[f"SEAL_STATION_PIN_{officer.serial}"] = officer.pin
    outcomes: set[int] = set()

    @FUZZ
    @given(data=st.data())
    def check(data: Any) -> None:
        home = copy_home(world, tmp_path / f"h{next(numbers)}").path  # its own store instance
        (home / name).write_bytes(_content(data.draw, name, original, serials))
        outcomes.add(_run(home, ["cards", "--json"], capsys, {0, 4}))
        outcomes.add(_run(home, ["audit", "verify", "--by", officer.serial], capsys, {0, 1, 3, 4}))
        outcomes.add(_run(home, ["config", "show", "--json"], capsys, {0, 4}))
        shutil.rmtree(home)

    try:
        check()
    finally:
        os.environ.pop(f"SEAL_STATION_PIN_{officer.serial}", None)
    if name != "audit-inbox.jsonl":  # a garbled inbox entry is logged as unreadable, not refused
        assert outcomes - {0}, "the fuzz never reached a refusal: it tests nothing"


@pytest.mark.parametrize("name,content", [("station.toml", b"\x00\xff[station"), ("keyslots.json", b'{"slots": 7}'),
                                          ("audit-inbox.jsonl", b"\xff\xfe{]\n")])
def test_fuzzed_files_through_a_real_process(name: str, content: bytes, world: DemoWorld, home_copy) -> None:
    officer = world.card("officer")
    (home_copy.path / name).write_bytes(content)
    proc = run_cli(world.env(officer, home=home_copy), "audit", "verify", "--by", officer.serial)
    if proc.returncode:
        assert "internal error" not in error_line(proc)
    assert proc.returncode in (0, 4)
