"""Demo impressions: plausible seal pictures drawn for the demo world and the tests.

They are demo data, not part of importing a real impression (station/images.py), which
is why they live beside the demo: a red round unit seal, a square name seal, a slanted
signature, each with its kind's name from :mod:`station.vocabulary`.

PIL is imported inside the function: it is a heavy import and the TUI must start fast.
"""

from __future__ import annotations

import io
import math
import os

from station.errors import InputError
from station.images import MAX_SIDE_PX, Rgb
from station.validation import check_seal_kind
from station.vocabulary import SealKind

__all__ = ["make_demo_impression"]

_FONT_FILES = (
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
)
_RED = (214, 24, 30)
_INK = (20, 24, 70)


def _font(px: int):  # -> ImageFont.FreeTypeFont | ImageFont.ImageFont
    """A CJK font if Debian's fonts-noto-cjk is installed, else PIL's default (never fails)."""
    from PIL import ImageFont

    px = max(6, int(px))
    for path, index in _FONT_FILES:
        if os.path.exists(path):
            for i in (index, 0):
                try:
                    return ImageFont.truetype(path, px, index=i)
                except Exception:
                    continue
    try:
        return ImageFont.load_default(size=px)
    except Exception:
        return ImageFont.load_default()


def _text(draw, xy: tuple[float, float], text: str, font, fill: Rgb) -> None:
    """Draw ``text`` centred on ``xy``; works with every PIL font (no ``anchor``)."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text((xy[0] - (left + right) / 2, xy[1] - (top + bottom) / 2), text, font=font, fill=fill)


def _glyph(char: str, font, colour: Rgb):  # -> Image.Image
    from PIL import Image, ImageDraw

    box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), char, font=font)
    side = max(box[2] - box[0], box[3] - box[1], 1) + 4
    im = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    _text(ImageDraw.Draw(im), (side / 2, side / 2), char, font, colour)
    return im


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy - radius * math.sin(angle)))
    return points


def make_demo_impression(text: str, kind: str, *, size: int = 400) -> bytes:
    """Draw a plausible impression on white (PNG bytes) for the demo world and tests.

    Unit kinds: a red round seal, the text around the top, a star, the kind's name below.
    personal-name: a red square seal with the name. personal-signature: slanted dark text.
    """
    check_seal_kind(kind)
    if isinstance(size, bool) or not isinstance(size, int) or not 64 <= size <= MAX_SIDE_PX:
        raise InputError("the demo impression size must be 64 to 4096 pixels")
    from PIL import Image, ImageDraw

    text = (text or "").strip() or "样章"
    if kind == "personal-signature":
        font = _font(size * 0.22)
        im = Image.new("RGB", (size, max(32, int(size * 0.4))), "white")
        draw = ImageDraw.Draw(im)
        _text(draw, (size / 2, im.height * 0.45), text, font, _INK)
        # A flourish under the name: always some ink, even without a CJK font.
        y = im.height * 0.8
        draw.line([(size * (0.15 + 0.7 * i / 20), y - size * 0.02 * math.sin(i * 0.6)) for i in range(21)],
                  fill=_INK, width=max(2, size // 100), joint="curve")
        # Shear to the right: reads as handwriting more than upright type does.
        im = im.transform(im.size, Image.Transform.AFFINE, (1, 0.3, -0.15 * im.height, 0, 1, 0),
                          resample=Image.Resampling.BICUBIC, fillcolor="white")
    elif kind == SealKind.PERSONAL_NAME:
        im = Image.new("RGB", (size, size), "white")
        draw = ImageDraw.Draw(im)
        border = max(3, size // 25)
        draw.rectangle((size * 0.08, size * 0.08, size * 0.92, size * 0.92), outline=_RED, width=border)
        chars = list(text + ("之印" if len(text) == 2 else "印" if len(text) == 3 else ""))[:9]
        rows = 2 if len(chars) <= 4 else 3
        cols = math.ceil(len(chars) / rows)
        cell = size * 0.76 / max(rows, cols)
        font = _font(cell * 0.85)
        for i, char in enumerate(chars):  # columns read top-down, right to left
            col, row = divmod(i, rows)
            x = size / 2 + (cols / 2 - col - 0.5) * cell
            y = size / 2 + (row - rows / 2 + 0.5) * cell
            _text(draw, (x, y), char, font, _RED)
    else:
        im = Image.new("RGB", (size, size), "white")
        draw = ImageDraw.Draw(im)
        c, border = size / 2, max(3, size // 28)
        outer = size * 0.46
        draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=_RED, width=border)
        draw.polygon(_star(c, c, size * 0.14), fill=_RED)
        chars = list(text)[:24]
        radius = outer - border - size * 0.08
        span = min(math.radians(250), len(chars) * math.radians(24))
        glyph_px = min(size * 0.12, 0.9 * radius * span / max(len(chars), 1))
        font = _font(glyph_px)
        for i, char in enumerate(chars):
            theta = -span / 2 + span * (i + 0.5) / len(chars)  # from the top, clockwise
            glyph = _glyph(char, font, _RED).rotate(-math.degrees(theta), resample=Image.Resampling.BICUBIC,
                                                    expand=True)
            x, y = c + radius * math.sin(theta), c - radius * math.cos(theta)
            im.paste(glyph, (round(x - glyph.width / 2), round(y - glyph.height / 2)), glyph)
        if kind != "official":
            _text(draw, (c, c + size * 0.25), SealKind(kind).zh, _font(size * 0.07), _RED)
    out = io.BytesIO()
    im.save(out, "PNG", optimize=True)
    return out.getvalue()
