"""The seed article, imported with `qalam import text`, is part of the demo site and renders there."""

from __future__ import annotations

import re
from html import unescape

import pytest
from click.testing import CliRunner

from qalam.cli.main import cli

from ..conftest import DEMO, NOW, SEEDS

FOLDER = DEMO / "pages/02.news/2020-07-06-reseiden-kelgen-darigerler-onirlerge-de-barady-vitse-ministr"
ROUTE = "/kk/news/2020-07-06-reseiden-kelgen-darigerler-onirlerge-de-barady-vitse-ministr"


@pytest.fixture
def demo(tmp_path, client_for):
    from qalam.content.site import Site

    site = Site(DEMO, state_dir=tmp_path / "state", clock=lambda: NOW)
    yield site, client_for(site)
    site.close()


def test_the_demo_page_is_what_the_importer_makes_of_the_seed(tmp_path):
    """Re-running the import on a copy of the demo changes nothing: the committed page is the importer's output."""
    import shutil

    seed = SEEDS / "000_30c37c12a048fd7f.txt"
    if not seed.is_file():
        pytest.skip("shared/fixtures/seeds is not beside the repository")
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns(".qalam"))
    shutil.rmtree(copy / "pages/02.news" / FOLDER.name)
    result = CliRunner().invoke(cli, ["import", "text", str(seed), "--site", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "pages/02.news" / FOLDER.name / "item.kk.md").read_bytes() == (FOLDER / "item.kk.md").read_bytes()
    assert (copy / "config/site.yaml").read_bytes() == (DEMO / "config/site.yaml").read_bytes()


def test_demo_serves_the_imported_article(demo):
    _site, client = demo
    r = client.get(ROUTE)
    assert r.status_code == 200
    html = r.content.decode("utf-8")
    main = html[html.index('id="main"'):]
    assert re.search(r"<h1[^>]*>Ресейден келген дәрігерлер өңірлерге де барады – вице-министр</h1>", main)
    assert "6 шілде 2020" in main and 'datetime="2020-07-06T21:35:00+06:00"' in main
    assert "Нұр-Сұлтан, BAQ.KZ" in main  # the dateline, from the front matter
    body = unescape(main[main.index('class="content"'):])
    assert "Бүгін Нұр-Сұлтан қаласына Ресей ТЖМ арнайы рейсімен" in body
    assert "жазған болатынбыз." in body
    for furniture in ("Бөлісу:", "PHOTO", "Өзгелердің жаңалығы", "Фото: Бауыржан"):
        assert furniture not in body
    # The two images are placeholders: missing files are a warning, not an error.
    assert body.count("<img") == 2 and "3945C2FD-8EB1-4116-B0D4-797B5EBAE58F.JPEG" in body


def test_missing_images_are_warnings_in_check(demo):
    site, _client = demo
    problems = [p for p in site.problems() if FOLDER.name in p.path]
    assert len(problems) == 2 and {p.severity for p in problems} == {"warning"}


def test_the_news_listing_shows_it_with_its_date(demo):
    _site, client = demo
    pages = [client.get("/kk/news").content.decode()]
    n = 2
    while f'href="/kk/news/page:{n}"' in pages[-1]:
        pages.append(client.get(f"/kk/news/page:{n}").content.decode())
        n += 1
    last = pages[-1]
    assert "Ресейден келген дәрігерлер өңірлерге де барады" in last  # the oldest story comes last
    assert "6 шілде 2020" in last
