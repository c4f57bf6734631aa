"""``restore --by`` opens the admin card with a module the station trusts, never with a
library path an edited backup header names."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from devices.softhsm import find_module
from station.backup.fileformat import MAGIC, canonical, open_backup, read_header
from station.backup.module import restore_module, trusted_module_file
from station.cards import check_module_path
from station.demo import DemoCard
from station.errors import StateError
from station.home import Home
from tests.helpers import DemoWorld, error_line
from tests.station.test_backup import backup_of, leftovers, restore
from tests.station.test_making import seal_card

__all__ = ["seal_card"]


def _planted_library(folder: Path) -> Path:
    """A library dropped in a folder anyone may write (so anyone could swap it)."""
    drop = folder / "drop"
    drop.mkdir(exist_ok=True)
    drop.chmod(0o777)
    evil = drop / "libevil.so"
    evil.write_bytes(b"\x7fELF not a library: loading it would be the attack")
    return evil


def test_only_a_root_owned_library_outside_the_home_is_trusted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    system = os.path.realpath(find_module())
    assert trusted_module_file(system, home)  # installed by root: an administrator chose it
    assert not trusted_module_file(str(_planted_library(tmp_path)), home)  # in a folder anyone may write
    inside = home / "module.so"
    inside.symlink_to(system)
    assert trusted_module_file(str(inside), home)  # the link leads to the root-owned file itself
    assert not trusted_module_file("libsofthsm2.so", home)  # relative: whatever the loader finds
    assert not trusted_module_file(str(tmp_path / "missing.so"), home)
    assert not trusted_module_file(str(Path(system).parent), home)  # not a regular file
    assert not trusted_module_file(system, Path("/"))  # nothing inside the home being restored


def test_one_rule_trusts_a_module_path_for_setup_config_and_restore(tmp_path: Path) -> None:
    """``backup restore`` asks the question ``setup`` and ``config set module`` ask."""
    home = Home(tmp_path / "home")
    home.path.mkdir()
    system = os.path.realpath(find_module())
    sticky = tmp_path / "sticky"  # like /tmp: anyone may add, no one may swap root's folder in it
    sticky.mkdir()
    sticky.chmod(0o1777)
    (sticky / "root").mkdir(mode=0o755)
    kept = sticky / "root" / "libkept.so"
    shutil.copy(system, kept)
    for path in (system, str(kept), str(_planted_library(tmp_path)), "libsofthsm2.so", str(tmp_path / "missing.so"),
                 str(Path(system).parent), str(home.path / "x.so")):
        try:
            check_module_path(path, home)
            allowed = True
        except StateError:
            allowed = False
        assert trusted_module_file(path, home.path) is allowed, path


def test_the_module_comes_from_the_live_station_or_the_machine(home_copy: Home, tmp_path: Path) -> None:
    planted = str(_planted_library(tmp_path))
    assert restore_module(home_copy, planted) == home_copy.config().module  # the live station's own
    fresh = Home(tmp_path / "fresh")
    assert restore_module(fresh, planted) == find_module()  # else SoftHSM, never the planted path
    assert restore_module(fresh, "") == find_module()
    system = os.path.realpath(find_module())
    assert restore_module(fresh, system) == system  # a root-owned library outside the home is fine


def _with_module(backup: Path, module: str) -> None:
    """Rewrite the clear header of ``backup`` so that it names ``module``."""
    with open_backup(backup) as fh:
        header = read_header(fh, backup)
        rest = fh.read()
    raw = canonical({**header.data, "module": module})
    backup.write_bytes(MAGIC + struct.pack(">I", len(raw)) + raw + rest)


def test_restore_by_card_never_loads_the_library_the_header_names(world: DemoWorld, home_copy: Home,
                                                                  seal_card: DemoCard, tmp_path: Path) -> None:
    file = tmp_path / "station.ssb"
    backup_of(world, home_copy, file)
    _with_module(file, str(_planted_library(tmp_path)))
    admin = world.card("admin")
    target = tmp_path / "new"
    proc = restore(world, target, file, "--by", admin.serial, cards=(admin,))
    # The card opened through SoftHSM (a planted library would be a module error); the
    # edited header then fails the backup's own integrity check.
    line = error_line(proc, 1)
    assert "damaged" in line and "module" not in line
    assert not target.exists() and leftovers(target) == []
