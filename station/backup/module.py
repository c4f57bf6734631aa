"""Which PKCS#11 module opens the administrator's card at ``restore --by``.

The card must be opened before the backup's signature can be checked (its key slot
gives the backup key), so the module path in the backup's clear header is not yet
authenticated: anyone who can edit the file could make the station load a library of
their choice. The path comes from the station that is there instead — the target home's
``station.toml`` — or else the SoftHSM module this machine has. The header's path is
taken only when it names a regular file outside the home being restored that root owns
and only root can change or replace (every folder above it too): a library that an
administrator installed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from station.errors import StationError
from station.home import Home

__all__ = ["restore_module", "trusted_module_file"]


def trusted_module_file(path: str, home: Path) -> bool:
    """True when ``path`` is a regular library outside ``home`` that only root may change or replace."""
    if not path or not os.path.isabs(path):
        return False
    real = Path(os.path.realpath(path))
    inside = Path(os.path.realpath(home))
    if real == inside or inside in real.parents:
        return False
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            return False
        return all(_root_only(os.stat(p)) for p in (real, *real.parents))
    except OSError:
        return False


def _root_only(info: os.stat_result) -> bool:
    """Owned by root and writable by no one else (so no one else can swap what is there)."""
    return info.st_uid == 0 and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def restore_module(home: Home, header_module: str) -> str:
    """The module path for opening the card: the live station's, a trusted header path, or SoftHSM's."""
    if home.config_file.is_file():
        try:
            module = home.config().module
        except (StationError, OSError):
            module = ""
        if module:
            return module
    if trusted_module_file(header_module, home.path):
        return header_module
    from devices import softhsm

    return softhsm.find_module()
