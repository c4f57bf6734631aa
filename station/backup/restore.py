"""``backup restore``: a backup becomes the station in a home, all at once or not at all.

Everything happens in a temporary folder next to the home: the payload is decrypted
into it, the signature checked against the administrator certificate the backup itself
enrolls, the restored store opened with the master key, its counters raised above every
number known (:mod:`station.backup.numbers`) and the restore audited. Only then does one
rename put the folder in the home's place — over a live station, an atomic exchange
(``renameat2(RENAME_EXCHANGE)``), so a crash at any moment leaves the old station or
the restored one. A wrong code, a wrong card or a damaged file removes the folder and
leaves the home as it was.

Restoring over a live station needs ``force``: an older backup brings back seals'
records as they were, and impressions destroyed since then come back.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from crypto import envelope, stream
from crypto.errors import CryptoError
from station import faults, keys
from station.backup.create import MASTER_WRAP
from station.backup.fileformat import (FORMAT, Header, PayloadReader, iter_chunks, open_backup, read_header,
                                       read_trailer, signed_message)
from station.backup.numbers import raise_counters
from station.backup.writer import TrailingDigest
from station.errors import InputError, InvalidError, PolicyError, StateError, StoreError, crypto_errors
from station.home import Home
from station.model import Role
from station.store.backups import Backups
from station.store.keyslots import KeySlots

__all__ = ["Restored", "restore_backup", "is_live", "Progress"]

Progress = Callable[[int, int], None]
_NAMES = re.compile(r"^(station\.toml|keyslots\.json|cards\.json|audit-inbox\.jsonl|DEMO|station\.db"
                    r"|trust/[A-Za-z0-9_][A-Za-z0-9._-]{0,100}\.pem)$")
_DAMAGED = "the backup is damaged or was altered (a part of it does not decrypt)"


@dataclass(frozen=True)
class Restored:
    home: Path
    station_id: str
    created: str
    replaced: bool
    gaps: dict[str, dict[str, int]]
    back_again: tuple[int, ...] = field(default=())  # impressions destroyed since the backup


def is_live(home: Home) -> bool:
    """True when the home holds anything (a station, or files restore must not mix with)."""
    return home.path.exists() and any(home.path.iterdir())


def restore_backup(path: Path, home: Home, *, by: str | None = None, pin: Callable[[], str] | None = None,
                   recovery_code: Callable[[], str] | None = None, force: bool = False,
                   progress: Progress | None = None) -> Restored:
    """Restore ``path`` into ``home``, unlocked by the admin card ``by`` or the recovery code."""
    path = Path(path)
    if home.path.exists() and not home.path.is_dir():
        raise InputError(f"{home.path} is not a folder")
    live = is_live(home)
    with open_backup(path) as fh:
        header = read_header(fh, path)
        if live and not force:
            raise PolicyError(_refusal(home, header), reason="live-station",
                              hint="add --force to replace it (audited); impressions destroyed since the "
                              "backup come back")
        unlock = _Unlock(header, by, pin, recovery_code, home)
        try:
            backup_key = unlock.backup_key()
            home.path.parent.mkdir(parents=True, exist_ok=True)
            _clean_stale(home.path)
            tmp = Path(tempfile.mkdtemp(prefix=f".{home.path.name}.restore-", dir=home.path.parent))
            try:
                result = _fill(fh, path, header, backup_key, tmp, home, unlock, live, progress)
                faults.checkpoint("restore-swap")
                _swap_in(tmp, home.path, live)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        finally:
            unlock.close()
    return result


class _Unlock:
    """The admin card or the recovery code, and the keys each opens."""

    def __init__(self, header: Header, by: str | None, pin: Callable[[], str] | None,
                 code: Callable[[], str] | None, home: Home) -> None:
        self.header, self.by, self.pin, self.code, self.home = header, by, pin, code, home
        self.card: Any = None
        self.module: Any = None
        self.master: bytearray | None = None

    def backup_key(self) -> bytes:
        if self.by:
            return self._card_key()
        if self.code is None:
            raise InputError("restore needs an administrator card (--by) or the recovery code")
        try:
            self.master = bytearray(envelope.recovery_unwrap(self.header.data.get("recovery") or {}, self.code()))
            wrapped = base64.b64decode(self.header.data["master_slot"])
            return envelope.open_(envelope.derive(bytes(self.master), MASTER_WRAP), wrapped, FORMAT.encode())
        except (CryptoError, KeyError, ValueError):
            raise PolicyError("the recovery code does not open this backup", reason="wrong-code",
                              hint="type the code exactly as printed at init; nothing was restored") from None

    def _card_key(self) -> bytes:
        from crypto.certs import fingerprint
        from devices.pkcs11 import open_module
        from station.backup.module import restore_module
        from station.cards import device_errors, open_card

        with device_errors():
            self.module = open_module(restore_module(self.home, str(self.header.data.get("module", ""))))
        self.card = open_card(self.module, str(self.by))
        with device_errors(str(self.by)):
            self.card.login(self.pin() if self.pin else "")
            digest = fingerprint(self.card.certificate)
        slot = next((s for s in self.header.data.get("slots", []) if s.get("cert_sha256") == digest), None)
        if slot is None:
            raise PolicyError(f"card {self.by} is not an administrator card of this backup",
                              reason="not-admin", hint="use an administrator card enrolled when it was made, "
                              "or the recovery code; nothing was restored")
        with crypto_errors(InvalidError, f"card {self.by} does not open this backup's key slot", opaque=True):
            return bytes(keys.unwrap_with_card(slot["slot"], self.card))

    def master_key(self, keyslots: KeySlots) -> bytearray:
        if self.master is not None:
            return self.master
        from crypto.certs import fingerprint

        entry = keyslots.for_cert(fingerprint(self.card.certificate))
        if entry is None:
            raise InvalidError(f"the restored station has no key slot for card {self.by}")
        with crypto_errors(InvalidError, f"card {self.by} does not open the restored station", opaque=True):
            self.master = keys.unwrap_with_card(entry.slot, self.card)
        return self.master

    def actor(self, store: Any) -> dict[str, str]:
        if self.card is None:
            return {"cert_sha256": "", "name": "recovery code", "role": "admin", "serial": ""}
        from crypto.certs import fingerprint
        from station.session import actor_for

        actor = actor_for(store, self.card.certificate)
        return {"cert_sha256": fingerprint(self.card.certificate), "name": actor.name if actor else "",
                "role": actor.role.value if actor else "", "serial": str(self.by)}

    def close(self) -> None:
        if self.master is not None:
            for i in range(len(self.master)):
                self.master[i] = 0
        if self.module is not None and self.by:
            self.module.forget(str(self.by))


def _refusal(home: Home, header: Header) -> str:
    try:
        changed = datetime.fromtimestamp(home.db.stat().st_mtime, timezone.utc)
        made = datetime.fromisoformat(header.created.replace("Z", "+00:00"))
    except (OSError, ValueError):
        return f"{home.path} is not empty: a station lives there"
    if made < changed:
        return (f"the backup ({made:%Y-%m-%d %H:%M} UTC) is older than the station in {home.path} "
                f"(changed {changed:%Y-%m-%d %H:%M} UTC)")
    return f"{home.path} holds a live station"


def _fill(fh: Any, path: Path, header: Header, backup_key: bytes, tmp: Path, home: Home, unlock: _Unlock,
          live: bool, progress: Progress | None) -> Restored:
    """Decrypt into ``tmp``, check the signature, open and update the restored store."""
    from crypto.algorithms import verify_signature
    from station.audit import Audit
    from station.store.db import Store

    body = TrailingDigest(header.prefix)  # hashed on its own thread while chunks are opened and written
    cipher = stream.ChunkCipher(backup_key, header.aad)

    def plain() -> Iterator[bytes]:
        done = 0
        for index, blob, last in iter_chunks(fh, header, body, path):
            try:
                data = cipher.open(index, blob, last)
            except CryptoError:
                raise InvalidError(_DAMAGED, hint="use another copy of the backup; nothing was restored") from None
            done += len(data)
            if progress:
                progress(done, header.size)
            if done >= header.size // 2:
                faults.checkpoint("restore-write")
            yield data

    try:
        for name, data in PayloadReader(plain()).files():
            if not _NAMES.match(name):
                raise ValueError(f"unexpected file {name!r}")
            _write_file(tmp / name, data)
    except (ValueError, UnicodeDecodeError):
        raise InvalidError(_DAMAGED, hint="use another copy of the backup; nothing was restored") from None
    sig = read_trailer(fh, path)
    with body:
        signed = signed_message(body.digest())
    if not all((tmp / name).is_file() for name in ("station.toml", "keyslots.json", "station.db")):
        raise InvalidError(_DAMAGED, hint="the backup lacks a part of the station; nothing was restored")
    try:
        slots = KeySlots.from_json(json.loads((tmp / "keyslots.json").read_text(encoding="utf-8")))
    except (ValueError, StateError):
        raise InvalidError(_DAMAGED, hint="the backup's key slots do not read; nothing was restored") from None
    signer = slots.for_cert(sig["signer"])
    try:
        ok = signer is not None and signer.role is Role.ADMIN and verify_signature(
            base64.b64decode(signer.certificate), sig["algorithm"], signed, sig["value"])
    except CryptoError:
        ok = False
    if not ok:
        raise InvalidError("the backup's signature does not verify against its administrator",
                           hint="the file was altered; nothing was restored")
    master = unlock.master_key(slots)
    # No quick_check: every byte of this file was authenticated (AES-GCM and the admin's
    # signature) as the copy of a store that was open and working when it was taken.
    store = Store.open(tmp / "station.db", keys.store_key(master), quick_check=False)
    try:
        repo = Backups(store)
        if repo.station_id() != header.station_id:
            raise InvalidError("the restored store is not the station the backup names")
        seen, destroyed = _live_facts(home, master) if live else ({}, ())
        back = repo.live_impressions(list(destroyed))
        actor = unlock.actor(store)
        audit = Audit(store)
        head = header.data.get("tree_head") or {}
        with store.transaction():
            # A new identity: cards that witnessed the old one are accepted here, once
            # their numbers are raised (station/witness.py); a copied file is not.
            was, new_id = repo.reidentify({"backup_created": header.created, "tree_size": head.get("size"),
                                           "root": head.get("root")})
            audit.append(actor, "restore", path.name, "ok", {
                "backup_created": header.created, "backup_tree_size": head.get("size"),
                "replaced_live_station": live, "forced": live, "unlocked_by": "card" if unlock.card else "recovery code",
                "impressions_back": list(back), "instance": new_id, "restored_from": was})
            gaps = raise_counters(store, audit, actor, [header.numbers, seen])
            repo.set_last_backup(header.created)
    finally:
        store.close()
    _fsync(tmp)
    return Restored(home.path, header.station_id, header.created, live, gaps, tuple(back))


def _live_facts(home: Home, master: bytearray) -> tuple[dict[str, int], tuple[int, ...]]:
    """The replaced station's numbers and destroyed impressions, if its store opens."""
    from station.store.db import Store

    try:
        store = Store.open(home.db, keys.store_key(master))
    except (StoreError, StateError):
        return {}, ()
    try:
        return Backups(store).numbers(), tuple(Backups(store).destroyed_impressions())
    finally:
        store.close()


def _write_file(target: Path, data: Iterator[bytes]) -> None:
    target.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        for piece in data:
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync(folder: Path) -> None:
    for d in (folder, folder / "trust"):
        if d.is_dir():
            fd = os.open(d, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _clean_stale(home_path: Path) -> None:
    """Folders a killed restore left beside the home (never the home itself)."""
    for old in home_path.parent.glob(f".{home_path.name}.restore-*"):
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


_CARRIED = ("softhsm", "pin-tries.json")
"""What the replaced home keeps: the demo's SoftHSM token folder (the cards themselves),
and the wrong-PIN counts — a restore must neither delete cards nor unlock them."""


def _carry_over(home_path: Path, tmp: Path) -> None:
    for name in _CARRIED:
        old = home_path / name
        if old.is_symlink() or not old.exists():
            continue
        if old.is_dir():
            shutil.copytree(old, tmp / name, symlinks=True)
        else:
            shutil.copy2(old, tmp / name)


def _swap_in(tmp: Path, home_path: Path, live: bool) -> None:
    if live:
        _carry_over(home_path, tmp)
    if not live:
        os.rename(tmp, home_path)  # replaces a missing or empty home in one step
        faults.checkpoint("restore-swapped")
    elif _exchange(tmp, home_path):
        faults.checkpoint("restore-swapped")
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the replaced station
    else:
        aside = home_path.parent / f"{tmp.name}-old"
        os.rename(home_path, aside)
        os.rename(tmp, home_path)
        shutil.rmtree(aside, ignore_errors=True)
    fd = os.open(home_path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
