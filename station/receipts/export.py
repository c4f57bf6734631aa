"""Writing out of the air gap: the receipt bundle, export targets and a careful writer.

The bundle of one receipt is its text, the QR as PNG, the signed PDF and SHA256SUMS
(:func:`bundle_files`); :func:`export_receipt` writes it for an officer, and
:func:`after_make` does so right after `make --receipt-dir`.

A USB stick is the one thing that leaves the station with data on it, and the officer
pulls it as soon as the screen says "done". So every file is written under a temporary
name, flushed to the device (fsync), dropped from the page cache and read back to
compare its SHA-256 — only then are the names swapped in. A full, read-only or pulled
device gives one clear :class:`ExportError` and leaves no partial file; a bundle that was
there before stays as it was.

Targets are the mount points of removable media (devices/usb.py) plus "extra targets":
directories named in ``SEAL_STATION_EXPORT_DIRS`` (``path1:path2``), for stations that
export to a fixed folder and for the tests.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from crypto.errors import CryptoError
from devices import usb
from station.errors import CardError, InputError, PolicyError, StateError, StationError
from station.model import Role
from station.receipts.claims import IssuedSeal
from station.receipts.issue import issue_receipt, issued_seal
from station.store.seals import Seals

if TYPE_CHECKING:  # pragma: no cover
    from station.session import Session

__all__ = ["ExportError", "ExportTarget", "Targets", "list_targets", "folder_target", "write_files", "EXTRA_ENV",
           "bundle_files", "export_receipt", "after_make"]

EXTRA_ENV = "SEAL_STATION_EXPORT_DIRS"
Progress = Callable[[str, int, int], None]  # (file name, index, count)


class ExportError(CardError):
    """The export device is full, read-only, gone or failing (exit 3)."""

    default_title = "Export"


@dataclass(frozen=True)
class ExportTarget:
    path: Path
    label: str
    kind: str  # "usb" (removable media) | "extra" (from SEAL_STATION_EXPORT_DIRS)
    read_only: bool
    free: int | None  # bytes available, None when unknown


@dataclass(frozen=True)
class Targets:
    targets: tuple[ExportTarget, ...]
    devices: tuple[str, ...] = ()  # USB mass-storage devices seen on the bus
    notes: tuple[str, ...] = field(default=())


def _free(path: Path) -> int | None:
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def list_targets(extra: Sequence[Path] | None = None) -> Targets:
    """Removable mounts and extra directories, with what the bus shows and any notes."""
    devices, note = usb.mass_storage_devices()
    notes = [note] if note else []
    out = [ExportTarget(m.path, f"{m.path} ({m.device}, {m.fstype})", "usb", m.read_only, _free(m.path))
           for m in usb.removable_mounts()]
    if extra is None:
        extra = [Path(p) for p in os.environ.get(EXTRA_ENV, "").split(os.pathsep) if p.strip()]
    for path in extra:
        out.append(ExportTarget(path, str(path), "extra", not os.access(path, os.W_OK) if path.exists()
                                else False, _free(path) if path.exists() else None))
    if devices and not any(t.kind == "usb" for t in out):
        notes.append("a USB storage device is plugged in but not mounted")
    return Targets(tuple(out), tuple(d.name for d in devices), tuple(notes))


def folder_target(text: str) -> ExportTarget:
    """A folder a person typed as the target (a station without removable media, a share):
    it must exist and be writable, so a typo is said at once, not after signing."""
    raw = text.strip()
    if not raw:
        raise InputError("name a folder to write the receipt into", hint="e.g. /media/usb or ~/receipts")
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute():
        raise InputError(f"{raw} is not an absolute path", hint="start the folder with / or ~")
    if not path.is_dir():
        raise InputError(f"{path} is not an existing folder", hint="create it first, or choose another")
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"{path} is not writable by this station", hint="choose a folder you may write to")
    return ExportTarget(path, str(path), "folder", False, _free(path))


def _error(exc: OSError, target: Path, need: int) -> ExportError:
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return ExportError(f"{target} is full: the receipt bundle needs {need // 1024 + 1} KiB",
                           hint="free some space or use another device; nothing was written")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ExportError(f"{target} is read-only", hint="unlock the device's write switch or use "
                           "another device; nothing was written")
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO, errno.ESTALE, errno.ENOTDIR):
        return ExportError(f"{target} was removed or failed while writing ({exc.strerror})",
                           hint="insert the device again and export again; nothing was left half-written")
    return ExportError(f"cannot write to {target}: {exc.strerror or type(exc).__name__}",
                       hint="try another device")


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _write_synced(folder: int, name: str, data: bytes) -> None:
    """Create ``name`` inside the open folder: never an existing file, never through a link."""
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=folder)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        if hasattr(os, "posix_fadvise"):  # the read-back must come from the device
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _read_back(folder: int, name: str) -> bytes:
    fd = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=folder)
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _open_own_folder(directory: Path) -> tuple[int, int, bool]:
    """Open (creating if needed) the station's own folder ``directory`` on the target.

    The stick may have been prepared by someone else: a folder that exists as a link is
    refused, and everything below is opened relative to the folder's descriptor, so no
    name on the stick can send a write elsewhere. Returns (parent fd, folder fd, created).
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    parent = os.open(directory.parent, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        created = True
        try:
            os.mkdir(directory.name, 0o700, dir_fd=parent)
        except FileExistsError:
            created = False
            if stat.S_ISLNK(os.stat(directory.name, dir_fd=parent, follow_symlinks=False).st_mode):
                raise PolicyError(f"{directory} on the target is a link, not a folder; nothing was written",
                                  reason="export-link", hint="use a stick you prepared yourself") from None
        folder = os.open(directory.name, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=parent)
    except BaseException:
        os.close(parent)
        raise
    return parent, folder, created


def write_files(directory: Path, files: Sequence[tuple[str, bytes]],
                progress: Progress | None = None) -> list[Path]:
    """Write ``(name, bytes)`` into the station's folder ``directory`` synced and
    verified; all or nothing new. Temporary names are unpredictable and created
    exclusively; the final rename replaces a name, never follows it."""
    need = sum(len(data) for _, data in files)
    temps: list[str] = []
    parent = folder = -1
    created = False
    try:
        parent, folder, created = _open_own_folder(directory)
        for i, (name, data) in enumerate(files):
            if progress:
                progress(name, i, len(files))
            tmp = f".{name}.{secrets.token_hex(8)}.part"
            temps.append(tmp)
            _write_synced(folder, tmp, data)
        for tmp, (name, data) in zip(temps, files):
            if hashlib.sha256(_read_back(folder, tmp)).digest() != hashlib.sha256(data).digest():
                raise ExportError(f"{directory / name} did not read back as written",
                                  hint="the device may be failing: use another one")
        for tmp, (name, _) in zip(temps, files):
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        temps = []
        try:
            os.fsync(folder)
        except OSError:
            pass  # some file systems (vfat on old kernels) refuse fsync on a directory
        if progress:
            progress("", len(files), len(files))
        return [directory / name for name, _ in files]
    except OSError as exc:
        raise _error(exc, directory, need) from None
    finally:
        for tmp in temps:
            try:
                os.unlink(tmp, dir_fd=folder)
            except OSError:
                pass
        if folder >= 0:
            os.close(folder)
        if parent >= 0:
            if temps and created:
                try:
                    os.rmdir(directory.name, dir_fd=parent)  # only if empty: never a file that was there
                except OSError:
                    pass
            os.close(parent)


def bundle_files(session: Session, seal: IssuedSeal) -> list[tuple[str, bytes]]:
    """The receipt bundle: text, QR PNG, signed PDF and SHA256SUMS (in that order)."""
    from crypto import seseal
    from station.receipts import pdf as receipt_pdf
    from station.receipts import qr

    if not seal.receipt:
        raise StateError(f"seal {seal.esid} has no receipt yet", hint="an officer's card must sign it first")
    png = qr.png_bytes(seal.receipt)
    der = Seals(session.store).der(seal.esid) or b""
    try:
        picture: bytes | None = seseal.parse(bytes(der)).picture
    except CryptoError:
        picture = None
    pdf = receipt_pdf.build(seal, png, picture)
    pdf = receipt_pdf.sign(pdf, session.signer, session.home.trust_anchors(), seal.esid)
    files = [(f"{seal.esid}.txt", (seal.receipt + "\n").encode()), (f"{seal.esid}.png", png),
             (f"{seal.esid}.pdf", pdf)]
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files)
    return files + [("SHA256SUMS", sums.encode())]


def export_receipt(session: Session, esid: str, directory: Path, progress: Progress | None = None) -> list[Path]:
    """Write the receipt bundle into ``directory/ESID/`` (synced, read back, all or nothing)."""
    from station.cards import device_errors

    if session.actor.role is not Role.OFFICER:
        session.log("receipt-export", esid, "refused", reason="not-officer")
        raise PolicyError("only a seal officer exports receipts (the PDF is signed by the officer's card)",
                          reason="not-officer", hint="log in with an officer card")
    issue_receipt(session, esid)
    seal = issued_seal(session, esid)
    with device_errors(session.card.serial):
        files = bundle_files(session, seal)
    target = Path(directory) / esid
    try:
        paths = write_files(target, files, progress)
    except ExportError as exc:
        session.log("receipt-export", esid, "failed", target=str(target), reason=exc.message)
        raise
    session.log("receipt-export", esid, "ok", target=str(target), files=[p.name for p in paths])
    return paths


def after_make(session: Session, esid: str, receipt_dir: Path | None) -> tuple[str, list[str]]:
    """The receipt of a seal just made (signed again only if the ceremony could not), and
    its bundle written to ``receipt_dir`` if asked."""
    text = issue_receipt(session, esid)
    files: list[str] = []
    if receipt_dir is not None:
        try:
            files = [str(p) for p in export_receipt(session, esid, receipt_dir)]
        except StationError as exc:  # the seal is made: say so, and how to get the files
            exc.hint = (f"seal {esid} is made and its receipt is stored; write it again with "
                        f"`seal-station receipt export {esid} --dir DIR --by SERIAL`")
            raise
    return text, files
