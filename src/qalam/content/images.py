"""Responsive images: renditions of page media in the configured widths, and WebP.

A *rendition* is one page image (``.jpg``/``.jpeg``/``.png``/``.webp`` beside a page)
scaled to one width in one format. Renditions are made with Pillow on the first
request, written once to ``<state dir>/renditions/<hash>.<ext>`` (atomically, one
build per key even under concurrent requests) and served from disk afterwards. The
hash covers the file's path, mtime and size, the width, the format, the quality and
the pipeline version, so a changed original or setting makes new files.

What a rendition keeps and drops (docs/images.md):

* EXIF orientation is applied to the pixels before resizing (the rendition has none).
* Every metadata block is dropped -- EXIF (GPS, camera make/model, serial numbers,
  lens, dates, maker notes, the embedded thumbnail), XMP, IPTC, JPEG comments, PNG
  text -- except the credit: EXIF ``Artist`` and ``Copyright`` (bytes as written),
  a new minimal XMP packet with the credit fields found in the original's XMP or IPTC
  (``dc:creator``, ``dc:rights``, ``photoshop:Credit``, ``photoshop:Source``,
  ``xmpRights:UsageTerms``/``WebStatement``/``Marked``), and PNG ``Author``/``Copyright``
  text. ``ImageDescription`` and captions are dropped: they may name private people
  and places; the page carries the caption.
* The colour profile (ICC) is kept; CMYK originals are converted to sRGB through it.

Hostile files never crash a request: only JPEG, PNG and WebP decoders are used (a
``.jpg`` that is really an EPS or a TIFF is refused), an image over
``PIL.Image.MAX_IMAGE_PIXELS`` is refused from its header without decoding
(``qalam.images`` logs one line), truncated or corrupt files are remembered as failed
for that file version. In every refused case the caller serves the original file.
Animated PNG/WebP, GIF and SVG are served as they are.

URLs (fixed space, only configured widths; Grav's URL image actions stay off)::

    /_qalam/img/<width>/<jpg|png|webp>/<folder path>/<file>?v=<version>

``v`` is a short hash of the file version and settings, so a response for a URL with
the current ``v`` may be cached for a year (``immutable``).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import threading
import time
import urllib.parse
import weakref
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

from markupsafe import Markup, escape
from PIL import Image, ImageOps, features

from .files import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from .pages import Page
    from .site import Site

log = logging.getLogger("qalam.images")

__all__ = [
    "DEFAULT_SIZES",
    "URL_PREFIX",
    "ImageSet",
    "Renditions",
    "Source",
    "image_attrs",
    "markdown_image_attrs",
    "register",
    "renditions_for",
]

#: Bump when the output of a rendition changes (encoder settings, metadata policy): every
#: rendition key and URL version changes with it.
PIPELINE = 1
URL_PREFIX = "/_qalam/img/"
#: The default theme's article column is ``.content { max-width: 44rem }``.
DEFAULT_SIZES = "(max-width: 44rem) 100vw, 44rem"
DEFAULT_WIDTHS = (480, 800, 1200)
MIN_WIDTH, MAX_WIDTH = 16, 8192

#: File extension -> the format of renditions in the original format.
RASTER_EXTS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}
#: Served as they are, with their intrinsic size when Pillow can read it from the header.
AS_IS_EXTS = {"gif", "svg"}
#: Format name -> the URL segment / file extension of its renditions.
FORMAT_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}
EXT_FORMAT = {v: k for k, v in FORMAT_EXT.items()}
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
#: The only decoders Pillow may use on uploads (MPO: phone JPEGs with extra frames).
_DECODERS = {"jpeg": ["JPEG", "MPO"], "png": ["PNG"], "webp": ["WEBP"]}

EXIF_ORIENTATION = 0x0112
EXIF_ARTIST = 0x013B
EXIF_COPYRIGHT = 0x8298
#: EXIF tags a rendition keeps: the credit. Everything else (GPS IFD, Make, Model,
#: BodySerialNumber, LensModel, DateTime*, ImageDescription, MakerNote, thumbnail) goes.
KEEP_EXIF = (EXIF_ARTIST, EXIF_COPYRIGHT)
#: PNG text keywords kept in PNG renditions (the PNG spec's credit keywords).
KEEP_PNG_TEXT = ("Author", "Copyright")

_MAX_XMP = 512 * 1024
_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
}
#: credit key -> (namespace prefix, XMP property, container: "Seq" | "Alt" | None)
XMP_CREDIT = {
    "creator": ("dc", "creator", "Seq"),
    "rights": ("dc", "rights", "Alt"),
    "credit": ("photoshop", "Credit", None),
    "source": ("photoshop", "Source", None),
    "usage_terms": ("xmpRights", "UsageTerms", "Alt"),
    "web_statement": ("xmpRights", "WebStatement", None),
    "marked": ("xmpRights", "Marked", None),
}
#: IPTC-IIM datasets (record 2) -> credit key: By-line, Credit, Source, Copyright Notice.
IPTC_CREDIT = {(2, 80): "creator", (2, 110): "credit", (2, 115): "source", (2, 116): "rights"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class RenditionError(Exception):
    """This file version cannot have renditions (the reason is logged once)."""


@dataclass(frozen=True)
class Source:
    """One version of one page image, as far as its header tells."""

    rel: str  # path under pages/, POSIX separators
    path: Path
    fmt: str  # "jpeg" | "png" | "webp"
    mtime_ns: int
    size: int
    width: int = 0  # as displayed: EXIF orientation applied
    height: int = 0
    orientation: int = 1
    error: str | None = None  # why there are no renditions (refused, unreadable, animated)

    @property
    def stamp(self) -> tuple:
        return (self.rel, self.mtime_ns, self.size)


@dataclass(frozen=True)
class ImageSet:
    """What a template or the Markdown renderer puts on an ``<img>``.

    ``src`` is the original's URL (``/user/pages/...``, as Grav writes it, the same URL
    feeds and ``og:image`` use); browsers take a candidate from ``srcset`` instead, which
    lists renditions in the original format (safe in a plain ``<img>``). ``srcset_webp``
    has the same widths in WebP, for ``<source type="image/webp">`` in a ``<picture>``
    (empty when WebP is off or the original is WebP already). Both are empty when the
    image has no renditions (SVG, GIF, animated, refused or unreadable).
    ``width``/``height`` are the original's displayed size (``None`` when unknown).
    """

    src: str
    srcset: str = ""
    srcset_webp: str = ""
    sizes: str = ""
    width: int | None = None
    height: int | None = None
    type: str = ""  # the MIME type of ``src``

    def attrs(self, **extra: Any) -> dict[str, str]:
        """``<img>`` attributes (``src``, ``srcset``, ``sizes``, ``width``, ``height``), then ``extra``."""
        out = {"src": self.src}
        if self.srcset:
            out["srcset"] = self.srcset
            out["sizes"] = self.sizes
        if self.width and self.height:
            out["width"] = str(self.width)
            out["height"] = str(self.height)
        for key, value in extra.items():
            if value is not None and value is not False:
                out[key.rstrip("_").replace("_", "-")] = str(value)
        return out

    def __html__(self) -> str:
        """``<img {{ image_attrs(page, name) }} alt="...">`` in a Jinja template."""
        return _attr_html(self.attrs())

    def __str__(self) -> str:
        return self.__html__()

    def picture(self, alt: str = "", **img_attrs: Any) -> Markup:
        """A ``<picture>``: WebP source (when there is one), then the ``<img>``.

        Keyword arguments become ``<img>`` attributes (``class_="x"`` -> ``class``,
        ``fetchpriority="high"``, ``loading="lazy"``).
        """
        img = _attr_html({**self.attrs(**img_attrs), "alt": alt})
        if not self.srcset_webp:
            return Markup(f"<img {img}>")
        source = _attr_html({"type": "image/webp", "srcset": self.srcset_webp, "sizes": self.sizes})
        return Markup(f"<picture><source {source}><img {img}></picture>")


def _attr_html(attrs: dict[str, str]) -> str:
    return " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())


class Renditions:
    """The renditions of one site's page images (see the module docstring)."""

    #: Renditions built at the same time at most (each may hold a decoded image in memory).
    MAX_PARALLEL_BUILDS = 2

    def __init__(self, site: Site, *, max_pixels: int | None = None):
        self.site = site
        self.dir = Path(site.state_dir) / "renditions"
        #: The decompression-bomb limit; ``None`` follows ``PIL.Image.MAX_IMAGE_PIXELS``.
        self.max_pixels = max_pixels
        self.builds = 0  # renditions written by this process (tests, logs)
        self._guard = threading.Lock()
        self._locks: dict[str, list] = {}  # key -> [Lock, users]
        self._probes: OrderedDict[tuple, Source] = OrderedDict()
        self._failed: OrderedDict[tuple, str] = OrderedDict()
        self._building = threading.BoundedSemaphore(self.MAX_PARALLEL_BUILDS)
        self._webp_ok = features.check("webp")

    # --- settings ----------------------------------------------------------------------
    @property
    def widths(self) -> tuple[int, ...]:
        raw = self.site.config.get("qalam.images.widths")
        if raw is None:
            raw = DEFAULT_WIDTHS
        if not isinstance(raw, (list, tuple)):
            raw = [raw]
        out = set()
        for value in raw:
            try:
                width = int(value)
            except (TypeError, ValueError):
                continue
            if MIN_WIDTH <= width <= MAX_WIDTH:
                out.add(width)
        return tuple(sorted(out))

    @property
    def webp(self) -> bool:
        from .config import truthy

        return self._webp_ok and truthy(self.site.config.get("qalam.images.webp", True))

    @property
    def quality(self) -> int:
        try:
            q = int(self.site.config.get("qalam.images.quality") or 82)
        except (TypeError, ValueError):
            q = 82
        return max(1, min(100, q))

    @property
    def pixel_limit(self) -> int | None:
        return self.max_pixels if self.max_pixels is not None else Image.MAX_IMAGE_PIXELS

    def formats(self, source: Source) -> tuple[str, ...]:
        """The original format, plus WebP when it is on."""
        if self.webp and source.fmt != "webp":
            return (source.fmt, "webp")
        return (source.fmt,)

    # --- sources -------------------------------------------------------------------------
    def source(self, rel: str) -> Source | None:
        """The raster page image at ``rel`` (path under pages/), or ``None`` when the path
        is not a page medium or not a JPEG/PNG/WebP file. A source with ``error`` set
        exists but has no renditions."""
        path = self.site.safe_media_path(rel)
        if path is None:
            return None
        fmt = RASTER_EXTS.get(path.suffix.lower().lstrip("."))
        if fmt is None:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        rel = "/".join(part for part in rel.split("/") if part)  # safe_media_path checked it
        key = (rel, st.st_mtime_ns, st.st_size)
        with self._guard:
            hit = self._probes.get(key)
            if hit is not None:
                self._probes.move_to_end(key)
                return hit
        found = self._probe(Source(rel, path, fmt, st.st_mtime_ns, st.st_size))
        with self._guard:
            self._probes[key] = found
            while len(self._probes) > 4096:
                self._probes.popitem(last=False)
        return found

    def _probe(self, src: Source) -> Source:
        """Read the header only: size, orientation, animation; refuse bombs."""
        try:
            with Image.open(src.path, formats=_DECODERS[src.fmt]) as im:
                width, height = im.size
                orientation = _orientation(im.info.get("exif"))
                animated = src.fmt in ("png", "webp") and bool(getattr(im, "is_animated", False))
        except Image.DecompressionBombError as exc:
            log.warning("images: refusing %s (decompression bomb: %s); serving the original", src.rel, exc)
            return _replace(src, error="too many pixels")
        except Exception as exc:  # noqa: BLE001 - any hostile header is "no renditions"
            log.warning("images: cannot read %s (%s); serving the original", src.rel, exc)
            return _replace(src, error=f"unreadable: {exc}")
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        src = _replace(src, width=width, height=height, orientation=orientation)
        limit = self.pixel_limit
        if width <= 0 or height <= 0:
            return _replace(src, error="empty image")
        if limit and width * height > limit:
            log.warning(
                "images: refusing %s: %dx%d is %d pixels, over the limit of %d (decompression bomb?); "
                "serving the original", src.rel, width, height, width * height, limit,
            )
            return _replace(src, error="too many pixels")
        if animated:
            return _replace(src, error="animated")
        return src

    def version(self, source: Source) -> str:
        """Changes whenever a rendition of this source would change."""
        raw = f"{source.mtime_ns}:{source.size}:{self.quality}:{PIPELINE}"
        return hashlib.sha256(raw.encode()).hexdigest()[:10]

    # --- widths and URLs ---------------------------------------------------------------------
    def plan(self, source: Source) -> list[tuple[int, int]]:
        """``(URL width, real width)`` pairs: configured widths under the original's width,
        then the first configured width at or over it, which gives the original's width
        (never upscaled)."""
        out: list[tuple[int, int]] = []
        for width in self.widths:
            if width < source.width:
                out.append((width, width))
            else:
                out.append((width, source.width))
                break
        return out

    def real_width(self, source: Source, url_width: int) -> int:
        return min(url_width, source.width)

    def url(self, source: Source, width: int, fmt: str) -> str:
        return (
            f"{URL_PREFIX}{width}/{FORMAT_EXT[fmt]}/{urllib.parse.quote(source.rel)}"
            f"?v={self.version(source)}"
        )

    def image_set(self, page: Page, filename: str, sizes: str | None = None) -> ImageSet | None:
        """The ``<img>`` data for a medium of ``page``; ``None`` when it is not an image of it."""
        if not filename or filename not in page.node.media:
            return None
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        original = self.site.media_url(page, filename)
        rel = page.node.file_rel(filename)
        if ext in AS_IS_EXTS:
            width, height = self._as_is_size(rel, ext)
            return ImageSet(src=original, width=width, height=height, type=_mime(ext))
        if ext not in RASTER_EXTS:
            return None
        source = self.source(rel)
        if source is None:
            return None
        dims = (source.width or None, source.height or None)
        plan = self.plan(source) if source.error is None else []
        if not plan:
            return ImageSet(src=original, width=dims[0], height=dims[1], type=CONTENT_TYPES[source.fmt])

        def srcset(fmt: str) -> str:
            return ", ".join(f"{self.url(source, w, fmt)} {real}w" for w, real in plan)

        return ImageSet(
            src=original,
            srcset=srcset(source.fmt),
            srcset_webp=srcset("webp") if "webp" in self.formats(source) and source.fmt != "webp" else "",
            sizes=sizes or DEFAULT_SIZES,
            width=source.width,
            height=source.height,
            type=CONTENT_TYPES[source.fmt],
        )

    def _as_is_size(self, rel: str, ext: str) -> tuple[int | None, int | None]:
        if ext != "gif":
            return None, None
        path = self.site.safe_media_path(rel)
        if path is None:
            return None, None
        try:
            with Image.open(path, formats=["GIF"]) as im:
                width, height = im.size
        except Exception:  # noqa: BLE001
            return None, None
        return width, height

    # --- building --------------------------------------------------------------------------------
    def key(self, source: Source, width: int, fmt: str) -> str:
        raw = "\0".join(
            map(str, (PIPELINE, source.rel, source.mtime_ns, source.size, width, fmt, self.quality))
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:40]

    def rendition(self, source: Source, url_width: int, fmt: str) -> Path | None:
        """The rendition file (built on first use); ``None`` when this source cannot have
        one (the caller serves the original). ``url_width`` must be a configured width."""
        if source.error is not None or url_width not in self.widths or fmt not in self.formats(source):
            return None
        if source.stamp in self._failed:
            return None
        width = self.real_width(source, url_width)
        key = self.key(source, width, fmt)
        out = self.dir / f"{key}.{FORMAT_EXT[fmt]}"
        if out.is_file():
            return out
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:  # one build per key; the others wait and find the file
                if out.is_file():
                    return out
                if source.stamp in self._failed:
                    return None
                with self._building:
                    try:
                        self._build(source, width, fmt, out)
                    except Exception as exc:  # noqa: BLE001 - truncated, corrupt, hostile
                        self._fail(source, exc)
                        return None
                return out
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    self._locks.pop(key, None)

    def _fail(self, source: Source, exc: Exception) -> None:
        log.warning("images: cannot make renditions of %s (%s: %s); serving the original",
                    source.rel, type(exc).__name__, exc)
        with self._guard:
            self._failed[source.stamp] = str(exc)
            while len(self._failed) > 4096:
                self._failed.popitem(last=False)

    def _build(self, source: Source, width: int, fmt: str, out: Path) -> None:
        started = time.perf_counter()
        data = make_rendition(source.path, source.fmt, width, fmt, self.quality, self.pixel_limit)
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out, data, durable=False)  # derived: rebuilt if a crash loses it
        with self._guard:
            self.builds += 1
        log.info("images: %s %dw %s built in %.0f ms (%d bytes)", source.rel, width, fmt,
                 (time.perf_counter() - started) * 1000, len(data))


# --- the image work (pure functions of the file) ----------------------------------------------


def make_rendition(path: Path, src_fmt: str, width: int, fmt: str, quality: int, max_pixels: int | None) -> bytes:
    """Encode ``path`` at ``width`` (displayed orientation) as ``fmt`` with the kept metadata."""
    with Image.open(path, formats=_DECODERS[src_fmt]) as im:
        if max_pixels and im.width * im.height > max_pixels:
            raise RenditionError(f"{im.width}x{im.height} is over the pixel limit")
        info = dict(im.info)
        exif = _parse_exif(info.get("exif"))
        credit = _credit(im, info)
        orientation = exif.get(EXIF_ORIENTATION, 1) if exif is not None else 1
        shown_w, shown_h = (im.height, im.width) if orientation in (5, 6, 7, 8) else im.size
        width = max(1, min(width, shown_w))
        height = max(1, round(shown_h * width / shown_w))
        if src_fmt == "jpeg" and width < shown_w:
            # Decode at a reduced DCT scale (memory and time), never below 2x the target.
            stored = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
            im.draft(None, (stored[0] * 2, stored[1] * 2))
        im.load()
        try:
            frame = ImageOps.exif_transpose(im)  # orientation into the pixels, before resizing
        except Exception as exc:  # noqa: BLE001 - a broken EXIF block: keep the pixels as stored
            log.info("images: cannot apply the EXIF orientation of %s (%s)", path.name, exc)
            frame = im.copy()
    if frame.size != (shown_w, shown_h):  # drafted (or not turned): keep the frame's own aspect
        height = max(1, round(frame.height * width / frame.width))
    icc = info.get("icc_profile") or None
    frame, icc = _normalise_mode(frame, icc)
    if frame.size != (width, height):
        frame = frame.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    frame.info = {}  # nothing of the original's info travels implicitly (comment, xmp, exif, dpi)

    kept = Image.Exif()
    for tag in KEEP_EXIF:
        value = exif.get(tag) if exif is not None else None
        if isinstance(value, str) and value.strip("\0 "):
            kept[tag] = value.encode("latin-1", "replace")  # the bytes as written (often UTF-8)
        elif isinstance(value, bytes) and value.strip(b"\0 "):
            kept[tag] = value
    exif_bytes = kept.tobytes() if len(kept) else b""
    xmp = _xmp_packet(credit)

    buf = io.BytesIO()
    options: dict[str, Any] = {}
    if icc:
        options["icc_profile"] = icc
    if exif_bytes:
        options["exif"] = exif_bytes
    if fmt == "jpeg":
        if frame.mode not in ("RGB", "L"):
            frame = frame.convert("RGB")
        if xmp:
            options["xmp"] = xmp
        frame.save(buf, "JPEG", quality=quality, optimize=True, progressive=True, **options)
    elif fmt == "webp":
        if xmp:
            options["xmp"] = xmp
        frame.save(buf, "WEBP", quality=quality, method=4, **options)
    elif fmt == "png":
        from PIL.PngImagePlugin import PngInfo

        text = PngInfo()
        for keyword in KEEP_PNG_TEXT:
            value = info.get(keyword)
            if isinstance(value, str) and value.strip():
                text.add_itxt(keyword, value)
        if xmp:
            text.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        frame.save(buf, "PNG", optimize=True, pnginfo=text, **options)
    else:  # pragma: no cover - formats are checked by the caller
        raise RenditionError(f"unknown format {fmt}")
    return buf.getvalue()


def _normalise_mode(im: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """A mode every encoder takes (RGB, RGBA, L, LA); CMYK to sRGB through its profile."""
    if im.mode in ("RGB", "RGBA", "L", "LA"):
        return im, icc
    if im.mode == "CMYK":
        if icc:
            try:
                from PIL import ImageCms

                srgb = ImageCms.createProfile("sRGB")
                converted = ImageCms.profileToProfile(
                    im, ImageCms.ImageCmsProfile(io.BytesIO(icc)), srgb, outputMode="RGB"
                )
                if converted is not None:
                    return converted, ImageCms.ImageCmsProfile(srgb).tobytes()
            except Exception as exc:  # noqa: BLE001 - a broken profile: plain conversion
                log.info("images: CMYK profile not usable (%s); converting without it", exc)
        return im.convert("RGB"), None
    alpha = im.mode in ("PA", "RGBa", "La") or im.has_transparency_data
    return im.convert("RGBA" if alpha else "RGB"), icc


def _parse_exif(raw: Any) -> Image.Exif | None:
    if not raw or not isinstance(raw, (bytes, bytearray)):
        return None
    try:
        exif = Image.Exif()
        exif.load(bytes(raw))
        return exif
    except Exception:  # noqa: BLE001 - broken EXIF is no EXIF
        return None


def _orientation(raw: Any) -> int:
    exif = _parse_exif(raw)
    if exif is None:
        return 1
    try:
        value = int(exif.get(EXIF_ORIENTATION, 1))
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


def _credit(im: Image.Image, info: dict) -> dict[str, list[str]]:
    """Credit fields of the original's XMP, completed from its IPTC-IIM."""
    credit: dict[str, list[str]] = {}
    raw = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if isinstance(raw, (bytes, bytearray)) and 0 < len(raw) <= _MAX_XMP:
        credit = _xmp_credit(bytes(raw))
    if "photoshop" in info:  # JPEG APP13: IPTC-IIM inside Photoshop resources
        try:
            from PIL import IptcImagePlugin

            iptc = IptcImagePlugin.getiptcinfo(im) or {}
        except Exception:  # noqa: BLE001
            iptc = {}
        for dataset, name in IPTC_CREDIT.items():
            if name in credit or dataset not in iptc:
                continue
            values = iptc[dataset] if isinstance(iptc[dataset], list) else [iptc[dataset]]
            texts = [t for t in (_iptc_text(v) for v in values) if t]
            if texts:
                credit[name] = texts
    return credit


def _iptc_text(value: Any) -> str:
    if not isinstance(value, (bytes, bytearray)):
        return str(value).strip()
    try:
        return bytes(value).decode("utf-8").strip()
    except UnicodeDecodeError:
        # No charset marker: old Kazakh and Russian newsroom software wrote 8-bit Cyrillic;
        # KZ-1048 is Windows-1251 with the Kazakh letters (А-я are the same bytes).
        return bytes(value).decode("kz1048", "replace").strip()


def _xmp_credit(raw: bytes) -> dict[str, list[str]]:
    """The credit properties of an XMP packet (attribute or element form)."""
    try:
        text = raw.decode("utf-8", "replace").strip("\0 \r\n\t\ufeff")
        if "<!DOCTYPE" in text or "<!ENTITY" in text:
            return {}  # no DTDs in XMP: refuse entity games
        root = ET.fromstring(text)
    except Exception:  # noqa: BLE001 - broken XMP is no XMP
        return {}
    out: dict[str, list[str]] = {}
    rdf = "{" + _NS["rdf"] + "}"
    for desc in root.iter(rdf + "Description"):
        for name, (prefix, prop, _container) in XMP_CREDIT.items():
            if name in out:
                continue
            tag = f"{{{_NS[prefix]}}}{prop}"
            values: list[str] = []
            if desc.get(tag):
                values = [desc.get(tag) or ""]
            else:
                el = desc.find(tag)
                if el is not None:
                    items = el.findall(f".//{rdf}li")
                    if items:
                        default = [li for li in items if li.get(_XML_LANG) == "x-default"]
                        chosen = items if prop == "creator" else (default or items)[:1]
                        values = [(li.text or "").strip() for li in chosen]
                    else:
                        values = [(el.text or "").strip()]
            values = [v for v in values if v]
            if values:
                out[name] = values
    return out


def _xmp_packet(credit: dict[str, list[str]]) -> bytes:
    """A minimal XMP packet holding only the credit fields (empty when there are none)."""
    if not credit:
        return b""

    def clean(value: str) -> str:
        return xml_escape(_XML_BAD.sub("", value))

    props = []
    for name, (prefix, prop, container) in XMP_CREDIT.items():
        values = credit.get(name)
        if not values:
            continue
        if container == "Seq":
            items = "".join(f"<rdf:li>{clean(v)}</rdf:li>" for v in values)
            props.append(f"<{prefix}:{prop}><rdf:Seq>{items}</rdf:Seq></{prefix}:{prop}>")
        elif container == "Alt":
            props.append(
                f'<{prefix}:{prop}><rdf:Alt><rdf:li xml:lang="x-default">{clean(values[0])}</rdf:li>'
                f"</rdf:Alt></{prefix}:{prop}>"
            )
        else:
            props.append(f"<{prefix}:{prop}>{clean(values[0])}</{prefix}:{prop}>")
    ns = " ".join(f'xmlns:{p}="{_NS[p]}"' for p in ("dc", "photoshop", "xmpRights"))
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        f'<x:xmpmeta xmlns:x="{_NS["x"]}"><rdf:RDF xmlns:rdf="{_NS["rdf"]}">'
        f'<rdf:Description rdf:about="" {ns}>{"".join(props)}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
    )
    return packet.encode("utf-8")


def _replace(src: Source, **changes: Any) -> Source:
    from dataclasses import replace

    return replace(src, **changes)


def _mime(ext: str) -> str:
    return {"gif": "image/gif", "svg": "image/svg+xml"}.get(ext, "")


# --- per site, for templates and the Markdown renderer ----------------------------------------

_sites: weakref.WeakKeyDictionary[Any, Renditions] = weakref.WeakKeyDictionary()
_sites_lock = threading.Lock()


def renditions_for(site: Site) -> Renditions:
    """The site's :class:`Renditions` (one per Site object)."""
    with _sites_lock:
        found = _sites.get(site)
        if found is None:
            found = _sites[site] = Renditions(site)
        return found


def image_attrs(page: Page, filename: str | None, sizes: str | None = None) -> ImageSet | None:
    """Template global: the ``<img>`` data of the image ``filename`` beside ``page``.

    ``None`` when ``filename`` is not a medium of the page (or not an image). See
    :class:`ImageSet` for the fields; ``{{ ia }}`` prints ``src``/``srcset``/``sizes``/
    ``width``/``height`` attributes and ``{{ ia.picture(alt=...) }}`` a whole ``<picture>``.
    """
    if page is None or not filename:
        return None
    try:
        return renditions_for(page.site).image_set(page, str(filename), sizes)
    except Exception:  # an image never takes a page down
        log.exception("images: cannot describe %s of %s", filename, getattr(page, "route", "?"))
        return None


def markdown_image_attrs(page: Page, filename: str) -> dict[str, str]:
    """For the Markdown renderer: attributes for the ``<img>`` of a medium of ``page``.

    ``srcset``/``sizes`` in the original format (a plain ``<img>`` cannot fall back from
    WebP), the displayed ``width``/``height`` (no layout shift), ``loading="lazy"`` and
    ``decoding="async"``. Empty when ``filename`` is not an image; ``src`` is left to the
    caller (the original's URL, as Grav writes it).
    """
    found = image_attrs(page, filename)
    if found is None:
        return {}
    attrs = {k: v for k, v in found.attrs().items() if k != "src"}
    attrs["loading"] = "lazy"
    attrs["decoding"] = "async"
    return attrs


def register(env: Any) -> None:
    """Add ``image_attrs`` to a Jinja2 environment's globals."""
    env.globals["image_attrs"] = image_attrs
