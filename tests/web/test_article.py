"""The news article page: every element a reader sees, and the metadata machines read."""

from __future__ import annotations

import json
import re

import pytest

from ..conftest import DEMO, NOW

KK = "/kk/news/2026-11-22-mobile-clinic"
RU = "/ru/news/2026-11-22-mobile-clinic"


@pytest.fixture
def demo(tmp_path, client_for):
    from qalam.content.site import Site
    from qalam.search.service import for_site

    site = Site(DEMO, state_dir=tmp_path / "state", clock=lambda: NOW)
    for_site(site).sync()  # related articles read the search index
    yield site, client_for(site)
    site.close()


def html_of(client, url):
    r = client.get(url)
    assert r.status_code == 200, url
    return r.content.decode()


def json_ld(html):
    m = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert m, "no JSON-LD"
    return json.loads(m.group(1))


def test_kazakh_article_shows_every_element(demo):
    _site, client = demo
    html = html_of(client, KK)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert '<h1 class="page-title">Жылжымалы емхана шалғай ауылдарға барады</h1>' in main
    assert "22 қараша 2026, 10:15" in main  # written in Asia/Almaty, shown in Asia/Almaty
    assert re.search(r'class="views-count" data-views>\d+<', main)
    for name in ("WhatsApp", "Telegram", "Facebook", "VK", "X"):
        assert f">{name}</a>" in main
    # No third-party scripts: the only script is the site's own view beacon.
    assert re.findall(r'<script src="([^"]+)"', html) == ["/_qalam/static/beacon.js"]
    assert 'class="badge">ФОТО<' in main and "Фото: Дана ӘБІЛОВА" in main
    assert '<p class="dateline"><strong>Алматы, Qalam Demo</strong></p>' in main
    assert 'src="/user/pages/02.news/10.2026-11-22-mobile-clinic/village.jpg"' in main  # inline image
    assert 'rel="author">Айгүл Сейітова</a>' in main
    related = main.split('class="related"', 1)[1]
    assert related.index("Дәрігерлерге арналған семинар") < related.index("</ul>")
    first = re.search(r'<li><a href="([^"]+)"', related).group(1)
    assert first == "/kk/news/2022-08-15-doctors-seminar"  # hand-picked first
    assert "Басты бет" not in related  # only articles are related


def test_russian_article_names_the_source_agency(demo):
    _site, client = demo
    main = html_of(client, RU).split("<main", 1)[1]
    assert "22 ноября 2026, 10:15" in main
    assert "Источник: Qalam Demo по материалам районной больницы" in main
    assert "Фото: Дана ӘБІЛОВА" in main and ">Поделиться:<" in main


def test_news_article_json_ld(demo):
    _site, client = demo
    data = json_ld(html_of(client, KK))
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Жылжымалы емхана шалғай ауылдарға барады"
    assert data["inLanguage"] == "kk"
    assert data["datePublished"] == "2026-11-22T10:15:00+05:00"  # Kazakhstan is UTC+5 since March 2024
    assert data["dateline"] == "Алматы, Qalam Demo"
    assert data["author"][0]["name"] == "Айгүл Сейітова" and data["author"][0]["url"].endswith("/kk/author/aigul-seiitova")
    # Shared images are renditions: GPS and camera data stripped, the credit kept.
    assert "/_qalam/img/1200/jpg/" in data["image"][0]["url"] and "/lead.jpg?v=" in data["image"][0]["url"]
    assert data["image"][0]["creditText"] == "Дана ӘБІЛОВА"
    assert data["articleSection"] == "Жаңалықтар" and data["publisher"]["name"] == "Qalam Demo"


def test_archive_article_offset_is_utc_plus_6(make_site, client_for):
    site = make_site({
        "config/system.yaml": "timezone: Asia/Almaty\nlanguages:\n  supported: [kk]\n",
        "pages/01.news/blog.kk.md": "---\ntitle: Жаңалықтар\n---\n",
        "pages/01.news/a/item.kk.md": "---\ntitle: Мұрағат\ndate: '06-07-2020 21:35'\n---\nМәтін",
    })
    html = client_for(site).get("/kk/news/a").content.decode()
    assert json_ld(html)["datePublished"] == "2020-07-06T21:35:00+06:00"
    assert "6 шілде 2020, 21:35" in html


def test_blog_sites_get_blogposting(make_site, client_for):
    site = make_site({
        "config/qalam.yaml": "site_type: blog\n",
        "pages/01.blog/blog.md": "---\ntitle: Blog\n---\n",
        "pages/01.blog/a/item.md": "---\ntitle: Post\ndate: '01-02-2024 10:00'\n---\nText",
    })
    assert json_ld(client_for(site).get("/blog/a").content.decode())["@type"] == "BlogPosting"


def test_open_graph_twitter_canonical_robots(demo):
    _site, client = demo
    head = html_of(client, KK).split("</head>", 1)[0]
    assert '<meta property="og:type" content="article">' in head
    assert '<meta property="og:title" content="Жылжымалы емхана шалғай ауылдарға барады">' in head
    assert re.search(r'<meta property="og:image" content="http://localhost/_qalam/img/1200/jpg/[^"]+/lead.jpg\?v=\w+">', head)
    assert '<meta name="twitter:card" content="summary_large_image">' in head
    assert '<meta name="robots" content="max-image-preview:large">' in head
    assert '<link rel="canonical" href="http://localhost/kk/news/2026-11-22-mobile-clinic">' in head
    assert '<meta property="og:locale" content="kk_KZ">' in head


def test_site_url_makes_absolute_links(make_site, client_for):
    site = make_site({
        "config/qalam.yaml": "site_url: https://news.example.kz\n",
        "pages/01.news/a/item.md": "---\ntitle: A\ndate: '01-02-2024 10:00'\n---\nText",
    })
    html = client_for(site).get("/news/a").content.decode()
    assert json_ld(html)["url"] == "https://news.example.kz/news/a"
    assert "https%3A%2F%2Fnews.example.kz%2Fnews%2Fa" in html  # share links


def test_author_page_lists_the_authors_articles(demo):
    _site, client = demo
    html = html_of(client, "/kk/author/aigul-seiitova")
    assert "Айгүл Сейітова" in html and f'href="{KK}"' in html
    assert client.get("/kk/author/nobody").status_code == 404


def test_json_ld_cannot_be_broken_out_of(make_site, client_for):
    site = make_site({
        "pages/01.news/a/item.md": "---\ntitle: '</script><script>alert(1)</script>'\ndate: '01-02-2024 10:00'\n---\nx",
    })
    html = client_for(site).get("/news/a").content.decode()
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "</script>" not in ld and json.loads(ld)["headline"].startswith("</script>")
