"""The careful writer under ``backup create``: chunks sealed as they stream, digests kept
on the way, every byte read back from the device, and no file left when anything fails.

A full, read-only or vanished device is one :class:`BackupWriteError` (exit 3), as the
receipt export does it (station/receipts/export.py); links are never followed (O_NOFOLLOW on
every file created, O_EXCL on a random temporary name).
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path
from typing import Callable

from crypto import stream
from station.errors import CardError

__all__ = ["BackupWriteError", "Progress", "Sealer", "Out", "reads_back", "sweep", "fsync_dir", "copy_private",
           "os_error", "CREATE_FLAGS", "READ"]

READ = 1 << 20
CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


class BackupWriteError(CardError):
    """The target device is full, read-only, gone or failing (exit 3)."""

    default_title = "Backup"


def os_error(exc: OSError, target: Path) -> BackupWriteError:
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


def copy_private(src: Path, dst: Path) -> None:
    """Kernel-side copy into a new file no one else can read (the pages stay encrypted)."""
    with open(src, "rb", buffering=0) as fin:
        fd = os.open(dst, CREATE_FLAGS, 0o600)
        try:
            left = os.fstat(fin.fileno()).st_size
            while left > 0:
                try:
                    n = os.copy_file_range(fin.fileno(), fd, left)
                except (AttributeError, OSError):
                    n = os.write(fd, fin.read(min(READ, left)))
                if n <= 0:
                    raise OSError(errno.EIO, "the database shrank while it was copied")
                left -= n
        finally:
            os.close(fd)


class Sealer:
    """Cuts the payload into chunks, seals and writes them, hashing what is written."""

    def __init__(self, out: "Out", cipher: stream.ChunkCipher, size: int, progress: Progress | None) -> None:
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


class Out:
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


def reads_back(path: Path, prefix: bytes, cipher: stream.ChunkCipher, trailer: bytes) -> bool:
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


def sweep(target: Path) -> None:
    """Temporary files a killed ``backup create`` of the same name left behind."""
    for old in target.parent.glob(f".{target.name}.part-*"):
        try:
            old.unlink()
        except OSError:
            pass


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
