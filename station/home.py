"""The station's home folder and its public files.

``$SEAL_STATION_HOME`` (default: the platformdirs user data dir) holds ``station.toml``,
``keyslots.json`` (the master key wrapped once per enrolled card — public), ``trust/``
(CA certificates), ``station.db`` (SQLCipher) and small public ledgers the station needs
before any card is logged in: failed PIN counts, which cards it sealed or flagged, and
an inbox of audit entries sealed to the store (written before the store can be opened).
Everything here may be read by anyone with the disk; nothing in it is a secret.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station import config as config_mod
from station.errors import StateError
from station.store.keyslots import KeySlots

__all__ = ["Home", "default_home", "atomic_write"]


def default_home() -> Path:
    env = os.environ.get("SEAL_STATION_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("seal-station", appauthor=False))


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that a crash leaves the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@dataclass(frozen=True)
class Home:
    path: Path

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

    def config(self) -> config_mod.Config:
        return config_mod.load(self.config_file)

    # -- public JSON ledgers ----------------------------------------------------------
    def _read(self, name: str, default: Any) -> Any:
        try:
            return json.loads((self.path / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return default
        except (ValueError, UnicodeDecodeError):
            raise StateError(f"{name} in the station home is damaged",
                             hint="restore it from a backup") from None

    def _write(self, name: str, value: Any) -> None:
        atomic_write(self.path / name, json.dumps(value, indent=2, ensure_ascii=False).encode())

    def keyslots(self) -> KeySlots:
        return KeySlots.from_json(self._read("keyslots.json", {}))

    def save_keyslots(self, value: KeySlots) -> None:
        self._write("keyslots.json", value.to_json())

    def pin_failures(self, serial: str) -> int:
        return int(self._read("pin-tries.json", {}).get(serial, 0))

    def set_pin_failures(self, serial: str, count: int) -> None:
        data = self._read("pin-tries.json", {})
        if count:
            data[serial] = count
        else:
            data.pop(serial, None)
        self._write("pin-tries.json", data)

    def card_marks(self) -> dict[str, str]:
        """serial -> "sealed" | "needs-inspection" for cards this station wrote to."""
        return dict(self._read("cards.json", {}))

    def mark_card(self, serial: str, mark: str | None) -> None:
        data = self._read("cards.json", {})
        if mark:
            data[serial] = mark
        else:
            data.pop(serial, None)
        self._write("cards.json", data)

    def trust_anchors(self) -> list[bytes]:
        """DER of every CA certificate the station trusts."""
        from crypto import certs

        out: list[bytes] = []
        if self.trust_dir.exists():
            for pem in sorted(self.trust_dir.glob("*.pem")):
                out += certs.der_certificates(pem.read_bytes())
        return out

    # -- the audit inbox ----------------------------------------------------------------
    @property
    def inbox_file(self) -> Path:
        return self.path / "audit-inbox.jsonl"

    def append_inbox(self, sealed: dict[str, str]) -> None:
        with open(self.inbox_file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(sealed) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def read_inbox(self) -> list[dict[str, str]]:
        try:
            lines = self.inbox_file.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a torn last line after a crash
        return out

    def clear_inbox(self) -> None:
        try:
            self.inbox_file.unlink()
        except FileNotFoundError:
            pass
