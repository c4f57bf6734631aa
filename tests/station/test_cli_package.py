"""The ``seal-station`` command as a package: every command of CLI.md that exists is
registered, through imports a reader (and import-linter) can see."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from station.cli import main

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = {"tui", "demo", "init", "enroll", "cards", "card", "audit", "make", "seal", "apply",
            "approve", "reject", "applications", "impressions", "impression", "receipt", "bundle", "config", "trust",
            "backup", "seals", "freeze", "unfreeze", "report-lost", "revoke", "renew", "authorize", "deauthorize",
            "revocations", "staff", "unenroll"}
SUBCOMMANDS = {"card": {"unblock", "inspect", "change-pin"}, "config": {"show", "set", "accept", "revert"},
               "trust": {"list", "add", "remove"}, "audit": {"verify", "show", "stats", "export"},
               "seal": {"verify", "status"}, "receipt": {"verify", "export"}, "bundle": {"export"},
               "backup": {"create", "verify", "restore"}, "revocations": {"export"}}


def _choices(out: str) -> set[str]:
    """The ``{a,b,c}`` line argparse prints in a usage block."""
    line = next(ln.strip() for ln in out.splitlines() if ln.strip().startswith("{"))
    return set(line.strip("{}").split(","))


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert _choices(out) == COMMANDS
    for name in COMMANDS:
        assert f"\n    {name} " in out, f"{name} has no help line"


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_help_lists_every_subcommand(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert _choices(capsys.readouterr().out) == SUBCOMMANDS[command]


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_a_command_without_its_subcommand_is_a_usage_error(command: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("seal-station: ") and "usage" in err[0]


def test_commands_are_registered_by_explicit_imports() -> None:
    """No module of the command is loaded by a name in a string: what runs is what is imported."""
    package = ROOT / "station" / "cli"
    modules = {p.stem for p in package.glob("*.py")} - {"__init__", "common"}
    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "station.cli" for alias in node.names}
    assert modules <= imported, f"command modules not imported by station.cli: {modules - imported}"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert "importlib" not in names, f"{path.name} loads modules by name"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "__import__", f"{path.name} loads modules by name"
