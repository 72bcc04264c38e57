"""Uploaded images: real images only, no pixel bombs, location data removed, safe names."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from qalam.newsroom.media import UploadError, check_upload


def jpeg(size=(40, 30), gps=True) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation: kept
    exif[0x013B] = "Асқар"  # artist: kept
    if gps:
        exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 57.0, 0.0)}
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG", exif=exif.tobytes(), quality=90)
    return buf.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge canvas (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")


def test_gps_is_removed_and_the_rest_kept():
    checked = check_upload(jpeg(), "Әкім жиналыста.JPG")
    assert checked.gps_removed and checked.format == "JPEG"
    exif = Image.open(io.BytesIO(checked.data)).getexif()
    assert 0x8825 not in exif
    assert exif[0x0112] == 1
    assert checked.name == "akim-jinalysta.jpg"
    assert (checked.width, checked.height) == (40, 30)


def test_image_without_location_is_stored_byte_for_byte():
    data = jpeg(gps=False)
    checked = check_upload(data, "a.jpg")
    assert checked.data == data and not checked.gps_removed


def test_the_real_format_names_the_file():
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "PNG")
    assert check_upload(buf.getvalue(), "photo.jpg").name == "photo.png"


@pytest.mark.parametrize("data, name", [
    (b"%PDF-1.4 not an image", "scan.jpg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg"),
    (b"<?php echo 1; ?>", "x.php.jpg"),
    (b"", "empty.jpg"),
])
def test_what_is_not_an_image_is_refused(data, name):
    with pytest.raises(UploadError):
        check_upload(data, name)


def test_pixel_bomb_is_refused_from_its_header():
    with pytest.raises(UploadError, match="megapixels|too large"):
        check_upload(png_claiming(60_000, 60_000), "bomb.png")


def test_truncated_image_is_refused():
    data = jpeg(size=(400, 300), gps=False)
    with pytest.raises(UploadError):
        check_upload(data[: len(data) // 2], "cut.jpg")


def test_size_limit():
    with pytest.raises(UploadError, match="limit"):
        check_upload(jpeg(), "a.jpg", max_bytes=100)


@pytest.mark.parametrize("name", ["../../config/system.yaml", "..\\..\\evil.jpg", ".htaccess", "a/b/c.jpg", ""])
def test_names_are_plain_file_names(name):
    checked = check_upload(jpeg(gps=False), name)
    assert "/" not in checked.name and "\\" not in checked.name and not checked.name.startswith(".")
    assert checked.name.endswith(".jpg")
