"""Classes 8 and 10 of docs/security.md: output encodings and headers; correct dates and feed links."""

from __future__ import annotations

import json
import re

import pytest


NASTY = ["</script><script>alert(1)</script>", "<!--", "<!-- x --><script>", "]]>", "&lt;", "a\u2028b\u2029c",
         "</SCRIPT >", "<\\!--"]


def site_files(title: str, extra: str = "") -> dict:
    return {
        "config/system.yaml": "languages:\n  supported: [kk]\n",
        "config/site.yaml": "title: Test\n",
        "pages/01.home/default.kk.md": "---\ntitle: Home\n---\nhome\n",
        "pages/02.news/blog.kk.md": "---\ntitle: News\ncontent:\n  items: '@self.children'\n---\n",
        "pages/02.news/01.a/item.kk.md": f"---\ntitle: {json.dumps(title)}\ndate: 01-11-2026 10:00\n"
                                         f"dateline: {{city: {json.dumps(title)}}}\ntaxonomy:\n  tag: [{json.dumps(title)}]\n"
                                         f"{extra}---\nBody.\n",
    }


def json_ld(html: str) -> tuple[str, dict]:
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    return raw, json.loads(raw)


@pytest.mark.parametrize("title", NASTY)
def test_json_ld_is_valid_json_and_cannot_close_its_element(make_site, client_for, title):
    site = make_site(site_files(title))
    html = client_for(site).get("/kk/news/a").content.decode()
    raw, data = json_ld(html)
    assert data["headline"] == title[:110] and data["dateline"] == title
    assert "<" not in raw and ">" not in raw and "\u2028" not in raw
    assert "<\\!" not in raw  # the old escape: not valid JSON


@pytest.mark.parametrize("name,ctype", [("x.svg", "image/svg+xml"), ("feed.xml", "application/xml"),
                                        ("page.html", "text/html"), ("data.txt", "text/plain"),
                                        ("x.xsl", None)])
def test_script_capable_media_are_sandboxed(make_site, client_for, name, ctype):
    body = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    files = site_files("A")
    files["pages/02.news/01.a/" + name] = body
    files["config/media.yaml"] = "types:\n  xml: {type: file}\n  html: {type: file}\n  txt: {type: file}\n" \
                                 "  xsl: {type: file}\n  svg: {type: image}\n"
    site = make_site(files)
    r = client_for(site).get("/user/pages/02.news/01.a/" + name)
    assert r.status_code == 200, name
    assert "sandbox" in r["Content-Security-Policy"] and "default-src 'none'" in r["Content-Security-Policy"]
    assert r["X-Content-Type-Options"] == "nosniff"


def test_raster_images_are_not_sandboxed(make_site, client_for):
    files = site_files("A")
    files["pages/02.news/01.a/x.png"] = b"\x89PNG\r\n\x1a\n" + b"0" * 30
    r = client_for(make_site(files)).get("/user/pages/02.news/01.a/x.png")
    assert r.status_code == 200 and "Content-Security-Policy" not in r


def test_pages_carry_a_content_security_policy(make_site, client_for):
    site = make_site(site_files("A"))
    client = client_for(site)
    for url in ("/kk/news/a", "/kk/news", "/kk", "/kk/search?q=a", "/kk/nope"):
        csp = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
        assert "object-src 'none'" in csp and "frame-ancestors 'self'" in csp


def test_the_policy_is_configurable(make_site, client_for):
    files = site_files("A")
    files["config/qalam.yaml"] = "csp: \"default-src 'self'; script-src 'self' https://embed.example\"\n"
    r = client_for(make_site(files)).get("/kk/news/a")
    assert r["Content-Security-Policy"] == "default-src 'self'; script-src 'self' https://embed.example"
    files["config/qalam.yaml"] = "csp: false\n"
    assert "Content-Security-Policy" not in client_for(make_site(files)).get("/kk/news/a")


# --- class 10 ---------------------------------------------------------------------------------------------
def test_date_modified_is_the_header_date_not_the_file_time(make_site, client_for):
    site = make_site(site_files("Old article", "import:\n  source_file: a.txt\n"))
    _raw, data = json_ld(client_for(site).get("/kk/news/a").content.decode())
    assert data["datePublished"].startswith("2026-11-01T10:00")
    assert data["dateModified"] == data["datePublished"]  # not today's file time
    site2 = make_site(site_files("Edited", "modified: 05-11-2026 12:00\n"))
    _raw, data = json_ld(client_for(site2).get("/kk/news/a").content.decode())
    assert data["dateModified"].startswith("2026-11-05T12:00")


def test_every_feed_is_advertised(make_site, client_for):
    html = client_for(make_site(site_files("A"))).get("/kk/news/a").content.decode()
    head = html.split("</head>", 1)[0]
    assert '<link rel="alternate" type="application/rss+xml" title="Test" href="/kk/feed.rss"' in head
    assert '<link rel="alternate" type="application/atom+xml" title="Test (Atom)" href="/kk/feed.atom"' in head
    assert '<link rel="alternate" type="application/feed+json" title="Test (JSON Feed)" href="/kk/feed.json"' in head
