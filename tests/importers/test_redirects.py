"""Old URLs: keys and targets for site.redirects, config/site.yaml kept as the user wrote it, 301s served."""

from __future__ import annotations

import pytest

from qalam.content.config import LanguageSettings
from qalam.importers.base import ImportSession, run_import
from qalam.importers.redirects import RedirectBook, RedirectError, redirect_key, redirect_target, regex_safe_key
from qalam.importers.text import read_text_file

from ..conftest import NOW
from .helpers import new_site

LANGS = LanguageSettings(supported=["kk", "ru", "en"], default="kk", include_default_lang=True, content_fallback={})


@pytest.mark.parametrize("url,key", [
    ("https://old.example.kz/kk/news/12345", "/news/12345"),      # the language segment is not part of a route
    ("https://old.example.kz/RU/novosti/555/", "/novosti/555"),
    ("https://www.old.example.kz/news/12345.html", "/news/12345.html"),
    ("/2020/07/06/%D1%80%D0%B5%D1%81%D0%B5%D0%B9/", "/2020/07/06/ресей"),  # decoded, as requests are matched
    ("http://old.example.kz//news//x", "/news/x"),
])
def test_redirect_key(url, key):
    assert redirect_key(url, LANGS) == (key, "")


@pytest.mark.parametrize("url,why", [
    ("https://old.example.kz/?p=123", "has a query string"),
    ("https://old.example.kz/news.php?id=5", "has a query string"),
    ("https://old.example.kz/", "is the home page"),
    ("https://old.example.kz/kk/", "is the home page"),
    ("ftp://old.example.kz/x", "not a web address"),
    ("https://old.example.kz/a/../b", "not a usable path"),
])
def test_urls_that_cannot_be_redirected(url, why):
    key, reason = redirect_key(url, LANGS)
    assert key is None and why in reason


def test_targets_name_the_language_only_when_it_is_not_the_default():
    assert redirect_target("/news/x", "kk", LANGS) == "/news/x[301]"
    assert redirect_target("/news/x", "ru", LANGS) == "/ru/news/x[301]"
    single = LanguageSettings(supported=[], default="", include_default_lang=True, content_fallback={})
    assert redirect_target("/news/x", "ru", single) == "/news/x[301]"


def test_book_keeps_comments_quotes_and_order(tmp_path):
    cfg = tmp_path / "config"
    cfg.mkdir()
    original = ("# Site settings\ntitle: 'Біздің сайт'   # shown in the header\n"
                "taxonomies: [category, tag]\nredirects:\n  /old-news: '/news'   # moved in 2021\n"
                "routes:\n  /about-us: /about\n")
    (cfg / "site.yaml").write_text(original, encoding="utf-8")
    book = RedirectBook(cfg)
    assert book.add("/news/12345", "/news/2020-07-06-x[301]") == "added"
    assert book.add("/news/12345", "/news/2020-07-06-x[301]") == "present"
    assert book.add("/old-news", "/elsewhere[301]").startswith("/old-news already redirects to /news")
    assert book.save()
    text = (cfg / "site.yaml").read_text(encoding="utf-8")
    assert text == original.replace(
        "  /old-news: '/news'   # moved in 2021\n",
        "  /old-news: '/news'   # moved in 2021\n  /news/12345: /news/2020-07-06-x[301]\n",
    )
    assert not list(cfg.glob(".site.yaml.*"))  # the temporary file is gone


def test_book_creates_site_yaml_and_a_flow_mapping_becomes_block(tmp_path):
    cfg = tmp_path / "config"
    book = RedirectBook(cfg)
    book.add("/a", "/news/a[301]")
    book.save()
    assert (cfg / "site.yaml").read_text(encoding="utf-8") == "redirects:\n  /a: /news/a[301]\n"
    (cfg / "site.yaml").write_text("title: X\nredirects: {}\n", encoding="utf-8")
    book = RedirectBook(cfg)
    book.add("/b", "/news/b[301]")
    book.save()
    assert (cfg / "site.yaml").read_text(encoding="utf-8") == "title: X\nredirects:\n  /b: /news/b[301]\n"


def test_broken_site_yaml_is_refused_with_its_line(tmp_path):
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "site.yaml").write_text("title: X\nredirects:\n  /a: [unclosed\n", encoding="utf-8")
    with pytest.raises(RedirectError, match=r"config/site.yaml:\d+: not valid YAML"):
        RedirectBook(cfg)
    (cfg / "site.yaml").write_text("redirects: [/a, /b]\n", encoding="utf-8")
    with pytest.raises(RedirectError, match="redirects: must be a mapping"):
        RedirectBook(cfg)


def test_regex_characters_are_escaped():
    assert regex_safe_key("/news/a(1)+b") == r"/news/a\(1\)\+b"
    assert regex_safe_key("/news/12345.html") == "/news/12345.html"


# --- end to end: the old URL answers 301 with the new page --------------------------------------


ARTICLES = {
    "kk.txt": ("https://old.example.kz/kk/news/12345.html\nДәрігерлер өңірлерге барады\n6 шілде 2020, 21:35\n\n"
               "Бүгін елордаға дәрігерлер келді.\n"),
    "ru.txt": ("Источник: https://old.example.kz/ru/novosti/555/\nВрачи поедут в регионы\n6 июля 2020 г., 21:40\n\n"
               "Сегодня в столицу прибыли врачи из России, они поедут в регионы.\n"),
    "odd.txt": ("URL: https://old.example.kz/news/a(1)+b\nТағы бір жаңалық\n7 шілде 2020, 10:00\n\nМәтін осында.\n"),
    "wp.txt": ("https://old.example.kz/?p=77\nТретья новость дня\n8 июля 2020 г., 11:00\n\nТекст третьей новости.\n"),
}


@pytest.fixture
def imported_site(tmp_path, client_for):
    from qalam.content.site import Site

    site_dir = new_site(tmp_path / "site")
    src = tmp_path / "in"
    src.mkdir()
    for name, text in ARTICLES.items():
        (src / name).write_text(text, encoding="utf-8")
    sess = ImportSession(site_dir)
    report = run_import(sess, sorted(src.glob("*.txt")), lambda p, s: read_text_file(p, s), name=lambda p: p.name)
    site = Site(site_dir, state_dir=tmp_path / "state", clock=lambda: NOW)
    yield site, client_for(site), report
    site.close()


def test_old_urls_answer_301_with_the_new_page(imported_site):
    _site, client, report = imported_site
    kk = "/kk/news/2020-07-06-darigerler-onirlerge-barady"
    for old in ("/kk/news/12345.html", "/news/12345.html", "/ru/news/12345.html"):
        r = client.get(old)
        assert r.status_code == 301, old
        expected = kk if not old.startswith("/ru") else kk.replace("/kk/", "/ru/", 1)
        assert r["Location"] == expected
    assert client.get(kk).status_code == 200
    assert "Дәрігерлер өңірлерге барады" in client.get(kk).content.decode()


def test_an_article_in_another_language_is_redirected_to_its_language(imported_site):
    _site, client, _report = imported_site
    ru = "/ru/news/2020-07-06-vratsi-poedut-v-regiony"
    for old in ("/ru/novosti/555", "/novosti/555", "/kk/novosti/555"):
        r = client.get(old)
        assert (r.status_code, r["Location"]) == (301, ru), old  # never /kk/ru/...
    # With the old trailing slash: first the site's trailing-slash 301, then the import's 301.
    r = client.get("/ru/novosti/555/")
    assert (r.status_code, r["Location"]) == (301, "/ru/novosti/555")
    assert client.get(ru).status_code == 200


def test_regex_characters_in_old_urls_and_query_strings(imported_site):
    _site, client, report = imported_site
    r = client.get("/kk/news/a(1)+b")
    assert r.status_code == 301 and r["Location"] == "/kk/news/2020-07-07-tagy-bir-janalyq"
    wp = next(o for o in report.outcomes if o.source == "wp.txt")
    assert wp.status == "imported"
    assert any("has a query string" in w for w in wp.warnings)


def test_a_404_is_still_a_404_and_site_redirects_written_by_hand_still_work(imported_site):
    _site, client, _report = imported_site
    assert client.get("/kk/news/12346.html").status_code == 404
    assert client.get("/no/such/page").status_code in (302, 404)
    r = client.get("/kk/old-news")
    assert r.status_code == 302 and r["Location"] == "/kk/news"


def test_dispatcher_keeps_regex_semantics_of_redirect_keys(make_site):
    site = make_site({
        "config/system.yaml": "languages:\n  supported: [kk, ru]\n  default_lang: kk\n",
        "config/site.yaml": "redirects:\n  /a.html: /news[301]\n  /arch/(.*): /news/$1\n  /ru-old: /ru/news\n",
        "pages/01.news/blog.kk.md": "---\ntitle: N\n---\n",
    })
    assert site.resolve("/kk/a.html").location == "/kk/news"
    assert site.resolve("/kk/axhtml").location == "/kk/news"  # '.' is a regex wildcard, as in Grav
    assert site.resolve("/kk/a.htmlx").kind == "not_found"
    assert site.resolve("/kk/arch/x").location == "/kk/news/x"
    r = site.resolve("/arch/y")  # no language prefix: the redirect at once, in the default language
    assert (r.kind, r.location, r.status) == ("redirect", "/kk/news/y", 302)
    assert site.resolve("/kk/ru-old").location == "/ru/news"  # a target naming a language keeps it
    r = site.resolve("/news")  # a page without the prefix: the language redirect as before
    assert (r.location, r.status) == ("/kk/news", 302)
