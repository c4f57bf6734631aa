"""``backup create``: one encrypted, signed file of the whole station, made while it runs.

The snapshot of the store is its SQLCipher pages copied as they are, while the store's
write lock is held: journal mode DELETE changes the file only at a commit, and no one
can commit while we hold the lock, so the copy is the consistent state the SQLCipher
backup API would give — without decrypting and re-encrypting every page, which costs
ten times a plain copy. The pages stay encrypted under the store key, and the whole
payload is sealed again under a fresh backup key.

The backup key is wrapped to every enrolled administrator card (the same ECDH-ES /
RSA-OAEP slots as ``keyslots.json``) and under a key derived from the master key; the
header carries a copy of the recovery slot, so the recovery code (Argon2id) opens the
master key and through it the backup — the station never needs to know the code.

Written as receipts are: a temporary name created with O_EXCL|O_NOFOLLOW, synced, read
back and compared, then renamed; a full device is one line and leaves no file behind.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from crypto import envelope, stream
from station import faults, keys
from station.audit import now_utc
from station.backup.fileformat import END, END_RECORD, FORMAT, MAGIC, canonical, file_record, signed_message
from station.cards import device_errors
from station.errors import CardError, PolicyError
from station.model import Role
from station.session import Session
from station.store.backups import Backups

__all__ = ["BackupWriteError", "Created", "create_backup", "public_files", "MASTER_WRAP", "Progress",
           "default_target"]

MASTER_WRAP = "backup-key"  # HKDF purpose of the key that wraps the backup key for the recovery path
_PUBLIC = ("station.toml", "keyslots.json", "cards.json", "audit-inbox.jsonl", "DEMO")
_READ = 1 << 20
Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


class BackupWriteError(CardError):
    """The target device is full, read-only, gone or failing (exit 3)."""

    default_title = "Backup"


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
    for digest, entry in sorted(session.home.keyslots().get("slots", {}).items()):
        if entry.get("role") != Role.ADMIN.value:
            continue
        cert = base64.b64decode(entry["certificate"])
        slots.append({"cert_sha256": digest, "serial": entry.get("serial", ""),
                      "slot": keys.wrap_for_card(backup_key, cert)})
    return slots


def _os_error(exc: OSError, target: Path) -> BackupWriteError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return BackupWriteError(f"{target.parent} is full", hint="free some space or use another device; "
                                "no backup file was left behind")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return BackupWriteError(f"{target.parent} is read-only or not writable",
                                hint="use another folder or device; nothing was written")
    if exc.errno == errno.ELOOP:
        return BackupWriteError(f"{target} is a link: not followed", hint="choose another name")
    return BackupWriteError(f"cannot write {target}: {exc.strerror or type(exc).__name__}",
                            hint="use another device; no backup file was left behind")


def create_backup(session: Session, target: Path, progress: Progress | None = None) -> Created:
    """Write the backup of the station behind ``session`` (an administrator's) to ``target``."""
    if session.actor.role is not Role.ADMIN:
        session.log("backup", str(target), "refused", reason="not-admin")
        raise PolicyError("only an administrator's card makes a backup", reason="not-admin",
                          hint="log in with an administrator card")
    target = Path(target).absolute()
    if target.is_dir():
        raise BackupWriteError(f"{target} is a folder", hint="give the backup file's name")
    repo = Backups(session.store)
    with device_errors(session.card.serial):
        head = session.audit.sign_head(session.signer, session.actor.cert_sha256)
    backup_key = stream.new_key()
    files = public_files(session.home.path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(exc, target) from None
    _sweep(target)
    tmp = target.parent / f".{target.name}.part-{secrets.token_hex(4)}"
    fd = -1
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                     0o600)
        with repo.frozen():
            db_size = session.home.db.stat().st_size
            size = sum(len(file_record(n, len(d))) + len(d) for n, d in files)
            size += len(file_record("station.db", db_size)) + db_size + len(END_RECORD)
            header = {
                "format": FORMAT, "station_id": session.config.station_id, "created": now_utc(),
                "size": size, "chunk": stream.CHUNK, "module": session.config.module,
                "audit_size": repo.audit_size(), "numbers": repo.numbers(),
                "tree_head": {"size": head.size, "root": head.root.hex(), "time": head.time,
                              "signer": head.signer_cert_sha256, "algorithm": head.algorithm,
                              "signature": head.signature.hex()},
                "slots": _wrap_slots(session, backup_key),
                "recovery": session.home.keyslots().get("recovery"),
                "master_slot": base64.b64encode(envelope.seal(
                    envelope.derive(bytes(session.master), MASTER_WRAP), backup_key,
                    FORMAT.encode())).decode(),
            }
            raw = canonical(header)
            prefix = MAGIC + struct.pack(">I", len(raw)) + raw
            out = _Out(fd)
            out.write(prefix)
            cipher = stream.ChunkCipher(backup_key, hashlib.sha256(prefix).digest())
            sealer = _Sealer(out, cipher, size, progress)
            for name, data in files:
                sealer.add(file_record(name, len(data)))
                sealer.add(data)
            sealer.add(file_record("station.db", db_size))
            with open(session.home.db, "rb", buffering=0) as db:
                copied = 0
                while copied < db_size:
                    piece = db.read(min(_READ, db_size - copied))
                    if not piece:
                        raise OSError(errno.EIO, "the database shrank while it was copied")
                    sealer.add(piece)
                    copied += len(piece)
                    if copied >= db_size // 2:
                        faults.checkpoint("backup-write")
            sealer.add(END_RECORD)
            sealer.finish()
        digest = out.body.digest()
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
        if not _reads_back(tmp, prefix, cipher, trailer):
            raise BackupWriteError(f"{target} did not read back as written", hint="the device may be failing: "
                                   "use another one")
        faults.checkpoint("backup-rename")
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise _os_error(exc, target) from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp.exists() or tmp.is_symlink():
            try:
                tmp.unlink()
            except OSError:
                pass
    total = target.stat().st_size
    with session.store.transaction():
        repo.set_last_backup(header["created"])
        session.log("backup", str(target), "ok", size=total, signed_sha256=digest.hex(), tree_size=head.size,
                    numbers=header["numbers"])
    return Created(target, total, digest.hex(), header["station_id"], header["created"], head.size, header["numbers"])


class _Sealer:
    """Cuts the payload into chunks, seals and writes them, hashing what is written."""

    def __init__(self, out: "_Out", cipher: stream.ChunkCipher, size: int, progress: Progress | None) -> None:
        self.out, self.cipher, self.size, self.progress = out, cipher, size, progress
        self.count = stream.chunk_count(size)
        self.index = 0
        self.done = 0
        self.buf = bytearray()

    def add(self, data: bytes) -> None:
        self.buf += data
        while len(self.buf) >= stream.CHUNK and self.index < self.count - 1:
            self._emit(bytes(self.buf[:stream.CHUNK]))
            del self.buf[:stream.CHUNK]

    def _emit(self, plain: bytes) -> None:
        last = self.index == self.count - 1
        self.out.write(self.cipher.seal(self.index, plain, last))
        self.index += 1
        self.done += len(plain)
        if self.progress:
            self.progress(self.done, self.size)

    def finish(self) -> None:
        if self.done + len(self.buf) != self.size or self.index != self.count - 1:
            raise OSError(errno.EIO, "the payload changed size while it was written")
        self._emit(bytes(self.buf))
        self.buf.clear()


class _Out:
    """The temporary file, and the running digest of the signed body."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.body = hashlib.sha256()

    def write(self, data: bytes, *, body: bool = True) -> None:
        if body:
            self.body.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]


def _reads_back(path: Path, prefix: bytes, cipher: stream.ChunkCipher, trailer: bytes) -> bool:
    """Every byte as written: the clear parts compared, every chunk's tag checked (AES-GCM
    is ten times faster than hashing the file again)."""
    from station.backup.fileformat import iter_chunks, read_header

    with open(path, "rb", buffering=1 << 20) as fh:
        header = read_header(fh, path)
        if header.prefix != prefix:
            return False
        try:
            for index, blob, last in iter_chunks(fh, header, None, path):
                cipher.open(index, blob, last)
        except stream.StreamError:
            return False
        return fh.read(len(trailer) + 1) == trailer


def _sweep(target: Path) -> None:
    """Temporary files a killed ``backup create`` of the same name left behind."""
    for old in target.parent.glob(f".{target.name}.part-*"):
        try:
            old.unlink()
        except OSError:
            pass


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
