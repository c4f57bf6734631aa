"""Removable storage discovery: mounts on removable or USB disks, pyusb tolerated absent."""

from __future__ import annotations

from pathlib import Path

from devices import usb as removable


def _sys(tmp_path: Path) -> Path:
    """A fake sysfs: sda fixed, sdb removable, sdc a USB disk without the removable flag."""
    root = tmp_path / "sys"
    devices = root / "devices"
    for disk, flag, bus in (("sda", "0", "pci0000:00/ata1"), ("sdb", "1", "pci0000:00/ata2"),
                                 ("sdc", "0", "pci0000:00/usb1/1-1")):
        real = devices / bus / disk
        (real / f"{disk}1").mkdir(parents=True)
        (real / "removable").write_text(flag + "\n")
        (real / f"{disk}1" / "partition").write_text("1\n")
        (root / "block").mkdir(parents=True, exist_ok=True)
        (root / "block" / disk).symlink_to(real)
        (root / "class" / "block").mkdir(parents=True, exist_ok=True)
        (root / "class" / "block" / f"{disk}1").symlink_to(real / f"{disk}1")
    return root / "block"


def test_only_removable_or_usb_disks_are_targets(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        "proc /proc proc rw 0 0\n"
        "/dev/sdb1 /media/officer/KINGSTON\\040STICK vfat rw,nosuid 0 0\n"
        "/dev/sdc1 /media/officer/USB-SSD exfat ro,nosuid 0 0\n"
        "tmpfs /run tmpfs rw 0 0\n")
    found = removable.removable_mounts(mounts, _sys(tmp_path))
    assert [(m.device, str(m.path), m.read_only) for m in found] == [
        ("/dev/sdb1", "/media/officer/KINGSTON STICK", False), ("/dev/sdc1", "/media/officer/USB-SSD", True)]


def test_unreadable_mounts_mean_no_targets(tmp_path):
    assert removable.removable_mounts(tmp_path / "missing", tmp_path) == []


def test_no_libusb_is_a_note_not_an_error(monkeypatch):
    import usb.core

    def no_backend(**kwargs):
        raise usb.core.NoBackendError("No backend available")

    monkeypatch.setattr(usb.core, "find", no_backend)
    devices, note = removable.mass_storage_devices()
    assert devices == [] and "libusb" in note


def test_mass_storage_devices_are_recognised_by_interface_class(monkeypatch):
    import usb.core
    import usb.util

    class Intf:
        def __init__(self, cls):
            self.bInterfaceClass = cls

    class Dev:
        def __init__(self, cls, vid):
            self.bDeviceClass, self.idVendor, self.idProduct = 0, vid, 0x1
            self.iManufacturer = self.iProduct = self.iSerialNumber = 0
            self._cfg = [[Intf(cls)]]

        def __iter__(self):
            return iter(self._cfg)

    monkeypatch.setattr(usb.core, "find", lambda **kw: [Dev(0x08, 0x0951), Dev(0x03, 0x046D)])
    devices, note = removable.mass_storage_devices()
    assert note == "" and [d.name for d in devices] == ["0951:0001"]


def test_this_machine_answers_without_error():
    devices, note = removable.mass_storage_devices()
    assert isinstance(devices, list) and isinstance(note, str)
    assert isinstance(removable.removable_mounts(), list)
