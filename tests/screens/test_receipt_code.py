"""The full-screen receipt code: decoded by zxing-cpp from what the terminal shows, at the
smallest size the view claims to fit; below it, the size it needs and no code at all."""

from __future__ import annotations

from PIL import Image

from screens.app import make_app
from screens.receipt import QrCode, ReceiptCodeScreen, ReceiptScreen
from tests.screens.test_receipt_screens import SEAL

# Receipts of the real ceremony are QR version 18-20; SEAL's is 17. BIG is a version 20
# code (its text is not a valid receipt, but the screen only draws it): the biggest we issue.
BIG = SEAL.__class__(**{**SEAL.__dict__, "receipt": SEAL.receipt + "A1" * 100})


def test_big_is_the_biggest_code_a_ceremony_issues():
    from station.receipts import qr

    assert qr.version_of(BIG.receipt) == 20 and ReceiptCodeScreen.needed(BIG) == (105, 54)


def _terminal_image(app, scale: int = 4) -> Image.Image:
    """The screen as a terminal draws it: every cell two pixels tall, ▀ ▄ █ split fg/bg."""
    strips = app.screen._compositor.render_strips()
    width = max(s.cell_length for s in strips)
    img = Image.new("L", (width, 2 * len(strips)), 255)
    px = img.load()

    def grey(color, default: int) -> int:
        if color is None:
            return default
        r, g, b = color.get_truecolor()
        return int(0.299 * r + 0.587 * g + 0.114 * b)

    for y, strip in enumerate(strips):
        x = 0
        for seg in strip:
            fg = grey(seg.style.color if seg.style else None, 0)
            bg = grey(seg.style.bgcolor if seg.style else None, 255)
            for ch in seg.text:
                top, bottom = {"▀": (fg, bg), "▄": (bg, fg), "█": (fg, fg)}.get(ch, (bg, bg))
                px[x, 2 * y], px[x, 2 * y + 1] = top, bottom
                x += 1
    return img.resize((img.width * scale, img.height * scale), Image.NEAREST)


def _decode(img: Image.Image) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)]




async def test_the_code_decodes_at_the_smallest_size_the_view_claims(demo_world):
    for seal in (SEAL, BIG):
        size = ReceiptCodeScreen.needed(seal)
        app = make_app(demo_world.home, lang="en", start_monitor=False)
        async with app.run_test(size=size) as pilot:
            await app.push_screen(ReceiptCodeScreen(seal))
            await pilot.pause()
            assert app.screen.fits
            assert app.screen.query_one(QrCode).region.height == size[1] - 1  # the whole code
            assert _decode(_terminal_image(app)) == [seal.receipt]
            assert "Receipt No. 1" in str(app.screen.query_one("#code-number").render())


async def test_too_small_says_what_it_needs_and_draws_no_code(demo_world):
    w, h = ReceiptCodeScreen.needed(BIG)
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ReceiptCodeScreen(BIG))
        await pilot.pause()
        text = str(app.screen.query_one("#code-small").render())
        assert f"at least {w}×{h}" in text and "80×24" in text and "press E" in text
        assert not app.screen.query_one("#code-box").display
        assert _decode(_terminal_image(app)) == []
        await pilot.resize_terminal(w, h)
        await pilot.pause()
        assert app.screen.fits and _decode(_terminal_image(app)) == [BIG.receipt]
        await pilot.resize_terminal(w - 1, h)
        await pilot.pause()
        assert not app.screen.fits and _decode(_terminal_image(app)) == []
        await pilot.press("e")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExportScreen"


async def test_receipt_screen_never_shows_a_cut_code(demo_world):
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.push_screen(ReceiptScreen(BIG))
        await pilot.pause()
        qr = app.screen.query_one(QrCode)
        assert not qr.display  # 105 columns + the summary do not fit beside each other whole
        assert "press Enter" in str(app.screen.query_one("#receipt-hint").render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptCodeScreen)
    app = make_app(demo_world.home, lang="en", start_monitor=False)
    async with app.run_test(size=(150, 56)) as pilot:
        await app.push_screen(ReceiptScreen(SEAL))
        await pilot.pause()
        qr = app.screen.query_one(QrCode)
        assert qr.display and qr.region.height == qr.size_needed[1]
        assert _decode(_terminal_image(app)) == [SEAL.receipt]
