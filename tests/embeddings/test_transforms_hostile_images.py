"""Decoding untrusted uploads: bounds, bombs, truncation, odd modes, EXIF orientation."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from embeddings import ImageRejected
from embeddings.transforms import crop_face, decode_image, detection_copy
from tests.embeddings.conftest import photo

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 20_000_000}


def encode(image: Image.Image, fmt: str = "PNG", **kw) -> bytes:  # type: ignore[no-untyped-def]
    buf = BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_real_jpeg_decodes_to_rgb() -> None:
    assert decode_image(photo("obama_4.jpg"), **LIMITS).mode == "RGB"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, this is text", "not a readable image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>', "not a readable image"),
        (b"%PDF-1.4 not an image", "not a readable image"),
    ],
)
def test_non_images_are_rejected(data: bytes, message: str) -> None:
    with pytest.raises(ImageRejected, match=message):
        decode_image(data, **LIMITS)


def test_truncated_jpeg_is_rejected() -> None:
    data = photo("obama_4.jpg")
    with pytest.raises(ImageRejected, match="truncated or corrupt"):
        decode_image(data[: len(data) // 2], **LIMITS)


def test_too_many_bytes_is_rejected_before_decoding() -> None:
    with pytest.raises(ImageRejected, match="limit"):
        decode_image(b"\xff" * 2000, max_bytes=1000, max_pixels=10**9)


def test_decompression_bomb_is_rejected_from_the_header() -> None:
    # 1-bit 20000x20000 PNG: a few kB on disk, 400 megapixels when decoded
    bomb = encode(Image.new("1", (20000, 20000)))
    assert len(bomb) < 200_000
    with pytest.raises(ImageRejected, match="pixels"):
        decode_image(bomb, **LIMITS)


@pytest.mark.parametrize(
    "image",
    [
        Image.new("CMYK", (40, 30), (0, 128, 255, 0)),
        Image.new("L", (40, 30), 90),
        Image.new("I;16", (40, 30), 40000),
        Image.new("I", (40, 30), 70000),
        Image.new("RGBA", (40, 30), (255, 0, 0, 0)),
        Image.new("P", (40, 30), 3),
    ],
    ids=["cmyk", "grey", "16-bit", "32-bit", "rgba", "palette"],
)
def test_odd_modes_become_8bit_rgb(image: Image.Image) -> None:
    fmt = "JPEG" if image.mode == "CMYK" else ("TIFF" if image.mode == "I" else "PNG")
    decoded = decode_image(encode(image, fmt), **LIMITS)
    assert decoded.mode == "RGB" and decoded.size == (40, 30)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (60, 20), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    decoded = decode_image(encode(image, "JPEG", exif=exif), **LIMITS)
    assert decoded.size == (20, 60)


def test_huge_images_are_downscaled_for_detection() -> None:
    copy, scale = detection_copy(Image.new("RGB", (4000, 3000)), 640)
    assert copy.shape == (480, 640, 3) and scale == pytest.approx(0.16)


def test_crop_near_the_edge_is_padded_not_stretched() -> None:
    image = Image.new("RGB", (100, 100), (200, 200, 200))
    crop = crop_face(image, (-20.0, 10.0, 40.0, 70.0), margin=20, size=160)
    assert crop.shape == (160, 160, 3)
    assert (crop[:, :10] == 0).all()  # the part outside the photo is black, not smeared
    assert (crop[:, -10:] == 200).all()


def test_gif_first_frame_is_used() -> None:
    frames = [Image.new("P", (20, 20), i) for i in range(3)]
    buf = BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    assert np.asarray(decode_image(buf.getvalue(), **LIMITS)).shape == (20, 20, 3)
