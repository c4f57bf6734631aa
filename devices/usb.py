"""Removable storage: USB mass-storage devices (pyusb) and where removable media are mounted.

The two views answer different questions. pyusb says which mass-storage devices are
plugged in (vendor, product, serial) — what the officer sees on the stick's label — but
needs libusb and, for the strings, permission on the device node; without them it
returns nothing and a note, never an error. ``/proc/self/mounts`` with
``/sys/block/*/removable`` (or a ``/usb`` in the block device's sysfs path: many USB
disks do not set the removable flag) says where to write, which is what an export needs.
The station never mounts anything itself: that is the operating system's job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["UsbDevice", "Mount", "mass_storage_devices", "removable_mounts", "parse_mounts"]

_MASS_STORAGE = 0x08
_PSEUDO_FS = {"proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "cgroup", "cgroup2", "overlay", "squashfs",
              "autofs", "mqueue", "debugfs", "tracefs", "securityfs", "pstore", "bpf", "configfs",
              "fusectl", "hugetlbfs", "binfmt_misc", "nsfs", "ramfs", "efivarfs"}


@dataclass(frozen=True)
class UsbDevice:
    """A USB mass-storage device as the bus describes it (strings may be empty)."""

    vendor_id: int
    product_id: int
    manufacturer: str
    product: str
    serial: str

    @property
    def name(self) -> str:
        label = " ".join(p for p in (self.manufacturer, self.product) if p)
        return label or f"{self.vendor_id:04x}:{self.product_id:04x}"


@dataclass(frozen=True)
class Mount:
    """A mounted file system on removable media."""

    device: str
    path: Path
    fstype: str
    read_only: bool


def _string(dev: object, index: int) -> str:
    import usb.util

    if not index:
        return ""
    try:
        return str(usb.util.get_string(dev, index) or "").strip()
    except Exception:  # permission, a device that went away, a bad descriptor
        return ""


def _is_mass_storage(dev: object) -> bool:
    if getattr(dev, "bDeviceClass", None) == _MASS_STORAGE:
        return True
    try:
        return any(intf.bInterfaceClass == _MASS_STORAGE for cfg in dev for intf in cfg)  # type: ignore[attr-defined]
    except Exception:
        return False


def mass_storage_devices() -> tuple[list[UsbDevice], str]:
    """Plugged-in USB mass-storage devices and a note when they cannot be listed."""
    import usb.core

    try:
        found = list(usb.core.find(find_all=True) or [])
    except usb.core.NoBackendError:
        return [], "libusb is not available: USB devices cannot be listed (mounted media still are)"
    except Exception as exc:  # permission on /dev/bus/usb, a bus that went away
        return [], f"USB devices cannot be listed ({type(exc).__name__})"
    out = []
    for dev in found:
        if not _is_mass_storage(dev):
            continue
        out.append(UsbDevice(int(dev.idVendor), int(dev.idProduct), _string(dev, dev.iManufacturer),
                             _string(dev, dev.iProduct), _string(dev, dev.iSerialNumber)))
    return out, ""


def _unescape(field: str) -> str:
    r"""Mount points in /proc/mounts escape space, tab, newline and backslash as \ooo."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mounts(text: str) -> list[tuple[str, Path, str, bool]]:
    """(device, mount point, fstype, read-only) for each line of a mounts file."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        options = parts[3].split(",")
        rows.append((_unescape(parts[0]), Path(_unescape(parts[1])), parts[2], "ro" in options))
    return rows


def _removable_disk(device: str, sys_block: Path) -> bool:
    """Is /dev/sdXN on a disk the kernel calls removable, or attached over USB?"""
    if not device.startswith("/dev/"):
        return False
    name = os.path.basename(os.path.realpath(device)) if os.path.exists(device) else Path(device).name
    disk = name
    part = sys_block.parent / "class" / "block" / name
    if part.exists() and (part / "partition").exists():
        disk = Path(os.path.realpath(part)).parent.name
    entry = sys_block / disk
    try:
        if (entry / "removable").read_text().strip() == "1":
            return True
    except OSError:
        return False
    return "/usb" in os.path.realpath(entry)


def removable_mounts(mounts_file: Path = Path("/proc/self/mounts"),
                     sys_block: Path = Path("/sys/block")) -> list[Mount]:
    """Mounted file systems on removable (or USB-attached) disks."""
    try:
        text = mounts_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for device, path, fstype, read_only in parse_mounts(text):
        if fstype in _PSEUDO_FS or not _removable_disk(device, sys_block):
            continue
        out.append(Mount(device, path, fstype, read_only))
    return out
