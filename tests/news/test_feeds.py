"""Feeds: RSS 2.0, Atom, JSON Feed and the Yandex full-text RSS, parsed with real parsers."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import feedparser
import pytest

from ..conftest import DEMO, NOW

# NOW is 2026-11-23 12:00 UTC = 17:00 in Asia/Almaty (UTC+5).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200

SYSTEM = """
    timezone: Asia/Almaty
    languages:
      supported: [kk, ru, en]
      default_lang: kk
    pages:
      dateformat:
        default: 'd-m-Y H:i'
"""


def article_md(title: str, date: str, extra: str = "", body: str = "Лид.\n\n===\n\nТолық мәтін.") -> str:
    return f"---\ntitle: '{title}'\ndate: '{date}'\n{extra}---\n\n{body}\n"


def news_files(**overrides) -> dict:
    """A trilingual news site: two sections, a draft, a scheduled and a hidden article, a fallback."""
    files = {
        "config/system.yaml": SYSTEM,
        "config/site.yaml": "title: Qalam Times\nauthor: {name: Редакция}\nmetadata: {description: 'Жаңалықтар'}\n",
        "pages/01.home/default.kk.md": "---\ntitle: Басты бет\n---\nСәлем\n",
        "pages/01.home/default.ru.md": "---\ntitle: Главная\n---\nПривет\n",
        "pages/02.news/blog.kk.md": "---\ntitle: Жаңалықтар\ncontent: {items: '@self.children'}\n---\n",
        "pages/02.news/blog.ru.md": "---\ntitle: Новости\ncontent: {items: '@self.children'}\n---\n",
        "pages/02.news/01.fresh/item.kk.md": article_md(
            "Жаңа емхана", "23-11-2026 16:00",
            "lead_image: {file: lead.png, credit: 'Д. Әбілова'}\nauthors: ['Айгүл Сейітова', 'Ерлан Нұров']\n"
            "taxonomy: {category: [Денсаулық], tag: [Медицина, ауыл]}\n",
            body='Лид <a href="/kk/about">біз туралы</a>.\n\n===\n\nТолық мәтін: <em>ішінде</em>.\n\n![Сурет](lead.png)',
        ),
        "pages/02.news/01.fresh/item.ru.md": article_md(
            "Новая поликлиника", "23-11-2026 16:00", "taxonomy: {tag: [медицина]}\n", "Лид.\n\n===\n\nПолный текст.",
        ),
        "pages/02.news/01.fresh/lead.png": PNG,
        "pages/02.news/02.older/item.kk.md": article_md(
            "Ескі жаңалық", "01-03-2023 11:00", "taxonomy: {tag: [медицина]}\n"
        ),
        "pages/02.news/03.draft/item.kk.md": article_md("Жоба", "22-11-2026 10:00", "published: false\n"),
        "pages/02.news/04.scheduled/item.kk.md": article_md(
            "Болашақ", "24-11-2026 09:00", "publish_date: '24-11-2026 09:00'\ntaxonomy: {tag: [медицина]}\n"
        ),
        "pages/02.news/05.hidden/item.kk.md": article_md("Жасырын", "22-11-2026 09:00", "hide_from_post_list: true\n"),
        "pages/03.culture/blog.kk.md": "---\ntitle: Мәдениет\n---\n",
        "pages/03.culture/01.concert/item.kk.md": article_md("Концерт", "22-11-2026 19:30", "taxonomy: {tag: [ауыл]}\n"),
        "pages/04.about/default.kk.md": "---\ntitle: Біз туралы\n---\nБіз\n",
    }
    files.update(overrides)
    return files


@pytest.fixture
def news(make_site, client_for):
    site = make_site(news_files())
    return site, client_for(site)


def parse(response):
    assert response.status_code == 200, response.content[:500]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def titles(parsed) -> list[str]:
    return [e.title for e in parsed.entries]


# --- RSS ------------------------------------------------------------------------------------
def test_language_rss_lists_published_articles_newest_first(news):
    _site, client = news
    r = client.get("/kk/feed.rss")
    assert r["Content-Type"] == "application/rss+xml; charset=utf-8"
    feed = parse(r)
    assert feed.version == "rss20"
    assert feed.feed.title == "Qalam Times"
    assert feed.feed.language == "kk"
    assert feed.feed.link == "http://localhost/kk"
    # The draft, the scheduled and the hidden article, other languages and non-articles are left out.
    assert titles(feed) == ["Жаңа емхана", "Концерт", "Ескі жаңалық"]


def test_rss_item_fields(news):
    _site, client = news
    r = client.get("/kk/feed.rss")
    entry = parse(r).entries[0]
    url = "http://localhost/kk/news/fresh"
    assert entry.link == url and entry.id == url
    assert f'<guid isPermaLink="true">{url}</guid>' in r.content.decode()
    # Written in Asia/Almaty: the offset travels with the date.
    assert "<pubDate>Mon, 23 Nov 2026 16:00:00 +0500</pubDate>" in r.content.decode()
    assert datetime(*entry.published_parsed[:6], tzinfo=timezone.utc) == datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)
    # The summary (up to ===) as HTML, with root-relative links made absolute.
    assert entry.summary == '<p>Лид <a href="http://localhost/kk/about">біз туралы</a>.</p>'
    assert entry.author == "Айгүл Сейітова, Ерлан Нұров"
    assert [t.term for t in entry.tags] == ["Жаңалықтар", "Денсаулық", "Медицина", "ауыл"]
    [enclosure] = entry.enclosures
    assert enclosure.href == "http://localhost/user/pages/02.news/01.fresh/lead.png"
    assert enclosure.type == "image/png" and enclosure.length == str(len(PNG))


def test_russian_feed_has_russian_articles_only(news):
    _site, client = news
    feed = parse(client.get("/ru/feed.rss"))
    assert feed.feed.language == "ru"
    # Kazakh-only articles reach /ru/ through the fallback chain, but they are not Russian articles.
    assert titles(feed) == ["Новая поликлиника"]
    assert feed.entries[0].link == "http://localhost/ru/news/fresh"


def test_feed_limit_setting(make_site, client_for):
    site = make_site(news_files(**{"config/qalam.yaml": "feeds: {limit: 2}\n"}))
    feed = parse(client_for(site).get("/kk/feed.rss"))
    assert titles(feed) == ["Жаңа емхана", "Концерт"]


def test_site_url_makes_every_link_absolute_to_it(make_site, client_for):
    site = make_site(news_files(**{"config/qalam.yaml": "site_url: 'https://qalam.example.kz/'\n"}))
    r = client_for(site).get("/kk/feed.rss")
    feed = parse(r)
    assert feed.feed.link == "https://qalam.example.kz/kk"
    assert feed.entries[0].link == "https://qalam.example.kz/kk/news/fresh"
    assert feed.entries[0].enclosures[0].href.startswith("https://qalam.example.kz/user/pages/")
    assert 'href="https://qalam.example.kz/kk/feed.rss" rel="self"' in r.content.decode()
    assert "localhost" not in r.content.decode()


# --- Atom and JSON Feed -----------------------------------------------------------------------
def test_atom_feed(news):
    _site, client = news
    r = client.get("/kk/feed.atom")
    assert r["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = parse(r)
    assert feed.version == "atom10"
    assert feed.feed.language == "kk"
    assert titles(feed) == ["Жаңа емхана", "Концерт", "Ескі жаңалық"]
    entry = feed.entries[0]
    assert entry.published == "2026-11-23T16:00:00+05:00"
    assert entry.author == "Айгүл Сейітова, Ерлан Нұров"
    assert any(link.rel == "enclosure" and link.href.endswith("/lead.png") for link in entry.links)


def test_json_feed(news):
    _site, client = news
    r = client.get("/kk/feed.json")
    assert r["Content-Type"] == "application/feed+json; charset=utf-8"
    data = json.loads(r.content)
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["language"] == "kk"
    assert data["title"] == "Qalam Times" and data["home_page_url"] == "http://localhost/kk"
    assert data["feed_url"] == "http://localhost/kk/feed.json"
    assert data["authors"] == [{"name": "Редакция"}]
    assert [i["title"] for i in data["items"]] == ["Жаңа емхана", "Концерт", "Ескі жаңалық"]
    first = data["items"][0]
    assert first["id"] == first["url"] == "http://localhost/kk/news/fresh"
    assert first["date_published"] == "2026-11-23T16:00:00+05:00"
    assert first["authors"] == [{"name": "Айгүл Сейітова"}, {"name": "Ерлан Нұров"}]
    assert first["image"] == "http://localhost/user/pages/02.news/01.fresh/lead.png"
    assert first["tags"] == ["Жаңалықтар", "Денсаулық", "Медицина", "ауыл"]
    assert first["content_html"].startswith("<p>Лид") and "Толық мәтін" not in first["content_html"]
    assert first["language"] == "kk"


# --- sections and tags ---------------------------------------------------------------------------
def test_section_feed(news):
    _site, client = news
    feed = parse(client.get("/kk/culture/feed.rss"))
    assert titles(feed) == ["Концерт"]
    assert feed.feed.title == "Qalam Times — Мәдениет"
    assert feed.feed.link == "http://localhost/kk/culture"
    assert titles(parse(client.get("/kk/news/feed.atom"))) == ["Жаңа емхана", "Ескі жаңалық"]
    assert client.get("/kk/sport/feed.rss").status_code == 404


MEDICINE = "%D0%BC%D0%B5%D0%B4%D0%B8%D1%86%D0%B8%D0%BD%D0%B0"  # медицина, percent-encoded


def test_tag_feed_with_a_cyrillic_tag(news):
    _site, client = news
    r = client.get(f"/kk/tag/{MEDICINE}/feed.rss")
    feed = parse(r)
    # Tags compare case-insensitively ("Медицина" and "медицина"); the scheduled one is left out.
    assert titles(feed) == ["Жаңа емхана", "Ескі жаңалық"]
    assert feed.feed.title == "Qalam Times — #Медицина"  # as the newest article spells it
    assert f'href="http://localhost/kk/tag/{MEDICINE}/feed.rss" rel="self"' in r.content.decode()
    r = client.get(f"/kk/tag/{MEDICINE}/feed.json")
    assert [i["title"] for i in json.loads(r.content)["items"]] == ["Жаңа емхана", "Ескі жаңалық"]
    # One URL per tag, in lower case: other spellings redirect there.
    r = client.get("/kk/tag/%D0%9C%D0%B5%D0%B4%D0%B8%D1%86%D0%B8%D0%BD%D0%B0/feed.rss")  # Медицина
    assert (r.status_code, r["Location"]) == (302, f"/kk/tag/{MEDICINE}/feed.rss")
    assert client.get("/kk/tag/sport/feed.rss").status_code == 404
    assert titles(parse(client.get(f"/ru/tag/{MEDICINE}/feed.rss"))) == ["Новая поликлиника"]


# --- Yandex full text -----------------------------------------------------------------------------
def test_full_text_rss_for_yandex(news):
    _site, client = news
    r = client.get("/kk/feed-full.rss")
    feed = parse(r)
    assert titles(feed) == ["Жаңа емхана", "Концерт", "Ескі жаңалық"]
    ns = {"yandex": "http://news.yandex.ru"}
    root = ET.fromstring(r.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("channel/item")
    full = items[0].find("yandex:full-text", ns).text
    # The whole article as plain text: summary, body after ===, image caption; no markup.
    assert full.splitlines() == ["Лид біз туралы.", "Толық мәтін: ішінде.", "Сурет"]
    assert items[0].find("yandex:genre", ns).text == "message"
    assert items[0].find("description").text == '<p>Лид <a href="http://localhost/kk/about">біз туралы</a>.</p>'
    assert all(item.find("yandex:full-text", ns) is not None for item in items)
    assert b'xmlns:yandex="http://news.yandex.ru"' in r.content


# --- URLs, headers and the theme ------------------------------------------------------------
def test_feeds_without_the_language_prefix_redirect(news):
    _site, client = news
    for path, target in [("/feed.rss", "/kk/feed.rss"), ("/news/feed.atom", "/kk/news/feed.atom"),
                         ("/KK/feed.json", "/kk/feed.json"), ("/feed-full.rss", "/kk/feed-full.rss")]:
        r = client.get(path)
        assert (r.status_code, r["Location"]) == (302, target), path


def test_paths_that_name_no_feed_go_to_the_pages(news):
    _site, client = news
    for path in ("/kk/news/fresh/feed.rss", "/kk/a/b/feed.rss", "/kk/news/feed.xml", "/kk-latn/feed.rss"):
        r = client.get(path)
        assert r.status_code == 404 and b"<html" in r.content, path
    # Not a language nor a section: the dispatcher adds the language prefix, as for any page path.
    r = client.get("/de/feed.rss")
    assert (r.status_code, r["Location"]) == (302, "/kk/de/feed.rss")


def test_caching_headers_and_conditional_get(news):
    _site, client = news
    r = client.get("/kk/feed.rss")
    assert r["Cache-Control"] == "public, max-age=300"
    assert r["ETag"] and r["Last-Modified"]
    again = client.get("/kk/feed.rss", HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304


def test_site_without_languages(make_site, client_for):
    site = make_site({
        "config/system.yaml": "timezone: Asia/Almaty\npages: {dateformat: {default: 'd-m-Y H:i'}}\n",
        "config/site.yaml": "title: Blog\ndefault_lang: ru\n",
        "pages/01.blog/blog.md": "---\ntitle: Блог\n---\n",
        "pages/01.blog/01.post/item.md": article_md("Пост", "20-11-2026 10:00", "taxonomy: {tag: [жизнь]}\n"),
    })
    client = client_for(site)
    feed = parse(client.get("/feed.rss"))
    assert feed.feed.language == "ru"  # site.default_lang
    assert titles(feed) == ["Пост"] and feed.entries[0].link == "http://localhost/blog/post"
    assert titles(parse(client.get("/blog/feed.atom"))) == ["Пост"]
    assert titles(parse(client.get("/tag/%D0%B6%D0%B8%D0%B7%D0%BD%D1%8C/feed.rss"))) == ["Пост"]
    assert json.loads(client.get("/feed.json").content)["language"] == "ru"
    assert '<link rel="alternate" type="application/rss+xml" title="Blog" href="/feed.rss"' in \
        client.get("/blog/post").content.decode()


def test_default_language_without_prefix(make_site, client_for):
    files = news_files(**{"config/system.yaml": SYSTEM.replace("default_lang: kk", "default_lang: kk\n      include_default_lang: false")})
    client = client_for(make_site(files))
    feed = parse(client.get("/feed.rss"))
    assert feed.feed.language == "kk" and feed.entries[0].link == "http://localhost/news/fresh"
    assert titles(parse(client.get("/news/feed.rss"))) == ["Жаңа емхана", "Ескі жаңалық"]
    assert client.get("/kk/feed.rss")["Location"] == "/feed.rss"
    assert parse(client.get("/ru/feed.rss")).feed.language == "ru"


def test_pages_link_their_language_feed(news):
    _site, client = news
    html = client.get("/kk/news/fresh").content.decode()
    assert '<link rel="alternate" type="application/rss+xml" title="Qalam Times" href="/kk/feed.rss"' in html
    assert 'href="/ru/feed.rss"' in client.get("/ru/news/fresh").content.decode()
    # The Latin edition rewrites links to itself, but there is no Latin feed: this one stays.
    assert 'href="/kk/feed.rss"' in client.get("/kk-latn/news/fresh").content.decode()


def test_demo_site_feeds(tmp_path, client_for):
    from qalam.content.site import Site

    site = Site(DEMO, state_dir=tmp_path / "state", clock=lambda: NOW)
    try:
        client = client_for(site)
        feed = parse(client.get("/kk/feed.rss"))
        names = titles(feed)
        assert "Сарапшының сапары" in names  # the unchanged Grav seed page
        assert "Болашақта жарияланатын жаңалық" not in names and "Жоба: әлі жарияланбаған" not in names
        dates = [e.published_parsed for e in feed.entries]
        assert dates == sorted(dates, reverse=True)
        assert re.search(r"<pubDate>Wed, 20 Jul 2022 10:00:00 \+0600</pubDate>", client.get("/kk/feed.rss").content.decode())
        for path in ("/ru/feed.atom", "/en/feed.rss", "/kk/news/feed.rss", "/kk/feed-full.rss"):
            assert parse(client.get(path)).entries, path
    finally:
        site.close()


def test_root_relative_urls_in_item_html_become_absolute():
    from qalam.news.feeds import absolute_links

    html = ('<p><a href="/kk/about">a</a> <a href="//cdn.kz/x">b</a> <a href="#n">c</a>'
            '<img src="/_qalam/img/800/a.jpg" srcset="/_qalam/img/480/a.jpg 480w, https://cdn.kz/b.jpg 800w"></p>')
    assert absolute_links(html, "https://e.kz") == (
        '<p><a href="https://e.kz/kk/about">a</a> <a href="//cdn.kz/x">b</a> <a href="#n">c</a>'
        '<img src="https://e.kz/_qalam/img/800/a.jpg" srcset="https://e.kz/_qalam/img/480/a.jpg 480w, https://cdn.kz/b.jpg 800w"></p>'
    )
