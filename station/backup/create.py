"""``backup create``: one encrypted, signed file of the whole station, made while it runs.

The snapshot of the store is a temporary encrypted database beside it: its SQLCipher
pages copied as they are (a kernel-side copy) while the store's write lock is held.
Journal mode DELETE changes the file only at a commit, and no one can commit while we
hold the lock, so the copy is the consistent state the SQLCipher backup API would give
— without decrypting and re-encrypting every page, which costs ten times a plain copy —
and the lock is held only for a local copy, never while a slow stick is written. The
pages stay encrypted under the store key, and the payload is sealed again under a fresh
backup key.

The backup key is wrapped to every enrolled administrator card (the same ECDH-ES /
RSA-OAEP slots as ``keyslots.json``) and under a key derived from the master key; the
header carries a copy of the recovery slot, so the recovery code (Argon2id) opens the
master key and through it the backup — the station never needs to know the code.

Written as receipts are: a temporary name created with O_EXCL|O_NOFOLLOW, synced, read
back and compared, then renamed; a full device is one line and leaves no file behind.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto import envelope, stream
from station import faults, keys
from station.backup.fileformat import END, END_RECORD, FORMAT, MAGIC, canonical, file_record, signed_message
from station.cards import device_errors
from station.clock import now_text
from station.errors import PolicyError
from station.model import Role
from station.session import Session
from station.backup.writer import (CREATE_FLAGS, READ, BackupWriteError, Out, Progress, Sealer, copy_private,
                                   fsync_dir, os_error, reads_back, sweep)
from station.store.backups import Backups

__all__ = ["BackupWriteError", "Created", "create_backup", "public_files", "MASTER_WRAP", "Progress",
           "default_target"]

MASTER_WRAP = "backup-key"  # HKDF purpose of the key that wraps the backup key for the recovery path
_PUBLIC = ("station.toml", "keyslots.json", "cards.json", "audit-inbox.jsonl", "DEMO")


@dataclass(frozen=True)
class Created:
    path: Path
    size: int
    sha256: str  # SHA-256 of everything the signature covers (all but the signature block)
    station_id: str
    created: str
    tree_size: int
    numbers: dict[str, int]


def default_target(session: Session, folder: Path) -> Path:
    """Where the Backup action writes in a chosen folder: station id and time in the name."""
    from datetime import datetime, timezone

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(folder) / f"seal-station-{session.config.station_id}-{stamp}.ssb"


def public_files(home_path: Path) -> list[tuple[str, bytes]]:
    """The station's files besides the store: settings, key slots, card ledger, trust."""
    out = []
    for name in _PUBLIC:
        try:
            out.append((name, (home_path / name).read_bytes()))
        except FileNotFoundError:
            continue
    trust = home_path / "trust"
    if trust.is_dir():
        for pem in sorted(trust.glob("*.pem")):
            out.append((f"trust/{pem.name}", pem.read_bytes()))
    return out


def _wrap_slots(session: Session, backup_key: bytes) -> list[dict[str, object]]:
    slots = []
    for digest, entry in sorted(session.home.keyslots().slots.items()):
        if entry.role is not Role.ADMIN:
            continue
        cert = base64.b64decode(entry.certificate)
        slots.append({"cert_sha256": digest, "serial": entry.serial,
                      "slot": keys.wrap_for_card(backup_key, cert)})
    return slots


def create_backup(session: Session, target: Path, progress: Progress | None = None) -> Created:
    """Write the backup of the station behind ``session`` (an administrator's) to ``target``."""
    if session.actor.role is not Role.ADMIN:
        session.log("backup", str(target), "refused", reason="not-admin")
        raise PolicyError("only an administrator's card makes a backup", reason="not-admin",
                          hint="log in with an administrator card")
    target = Path(target).absolute()
    if target.is_dir():
        raise BackupWriteError(f"{target} is a folder", hint="give the backup file's name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, target) from None
    repo = Backups(session.store)
    with device_errors(session.card.serial):
        head = session.audit.sign_head(session.signer, session.actor.cert_sha256)
    files = public_files(session.home.path)
    snap, facts = _snapshot(session, repo)
    try:
        backup_key = stream.new_key()
        header = _header(session, head, facts, files, snap.stat().st_size, backup_key)
        digest = _write(session, target, header, backup_key, files, snap, progress)
    finally:
        snap.unlink(missing_ok=True)
    total = target.stat().st_size
    with session.store.transaction():
        repo.set_last_backup(header["created"])
        session.log("backup", str(target), "ok", size=total, signed_sha256=digest, tree_size=head.size,
                    numbers=header["numbers"])
    return Created(target, total, digest, header["station_id"], header["created"], head.size, header["numbers"])


def _snapshot(session: Session, repo: Backups) -> tuple[Path, dict[str, object]]:
    """A copy of ``station.db`` beside it, taken under the store's write lock (so the lock
    is held for a local copy, not for a slow stick), with the numbers it holds."""
    home = session.home.path
    for old in home.glob(".station.db.backup-*"):  # left by a killed backup
        old.unlink(missing_ok=True)
    snap = home / f".station.db.backup-{secrets.token_hex(4)}"
    try:
        with repo.frozen():
            copy_private(session.home.db, snap)
            facts: dict[str, object] = {"audit_size": repo.audit_size(), "numbers": repo.numbers()}
    except OSError as exc:
        snap.unlink(missing_ok=True)
        raise BackupWriteError(f"cannot copy the store for the backup: {exc.strerror or exc}",
                               hint="free some space on the station's disk") from None
    return snap, facts


def _header(session: Session, head: Any, facts: dict[str, object], files: list[tuple[str, bytes]],
            db_size: int, backup_key: bytes) -> dict[str, Any]:
    """The clear header: what the backup is, and the backup key wrapped for each way in."""
    size = sum(len(file_record(n, len(d))) + len(d) for n, d in files)
    size += len(file_record("station.db", db_size)) + db_size + len(END_RECORD)
    return {
        "format": FORMAT, "station_id": session.config.station_id, "created": now_text(),
        "size": size, "chunk": stream.CHUNK, "module": session.config.module, **facts,
        "tree_head": {"size": head.size, "root": head.root.hex(), "time": head.time,
                      "signer": head.signer_cert_sha256, "algorithm": head.algorithm,
                      "signature": head.signature.hex()},
        "slots": _wrap_slots(session, backup_key),
        "recovery": session.home.keyslots().recovery,
        "master_slot": base64.b64encode(envelope.seal(
            envelope.derive(bytes(session.master), MASTER_WRAP), backup_key, FORMAT.encode())).decode(),
    }


def _write(session: Session, target: Path, header: dict[str, Any], backup_key: bytes,
           files: list[tuple[str, bytes]], snap: Path, progress: Progress | None) -> str:
    """Temp file, sealed payload, signature, fsync, read-back, rename; returns the signed digest."""
    raw = canonical(header)
    prefix = MAGIC + struct.pack(">I", len(raw)) + raw
    sweep(target)
    tmp = target.parent / f".{target.name}.part-{secrets.token_hex(4)}"
    fd = -1
    out: Out | None = None
    try:
        fd = os.open(tmp, CREATE_FLAGS, 0o600)
        out = Out(fd)
        out.write(prefix)
        cipher = stream.ChunkCipher(backup_key, hashlib.sha256(prefix).digest())
        sealer = Sealer(out, cipher, header["size"], progress)
        for name, data in files:
            sealer.add(file_record(name, len(data)))
            sealer.add(data)
        db_size = snap.stat().st_size
        sealer.add(file_record("station.db", db_size))
        with open(snap, "rb", buffering=0) as db:
            while piece := db.read(READ - sealer.pending % READ):  # whole chunks: sealed without a copy
                sealer.add(piece)
                if db.tell() >= db_size // 2:
                    faults.checkpoint("backup-write")
        sealer.add(END_RECORD)
        sealer.finish()
        digest = out.digest()
        with device_errors(session.card.serial):
            value = session.signer.sign(signed_message(digest))
        sig = canonical({"signer": session.actor.cert_sha256, "algorithm": session.signer.algorithm,
                         "value": base64.b64encode(value).decode()})
        trailer = struct.pack(">I", len(sig)) + sig + END
        out.write(trailer, body=False)
        os.fsync(fd)
        if hasattr(os, "posix_fadvise"):  # the read-back must come from the device
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
        fd = -1
        if not reads_back(tmp, prefix, cipher, trailer):
            raise BackupWriteError(f"{target} did not read back as written", hint="the device may be failing: "
                                   "use another one")
        faults.checkpoint("backup-rename")
        os.replace(tmp, target)
        fsync_dir(target.parent)
        return digest.hex()
    except OSError as exc:
        raise os_error(exc, target) from None
    finally:
        if out is not None:
            out.close()
        if fd >= 0:
            os.close(fd)
        if tmp.exists() or tmp.is_symlink():
            try:
                tmp.unlink()
            except OSError:
                pass
