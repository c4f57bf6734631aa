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
