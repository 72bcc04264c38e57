"""The demo site through the web layer: seed page, listings, languages, 404, caching headers."""

from __future__ import annotations

import re
from html import unescape

import pytest

from ..conftest import DEMO, NOW, SEEDS

SEED_ROUTE = "/kk/news/2022-07-20-experts-visit"


@pytest.fixture
def demo(tmp_path, client_for):
    from qalam.content.site import Site

    site = Site(DEMO, state_dir=tmp_path / "state", clock=lambda: NOW)
    yield site, client_for(site)
    site.close()


def text(response) -> str:
    return response.content.decode("utf-8")


def test_seed_page_is_the_unchanged_grav_file():
    if not SEEDS.is_dir():
        pytest.skip("shared/fixtures/seeds is not beside the repository")
    assert (DEMO / "pages/02.news/01.2022-07-20-experts-visit/item.kk.md").read_bytes() == \
        (SEEDS / "004_7f0847bd8f085a12.txt").read_bytes()


def test_seed_page_renders_with_title_date_and_body(demo):
    _site, client = demo
    r = client.get(SEED_ROUTE)
    assert r.status_code == 200
    html = text(r)
    assert '<html lang="kk">' in html
    assert re.search(r"<h1[^>]*>Сарапшының сапары</h1>", html)
    assert "20 шілде 2022" in html
    assert "Ағынды цитометрия" in html  # summary paragraph is part of the page
    assert "<p>===</p>" not in html  # the divider is removed from the content
    assert "Елена Витальевна Бабенко Қазақстанға" in html  # body after the divider


def test_news_listing_shows_summary_then_continue_link(demo):
    _site, client = demo
    r = client.get("/kk/news")
    assert r.status_code == 200
    html = text(r)
    # Listing is date-desc with 5 per page; the seed (2022) is on the last page.
    r2 = client.get("/kk/news/page:2")
    assert r2.status_code == 200
    html2 = text(r2)
    block = html2[html2.index("Сарапшының сапары"):]
    summary_at = block.index("Ағынды цитометрия")
    link = re.search(r'<p class="continue"><a href="([^"]+)">', block)
    assert link and link.start() > summary_at, "continue link follows the summary"
    assert link.group(1) == SEED_ROUTE
    # Only the summary, not the rest of the body, is in the listing.
    assert "Елена Витальевна Бабенко Қазақстанға" not in block.split('<p class="continue">')[0]
    assert "20 шілде 2022" in block
    # Drafts, scheduled and hide_from_post_list pages are not listed.
    for title in ("Жоба: әлі жарияланбаған", "Болашақта жарияланатын жаңалық", "Қызметкерлерге арналған хабарлама"):
        assert title not in html and title not in html2
    assert 'href="/kk/news/page:2"' in html


def test_dates_in_three_languages(demo):
    _site, client = demo
    assert "20 июля 2022" in text(client.get("/ru/news/2022-07-20-experts-visit"))
    assert "20 July 2022" in text(client.get("/en/news/2022-07-20-experts-visit"))


def test_language_switcher_hreflang_and_html_lang(demo):
    _site, client = demo
    html = text(client.get("/ru/news/2022-07-20-experts-visit"))
    assert '<html lang="ru">' in html
    for code in ("kk", "ru", "en"):
        assert f'hreflang="{code}" href="http://localhost/{code}/news/2022-07-20-experts-visit"' in html
    assert 'hreflang="x-default" href="http://localhost/kk/news/2022-07-20-experts-visit"' in html
    assert 'href="/kk/news/2022-07-20-experts-visit" hreflang="kk"' in html


def test_root_redirects_to_default_language(demo):
    _site, client = demo
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == "/kk"
    r = client.get("/news")
    assert r.status_code == 302 and r["Location"] == "/kk/news"


def test_untranslated_page_falls_back_to_default_language(demo):
    _site, client = demo
    r = client.get("/en/news/2023-03-01-new-laboratory")
    assert r.status_code == 200 and "Жаңа зертхана ашылды" in text(r)


def test_404_page_in_the_right_language(demo):
    _site, client = demo
    r = client.get("/ru/no-such-page")
    assert r.status_code == 404 and "Страница не найдена" in text(r)
    r = client.get("/kk/news/draft")
    assert r.status_code == 404 and "Бет табылмады" in text(r)


def test_twig_footnotes_and_table_on_about_page(demo):
    _site, client = demo
    html = text(client.get("/kk/about"))
    assert "<strong>Qalam Demo</strong>" in html  # {{ site.title }} in the Twig sandbox
    assert "<table>" in html and "footnote" in html


def test_media_and_header_image(demo):
    _site, client = demo
    html = text(client.get("/kk/news/2025-06-05-summer-camp"))
    assert '/user/pages/02.news/06.2025-06-05-summer-camp/camp.svg' in html
    r = client.get("/user/pages/02.news/06.2025-06-05-summer-camp/camp.svg")
    assert r.status_code == 200 and r["Content-Type"] == "image/svg+xml"
    assert "sandbox" in r["Content-Security-Policy"]


def test_site_redirects_and_routes(demo):
    _site, client = demo
    r = client.get("/kk/old-news")
    assert r.status_code == 302 and r["Location"] == "/kk/news"
    r = client.get("/kk/about-us")
    assert r.status_code == 200 and "Біз туралы" in text(r)


def test_conditional_get_and_cache_headers(demo):
    _site, client = demo
    r = client.get(SEED_ROUTE)
    assert r["ETag"] and r["Last-Modified"] and "max-age=" in r["Cache-Control"]
    again = client.get(SEED_ROUTE, HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304


def test_listing_cache_lifetime_bounded_by_scheduled_publish(demo):
    site, client = demo
    r = client.get("/kk/news")
    # The scheduled story (2030) is far away; the default max-age applies.
    assert r["Cache-Control"] == "public, max-age=60"


def test_theme_stylesheet_is_served(demo):
    _site, client = demo
    r = client.get("/_qalam/static/qalam.css")
    assert r.status_code == 200 and b"--accent" in r.content
    assert client.get("/_qalam/static/../app.py").status_code == 404


def test_post_is_not_allowed(demo):
    _site, client = demo
    assert client.post(SEED_ROUTE).status_code == 405


def test_summary_of_seed_page_is_its_first_paragraph(demo):
    site, _client = demo
    page = site.tree("kk").find("/news/2022-07-20-experts-visit")
    rendered = site.content(page)
    summary = rendered.summary()
    assert unescape(re.sub(r"<[^>]+>", "", summary)).strip().startswith("Ағынды цитометрия")
    assert summary.count("<p>") == 1


def test_tag_filter_listing(demo):
    _site, client = demo
    html = text(client.get("/kk/news/tag:медицина"))
    assert "Сүзгі" in html and "tag: медицина" in html
    assert "Дәрігерлерге арналған семинар" in html and "Жас мамандарға арналған қысқы мектеп" in html
    assert "Сарапшының сапары" not in html.split('<aside')[0]
    assert "Сүзгі" not in text(client.get("/kk/news/page:2"))
    # An article's tags link to its listing filtered by that tag.
    article = text(client.get("/kk/news/2022-08-15-doctors-seminar"))
    assert 'href="/kk/news/tag:медицина"' in article


def test_page_number_past_the_end_is_404(demo):
    _site, client = demo
    assert client.get("/kk/news/page:9").status_code == 404
