"""Sitemaps and robots.txt, parsed as XML with the sitemap, news and XHTML namespaces."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from ..conftest import DEMO, NOW, write_site
from .test_feeds import SYSTEM, article_md, news_files

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
}
BASE = "http://localhost"


def xml_of(response) -> ET.Element:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return ET.fromstring(response.content)


def urlset(client, path: str) -> dict[str, ET.Element]:
    root = xml_of(client.get(path))
    assert root.tag == f"{{{NS['sm']}}}urlset"
    return {u.findtext("sm:loc", namespaces=NS): u for u in root.findall("sm:url", NS)}


def index_locs(client) -> list[str]:
    root = xml_of(client.get("/sitemap.xml"))
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    return [s.findtext("sm:loc", namespaces=NS) for s in root.findall("sm:sitemap", NS)]


def hreflangs(url: ET.Element) -> dict[str, str]:
    links = url.findall("xhtml:link", NS)
    assert all(link.get("rel") == "alternate" for link in links)
    return {link.get("hreflang"): link.get("href") for link in links}


def not_found(client, path: str) -> bool:
    """404, directly or after the dispatcher's redirect to the language-prefixed path."""
    r = client.get(path)
    if r.status_code == 302:
        r = client.get(r["Location"])
    return r.status_code == 404


@pytest.fixture
def news(make_site, client_for):
    site = make_site(news_files())
    return site, client_for(site)


# --- index and language sitemaps ------------------------------------------------------------
def test_index_lists_every_sitemap(news):
    _site, client = news
    assert index_locs(client) == [
        f"{BASE}/sitemap-kk.xml", f"{BASE}/sitemap-kk-latn.xml", f"{BASE}/sitemap-ru.xml",
        f"{BASE}/sitemap-en.xml", f"{BASE}/sitemap-news.xml",
    ]
    root = xml_of(client.get("/sitemap.xml"))
    lastmods = [s.findtext("sm:lastmod", namespaces=NS) for s in root.findall("sm:sitemap", NS)]
    assert lastmods[3] is None  # nothing is written in English: no lastmod
    for m in lastmods[:3] + lastmods[4:]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", m)


def test_language_sitemap_lists_published_routable_pages(news):
    _site, client = news
    urls = urlset(client, "/sitemap-kk.xml")
    assert sorted(urls) == sorted(f"{BASE}{p}" for p in (
        "/kk", "/kk/news", "/kk/news/fresh", "/kk/news/older", "/kk/news/hidden", "/kk/culture",
        "/kk/culture/concert", "/kk/about",
    ))  # no draft, no scheduled page
    assert list(urls)[0] == f"{BASE}/kk"  # home first
    for url in urls.values():
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", url.findtext("sm:lastmod", namespaces=NS))
    # Russian: only pages written in Russian (the Kazakh fallbacks under /ru/ are not listed).
    assert sorted(urlset(client, "/sitemap-ru.xml")) == [f"{BASE}/ru", f"{BASE}/ru/news", f"{BASE}/ru/news/fresh"]
    assert urlset(client, "/sitemap-en.xml") == {}


def test_hreflang_alternates_with_x_default_and_the_latin_edition(news):
    _site, client = news
    kk = urlset(client, "/sitemap-kk.xml")
    assert hreflangs(kk[f"{BASE}/kk/news/fresh"]) == {
        "kk": f"{BASE}/kk/news/fresh",
        "ru": f"{BASE}/ru/news/fresh",
        "kk-Latn": f"{BASE}/kk-latn/news/fresh",
        "x-default": f"{BASE}/kk/news/fresh",
    }
    assert hreflangs(kk[f"{BASE}/kk/about"]) == {
        "kk": f"{BASE}/kk/about", "kk-Latn": f"{BASE}/kk-latn/about", "x-default": f"{BASE}/kk/about",
    }
    # Reciprocal: the Russian page names the Kazakh one, x-default stays the default language.
    ru = urlset(client, "/sitemap-ru.xml")
    assert hreflangs(ru[f"{BASE}/ru/news/fresh"]) == hreflangs(kk[f"{BASE}/kk/news/fresh"])
    # The Latin edition has its own sitemap with the same alternates.
    latn = urlset(client, "/sitemap-kk-latn.xml")
    assert set(latn) == {u.replace("/kk", "/kk-latn", 1) for u in kk}
    assert hreflangs(latn[f"{BASE}/kk-latn/news/fresh"]) == hreflangs(kk[f"{BASE}/kk/news/fresh"])


def test_sitemap_alternates_match_the_page_head(news):
    _site, client = news
    html = client.get("/kk/news/fresh").content.decode()
    head = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))
    assert head == hreflangs(urlset(client, "/sitemap-kk.xml")[f"{BASE}/kk/news/fresh"])


def test_pages_excluded_by_their_header(make_site, client_for):
    site = make_site(news_files(**{
        "pages/05.thanks/default.kk.md": "---\ntitle: Рахмет\nsitemap: {ignore: true}\n---\n",
        "pages/06.private/default.kk.md": "---\ntitle: Жеке\nmetadata: {robots: 'noindex, nofollow'}\n---\n",
        "pages/07.old/default.kk.md": "---\ntitle: Ескі\nredirect: /about\n---\n",
    }))
    urls = urlset(client_for(site), "/sitemap-kk.xml")
    assert f"{BASE}/kk/about" in urls
    assert not {f"{BASE}/kk/thanks", f"{BASE}/kk/private", f"{BASE}/kk/old"} & set(urls)


def test_site_without_languages_has_one_sitemap_without_alternates(make_site, client_for):
    site = make_site({
        "config/site.yaml": "title: Blog\n",
        "config/qalam.yaml": "site_type: blog\nsite_url: https://blog.example.kz\n",
        "pages/01.home/default.md": "---\ntitle: Home\n---\n",
        "pages/02.post/item.md": "---\ntitle: Post\ndate: '20-11-2026 10:00'\n---\n",
    })
    client = client_for(site)
    assert index_locs(client) == ["https://blog.example.kz/sitemap-pages.xml"]
    urls = urlset(client, "/sitemap-pages.xml")
    assert set(urls) == {"https://blog.example.kz/", "https://blog.example.kz/post"}
    assert all(not hreflangs(u) for u in urls.values())
    # A blog has no Google News sitemap.
    assert client.get("/sitemap-news.xml").status_code == 404
    assert "sitemap-news" not in client.get("/robots.txt").content.decode()


# --- Google News ------------------------------------------------------------------------------
def almaty(dt: datetime) -> str:
    """A header date ('d-m-Y H:i' in Asia/Almaty, UTC+5 since 2024)."""
    return (dt + timedelta(hours=5)).strftime("%d-%m-%Y %H:%M")


def window_site_files() -> dict:
    files = {
        "config/system.yaml": SYSTEM,
        "config/site.yaml": "title: Qalam Times\n",
        "config/qalam.yaml": "publisher: {name: 'Qalam Agency'}\n",
        "pages/01.home/default.kk.md": "---\ntitle: Home\n---\n",
        "pages/02.news/blog.kk.md": "---\ntitle: News\n---\n",
    }
    stories = {
        "01.one-hour": (NOW - timedelta(hours=1), ""),
        "02.forty-seven-hours": (NOW - timedelta(hours=47), ""),
        "03.forty-nine-hours": (NOW - timedelta(hours=49), ""),
        "04.dated-ahead": (NOW + timedelta(hours=1), ""),
        "05.scheduled": (NOW - timedelta(hours=2), f"publish_date: '{almaty(NOW + timedelta(hours=3))}'\n"),
        "06.draft": (NOW - timedelta(hours=3), "published: false\n"),
    }
    for folder, (when, extra) in stories.items():
        files[f"pages/02.news/{folder}/item.kk.md"] = article_md(f"Kk {folder[3:]}", almaty(when), extra)
    files["pages/02.news/01.one-hour/item.ru.md"] = article_md("Ру один час & <b>", almaty(NOW - timedelta(hours=1)))
    files["pages/02.news/02.forty-seven-hours/item.en.md"] = article_md("En 47 h", almaty(NOW - timedelta(hours=47)))
    return files


def news_entries(client, path="/sitemap-news.xml") -> dict[str, dict]:
    root = xml_of(client.get(path))
    out = {}
    for url in root.findall("sm:url", NS):
        n = url.find("news:news", NS)
        out[url.findtext("sm:loc", namespaces=NS)] = {
            "name": n.findtext("news:publication/news:name", namespaces=NS),
            "language": n.findtext("news:publication/news:language", namespaces=NS),
            "date": n.findtext("news:publication_date", namespaces=NS),
            "title": n.findtext("news:title", namespaces=NS),
        }
    return out


def test_news_sitemap_has_the_last_two_days_only(make_site, client_for):
    site = make_site(window_site_files())
    entries = news_entries(client_for(site))
    assert list(entries) == [  # newest first; 49 h old, dated ahead, scheduled and draft left out
        f"{BASE}/kk/news/one-hour", f"{BASE}/ru/news/one-hour",
        f"{BASE}/kk/news/forty-seven-hours", f"{BASE}/en/news/forty-seven-hours",
    ]
    assert entries[f"{BASE}/ru/news/one-hour"] == {
        "name": "Qalam Agency",  # qalam.publisher.name before the site title
        "language": "ru",
        "date": "2026-11-23T16:00:00+05:00",
        "title": "Ру один час & <b>",
    }
    assert [e["language"] for e in entries.values()] == ["kk", "ru", "kk", "en"]
    for e in entries.values():
        published = datetime.fromisoformat(e["date"])
        assert NOW - timedelta(days=2) < published <= NOW


def test_news_sitemap_follows_the_clock(tmp_path, client_for):
    from qalam.content.site import Site
    clock = {"now": NOW}
    site = Site(write_site(tmp_path / "site", window_site_files()), state_dir=tmp_path / "state",
                clock=lambda: clock["now"])
    try:
        client = client_for(site)
        assert len(news_entries(client)) == 4
        clock["now"] = NOW + timedelta(hours=2)  # 47 h -> 49 h old; the dated-ahead one arrives
        assert [u.rsplit("/", 1)[1] for u in news_entries(client)] == ["dated-ahead", "one-hour", "one-hour"]
        clock["now"] = NOW + timedelta(hours=4)  # the scheduled article is published
        assert "scheduled" in {u.rsplit("/", 1)[1] for u in news_entries(client)}
    finally:
        site.close()


def test_news_sitemap_splits_at_1000_entries(make_site, client_for):
    files = {
        "config/system.yaml": SYSTEM,
        "config/site.yaml": "title: Qalam Times\n",
        "pages/01.home/default.kk.md": "---\ntitle: Home\n---\n",
        "pages/02.news/blog.kk.md": "---\ntitle: News\n---\n",
    }
    for i in range(1200):
        when = NOW - timedelta(minutes=2 * i + 1)  # 1,200 articles within the last 40 hours
        files[f"pages/02.news/a{i:04d}/item.kk.md"] = article_md(f"Story {i}", almaty(when))
    files["pages/02.news/old/item.kk.md"] = article_md("Old", almaty(NOW - timedelta(days=3)))
    client = client_for(make_site(files))
    locs = index_locs(client)
    assert locs[-2:] == [f"{BASE}/sitemap-news.xml", f"{BASE}/sitemap-news-2.xml"]
    first, second = news_entries(client), news_entries(client, "/sitemap-news-2.xml")
    assert (len(first), len(second)) == (1000, 200)
    assert set(first).isdisjoint(second)
    assert {u.rsplit("/", 1)[1] for u in [*first, *second]} == {f"a{i:04d}" for i in range(1200)}
    assert min(e["date"] for e in first.values()) >= max(e["date"] for e in second.values())
    for path in ("/sitemap-news-3.xml", "/sitemap-news-1.xml"):  # pages past the end, the first by number
        assert not_found(client, path), path
    # The language sitemap is one file (Django's 50,000-URL limit) with the old article too.
    assert len(urlset(client, "/sitemap-kk.xml")) == 1203


# --- robots.txt and the demo -------------------------------------------------------------------
def test_robots_txt(make_site, client_for):
    site = make_site(news_files(**{"config/qalam.yaml": "site_url: https://qalam.example.kz\n"}))
    r = client_for(site).get("/robots.txt")
    assert r["Content-Type"] == "text/plain; charset=utf-8"
    assert r["Cache-Control"] == "public, max-age=300"
    assert r.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /_qalam/view",
        "Allow: /",
        "",
        "Sitemap: https://qalam.example.kz/sitemap.xml",
        "Sitemap: https://qalam.example.kz/sitemap-news.xml",
    ]


def test_robots_txt_uses_the_request_host_without_site_url(news):
    site, client = news
    site.config.data["qalam"]["hosts"] = ["news.example.kz"]  # only hosts the site lists are believed
    lines = client.get("/robots.txt", HTTP_HOST="news.example.kz").content.decode().splitlines()
    assert "Sitemap: http://news.example.kz/sitemap.xml" in lines


def test_sitemap_headers_and_unknown_files(news):
    _site, client = news
    r = client.get("/sitemap-kk.xml")
    assert r["Cache-Control"] == "public, max-age=300" and r["ETag"]
    assert client.get("/sitemap-kk.xml", HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304
    # Names of no sitemap go to the page dispatcher (which adds the language prefix, then finds nothing).
    for path in ("/sitemap-de.xml", "/sitemap-kk-2.xml", "/sitemap-pages.xml", "/sitemap-KK.xml"):
        assert not_found(client, path), path


def test_demo_site_sitemaps(tmp_path, client_for):
    from qalam.content.site import Site

    site = Site(DEMO, state_dir=tmp_path / "state", clock=lambda: NOW)
    try:
        client = client_for(site)
        kk = urlset(client, "/sitemap-kk.xml")
        seed = kk[f"{BASE}/kk/news/2022-07-20-experts-visit"]
        assert hreflangs(seed)["x-default"] == f"{BASE}/kk/news/2022-07-20-experts-visit"
        assert hreflangs(seed)["ru"] == f"{BASE}/ru/news/2022-07-20-experts-visit"
        assert f"{BASE}/kk/news/2030-01-01-scheduled" not in kk and f"{BASE}/kk/news/draft" not in kk
        for entry in news_entries(client).values():
            assert entry["language"] in ("kk", "ru", "en") and entry["name"] == "Qalam Demo"
            assert NOW - timedelta(days=2) < datetime.fromisoformat(entry["date"]) <= NOW
    finally:
        site.close()



def test_fast_urlset_writer_gives_exactly_the_generators_bytes():
    """write_urlset builds the XML directly; the bytes must equal Django's generator's."""
    import io
    from datetime import datetime, timedelta, timezone

    from qalam.news.sitemaps import _write_urlset_generic, write_urlset

    class Out(io.BytesIO):
        def write(self, data):  # what HttpResponse does with text and bytes
            return super().write(data.encode("utf-8") if isinstance(data, str) else data)

    tz = timezone(timedelta(hours=5))
    urls = [
        {"location": "https://example.kz/kk/news/a?b=1&c=\"2\"", "lastmod": datetime(2026, 11, 22, 10, 15, tzinfo=tz),
         "alternates": [{"lang_code": "kk", "location": "https://example.kz/kk/news/a'b"},
                        {"lang_code": "x-default", "location": "https://example.kz/<кез келген>&\"'"}]},
        {"location": "https://example.kz/ru/новости/%D0%B0", "lastmod": None, "alternates": []},
        {"location": "https://example.kz/en/x\ty", "lastmod": datetime(2020, 7, 6, 21, 35, tzinfo=tz)},
    ]
    fast, generic = Out(), Out()
    write_urlset(fast, urls)
    _write_urlset_generic(generic, urls)
    assert fast.getvalue() == generic.getvalue()
