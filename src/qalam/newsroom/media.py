"""Images uploaded from the editor or the API: checked with Pillow, GPS removed, stored beside the page.

An upload is untrusted. It is accepted only when Pillow reads it as a JPEG, PNG, WebP or GIF
whose real format matches, within the byte limit and the pixel limit (a small file can declare
a huge canvas: a "pixel bomb" is refused from its header, before decoding). Location data is
removed from EXIF and XMP; the rest of the metadata (orientation, the photographer's credit)
stays. A file without location data is stored byte for byte.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from qalam.lang.slug import slugify

#: Uploads larger than this are refused (the editor says so before sending).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Decoded size limit: 50 megapixels covers any press camera; more is refused as a pixel bomb.
MAX_UPLOAD_PIXELS = 50_000_000
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
_GPS_IFD = 0x8825


class UploadError(ValueError):
    """The upload is refused; the message says why and what to send instead."""


@dataclass(frozen=True)
class CheckedImage:
    name: str
    data: bytes
    width: int
    height: int
    format: str
    gps_removed: bool


def check_upload(data: bytes, filename: str, *, max_bytes: int = MAX_UPLOAD_BYTES,
                 max_pixels: int = MAX_UPLOAD_PIXELS) -> CheckedImage:
    if not data:
        raise UploadError("the file is empty")
    if len(data) > max_bytes:
        raise UploadError(f"the file is {len(data) // 1024} KB; the limit is {max_bytes // (1024 * 1024)} MB — "
                          "send a smaller export of the photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=list(FORMATS))
            width, height = im.size
            if width * height > max_pixels or width <= 0 or height <= 0:
                raise UploadError(f"the image declares {width}×{height} pixels; the limit is "
                                  f"{max_pixels // 1_000_000} megapixels")
            im.load()  # decodes: a truncated or corrupt file fails here, not on the site
    except UploadError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError("this is not a JPEG, PNG, WebP or GIF image that can be read "
                          "(or it is too large to decode safely)") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise UploadError(f"the image is damaged and cannot be read ({err})") from None
    fmt = im.format or ""
    if fmt not in FORMATS:
        raise UploadError("send a JPEG, PNG, WebP or GIF image")
    out, removed = _without_location(im, data, fmt)
    return CheckedImage(media_name(filename, FORMATS[fmt]), out, width, height, fmt, removed)


def _without_location(im: Image.Image, data: bytes, fmt: str) -> tuple[bytes, bool]:
    exif = im.getexif()
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    gps_in_exif = _GPS_IFD in exif and bool(exif.get_ifd(_GPS_IFD) or exif.get(_GPS_IFD))
    gps_in_xmp = b"GPS" in xmp
    if not gps_in_exif and not gps_in_xmp:
        return data, False
    if gps_in_exif:
        del exif[_GPS_IFD]
    kwargs: dict = {"exif": exif.tobytes()}
    if im.info.get("icc_profile"):
        kwargs["icc_profile"] = im.info["icc_profile"]
    if xmp and not gps_in_xmp:
        kwargs["xmp"] = xmp
    buf = io.BytesIO()
    if fmt == "JPEG":
        im.save(buf, "JPEG", quality="keep", **kwargs)  # the original quantisation: no visible loss
    elif fmt == "WEBP":
        im.save(buf, "WEBP", quality=92, **kwargs)
    elif fmt == "PNG":
        im.save(buf, "PNG", optimize=False, **kwargs)
    else:
        return data, False  # GIF carries no EXIF or XMP that Pillow reads
    return buf.getvalue(), True


def media_name(filename: str, ext: str) -> str:
    """A safe file name for a page folder: the upload's name as a slug, the real format's extension."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    slug = slugify(stem, "kk", max_length=60) or "image"
    return f"{slug}.{ext}"
