"""Impression images (印模): import, normalise and preview.

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
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from station.errors import InputError
from station.validation import check_seal_kind

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
