"""Impression import: good scans are normalised; hostile files (truncated, not an image,
decompression bombs, oversize, random bytes) only ever produce InputError."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from station.errors import InputError
from station.demo_impressions import make_demo_impression
from station.images import (
    DEFAULT_SIZE_MM,
    MAX_FILE_BYTES,
    ImpressionImage,
    normalise_impression,
    render_halfblocks,
)
from station.validation import SEAL_KINDS

RED = (200, 20, 30)
REPO = Path(__file__).resolve().parents[2]


def scan(fmt: str, *, size: int = 120, mode: str = "RGB", paper=(250, 248, 240)) -> bytes:
    """A red ring with a dot on slightly off-white paper, as a scanner would give it."""
    im = Image.new("RGB", (size, size), paper)
    draw = ImageDraw.Draw(im)
    draw.ellipse((20, 20, size - 20, size - 20), outline=RED, width=6)
    draw.ellipse((size / 2 - 8, size / 2 - 8, size / 2 + 8, size / 2 + 8), fill=RED)
    if mode == "1":
        im = im.convert("1", dither=Image.Dither.NONE)
    elif mode != "RGB":
        im = im.convert(mode)
    out = io.BytesIO()
    im.save(out, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return out.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(width: int, height: int, *, bit_depth: int = 1, colour_type: int = 0) -> bytes:
    """A hand-made PNG of a few dozen bytes whose header claims width×height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def rgba_of(result: ImpressionImage) -> Image.Image:
    im = Image.open(io.BytesIO(result.png))
    assert im.format == "PNG"
    assert im.mode == "RGBA"
    return im


# --- good files ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "name"), [("PNG", "png"), ("JPEG", "jpeg"), ("BMP", "bmp")])
def test_formats_are_normalised(fmt: str, name: str) -> None:
    data = scan(fmt)
    result = normalise_impression(data, seal_kind="official")
    im = rgba_of(result)
    assert result.source_format == name
    assert (result.width_px, result.height_px) == im.size
    assert im.getpixel((0, 0))[3] == 0  # paper gone at the corner
    assert im.getpixel((im.width // 2, im.height // 2))[3] == 255  # the dot is ink
    r, g, b, _ = im.getpixel((im.width // 2, im.height // 2))
    assert r > 150 and g < 80 and b < 80  # and it stays red
    # cropped to the ring (80 px) plus a small margin
    assert 80 <= im.width <= 90 and 80 <= im.height <= 90
    assert (result.width_mm, result.height_mm) == (42, 42)
    import hashlib
    assert result.original_sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "1", "I;16"])
def test_other_colour_modes(mode: str) -> None:
    result = normalise_impression(scan("PNG", mode=mode), seal_kind="department")
    im = rgba_of(result)
    assert im.getpixel((0, 0))[3] == 0
    assert im.getpixel((im.width // 2, im.height // 2))[3] == 255


def test_transparent_png_and_grey_paper() -> None:
    im = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(im).rectangle((30, 30, 70, 70), fill=(*RED, 255))
    out = io.BytesIO()
    im.save(out, "PNG")
    assert normalise_impression(out.getvalue(), seal_kind="special").width_px < 50
    # A photo on grey paper: the paper is still recognised as background.
    grey = rgba_of(normalise_impression(scan("PNG", paper=(170, 170, 165)), seal_kind="official"))
    assert grey.getpixel((0, 0))[3] == 0 and grey.width <= 90


def test_sizes_by_kind_and_override() -> None:
    data = make_demo_impression("张三", "personal-signature")
    sig = normalise_impression(data, seal_kind="personal-signature")
    assert sig.width_mm == 40
    assert sig.height_mm == round(40 * sig.height_px / sig.width_px)
    name = normalise_impression(make_demo_impression("张三", "personal-name"), seal_kind="personal-name")
    assert (name.width_mm, name.height_mm) == DEFAULT_SIZE_MM["personal-name"] == (20, 20)
    over = normalise_impression(scan("PNG"), seal_kind="contract", size_mm=(38, 38))
    assert (over.width_mm, over.height_mm) == (38, 38)
    for bad in ((0, 40), (40,), (40.5, 40), [40, 40], (40, 999)):
        with pytest.raises(InputError):
            normalise_impression(scan("PNG"), seal_kind="contract", size_mm=bad)
    with pytest.raises(InputError):
        normalise_impression(scan("PNG"), seal_kind="stamp")


def test_exif_orientation_applied() -> None:
    im = Image.new("RGB", (120, 60), "white")
    ImageDraw.Draw(im).rectangle((10, 10, 110, 30), fill=RED)  # a wide bar
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=95)
    result = normalise_impression(out.getvalue(), seal_kind="official")
    assert result.height_px > result.width_px  # shown upright: the bar is now tall


def test_blank_image_rejected() -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(out, "PNG")
    with pytest.raises(InputError, match="no visible impression"):
        normalise_impression(out.getvalue(), seal_kind="official")


def test_metadata_is_stripped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret")
    out = io.BytesIO()
    Image.open(io.BytesIO(scan("PNG"))).save(out, "PNG", pnginfo=info)
    assert b"secret" not in normalise_impression(out.getvalue(), seal_kind="official").png


@pytest.mark.parametrize("kind", SEAL_KINDS)
def test_demo_impressions_import(kind: str) -> None:
    data = make_demo_impression("北京示例科技有限公司", kind, size=200)
    assert data.startswith(b"\x89PNG")
    assert normalise_impression(data, seal_kind=kind).width_px > 20


def test_demo_without_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    import station.demo_impressions as demo_impressions

    monkeypatch.setattr(demo_impressions, "_FONT_FILES", (("/nonexistent/font.ttc", 0),))
    for kind in SEAL_KINDS:
        normalise_impression(make_demo_impression("张三", kind, size=128), seal_kind=kind)


def test_render_halfblocks() -> None:
    result = normalise_impression(scan("PNG"), seal_kind="official")
    rows = render_halfblocks(result.png, 20)
    assert all(len(row) == 20 for row in rows)
    assert len(rows) == 10  # square image: 20 px wide, 20 px tall, 2 px per cell
    assert rows[0][0] == (None, None)  # transparent corner
    top, bottom = rows[5][10]
    assert top is not None and top[0] > 150 and len(top) == 3
    sig = normalise_impression(make_demo_impression("张三", "personal-signature"), seal_kind="personal-signature")
    assert len(render_halfblocks(sig.png, 40)) < 20  # wide image: few rows
    for bad in (0, 5000, True, "20"):
        with pytest.raises(InputError):
            render_halfblocks(result.png, bad)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        render_halfblocks(b"not a png", 10)


# --- hostile files ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP"])
def test_truncated_file_rejected(fmt: str) -> None:
    data = scan(fmt, size=300)
    with pytest.raises(InputError, match="truncated or damaged"):
        normalise_impression(data[: len(data) // 2], seal_kind="official")


@pytest.mark.parametrize("data", [b"", b"hello, this is a text file\n" * 10, b"GIF89a" + b"\0" * 64,
                                  b"%PDF-1.7\n", "印模".encode()])
def test_not_an_image_rejected(data: bytes) -> None:
    with pytest.raises(InputError, match="not a PNG, JPEG or BMP image"):
        normalise_impression(data, seal_kind="official")


@pytest.mark.parametrize("size", [(50000, 50000), (100000, 100000), (12000, 12000), (4097, 16), (16, 5000)])
def test_decompression_bomb_header_rejected(size: tuple[int, int]) -> None:
    data = png_claiming(*size)
    assert len(data) < 200
    with pytest.raises(InputError, match=r"decompression bomb"):
        normalise_impression(data, seal_kind="official")


def test_compressible_large_png_rejected() -> None:
    out = io.BytesIO()
    Image.new("1", (5000, 5000), 0).save(out, "PNG")
    assert len(out.getvalue()) < 100_000
    with pytest.raises(InputError, match=r"decompression bomb"):
        normalise_impression(out.getvalue(), seal_kind="official")


def test_bomb_rejected_under_memory_cap() -> None:
    """Run the bomb in a child limited to 1 GiB of address space: decoding would need GBs."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        sys.path.insert(0, {str(REPO)!r})
        from station.errors import InputError
        from station.images import normalise_impression
        for data in {[png_claiming(50000, 50000), png_claiming(50000, 50000, bit_depth=8, colour_type=6)]!r}:
            try:
                normalise_impression(data, seal_kind="official")
            except InputError as e:
                assert "decompression bomb" in e.message, e.message
            else:
                raise SystemExit("accepted")
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_larger_than_10_mb_rejected() -> None:
    data = scan("PNG")
    with pytest.raises(InputError, match="larger than 10 MB"):
        normalise_impression(data + b"\0" * (MAX_FILE_BYTES + 1 - len(data)), seal_kind="official")
    with pytest.raises(InputError):
        normalise_impression("not bytes", seal_kind="official")  # type: ignore[arg-type]


# --- fuzzing ------------------------------------------------------------------------------

SEEDS = [scan("PNG", size=48), scan("JPEG", size=48), scan("BMP", size=48), scan("PNG", size=48, mode="P"),
         png_claiming(64, 64, bit_depth=8, colour_type=2)]


def expect_only_input_error(data: bytes) -> None:
    try:
        result = normalise_impression(data, seal_kind="official")
    except InputError:
        return
    assert Image.open(io.BytesIO(result.png)).mode == "RGBA"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=2048),
    st.tuples(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM"]), st.binary(max_size=2048)).map(
        lambda t: t[0] + t[1]),
))
def test_arbitrary_bytes_only_input_error(data: bytes) -> None:
    expect_only_input_error(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255), st.sampled_from(["set", "insert", "delete"])),
                   min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_images_only_input_error(seed: bytes, edits, cut) -> None:
    data = bytearray(seed)
    for where, value, op in edits:
        i = min(int(where * len(data)), max(len(data) - 1, 0))
        if op == "set" and data:
            data[i] = value
        elif op == "insert":
            data.insert(i, value)
        elif data:
            del data[i]
    if cut is not None:
        data = data[: int(cut * len(data))]
    expect_only_input_error(bytes(data))
