"""The careful writer: synced, read back, all or nothing, one clear error per failure."""

from __future__ import annotations

import errno
import os

import pytest

from station.receipts import export
from station.receipts.export import ExportError, list_targets, write_files

FILES = [("a.txt", b"receipt\n"), ("b.png", b"\x89PNG" + bytes(5000)), ("SHA256SUMS", b"sums\n")]


def test_writes_every_file_and_leaves_no_temporary(tmp_path):
    calls = []
    paths = write_files(tmp_path / "out", FILES, lambda name, i, n: calls.append((name, i, n)))
    assert [p.name for p in paths] == ["a.txt", "b.png", "SHA256SUMS"]
    assert all(p.read_bytes() == data for p, (_, data) in zip(paths, FILES))
    assert sorted(os.listdir(tmp_path / "out")) == ["SHA256SUMS", "a.txt", "b.png"]
    assert calls[0] == ("a.txt", 0, 3) and calls[-1] == ("", 3, 3)


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "is full"), (errno.EROFS, "read-only"),
                                         (errno.EIO, "removed or failed"), (errno.ENODEV, "removed")])
def test_a_failing_device_keeps_what_was_there_and_leaves_nothing_partial(tmp_path, monkeypatch, code, words):
    target = tmp_path / "stick"
    target.mkdir()
    (target / "a.txt").write_bytes(b"the old receipt\n")
    real_write = os.write
    written = []

    def failing_write(fd, data):
        if written:  # the second file fails half-way
            raise OSError(code, os.strerror(code))
        written.append(fd)
        return real_write(fd, data)

    monkeypatch.setattr(export.os, "write", failing_write)
    with pytest.raises(ExportError) as info:
        write_files(target, FILES)
    assert words in info.value.message and info.value.exit_code == 3
    assert sorted(os.listdir(target)) == ["a.txt"]
    assert (target / "a.txt").read_bytes() == b"the old receipt\n"


def test_a_new_folder_is_removed_again_after_a_failure(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export.os, "write", full)
    with pytest.raises(ExportError):
        write_files(tmp_path / "new", FILES)
    assert not (tmp_path / "new").exists()


def test_a_bad_read_back_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "_read_back", lambda folder, name: b"something else")
    with pytest.raises(ExportError, match="did not read back"):
        write_files(tmp_path / "out", FILES)
    assert not (tmp_path / "out").exists()  # the new folder went away with the temporaries


def _keyslots(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    keyslots = home / "keyslots.json"
    keyslots.write_bytes(b'{"slots": []}')
    return home, keyslots


def test_links_planted_on_the_stick_are_not_followed(tmp_path):
    """A stick prepared by someone else: links named like the temporary files or the final
    files, pointing at the station's keyslots.json, are never written through."""
    home, keyslots = _keyslots(tmp_path)
    folder = tmp_path / "stick" / "ST-1-2026-000001"
    folder.mkdir(parents=True)
    for name, _ in FILES:
        (folder / f".{name}.part").symlink_to(keyslots)
        (folder / f".{name}.tmp").symlink_to(keyslots)
    (folder / "SHA256SUMS").symlink_to(keyslots)
    paths = write_files(folder, FILES)
    assert keyslots.read_bytes() == b'{"slots": []}'
    assert all(p.read_bytes() == data and not p.is_symlink() for p, (_, data) in zip(paths, FILES))


def test_a_folder_that_is_a_link_is_refused(tmp_path):
    from station.errors import PolicyError

    home, keyslots = _keyslots(tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "ST-1-2026-000001").symlink_to(home)
    with pytest.raises(PolicyError, match="link"):
        write_files(stick / "ST-1-2026-000001", [("keyslots.json", b"owned")] + FILES)
    assert keyslots.read_bytes() == b'{"slots": []}'
    assert sorted(os.listdir(home)) == ["keyslots.json"]


def test_written_files_are_private(tmp_path):
    paths = write_files(tmp_path / "out", FILES)
    assert all(p.stat().st_mode & 0o077 == 0 for p in paths)


def test_extra_targets_come_from_the_environment(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    monkeypatch.setenv(export.EXTRA_ENV, f"{a}{os.pathsep}{b}")
    found = list_targets()
    extra = [t for t in found.targets if t.kind == "extra"]
    assert [t.path for t in extra] == [a, b]
    assert extra[0].free and not extra[0].read_only and extra[1].free is None


@pytest.mark.parametrize("args", [("receipt", "export", "ST-1-2026-000001", "--dir", "", "--by", "abc"),
                                  ("make", "1", "--officer", "a", "--seal-card", "b", "--supervisor", "c",
                                   "--recipient", "r", "--receipt-dir", " ")])
def test_an_empty_directory_is_bad_input(tmp_path, args):
    """An empty --dir would write into whatever folder the command runs in."""
    from tests.helpers import error_line, run_cli

    env = {**os.environ, "SEAL_STATION_HOME": str(tmp_path / "home")}
    line = error_line(run_cli(env, *args), 2)
    assert "must not be empty" in line
