"""Pilot tests of the receipt screens: the officer's receipts list, the QR screen, the USB
export screen (to an extra target directory, and to a full device), and a snapshot of the
QR screen with a fixed receipt."""

from __future__ import annotations

import os

import hashlib
import subprocess

import pytest

from screens.app import make_app
from screens.export import ExportScreen
from screens.receipt import QrCode, ReceiptListScreen, ReceiptScreen
from station.receipts import qr
from station.home import Home
from station.receipts.claims import IssuedSeal
from tests.screens.pilot import login, until
from tests.station.receipt_world import make_issued, wipe_card

# A real receipt (demo station, two fields of Chinese text, one supervisor): fixed so the
# snapshot does not depend on random signatures.
FIXED = "SSR1:NCFOXN*TS0BI$ZD8UHY1LSRJJAPW$M0IIQVQWG6ARNZWVLWT323T23*96F8JID7G%8M+8O24YDI NI*7KX1J*ZJ2EJXHBZNUFMPK25UQN-06UJV WL/MRC5Q0L6YS7L*B$ M%-0PIIMJKZIKZIK2U0YH1J49DGM$/A.CAGNJTYJQHJLKD11KY1J$8DC I A3NCEXQ9P8ND9RA1J8 5HB19E6O.3WM0M-S9/UZBSOVR%YUQ/S:6JYSBXC18AKPZ7TWE2USUB5%.KHOBQH7*:C3HENTEDUV-TSB$N3VH$856-F$2JM+C-9B-H02IF64KTGBLUCP.4.L4:UGA+P$9K3 DVS109A7MAS1W5*G44CDYNC5N1SKCJQJ0N%%H.62BNV.M7Z5C3YN*BPF2UV1TF0F8FW18T18QBL205J:1A7:6$8FRLSCZGRMSS/5BFUITJ%%4X$F3GQ3QH2%IG-E69OF7NP0UT5OFXI+1OKZ4Z+8PUTVSQZ6Q*14.4C4+13*B*6496PN:FZ3K*6I/BPU.FO4NG4UTWDGCIR7A LSW5SZ8UQGCI:11YN8ZCSERFT2:/6BGWZUI18JKQDIUVO-MB$68:T3OD$$23FO2WUBOBGJGY/52ZJPSR0O3HGO/KKVJVDAV16WEO19QN.6T0L5KWQN9F:.U4H2*-7RP7PDS3+RVWK+OSQOT8%H0SJ1*PYM02GB/CT"


@pytest.fixture(scope="module")
def issued(demo_world, tmp_path_factory):
    made = make_issued(demo_world, tmp_path_factory.mktemp("receipt-screens"))
    yield made
    seal = demo_world.card("seal", 4)
    wipe_card(demo_world, seal.serial, seal.pin, made.home)


def _summary(app) -> str:
    return str(app.screen.query_one("#receipt-summary").render())


async def _open_receipt_from_the_list(pilot, app, esid: str) -> None:
    app.run_home_action("receipts")
    await until(pilot, lambda: isinstance(app.screen, ReceiptListScreen) and app.screen.rows)
    screen = app.screen
    table = screen.query_one("#receipts-table")
    table.move_cursor(row=next(i for i, s in enumerate(screen.rows) if s.esid == esid))
    table.focus()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ReceiptScreen), seconds=10)


async def test_officer_opens_a_receipt_and_writes_it_to_a_stick(world, issued, tmp_path, monkeypatch):
    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.setenv("SEAL_STATION_EXPORT_DIRS", str(stick))
    officer = world.card("officer")
    app = make_app(Home(issued.home), lang="en", watch_interval=0.1)
    async with app.run_test(size=(160, 60)) as pilot:
        await login(pilot, app, officer.serial, officer.pin)
        await _open_receipt_from_the_list(pilot, app, issued.esid)
        code = app.screen.query_one(QrCode)
        assert code.lines == qr.half_blocks(qr.matrix(issued.text))
        modules = 2 * qr.QUIET + 17 + 4 * code.version  # quiet zone on both sides
        assert len(code.lines[0]) == modules and len(code.lines) == (modules + 1) // 2
        assert "张三" in _summary(app) and "Wang Fang" in _summary(app) and "Li Qiang" in _summary(app)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen.targets)
        export = app.screen
        assert [t.path for t in export.targets if t.kind == "extra"] == [stick]
        export.query_one("#export-table").move_cursor(
            row=next(i for i, t in enumerate(export.targets) if t.path == stick))
        await pilot.press("w")
        await until(pilot, lambda: export.written or export.error is not None, seconds=20)
        assert export.error is None
        folder = stick / issued.esid
        assert {p.name for p in export.written} == {f"{issued.esid}.txt", f"{issued.esid}.png",
                                                     f"{issued.esid}.pdf", "SHA256SUMS"}
        assert (folder / f"{issued.esid}.txt").read_text().strip() == issued.text
        assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True).returncode == 0
        assert "read back" in str(export.query_one("#export-status").render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ReceiptScreen))


async def test_a_full_stick_says_so_on_the_export_screen(world, issued, tmp_path, monkeypatch):
    stick = tmp_path / "tiny"
    stick.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(stick)],
                      capture_output=True).returncode != 0:
        _no_tmpfs()
    try:
        monkeypatch.setenv("SEAL_STATION_EXPORT_DIRS", str(stick))
        officer = world.card("officer")
        app = make_app(Home(issued.home), lang="zh_CN", watch_interval=0.1)
        async with app.run_test(size=(160, 60)) as pilot:
            await login(pilot, app, officer.serial, officer.pin)
            app.show_receipt(issued.esid)  # what the ceremony wizard calls at its end
            await until(pilot, lambda: isinstance(app.screen, ReceiptScreen), seconds=10)
            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen.targets)
            export = app.screen
            export.query_one("#export-table").move_cursor(
                row=next(i for i, t in enumerate(export.targets) if t.path == stick))
            await pilot.press("w")
            await until(pilot, lambda: export.error is not None, seconds=20)
            assert "full" in export.error.message
            assert "full" in str(export.query_one("#export-status").render())
            assert list(stick.iterdir()) == []
    finally:
        subprocess.run(["umount", str(stick)], check=False)


def test_fixed_receipt_is_version_17_and_decodes():
    assert qr.version_of(FIXED) == 17
    assert hashlib.sha256(FIXED.encode()).hexdigest()  # fixed text: a stable snapshot


SEAL = IssuedSeal("DEMO-0001-2026-000001", "示例科技有限公司", "示例科技有限公司", "9111010800010001XL",
                  "official", "5f3d9d577d6ea42d", "张三", "2026-11-22T02:17:12+00:00", "2026-11-22T02:17:12+00:00",
                  "王芳 Wang Fang", ("李强 Li Qiang",), 1, "DEMO-0001", FIXED, 1, pin_set=False)


def test_receipt_screen_snapshot(snap_compare, demo_world):
    app = make_app(demo_world.home, lang="zh_CN", start_monitor=False)

    async def run_before(pilot):
        await app.push_screen(ReceiptScreen(SEAL))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(150, 56), run_before=run_before)


def _no_tmpfs() -> None:
    """Mounting needs root. CI and `make test` run as root, so there it is a failure;
    on a developer's unprivileged shell the full-device test cannot run at all."""
    if os.environ.get("CI") or os.geteuid() == 0:
        pytest.fail("cannot mount a 16 KiB tmpfs for the full-device test")
    pytest.skip("mounting a tmpfs needs root")
