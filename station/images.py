"""Impression images (印模): import, normalise, preview, and demo impressions.

An impression file comes from outside the station (a scan or a photo on a USB stick), so
it is hostile until proven otherwise: its size is capped, its format is sniffed, its pixel
dimensions are checked from the header *before* anything is decoded (a 100-byte PNG can
claim 100000×100000 pixels), and every decoder failure becomes an :class:`InputError`.

What is kept is a clean RGBA PNG: the paper becomes transparent, the ink keeps its colour,
the picture is cropped to the ink and stripped of metadata. That PNG is what goes into
the SESeal picture, so it is also kept small (at most :data:`MAX_OUTPUT_SIDE` pixels).

PIL is imported inside the functions: it is a heavy import and the TUI must start fast.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from station.errors import InputError
from station.validation import PERSONAL_SEAL_KINDS, SEAL_KIND_NAMES, check_seal_kind

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as _Image

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_SIDE_PX",
    "MAX_OUTPUT_SIDE",
    "DEFAULT_SIZE_MM",
    "Rgb",
    "ImpressionImage",
    "normalise_impression",
    "render_halfblocks",
    "make_demo_impression",
]

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_SIDE_PX = 4096  # and so at most 4096×4096 pixels
MAX_OUTPUT_SIDE = 1024  # ~620 dpi at 42 mm: plenty for print, small enough for a seal card
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png", "PNG"), (b"\xff\xd8\xff", "jpeg", "JPEG"), (b"BM", "bmp", "BMP"))
_BOMB = "image too large (decompression bomb?)"
_DAMAGED = "image is truncated or damaged"
_IMAGE_HINT = "Use a PNG, JPEG or BMP scan of the impression, at most 10 MB and 4096×4096 pixels."

#: Physical size (width, height) in mm by seal kind. 42 mm is the usual diameter of a
#: unit's official seal; department and special-purpose seals (合同/财务专用章) are
#: commonly a little smaller, 40 mm. A signature's height follows its aspect ratio.
DEFAULT_SIZE_MM: dict[str, tuple[int, int]] = {
    "official": (42, 42),
    "department": (40, 40),
    "contract": (40, 40),
    "finance": (40, 40),
    "special": (40, 40),
    "personal-name": (20, 20),
    "personal-signature": (40, 15),
}

# Background detection: paper is light and grey; ink is dark or coloured. Pixels fade
# from background to ink over _RAMP levels so anti-aliased edges stay smooth.
_PAPER_CHROMA = 48
_RAMP = 40

Rgb = tuple[int, int, int]
_T = TypeVar("_T")


@dataclass(frozen=True)
class ImpressionImage:
    """A normalised impression: transparent-background PNG plus its provenance and size."""

    png: bytes
    original_sha256: str
    source_format: str  # "png" | "jpeg" | "bmp"
    width_px: int
    height_px: int
    width_mm: int
    height_mm: int

    @property
    def png_sha256(self) -> str:
        """Digest of the normalised PNG (what the seal actually carries)."""
        return hashlib.sha256(self.png).hexdigest()


def _open_checked(data: bytes) -> tuple[_Image.Image, str]:
    """Sniff, open lazily, check the header size, then decode. Only InputError escapes."""
    if len(data) > MAX_FILE_BYTES:
        raise InputError("file is larger than 10 MB", hint=_IMAGE_HINT)
    for magic, name, pil_format in _MAGIC:
        if data.startswith(magic):
            break
    else:
        raise InputError("not a PNG, JPEG or BMP image", hint=_IMAGE_HINT)
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[pil_format])
            width, height = im.size  # from the header: nothing decoded yet
            if width > MAX_SIDE_PX or height > MAX_SIDE_PX:
                raise InputError(f"{_BOMB}: {width}×{height} pixels, at most 4096×4096", hint=_IMAGE_HINT)
            if width < 1 or height < 1:
                raise InputError(_DAMAGED, hint=_IMAGE_HINT)
            im.load()
            im = ImageOps.exif_transpose(im) or im
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        raise InputError(_BOMB, hint=_IMAGE_HINT) from None
    except Exception:  # OSError, SyntaxError, ValueError, struct.error, EOFError, ...
        raise InputError(_DAMAGED, hint=_IMAGE_HINT) from None
    return im, name


def _to_rgba(im: _Image.Image) -> _Image.Image:
    """Any decoded mode to RGBA; 16-bit grey is scaled, not clipped to white."""
    try:
        if im.mode.startswith("I;16") or im.mode == "I":
            im = im.convert("I").point(lambda v: v * (1 / 257)).convert("L")
        return im.convert("RGBA")
    except Exception:
        raise InputError(f"the image's colour format ({im.mode}) is not supported", hint=_IMAGE_HINT) from None


def _ink_alpha(rgba: _Image.Image) -> _Image.Image:
    """Alpha mask (mode L): 0 on paper, 255 on ink, a short ramp in between."""
    from PIL import Image, ImageChops

    flat = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    r, g, b = flat.split()
    luma = flat.convert("L")
    chroma = ImageChops.subtract(ImageChops.lighter(ImageChops.lighter(r, g), b),
                                 ImageChops.darker(ImageChops.darker(r, g), b))
    # Paper brightness: median of the border, if the border looks like paper; else white.
    w, h = flat.size
    t = max(1, min(w, h) // 50)
    boxes = [(0, 0, w, t), (0, h - t, w, h), (0, 0, t, h), (w - t, 0, w, h)]
    l_hist = [sum(x) for x in zip(*(luma.crop(bx).histogram() for bx in boxes))]
    c_hist = [sum(x) for x in zip(*(chroma.crop(bx).histogram() for bx in boxes))]
    paper_l, paper_c = _median(l_hist), _median(c_hist)
    threshold = min(paper_l - 30, 215) if paper_l >= 128 and paper_c <= _PAPER_CHROMA else 215

    dark = luma.point([_ramp(threshold - v) for v in range(256)])
    colour = chroma.point([_ramp(v - _PAPER_CHROMA) for v in range(256)])
    return ImageChops.multiply(ImageChops.lighter(dark, colour), rgba.getchannel("A"))


def _ramp(x: float) -> int:
    return max(0, min(255, round(x * 255 / _RAMP)))


def _median(hist: list[int]) -> int:
    half, seen = sum(hist) / 2, 0
    for value, count in enumerate(hist):
        seen += count
        if seen >= half:
            return value
    return 255


def _guarded(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run a PIL step on untrusted pixels: anything but InputError becomes InputError."""
    try:
        return func(*args, **kwargs)
    except InputError:
        raise
    except MemoryError:
        raise InputError(_BOMB, hint=_IMAGE_HINT) from None
    except Exception:
        raise InputError(_DAMAGED, hint=_IMAGE_HINT) from None


def _clean_ink(im: _Image.Image) -> _Image.Image:
    """Paper transparent, ink in its own colour, cropped to the ink plus a small margin."""
    from PIL import Image

    rgba = _to_rgba(im)
    alpha = _ink_alpha(rgba)
    bbox = alpha.point(lambda v: 255 if v > 32 else 0).getbbox()
    if bbox is None:
        raise InputError("the image has no visible impression", hint="Scan the seal in colour on white paper.")
    clean = rgba.convert("RGB").convert("RGBA")
    clean.putalpha(alpha)
    # Fully transparent pixels become (0,0,0,0): no hidden colour left, better compression.
    visible = alpha.point(lambda v: 255 if v else 0)
    clean = Image.composite(clean, Image.new("RGBA", clean.size, (0, 0, 0, 0)), visible)
    left, top, right, bottom = bbox
    margin = max(2, round(max(right - left, bottom - top) * 0.02))
    clean = clean.crop((left - margin, top - margin, right + margin, bottom + margin))
    if max(clean.size) > MAX_OUTPUT_SIDE:
        scale = MAX_OUTPUT_SIDE / max(clean.size)
        new_size = (max(1, round(clean.width * scale)), max(1, round(clean.height * scale)))
        clean = clean.resize(new_size, Image.Resampling.LANCZOS)
    return clean


def normalise_impression(
    data: bytes, *, seal_kind: str, size_mm: tuple[int, int] | None = None
) -> ImpressionImage:
    """Import an impression file: validate, remove the paper, crop, size it in mm."""
    check_seal_kind(seal_kind)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError("the impression must be given as file bytes")
    data = bytes(data)
    if size_mm is not None and not (
        isinstance(size_mm, tuple) and len(size_mm) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 5 <= v <= 200 for v in size_mm)
    ):
        raise InputError("the impression size must be two whole numbers of millimetres, 5 to 200")
    im, source_format = _open_checked(data)
    clean = _guarded(_clean_ink, im)
    out = io.BytesIO()
    _guarded(clean.save, out, "PNG", optimize=True)

    if size_mm is None:
        size_mm = DEFAULT_SIZE_MM[seal_kind]
        if seal_kind == "personal-signature":
            size_mm = (size_mm[0], max(1, round(size_mm[0] * clean.height / clean.width)))
    return ImpressionImage(
        png=out.getvalue(),
        original_sha256=hashlib.sha256(data).hexdigest(),
        source_format=source_format,
        width_px=clean.width,
        height_px=clean.height,
        width_mm=size_mm[0],
        height_mm=size_mm[1],
    )


def render_halfblocks(
    png: bytes, width_cells: int, *, alpha_threshold: int = 128
) -> list[list[tuple[Rgb | None, Rgb | None]]]:
    """Preview for a terminal: rows of (top, bottom) colours for the "▀" character.

    A cell is about twice as tall as wide and shows two pixels stacked, so pixels are
    square and the aspect ratio is kept. A colour is None where the pixel is (mostly)
    transparent. The UI draws "▀" with fg=top and bg=bottom.
    """
    if isinstance(width_cells, bool) or not isinstance(width_cells, int) or not 1 <= width_cells <= 1024:
        raise InputError("the preview width must be 1 to 1024 cells")
    im, _ = _open_checked(bytes(png))
    from PIL import Image

    rgba = _to_rgba(im)
    height_px = max(2, 2 * math.ceil(width_cells * rgba.height / rgba.width / 2))
    raw = _guarded(lambda: rgba.resize((width_cells, height_px), Image.Resampling.LANCZOS).tobytes())

    def colour(x: int, y: int) -> Rgb | None:
        i = 4 * (y * width_cells + x)
        return (raw[i], raw[i + 1], raw[i + 2]) if raw[i + 3] >= alpha_threshold else None

    return [[(colour(x, y), colour(x, y + 1)) for x in range(width_cells)] for y in range(0, height_px, 2)]


# --- demo impressions --------------------------------------------------------------------

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
    elif kind in PERSONAL_SEAL_KINDS:  # personal-name
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
            _text(draw, (c, c + size * 0.25), SEAL_KIND_NAMES[kind][0], _font(size * 0.07), _RED)
    out = io.BytesIO()
    im.save(out, "PNG", optimize=True)
    return out.getvalue()
