"""The Latin-script (2021 alphabet) edition of Kazakh pages under /kk-latn/."""

from __future__ import annotations

import pytest

from ..conftest import DEMO, NOW


@pytest.fixture
def client(tmp_path, client_for):
    from qalam.content.site import Site

    site = Site(DEMO, state_dir=tmp_path / "state", clock=lambda: NOW)
    yield client_for(site)
    site.close()


def test_kazakh_page_in_latin_script(client):
    r = client.get("/kk-latn/news/2022-07-20-experts-visit")
    assert r.status_code == 200
    html = r.content.decode()
    assert '<html lang="kk-Latn">' in html
    assert "Sarapşynyñ sapary" in html  # Сарапшының сапары
    assert "20 şılde 2022" in html  # 20 шілде 2022
    assert "Сарапшының" not in html.split("<body")[1]
    # Markup, URLs and media stay as they are; links keep the reader in the Latin edition.
    assert 'href="/_qalam/static/qalam.css"' in html
    assert 'href="/kk-latn/news"' in html
    # The script switch leads back to Cyrillic.
    assert 'href="/kk/news/2022-07-20-experts-visit" data-no-rewrite' in html


def test_hreflang_and_script_switch_on_cyrillic_page(client):
    html = client.get("/kk/news/2022-07-20-experts-visit").content.decode()
    assert 'hreflang="kk-Latn" href="http://localhost/kk-latn/news/2022-07-20-experts-visit"' in html
    assert 'href="/kk-latn/news/2022-07-20-experts-visit"' in html


def test_code_is_not_transliterated(client):
    html = client.get("/kk-latn/about").content.decode()
    assert "<code>default.kk.md</code>" in html
    assert "Bız turaly" in html  # Біз туралы


def test_listing_and_redirects_stay_latin(client):
    r = client.get("/kk-latn/news/page:2")
    assert r.status_code == 200 and 'href="/kk-latn/news/2022-07-20-experts-visit"' in r.content.decode()
    r = client.get("/kk-latn/news/")
    assert r.status_code == 301 and r["Location"] == "/kk-latn/news"
    assert client.get("/ru-latn/news").status_code in (302, 404)  # only Kazakh has a Latin edition


def test_search_and_author_pages_in_latin(client):
    r = client.get("/kk-latn/search", {"q": "dariger"})
    assert r.status_code == 200
    html = r.content.decode()
    assert '<html lang="kk-Latn">' in html
    assert "Izdeu" in html and 'action="/kk-latn/search"' in html  # Іздеу
    r = client.get("/kk-latn/author/aigul-seiitova")
    assert r.status_code == 200 and "Aigül Seiıtova" in r.content.decode()
