"""Reading files a person names: regular files only, sizes checked before reading.

A FIFO, a device (``/dev/zero``) or a folder given where a file belongs is bad input
(exit 2) at once: the file is opened without blocking and checked with ``fstat`` before
a single byte is read, so a FIFO cannot make the station wait and a device cannot make
it read forever. Every file argument of the command goes through :func:`read_file`.
What the station writes goes through :func:`atomic_write`: old content or new, never half.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from station.errors import InputError

__all__ = ["read_file", "check_regular", "atomic_write", "MAX_INPUT_BYTES"]

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""No seal, receipt, bundle, certificate or status list the station reads comes near this."""


def check_regular(path: Path | str, what: str = "file") -> os.stat_result:
    """The file's stat when it is a regular file; an InputError naming it otherwise."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read the {what} ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise InputError(f"{p}: {kind}; the {what} must be a regular file")
    return st


def read_file(path: Path | str, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file no larger than ``max_bytes``; one InputError otherwise."""
    p = Path(path)
    check_regular(p, what)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{p}: cannot read the {what} ({exc.strerror or type(exc).__name__})") from None
    try:
        st = os.fstat(fd)  # what was opened, not what was there a moment ago
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{p}: not a regular file; the {what} must be a regular file")
        if st.st_size > max_bytes:
            raise InputError(f"{p}: the {what} is larger than {max_bytes // (1024 * 1024) or 1} MB")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read the {what} ({exc.strerror or type(exc).__name__})") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise InputError(f"{p}: the {what} is larger than {max_bytes // (1024 * 1024) or 1} MB")
    return data


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that a crash leaves the old or the new content, never half."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
