"""The station's home folder and its public files.

``$SEAL_STATION_HOME`` (default: the platformdirs user data dir) holds ``station.toml``,
``keyslots.json`` (the master key wrapped once per enrolled card — public), ``trust/``
(CA certificates), ``station.db`` (SQLCipher) and small public ledgers the station needs
before any card is logged in: failed PIN counts, which cards it sealed or flagged, and
an inbox of audit entries sealed to the store (written before the store can be opened).
Everything here may be read by anyone with the disk; nothing in it is a secret, and
nothing in it is trusted as it stands: the settings, trust anchors, card marks and PIN
counts are kept again inside the store and compared at every login (station.settings).
The folder is 0700 and every file 0600: the station writes nothing others may read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station import config as config_mod
from station.errors import InputError, StateError
from station.inputs import atomic_write

if TYPE_CHECKING:  # read at login; the lock screen reads only station.toml
    from station.store.keyslots import KeySlots

_DAMAGED = object()
_REPAIR = "remove it: the store keeps the copy that counts (`seal-station config revert --by ADMIN`)"

__all__ = ["Home", "default_home", "atomic_write", "MAX_LEDGER_BYTES"]

MAX_LEDGER_BYTES = 8 * 1024 * 1024
"""No public file of a station comes near this; a larger one is damaged, not read."""


def default_home() -> Path:
    env = os.environ.get("SEAL_STATION_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("seal-station", appauthor=False))




@dataclass(frozen=True)
class Home:
    path: Path

    authenticated = False  # the files as they stand; station.settings.AuthenticatedHome is the store's

    @property
    def config_file(self) -> Path:
        return self.path / "station.toml"

    @property
    def db(self) -> Path:
        return self.path / "station.db"

    @property
    def keyslots_file(self) -> Path:
        return self.path / "keyslots.json"

    @property
    def trust_dir(self) -> Path:
        return self.path / "trust"

    def initialised(self) -> bool:
        return self.config_file.exists()

    def check_folder(self) -> None:
        """A home that exists must be a folder: `--home` naming a file is bad input."""
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"{self.path} is not a folder: --home must name the station's folder")

    def config(self) -> config_mod.Config:
        return config_mod.load(self.config_file)

    # -- public JSON ledgers ----------------------------------------------------------
    def _read(self, name: str, default: Any) -> Any:
        """A JSON ledger of the same shape as ``default``; a damaged one is exit 4."""
        from station.inputs import read_file

        path = self.path / name
        if not path.exists() and not path.is_symlink():
            return default
        try:
            value = json.loads(read_file(path, name, MAX_LEDGER_BYTES).decode("utf-8"))
        except (InputError, ValueError, UnicodeDecodeError, RecursionError):
            value = _DAMAGED
        if not isinstance(value, type(default)):
            raise StateError(f"{name} in the station home is damaged",
                             hint="restore it from a backup" if name == "keyslots.json" else _REPAIR) from None
        return value

    def _write(self, name: str, value: Any) -> None:
        atomic_write(self.path / name, json.dumps(value, indent=2, ensure_ascii=False).encode())

    def keyslots(self) -> KeySlots:
        from station.store.keyslots import KeySlots

        return KeySlots.from_json(self._read("keyslots.json", {}))

    def save_keyslots(self, value: KeySlots) -> None:
        self._write("keyslots.json", value.to_json())

    def pin_ledger(self) -> dict[str, int]:
        """serial -> wrong PINs counted by the station since the card's last good login."""
        data = self._read("pin-tries.json", {})
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**31 for v in data.values()):
            raise StateError("pin-tries.json in the station home is damaged",
                             hint=_REPAIR)
        return data

    def pin_failures(self, serial: str) -> int:
        return self.pin_ledger().get(serial, 0)

    def set_pin_failures(self, serial: str, count: int) -> None:
        data = self.pin_ledger()
        if count:
            data[serial] = count
        else:
            data.pop(serial, None)
        self._write("pin-tries.json", data)

    def card_marks(self) -> dict[str, str]:
        """serial -> "sealed" | "needs-inspection" for cards this station wrote to."""
        data = self._read("cards.json", {})
        if not all(v in ("sealed", "needs-inspection") for v in data.values()):
            raise StateError("cards.json in the station home is damaged",
                             hint=_REPAIR)
        return data

    def mark_card(self, serial: str, mark: str | None) -> None:
        data = self.card_marks()
        if mark:
            data[serial] = mark
        else:
            data.pop(serial, None)
        self._write("cards.json", data)

    def trust_files(self) -> dict[str, bytes]:
        """file name -> DER of every certificate file in ``trust/`` (listed or not)."""
        from crypto import certs

        from station.inputs import read_file

        out: dict[str, bytes] = {}
        if self.trust_dir.is_dir():
            for pem in sorted(self.trust_dir.glob("*.pem")):
                try:
                    found = certs.der_certificates(read_file(pem, "trust anchor", 1024 * 1024))
                except (InputError, certs.CertificateError):
                    continue  # not a certificate: never trusted, shown by `config show`
                for i, der in enumerate(found):
                    out[pem.name if i == 0 else f"{pem.name}#{i}"] = der
        return out

    def trust_anchors(self) -> list[bytes]:
        """DER of the CA certificates ``station.toml`` lists; a file dropped into ``trust/``
        and not listed is not obeyed. (A logged-in session trusts the store's list only.)"""
        listed = set(self.config().trust)
        return [der for name, der in self.trust_files().items() if name.split("#")[0] in listed]

    # -- the audit inbox ----------------------------------------------------------------
    @property
    def inbox_file(self) -> Path:
        return self.path / "audit-inbox.jsonl"

    def append_inbox(self, sealed: dict[str, str]) -> None:
        fd = os.open(self.inbox_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(sealed) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def read_inbox(self) -> list[dict[str, str]]:
        from station.inputs import read_file

        if not self.inbox_file.exists():
            return []
        try:
            lines = read_file(self.inbox_file, "audit inbox", MAX_LEDGER_BYTES).decode("utf-8", "replace").splitlines()
        except InputError:
            return [{}]  # unreadable: one entry that cannot be opened, logged as such
        out = []
        for line in lines:
            try:
                item = json.loads(line)
            except (ValueError, RecursionError):
                continue  # a torn last line after a crash
            out.append(item if isinstance(item, dict) else {})
        return out

    def clear_inbox(self) -> None:
        try:
            self.inbox_file.unlink()
        except FileNotFoundError:
            pass
