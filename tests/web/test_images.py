"""Rendition URLs over HTTP: fixed widths, caching headers, hostile files (docs/images.md)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qalam.content.images import image_attrs, renditions_for

from ..content.test_images import jpeg_bytes, png_bomb

STORY = "02.news/01.story"


@pytest.fixture
def served(make_site, client_for):
    data = jpeg_bytes()
    cut = jpeg_bytes((1200, 900), orientation=1, xmp=None)
    site = make_site({
        "config/site.yaml": "title: T\n",
        "pages/01.home/default.md": "---\ntitle: Home\n---\nhome",
        "pages/02.news/01.story/item.md": "---\ntitle: Story\n---\nText\n\n![Басты фото](photo.jpg)\n",
        "pages/02.news/01.story/photo.jpg": data,
        "pages/02.news/01.story/bomb.png": png_bomb(),
        "pages/02.news/01.story/cut.jpg": cut[: len(cut) // 2],
        "pages/02.news/01.story/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        "pages/02.news/01.story/notes.txt": b"private",
    })
    return site, client_for(site)


def url(site, width, fmt, name="photo.jpg", versioned=True):
    r = renditions_for(site)
    src = r.source(f"{STORY}/{name}")
    return f"/_qalam/img/{width}/{fmt}/{STORY}/{name}" + (f"?v={r.version(src)}" if versioned else "")


def test_rendition_is_served_with_long_cache(served):
    site, client = served
    r = client.get(url(site, 800, "jpg"))
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert r["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Vary" not in r or "Accept" not in r["Vary"]  # one URL, one file: no negotiation
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.size == (800, 1280) and 0x8825 not in im.getexif() and im.getexif()[0x013B] == "Jane Photographer"
    again = client.get(url(site, 800, "jpg"), HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304
    webp = client.get(url(site, 480, "webp"))
    assert webp.status_code == 200 and webp["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(webp.content)).format == "WEBP"
    head = client.head(url(site, 480, "webp"))
    assert head.status_code == 200 and head.content == b""
    assert renditions_for(site).builds == 2


def test_without_current_version_cache_is_short(served):
    site, client = served
    r = client.get(url(site, 800, "jpg", versioned=False))
    assert r.status_code == 200 and r["Cache-Control"] == "public, max-age=3600"
    r = client.get(url(site, 800, "jpg", versioned=False) + "?v=0123456789")
    assert r.status_code == 200 and r["Cache-Control"] == "public, max-age=3600"


def test_only_configured_widths_and_formats(served):
    site, client = served
    for bad in (
        url(site, 801, "jpg"),  # not a configured width
        url(site, 4000, "jpg"),
        url(site, 800, "png"),  # a JPEG has no PNG renditions
        url(site, 800, "gif"),
        url(site, 800, "jpeg"),  # the segment is the rendition's extension
        f"/_qalam/img/abc/jpg/{STORY}/photo.jpg",
        f"/_qalam/img/800/jpg/{STORY}/missing.jpg",
        f"/_qalam/img/800/jpg/{STORY}/notes.txt",
        f"/_qalam/img/800/jpg/{STORY}/logo.svg",  # served as it is, no renditions
        f"/_qalam/img/800/jpg/{STORY}/item.md",
    ):
        assert client.get(bad).status_code == 404, bad
    assert client.post(url(site, 800, "jpg")).status_code == 405


def test_webp_off_means_no_webp_urls(make_site, client_for):
    site = make_site({
        "config/qalam.yaml": "images:\n  webp: false\n",
        "pages/01.home/default.md": "---\ntitle: Home\n---\n![p](photo.jpg)",
        "pages/01.home/photo.jpg": jpeg_bytes(),
    })
    client = client_for(site)
    assert client.get("/_qalam/img/800/webp/01.home/photo.jpg").status_code == 404
    assert client.get("/_qalam/img/800/jpg/01.home/photo.jpg").status_code == 200
    assert "/webp/" not in client.get("/").content.decode()


@pytest.mark.parametrize("path", [
    "/_qalam/img/800/jpg/../config/site.yaml",
    "/_qalam/img/800/jpg/%2e%2e/%2e%2e/config/site.yaml",
    f"/_qalam/img/800/jpg/{STORY}/../01.story/photo.jpg",
    f"/_qalam/img/800/jpg/{STORY}/%2e%2e/01.story/photo.jpg",
    "/_qalam/img/800/jpg//etc/passwd",
    "/_qalam/img/800/jpg/.qalam/index.sqlite3",
    f"/_qalam/img/800/jpg/{STORY}\\photo.jpg",
])
def test_path_escapes_are_404(served, path):
    _site, client = served
    assert client.get(path).status_code == 404


def test_bomb_and_truncated_files_serve_the_original(served, caplog):
    site, client = served
    with caplog.at_level("WARNING", logger="qalam.images"):
        bomb = client.get(url(site, 480, "png", "bomb.png", versioned=False))
        cut = client.get(url(site, 480, "webp", "cut.jpg"))
    original = (site.pages_dir / STORY / "bomb.png").read_bytes()
    assert bomb.status_code == 200 and bomb.content == original and bomb["Content-Type"] == "image/png"
    assert bomb["Cache-Control"] == "public, max-age=300"
    assert cut.status_code == 200 and cut.content == (site.pages_dir / STORY / "cut.jpg").read_bytes()
    assert cut["Cache-Control"] == "public, max-age=300"
    assert "bomb.png" in caplog.text and "cut.jpg" in caplog.text
    assert renditions_for(site).builds == 0
    # The page that shows them still renders.
    assert client.get("/news/story").status_code == 200


def test_page_html_has_srcset_and_urls_work(served):
    _site, client = served
    html = client.get("/news/story").content.decode()
    img = next(tag for tag in html.split("<img")[1:] if 'alt="Басты фото"' in tag.split(">", 1)[0])
    img = img.split(">", 1)[0]
    assert "srcset=" in img and 'sizes="' in img and 'width="1000" height="1600"' in img
    assert 'loading="lazy"' in img and 'decoding="async"' in img
    srcset = img.split('srcset="', 1)[1].split('"', 1)[0]
    candidates = [c.strip().rsplit(" ", 1) for c in srcset.split(",")]
    assert [w for _, w in candidates] == ["480w", "800w", "1000w"]
    for u, w in candidates:
        r = client.get(u.replace("&amp;", "&"))
        assert r.status_code == 200 and r["Cache-Control"].endswith("immutable")
        assert Image.open(io.BytesIO(r.content)).width == int(w[:-1])


def test_changed_original_gets_a_new_version(served):
    site, client = served
    old_url = url(site, 480, "jpg")
    first = client.get(old_url).content
    (site.pages_dir / STORY / "photo.jpg").write_bytes(jpeg_bytes((2400, 1200), orientation=1))
    site.refresh()
    new_url = url(site, 480, "jpg")
    assert new_url != old_url
    assert new_url.split("?")[0] + "?" in client.get("/news/story").content.decode().replace("&amp;", "&")
    fresh = client.get(new_url)
    assert fresh["Cache-Control"].endswith("immutable") and fresh.content != first
    assert Image.open(io.BytesIO(fresh.content)).size == (480, 240)
    stale = client.get(old_url)  # an old page in a cache: the current image, not for long
    assert stale.content == fresh.content and stale["Cache-Control"] == "public, max-age=3600"


def test_image_attrs_in_a_theme_template(served):
    from qalam.render.theme import environment

    site, _client = served
    page = site.tree().find("/news/story")
    env = environment(site)
    out = env.from_string(
        "{% set ia = image_attrs(page, 'photo.jpg') %}<img {{ ia }} alt=\"\">|{{ ia.picture(alt='x') }}"
    )
    html = out.render(page=page)
    ia = image_attrs(page, "photo.jpg")
    assert f'<img src="{ia.src}" srcset="' in html and '<picture><source type="image/webp"' in html
    assert env.from_string("{{ image_attrs(page, 'nope.jpg') is none }}").render(page=page) == "True"
