"""The code says what it is, not how it came to be: no history notes, no private API."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crypto", "station", "screens", "devices")
SOURCES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_walk_sees_the_packages() -> None:
    assert len(SOURCES) > 40 and ROOT / "crypto" / "errors.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_all_lists_public_names_only(path: Path) -> None:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and "__all__" in [
                getattr(t, "id", None) for t in (node.targets if isinstance(node, ast.Assign) else [node.target])]:
            names = ast.literal_eval(node.value) if node.value is not None else []
            assert [n for n in names if n.startswith("_")] == [], path


def test_no_history_notes_in_the_code() -> None:
    pattern = re.compile(r"issue #\d|\bas before\b", re.IGNORECASE)
    files = SOURCES + sorted((ROOT / "screens").rglob("*.tcss"))
    found = [f"{p.relative_to(ROOT)}:{i}" for p in files
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []
