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
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from crypto import stream
from station.errors import CardError

__all__ = ["BackupWriteError", "Progress", "Sealer", "Out", "TrailingDigest", "reads_back", "sweep", "fsync_dir",
           "copy_private", "os_error", "CREATE_FLAGS", "READ"]

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
    """Cuts the payload into chunks, seals and writes them, hashing what is written.

    Full chunks are sealed straight from the caller's buffer; only a chunk that spans two
    ``add`` calls is gathered (copying every megabyte in and out of one buffer took a
    fifth of a backup)."""

    def __init__(self, out: "Out", cipher: stream.ChunkCipher, size: int, progress: Progress | None) -> None:
        self.out, self.cipher, self.size, self.progress = out, cipher, size, progress
        self.count = stream.chunk_count(size)
        self.index = 0
        self.done = 0
        self.buf = bytearray()

    def add(self, data: bytes) -> None:
        view = memoryview(data)
        if self.buf:
            take = min(stream.CHUNK - len(self.buf), len(view))
            self.buf += view[:take]
            view = view[take:]
            if len(self.buf) < stream.CHUNK or self.index >= self.count - 1:
                self.buf += view  # the last chunk (or too much data: finish() says so)
                return
            self._emit(bytes(self.buf))
            self.buf.clear()
        while len(view) >= stream.CHUNK and self.index < self.count - 1:
            self._emit(view[:stream.CHUNK])
            view = view[stream.CHUNK:]
        self.buf += view

    def _emit(self, plain: bytes | memoryview) -> None:
        last = self.index == self.count - 1
        self.out.write(self.cipher.seal(self.index, plain, last))
        self.index += 1
        self.done += len(plain)
        if self.progress:
            self.progress(self.done, self.size)

    @property
    def pending(self) -> int:
        """Bytes gathered toward the next chunk: read this many fewer to keep reads aligned."""
        return len(self.buf)

    def finish(self) -> None:
        if self.done + len(self.buf) != self.size or self.index != self.count - 1:
            raise OSError(errno.EIO, "the payload changed size while it was written")
        self._emit(bytes(self.buf))
        self.buf.clear()


class TrailingDigest:
    """A SHA-256 fed on a thread of its own, one block behind its caller: hashlib lets go of
    the interpreter while it hashes, so the next chunk is sealed or opened and written
    meanwhile. Blocks must be ``bytes`` (not changed after they are given)."""

    def __init__(self, initial: bytes = b"") -> None:
        self._hash = hashlib.sha256(initial)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def update(self, data: bytes) -> None:
        self._wait()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="backup-digest")
        self._pending = self._pool.submit(self._hash.update, data)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def digest(self) -> bytes:
        """The SHA-256 of every block given so far."""
        self._wait()
        return self._hash.digest()

    def __enter__(self) -> "TrailingDigest":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None


class Out:
    """The temporary file, and the running digest of the signed body."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.body = TrailingDigest()

    def write(self, data: bytes, *, body: bool = True) -> None:
        if body:
            self.body.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def digest(self) -> bytes:
        return self.body.digest()

    def close(self) -> None:
        self.body.close()


def reads_back(path: Path, prefix: bytes, cipher: stream.ChunkCipher, trailer: bytes) -> bool:
    """Every byte as written: the clear parts compared, every chunk's tag checked (AES-GCM
    is ten times faster than hashing the file again)."""
    from station.backup.fileformat import iter_chunks, read_header

    with open(path, "rb", buffering=8 << 20) as fh:
        if hasattr(os, "posix_fadvise"):  # one pass from start to end: read well ahead
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
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
