"""Which PKCS#11 module opens the administrator's card at ``restore --by``.

The card must be opened before the backup's signature can be checked (its key slot
gives the backup key), so the module path in the backup's clear header is not yet
authenticated: anyone who can edit the file could make the station load a library of
their choice. The path comes from the station that is there instead — the target home's
``station.toml`` — or else the SoftHSM module this machine has. The header's path is
taken only when the station's one rule for a module path holds
(:func:`station.cards.check_module_path`): a regular file outside the home being restored
that root owns and only root can change or replace (every folder above it too), a library
that an administrator installed.
"""

from __future__ import annotations

from pathlib import Path

from station.errors import StateError, StationError
from station.home import Home

__all__ = ["restore_module", "trusted_module_file"]


def trusted_module_file(path: str, home: Path) -> bool:
    """True when ``path`` is a regular library outside ``home`` that only root may change or
    replace: the rule ``config set module`` and ``setup`` apply, asked as a question."""
    from station.cards import check_module_path

    try:
        check_module_path(path, Home(Path(home)))
    except StateError:
        return False
    return True


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
