"""The one rule of imports (DESIGN.md §1) and the lazy heavy imports (§5), enforced."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("textual", "pyhanko", "openpyxl", "PIL", "qrcode")


def _lint_imports() -> str:
    beside = Path(sys.executable).parent / "lint-imports"
    return str(beside) if beside.exists() else (shutil.which("lint-imports") or "lint-imports")


def test_import_contracts_hold() -> None:
    proc = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout


def test_the_command_starts_without_heavy_imports() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPROFILEIMPORTTIME"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import station.cli"], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "station.cli" in imported
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert not heavy, f"station.cli imports heavy modules at start-up: {heavy}"


def test_the_tui_loads_only_what_its_first_frame_shows() -> None:
    """The lock screen comes first; the screens after login, the PIN dialog, help and the
    demo's SoftHSM provisioning load when first used."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPROFILEIMPORTTIME"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import screens.app, station.status"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "screens.lock" in imported
    later = sorted(imported & {"screens.home", "screens.pin", "screens.help", "station.demo", "devices.softhsm",
                               "station.session", "station.store.db", "sqlcipher3"})
    assert not later, f"the first frame imports modules it does not show: {later}"


_FIRST_FRAME = """
import sys
from pathlib import Path
from screens.app import make_app

async def first_frame(pilot):
    await pilot.pause()
    print("first frame:", type(pilot.app.screen).__name__)
    pilot.app.exit()

make_app(Path(sys.argv[1]), lang="en", start_monitor=False).run(headless=True, auto_pilot=first_frame, size=(120, 36))
"""


def test_the_first_frame_is_the_lock_screen_and_loads_nothing_it_does_not_show(demo_world) -> None:
    """Run the TUI to its first frame on an initialised station: the lock screen shows, and
    neither the domain model, the card stack, the store, the other screens nor the heavy
    libraries were loaded for it (nor rich's emoji table, which card table headers read as
    markup would load)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPROFILEIMPORTTIME"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", _FIRST_FRAME, str(demo_world.home.path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    assert "first frame: LockScreen" in proc.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "screens.lock" in imported and "station.status" in imported
    packages = ("pyhanko", "openpyxl", "PIL", "qrcode", "sqlcipher3", "pkcs11", "devices", "cryptography", "asn1crypto")
    later = sorted(m for m in imported if m.split(".")[0] in packages
                   or m in {"station.model", "station.demo", "station.session", "station.store.db",
                            "station.store.keyslots", "screens.home", "screens.pin", "screens.help",
                            "screens.palette", "rich._emoji_codes"})
    assert not later, f"the first frame loads modules it does not show: {later}"


def _module_graph() -> dict[str, set[str]]:
    """Every import between our modules, those inside functions and TYPE_CHECKING included."""
    import ast

    modules: dict[str, Path] = {}
    for package in ("station", "screens", "crypto", "devices"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def test_no_import_circle_between_any_two_modules() -> None:
    """Tarjan's strongly connected components over the import graph: each must be one module."""
    graph = _module_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    import sys as _sys

    _sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


def test_the_import_graph_sees_imports_inside_functions() -> None:
    """The graph walker finds imports written inside functions (the usual way to hide a circle)."""
    graph = _module_graph()
    assert "station.receipts.claims" in graph["station.receipts.issue"]
    assert "screens.app" in graph["station.cli.tui"]  # the one lazy upward import, inside a function
