"""Responsive images: renditions, metadata policy, caching, hostile files (docs/images.md)."""

from __future__ import annotations

import io
import struct
import threading
import zlib

import pytest
from PIL import Image, ImageCms

from qalam.content.images import (
    DEFAULT_SIZES,
    EXIF_ARTIST,
    EXIF_COPYRIGHT,
    ImageSet,
    Renditions,
    image_attrs,
    renditions_for,
)

RED, BLUE = (220, 20, 20), (20, 20, 220)
MAKE, MODEL, DESCRIPTION, SOFTWARE = 0x010F, 0x0110, 0x010E, 0x0131
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
BODY_SERIAL, LENS_MODEL = 0xA431, 0xA434
ARTIST_KK = "Айгүл Сәрсенова"

XMP_IN = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
  xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
  exif:GPSLatitude="43,15.5N" exif:GPSLongitude="76,55.2E" tiff:Make="Canon" xmpRights:Marked="True">
 <dc:creator><rdf:Seq><rdf:li>Aigul Sarsenova</rdf:li></rdf:Seq></dc:creator>
 <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© Qalam News 2026</rdf:li></rdf:Alt></dc:rights>
 <dc:description><rdf:Alt><rdf:li xml:lang="x-default">At her home, 12 Abay street</rdf:li></rdf:Alt></dc:description>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def two_halves(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    im = Image.new(mode, size, RED if mode == "RGB" else RED + (255,))
    w, h = size
    im.paste(BLUE if mode == "RGB" else BLUE + (128,), (w // 2, 0, w, h))
    return im


def full_exif(orientation: int = 6, artist: str | bytes = "Jane Photographer") -> Image.Exif:
    exif = Image.Exif()
    exif[EXIF_ARTIST] = artist
    exif[EXIF_COPYRIGHT] = "(c) Qalam News"
    exif[MAKE] = "Canon"
    exif[MODEL] = "EOS R5"
    exif[DESCRIPTION] = "At her home, 12 Abay street"
    exif[SOFTWARE] = "Camera firmware 1.8"
    exif[0x0112] = orientation
    sub = exif.get_ifd(EXIF_IFD)
    sub[BODY_SERIAL] = "SN-0042-SECRET"
    sub[LENS_MODEL] = "RF24-70mm"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (43.0, 15.0, 30.0)
    gps[3] = "E"
    gps[4] = (76.0, 55.0, 12.0)
    return exif


def jpeg_bytes(size=(1600, 1000), *, orientation=6, exif: Image.Exif | None = None, xmp: str | None = XMP_IN,
               icc: bool = True, comment: bytes = b"shot at home", iptc: dict | None = None) -> bytes:
    buf = io.BytesIO()
    options = {"exif": (exif or full_exif(orientation)).tobytes(), "quality": 90, "comment": comment}
    if xmp:
        options["xmp"] = xmp.encode("utf-8")
    if icc:
        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    two_halves(size).save(buf, "JPEG", **options)
    data = buf.getvalue()
    if iptc:
        data = data[:2] + _app13(iptc) + data[2:]
    return data


def _app13(datasets: dict[tuple[int, int], bytes]) -> bytes:
    """A JPEG APP13 segment: Photoshop resource 0x0404 holding IPTC-IIM datasets."""
    iim = b"".join(b"\x1c" + bytes(k) + struct.pack(">H", len(v)) + v for k, v in datasets.items())
    if len(iim) % 2:
        iim += b"\0"
    body = b"Photoshop 3.0\x00" + b"8BIM" + b"\x04\x04" + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width=30000, height=30000) -> bytes:
    """A few hundred bytes that claim 900 million pixels (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def site_with(make_site, media: dict[str, bytes], body: str = "", config: str = "", header: str = ""):
    files = {
        "config/site.yaml": "title: T\n",
        "pages/01.home/default.md": "---\ntitle: Home\n---\nhome",
        "pages/02.news/01.story/item.md": f"---\ntitle: Story\n{header}---\n{body}",
        **{f"pages/02.news/01.story/{name}": data for name, data in media.items()},
    }
    if config:
        files["config/qalam.yaml"] = config
    site = make_site(files)
    return site, site.tree().find("/news/story")


def rel(name: str) -> str:
    return f"02.news/01.story/{name}"


@pytest.fixture
def photo_site(make_site):
    return site_with(make_site, {"photo.jpg": jpeg_bytes()})


def test_renditions_in_configured_widths_never_upscaled(photo_site):
    site, _page = photo_site
    r = renditions_for(site)
    assert r.widths == (480, 800, 1200)
    src = r.source(rel("photo.jpg"))
    # Orientation 6: the stored 1600x1000 image is shown 1000 wide, 1600 high.
    assert (src.width, src.height, src.orientation, src.error) == (1000, 1600, 6, None)
    assert r.plan(src) == [(480, 480), (800, 800), (1200, 1000)]
    for width, expected in ((480, (480, 768)), (800, (800, 1280)), (1200, (1000, 1600))):
        for fmt, pil in (("jpeg", "JPEG"), ("webp", "WEBP")):
            path = r.rendition(src, width, fmt)
            assert path.parent == site.state_dir / "renditions"
            with Image.open(path) as im:
                assert im.format == pil and im.size == expected


def test_orientation_is_applied_to_the_pixels(photo_site):
    site, _page = photo_site
    r = renditions_for(site)
    src = r.source(rel("photo.jpg"))
    with Image.open(r.rendition(src, 480, "jpeg")) as im:
        assert 0x0112 not in im.getexif()  # nothing left to turn
        rgb = im.convert("RGB")
        w, h = rgb.size
        top, bottom = rgb.getpixel((w // 2, 10)), rgb.getpixel((w // 2, h - 10))
    # Orientation 6 turns the picture clockwise: the stored left half (red) ends on top.
    assert top[0] > 150 and top[2] < 90
    assert bottom[2] > 150 and bottom[0] < 90


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_gps_and_camera_data_go_credit_stays(make_site, fmt):
    iptc = {(2, 110): b"Kazinform", (2, 115): "Қазақпарат".encode("kz1048"), (2, 80): b"Other",
            (2, 25): b"home address"}
    site, _page = site_with(make_site, {"photo.jpg": jpeg_bytes(iptc=iptc)})
    r = renditions_for(site)
    with Image.open(r.source(rel("photo.jpg")).path) as original:  # the test image really has it all
        assert original.getexif()[MAKE] == "Canon" and original.getexif().get_ifd(GPS_IFD)
        assert original.info.get("comment") and original.info.get("photoshop")
    path = r.rendition(r.source(rel("photo.jpg")), 800, fmt)
    with Image.open(path) as im:
        exif = im.getexif()
        assert exif[EXIF_ARTIST] == "Jane Photographer"
        assert exif[EXIF_COPYRIGHT] == "(c) Qalam News"
        for tag in (MAKE, MODEL, DESCRIPTION, SOFTWARE):
            assert tag not in exif
        assert dict(exif.get_ifd(GPS_IFD)) == {} and dict(exif.get_ifd(EXIF_IFD)) == {}
        assert im.info.get("icc_profile")  # the colour profile stays
        assert "comment" not in im.info and "photoshop" not in im.info
        xmp = im.info["xmp"].decode("utf-8")
        raw = im.getexif().tobytes()
    assert "© Qalam News 2026" in xmp and "Aigul Sarsenova" in xmp and "<xmpRights:Marked>True<" in xmp
    assert "<photoshop:Credit>Kazinform</photoshop:Credit>" in xmp  # from IPTC
    assert "<photoshop:Source>Қазақпарат</photoshop:Source>" in xmp  # 8-bit IPTC read as KZ-1048
    assert "Other" not in xmp  # the XMP creator wins over IPTC By-line
    assert "GPS" not in xmp and "Canon" not in xmp and "Abay" not in xmp
    assert b"Canon" not in raw and b"SECRET" not in raw and b"Abay" not in raw
    data = path.read_bytes()
    for secret in (b"SN-0042-SECRET", b"EOS R5", b"Abay", b"shot at home", b"home address", b"firmware"):
        assert secret not in data


def test_utf8_artist_bytes_survive(make_site):
    exif = full_exif(1, artist=ARTIST_KK.encode("utf-8"))
    site, _page = site_with(make_site, {"photo.jpg": jpeg_bytes(exif=exif, xmp=None)})
    r = renditions_for(site)
    for fmt in ("jpeg", "webp"):
        with Image.open(r.rendition(r.source(rel("photo.jpg")), 480, fmt)) as im:
            # Pillow shows EXIF ASCII as Latin-1; the bytes are the UTF-8 the camera app wrote.
            assert im.getexif()[EXIF_ARTIST].encode("latin-1").decode("utf-8") == ARTIST_KK
            assert "xmp" not in im.info or not im.info["xmp"]  # no credit in XMP/IPTC: no packet


def test_png_keeps_alpha_and_credit_text(make_site):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Designer")
    info.add_text("Comment", "draft from home")
    info.add_text("Copyright", "Qalam")
    buf = io.BytesIO()
    two_halves((900, 300), "RGBA").save(buf, "PNG", pnginfo=info)
    site, _page = site_with(make_site, {"chart.png": buf.getvalue()})
    r = renditions_for(site)
    src = r.source(rel("chart.png"))
    assert r.formats(src) == ("png", "webp")
    with Image.open(r.rendition(src, 480, "png")) as im:
        assert im.format == "PNG" and im.mode == "RGBA" and im.size == (480, 160)
        assert im.info.get("Author") == "Designer" and im.info.get("Copyright") == "Qalam"
        assert "Comment" not in im.info
        assert im.getpixel((470, 80))[3] == 128  # the half-transparent half stays so
    with Image.open(r.rendition(src, 480, "webp")) as im:
        assert im.format == "WEBP" and im.mode == "RGBA"


def test_cmyk_is_converted_to_rgb(make_site):
    buf = io.BytesIO()
    Image.new("CMYK", (900, 600), (0, 255, 255, 0)).save(buf, "JPEG")
    site, _page = site_with(make_site, {"print.jpg": buf.getvalue()})
    r = renditions_for(site)
    with Image.open(r.rendition(r.source(rel("print.jpg")), 480, "webp")) as im:
        assert im.mode == "RGB"
        red, green, blue = im.getpixel((10, 10))
        assert red > 150 and green < 90 and blue < 90


def test_built_once_even_when_asked_at_once(photo_site):
    site, _page = photo_site
    r = renditions_for(site)
    src = r.source(rel("photo.jpg"))
    paths, errors = [], []

    def ask():
        try:
            paths.append(r.rendition(src, 800, "webp"))
        except Exception as exc:  # noqa: BLE001 - shown by the assert
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(paths)) == 1 and r.builds == 1
    mtime = paths[0].stat().st_mtime_ns
    assert r.rendition(src, 800, "webp") == paths[0] and r.builds == 1
    assert paths[0].stat().st_mtime_ns == mtime
    # A fresh Renditions (a restarted server) finds the file on disk.
    again = Renditions(site)
    assert again.rendition(again.source(rel("photo.jpg")), 800, "webp") == paths[0] and again.builds == 0
    assert not list((site.state_dir / "renditions").glob(".tmp-*"))


def test_widths_over_the_original_share_one_file(make_site):
    site, page = site_with(make_site, {"photo.jpg": jpeg_bytes()}, config="images:\n  widths: [480, 1200, 1600]\n")
    r = renditions_for(site)
    src = r.source(rel("photo.jpg"))  # shown 1000 px wide
    assert r.plan(src) == [(480, 480), (1200, 1000)]
    assert r.rendition(src, 1200, "jpeg") == r.rendition(src, 1600, "jpeg") and r.builds == 1
    assert "1600" not in image_attrs(page, "photo.jpg").srcset


def test_changed_original_makes_a_new_rendition(photo_site):
    site, page = photo_site
    r = renditions_for(site)
    before = r.source(rel("photo.jpg"))
    old = r.rendition(before, 480, "jpeg")
    old_version = r.version(before)
    (site.pages_dir / rel("photo.jpg")).write_bytes(jpeg_bytes((2000, 1000), orientation=1))
    after = r.source(rel("photo.jpg"))
    assert (after.width, after.height) == (2000, 1000) and r.version(after) != old_version
    new = r.rendition(after, 480, "jpeg")
    assert new != old and r.builds == 2
    with Image.open(new) as im:
        assert im.size == (480, 240)
    assert f"?v={r.version(after)}" in image_attrs(page, "photo.jpg").srcset


def test_quality_setting_changes_the_key(make_site):
    site, _ = site_with(make_site, {"photo.jpg": jpeg_bytes()}, config="images:\n  quality: 40\n")
    r = renditions_for(site)
    assert r.quality == 40
    low = r.rendition(r.source(rel("photo.jpg")), 800, "jpeg")
    site2, _ = site_with(make_site, {"photo.jpg": jpeg_bytes()})
    r2 = renditions_for(site2)
    high = r2.rendition(r2.source(rel("photo.jpg")), 800, "jpeg")
    assert low.name != high.name and low.stat().st_size < high.stat().st_size


def test_settings_widths_and_webp_off(make_site):
    site, page = site_with(
        make_site, {"photo.jpg": jpeg_bytes(orientation=1)},
        config="images:\n  widths: [1000, 320, 'x', 99999, 640, 320]\n  webp: false\n",
    )
    r = renditions_for(site)
    assert r.widths == (320, 640, 1000)
    src = r.source(rel("photo.jpg"))
    assert r.formats(src) == ("jpeg",)
    assert r.rendition(src, 640, "webp") is None  # not a format this site makes
    assert r.rendition(src, 480, "jpeg") is None  # not a configured width
    ia = image_attrs(page, "photo.jpg")
    assert ia.srcset_webp == "" and ia.srcset.count("w,") == 2 and ia.srcset.endswith(" 1000w")


def test_image_set_for_templates(photo_site):
    site, page = photo_site
    ia = image_attrs(page, "photo.jpg", sizes="(min-width: 56rem) 44rem, 100vw")
    assert isinstance(ia, ImageSet)
    v = renditions_for(site).version(renditions_for(site).source(rel("photo.jpg")))
    base = "/_qalam/img/{w}/{f}/02.news/01.story/photo.jpg?v=" + v
    assert ia.src == "/user/pages/02.news/01.story/photo.jpg"  # as Grav writes it; browsers use srcset
    assert ia.srcset == ", ".join(
        [base.format(w=480, f="jpg") + " 480w", base.format(w=800, f="jpg") + " 800w",
         base.format(w=1200, f="jpg") + " 1000w"]
    )
    assert ia.srcset_webp == ia.srcset.replace("/jpg/", "/webp/")
    assert (ia.width, ia.height, ia.sizes, ia.type) == (1000, 1600, "(min-width: 56rem) 44rem, 100vw", "image/jpeg")
    assert image_attrs(page, "photo.jpg").sizes == DEFAULT_SIZES
    html = ia.__html__()
    assert html.startswith(f'src="{ia.src}" srcset="') and 'width="1000" height="1600"' in html
    pic = str(ia.picture(alt='A "quote"', class_="lead", fetchpriority="high"))
    assert pic.startswith('<picture><source type="image/webp" srcset="/_qalam/img/480/webp/')
    assert 'alt="A &#34;quote&#34;"' in pic and 'class="lead"' in pic and 'fetchpriority="high"' in pic
    assert image_attrs(page, "missing.jpg") is None and image_attrs(page, None) is None


def test_svg_and_gif_are_served_as_they_are(make_site):
    gif = io.BytesIO()
    Image.new("P", (64, 48)).save(gif, "GIF")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    site, page = site_with(make_site, {"anim.gif": gif.getvalue(), "logo.svg": svg})
    g = image_attrs(page, "anim.gif")
    assert (g.src, g.srcset, g.width, g.height) == ("/user/pages/02.news/01.story/anim.gif", "", 64, 48)
    s = image_attrs(page, "logo.svg")
    assert (s.src, s.srcset, s.width, s.type) == ("/user/pages/02.news/01.story/logo.svg", "", None, "image/svg+xml")
    assert renditions_for(site).source(rel("logo.svg")) is None


def test_animated_webp_is_not_flattened(make_site):
    buf = io.BytesIO()
    frames = [Image.new("RGB", (600, 400), c) for c in (RED, BLUE)]
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    site, page = site_with(make_site, {"anim.webp": buf.getvalue()})
    src = renditions_for(site).source(rel("anim.webp"))
    assert src.error == "animated" and renditions_for(site).rendition(src, 480, "webp") is None
    assert image_attrs(page, "anim.webp").src == "/user/pages/02.news/01.story/anim.webp"


def test_decompression_bomb_is_refused_from_its_header(make_site, caplog):
    site, page = site_with(make_site, {"bomb.png": png_bomb()})
    r = renditions_for(site)
    with caplog.at_level("WARNING", logger="qalam.images"):
        src = r.source(rel("bomb.png"))
    assert src.error == "too many pixels"
    assert any("bomb.png" in rec.getMessage() and "decompression bomb" in rec.getMessage() for rec in caplog.records)
    assert r.rendition(src, 480, "png") is None and r.builds == 0
    ia = image_attrs(page, "bomb.png")
    assert ia.src == "/user/pages/02.news/01.story/bomb.png" and ia.srcset == ""


def test_pixel_limit_below_pillows(photo_site, caplog):
    site, _page = photo_site
    small = Renditions(site, max_pixels=1000 * 1000)
    with caplog.at_level("WARNING", logger="qalam.images"):
        src = small.source(rel("photo.jpg"))
    assert src.error == "too many pixels" and "1600000 pixels" in caplog.text
    assert small.rendition(src, 480, "jpeg") is None


def test_truncated_jpeg_fails_once_and_quietly(make_site, caplog, monkeypatch):
    data = jpeg_bytes((1200, 900), orientation=1, xmp=None)
    site, _page = site_with(make_site, {"cut.jpg": data[: len(data) // 2]})
    r = renditions_for(site)
    src = r.source(rel("cut.jpg"))
    assert src.error is None and (src.width, src.height) == (1200, 900)  # the header is fine
    with caplog.at_level("WARNING", logger="qalam.images"):
        assert r.rendition(src, 480, "jpeg") is None
    assert "cut.jpg" in caplog.text and r.builds == 0
    calls = []
    from qalam.content import images

    monkeypatch.setattr(images, "make_rendition", lambda *a, **k: calls.append(a))
    assert r.rendition(src, 800, "webp") is None and calls == []  # remembered: not decoded again


def test_not_an_image_and_disguised_files(make_site):
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    site, page = site_with(make_site, {"trick.jpg": eps, "empty.png": b"", "doc.pdf": b"%PDF-1.4"})
    r = renditions_for(site)
    assert r.source(rel("trick.jpg")).error.startswith("unreadable")
    assert r.source(rel("empty.png")).error.startswith("unreadable")
    assert r.source(rel("doc.pdf")) is None and image_attrs(page, "doc.pdf") is None
    assert image_attrs(page, "trick.jpg").src == "/user/pages/02.news/01.story/trick.jpg"
    for bad in ("../../config/site.yaml", "02.news/01.story/../01.story/photo.jpg", "02.news/01.story/item.md",
                "02.news/01.story", ""):
        assert r.source(bad) is None


def test_markdown_image_gets_srcset_and_size(make_site):
    body = ("![Photo](photo.jpg)\n\n![Eager](photo.jpg?loading=eager)\n\n![Q](photo.jpg?x=1)\n\n"
            "![Far](/news/story/photo.jpg)")
    site, page = site_with(make_site, {"photo.jpg": jpeg_bytes()}, body=body)
    html = site.content(page).html
    ia = image_attrs(page, "photo.jpg")
    first = html.split("<img", 2)[1]
    assert f'src="{ia.src}"' in first and f'srcset="{ia.srcset}"' in first
    assert f'sizes="{DEFAULT_SIZES}"' in first and 'width="1000" height="1600"' in first
    assert 'loading="lazy"' in first and 'decoding="async"' in first and 'alt="Photo"' in first
    second = html.split("<img", 3)[2]
    assert 'loading="eager"' in second and 'loading="lazy"' not in second  # the author's choice wins
    third = html.split("<img", 4)[3]
    assert 'src="/user/pages/02.news/01.story/photo.jpg?x=1"' in third and "srcset=" in third
    assert html.count("srcset=") == 4
    assert "/_qalam/img/" in html and site.content(page).warnings == []
