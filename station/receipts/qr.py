"""QR codes for receipts: the matrix, a PNG, text a phone can scan, and decoding a PNG.

A receipt must fit one QR code of version <= 25 at error-correction level M (DESIGN.md
§4): larger codes need a better camera than a counter phone and more screen than an
80x25 terminal has. The ``SSR1:`` text is pure base45, which is exactly the QR
alphanumeric alphabet, so the encoder packs 5.5 bits per character.

Decoding uses zxing-cpp (a self-contained wheel, no system library) so `receipt verify
--qr` needs no external tool; the tests check our PNGs with the independent `zbarimg`.
"""

from __future__ import annotations

import io
import zlib
from functools import lru_cache
from pathlib import Path

from station.errors import InputError, StateError
from station.inputs import read_file

MAX_QR_BYTES = 8 * 1024 * 1024
MAX_QR_PIXELS = 40_000_000  # a photographed receipt is well below; a forged header is not

__all__ = ["MAX_VERSION", "QUIET", "matrix", "version_of", "png_bytes", "half_blocks", "decode_png"]

MAX_VERSION = 25
QUIET = 4  # modules of white border every scanner expects


@lru_cache(maxsize=4)
def _code(text: str):  # -> qrcode.QRCode, read-only to callers
    """Made once per text (choosing the mask is most of the ~100 ms): the receipt's check
    before storing, its PNG and the on-screen view all use the same code."""
    import qrcode
    from qrcode.exceptions import DataOverflowError

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET, box_size=8)
    code.add_data(text)
    try:
        code.make(fit=True)
    except DataOverflowError:
        raise StateError(f"the receipt ({len(text)} characters) does not fit any QR code",
                         title="QR code") from None
    if code.version > MAX_VERSION:
        raise StateError(f"the receipt ({len(text)} characters) needs QR version {code.version}; "
                         f"at most {MAX_VERSION} (ECC M) scans reliably", title="QR code",
                         hint="shorten the unit or seal name in the application")
    return code


def version_of(text: str) -> int:
    """The QR version the text needs at ECC M (raises if above :data:`MAX_VERSION`)."""
    return int(_code(text).version)


def matrix(text: str) -> list[list[bool]]:
    """Modules (True = dark), quiet zone included."""
    return [list(row) for row in _code(text).get_matrix()]


def png_bytes(text: str, box: int = 8) -> bytes:
    """A black-on-white PNG, ``box`` pixels per module."""
    from PIL import Image

    rows = matrix(text)
    size = len(rows)
    img = Image.new("1", (size, size), 1)
    img.putdata([0 if dark else 1 for row in rows for dark in row])
    img = img.resize((size * box, size * box), Image.NEAREST)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def half_blocks(rows: list[list[bool]]) -> list[str]:
    """Two module rows per text line: ▀ ▄ █ drawn dark on a light background.

    Terminal cells are about twice as tall as wide, so one cell per module column and
    half a cell per module row keeps the modules square enough for a phone camera.
    """
    lines = []
    for y in range(0, len(rows), 2):
        top = rows[y]
        bottom = rows[y + 1] if y + 1 < len(rows) else [False] * len(top)
        lines.append("".join(_BLOCKS[(t, b)] for t, b in zip(top, bottom)))
    return lines


def decode_png(path: Path) -> str:
    """The text of the one QR code in an image file."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    data = read_file(path, "QR image", MAX_QR_BYTES)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_QR_PIXELS:  # the header is read before any pixel
                raise InputError(f"{path}: the image claims {img.width}×{img.height} pixels; too large for a receipt QR")
            found = zxingcpp.read_barcodes(img.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(f"{path}: the image claims more pixels than a receipt QR can have") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError,
            zlib.error) as exc:
        raise InputError(f"{path}: not a readable image ({type(exc).__name__})") from None
    texts = [r.text for r in found]  # without return_errors only valid codes come back
    if len(texts) != 1:
        raise InputError(f"{path}: {'no' if not texts else len(texts)} QR code(s) found; expected exactly one")
    return texts[0]
