"""Search over the demo site: Kazakh word forms in both scripts, Russian forms, filters, snippets."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qalam.search.backend import SearchQuery
from qalam.search.service import SearchService

from ..conftest import DEMO, NOW, write_site

SEMINAR = "/kk/news/2022-08-15-doctors-seminar"
SEED = "/kk/news/2022-07-20-experts-visit"
WINTER = "/kk/news/2025-01-10-winter-school"


@pytest.fixture(scope="module")
def demo_search(tmp_path_factory):
    from qalam.content.site import Site

    site = Site(DEMO, state_dir=tmp_path_factory.mktemp("search-state"), clock=lambda: NOW)
    service = SearchService(site)
    report = service.sync()
    assert report.added > 0
    yield site, service
    service.backend.close()
    site.close()


def urls(results):
    return [h.url for h in results.hits]


@pytest.mark.parametrize("q", ["дәрігер", "dariger", "däriger", "ДӘРІГЕРЛЕРДІҢ", "Däriger"])
def test_kazakh_query_finds_inflected_forms_in_both_scripts(demo_search, q):
    _site, service = demo_search
    results = service.search(SearchQuery(q=q, lang="kk"))
    found = urls(results)
    # Pages with дәрігерлер / дәрігерлердің / дәрігерлеріне / дәрігерлермен ...
    assert {SEMINAR, SEED, WINTER} <= set(found), found
    assert found[0] == SEMINAR  # the word is in its title: best first
    assert all(h.lang == "kk" for h in results.hits)
    snippet = results.hits[0].snippet
    assert "<mark>" in snippet and "</mark>" in snippet
    marked = snippet.split("<mark>")[1].split("</mark>")[0]
    assert marked.lower().startswith("дәрігер")


def test_russian_query_finds_word_forms(demo_search):
    _site, service = demo_search
    results = service.search(SearchQuery(q="врачи"))
    found = urls(results)
    assert "/ru/news/2022-08-15-doctors-seminar" in found and "/ru/news/2022-07-20-experts-visit" in found
    assert all(h.lang == "ru" for h in results.hits)
    assert any("<mark>врач" in h.snippet.lower() for h in results.hits)


def test_all_words_first_and_title_weighs_more(demo_search):
    _site, service = demo_search
    found = urls(service.search(SearchQuery(q="жаңа зертхана", lang="kk")))
    assert found and found[0] == "/kk/news/2023-03-01-new-laboratory"
    # A word no page has does not hide the pages that have the others (issue 16).
    found = urls(service.search(SearchQuery(q="зертхана қыркүйекжоқсөз", lang="kk")))
    assert found and found[0] == "/kk/news/2023-03-01-new-laboratory"
    assert urls(service.search(SearchQuery(q="қыркүйекжоқсөз", lang="kk"))) == []


QUESTIONS = {
    "pages/01.home/default.kk.md": "---\ntitle: Басты\n---\nх\n",
    "pages/02.news/01.truman/item.kk.md": "---\ntitle: Гарри Трумэн\ndate: 01-01-2020\n---\n"
        "Гарри Трумэн 1945 жылдан 1953 жылға дейін АҚШ президенті болды.\n",
    "pages/02.news/02.usa/item.kk.md": "---\ntitle: АҚШ экономикасы\ndate: 02-01-2020\n---\n"
        "АҚШ экономикасы әлемдегі ең ірі экономика. АҚШ, АҚШ, АҚШ туралы көп жазылады.\n",
    "pages/02.news/03.who/item.kk.md": "---\ntitle: Кім болды?\ndate: 03-01-2020\n---\n"
        "Кім болды, не болды, қашан болды деген сұрақтар.\n",
    "pages/02.news/01.truman/item.ru.md": "---\ntitle: Гарри Трумэн\ndate: 01-01-2020\n---\n"
        "Гарри Трумэн был президентом США с 1945 по 1953 год.\n",
    "pages/02.news/02.usa/item.ru.md": "---\ntitle: Экономика США\ndate: 02-01-2020\n---\n"
        "Экономика США крупнейшая в мире.\n",
    "config/system.yaml": "languages:\n  supported: [kk, ru]\n",
}


@pytest.mark.parametrize("q,lang", [
    ("1946 жылы АҚШ президенті кім болды?", "kk"), ("АҚШ-тың президенті кім болған?", "kk"),
    ("Кто был президентом США в 1946 году?", "ru"), ("Кто президент США?", "ru"),
])
def test_a_readers_question_finds_the_page_that_answers_it(make_site, q, lang):
    from qalam.search.service import for_site

    site = make_site(QUESTIONS)
    found = urls(for_site(site).search(SearchQuery(q=q, lang=lang)))
    assert found and found[0].endswith("/news/truman"), (q, found)
    assert not any(u.endswith("/news/who") for u in found[:1])


def test_filters_section_dates_and_pagination(demo_search):
    _site, service = demo_search
    from datetime import date

    everything = service.search(SearchQuery(q="дәрігер", lang="kk"))
    in_2022 = service.search(SearchQuery(q="дәрігер", lang="kk", date_from=date(2022, 1, 1), date_to=date(2022, 12, 31)))
    assert set(urls(in_2022)) == {SEMINAR, SEED}
    assert service.search(SearchQuery(q="дәрігер", lang="kk", section="about")).total == 0
    assert service.search(SearchQuery(q="дәрігер", lang="kk", section="news")).total == everything.total
    first = service.search(SearchQuery(q="дәрігер", lang="kk", per_page=2))
    second = service.search(SearchQuery(q="дәрігер", lang="kk", per_page=2, page=2))
    assert first.total == everything.total and len(first.hits) == 2
    assert not set(urls(first)) & set(urls(second))


def test_unpublished_and_scheduled_pages_are_not_found(demo_search):
    _site, service = demo_search
    assert service.search(SearchQuery(q="жоба", lang="kk")).total == 0  # draft
    assert service.search(SearchQuery(q="болашақта", lang="kk")).total == 0  # scheduled for 2030


def test_hostile_queries(demo_search):
    _site, service = demo_search
    for q in ['"', "AND OR NOT", "*", "title:x", "😀", "\x00\x01", "a" * 5000, "{title body}: x", "NEAR(a b)"]:
        service.search(SearchQuery(q=q))  # never raises


def test_index_follows_content_changes(make_site):
    site = make_site({
        "config/system.yaml": "languages:\n  supported: [kk]\n",
        "pages/01.a/item.kk.md": "---\ntitle: Бірінші\n---\nМұнда дәрігерлер бар.",
    })
    service = SearchService(site)
    assert service.search(SearchQuery(q="дәрігер")).total == 1
    page = site.pages_dir / "01.a" / "item.kk.md"
    page.write_text("---\ntitle: Бірінші\n---\nМұнда мұғалімдер бар.", encoding="utf-8")
    import os

    st = page.stat()
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    report = service.sync()
    assert report.updated == 1 and report.unchanged == 0
    assert service.search(SearchQuery(q="дәрігер")).total == 0
    assert service.search(SearchQuery(q="мұғалім")).total == 1
    (site.pages_dir / "02.b").mkdir()
    (site.pages_dir / "02.b" / "item.kk.md").write_text("---\ntitle: Екінші\n---\nМұғалімнің сөзі", encoding="utf-8")
    assert service.sync().added == 1
    assert service.search(SearchQuery(q="мұғалім")).total == 2
    import shutil

    shutil.rmtree(site.pages_dir / "02.b")
    assert service.sync().removed == 1
    assert service.sync().changed is False
    service.backend.close()


def test_api_search(client_for, tmp_path):
    from qalam.content.site import Site

    site = Site(DEMO, state_dir=tmp_path / "st", clock=lambda: NOW)
    client = client_for(site)
    r = client.get("/api/search", {"q": "dariger", "lang": "kk"})
    assert r.status_code == 200
    data = json.loads(r.content)
    assert data["total"] >= 3 and data["results"][0]["url"] == SEMINAR
    assert "<mark>" in data["results"][0]["snippet"]
    assert client.get("/api/search", {"q": ""}).status_code == 400
    bad = client.get("/api/search", {"q": "x", "lang": "de"})
    assert bad.status_code == 400 and "unknown language" in json.loads(bad.content)["error"]
    assert client.get("/api/search", {"q": "x", "from": "yesterday"}).status_code == 400
    site.close()


def test_search_page_in_the_theme(client_for, tmp_path):
    from qalam.content.site import Site

    site = Site(DEMO, state_dir=tmp_path / "st", clock=lambda: NOW)
    client = client_for(site)
    html = client.get("/kk/search", {"q": "дәрігер"}).content.decode()
    assert 'name="q"' in html and 'value="дәрігер"' in html
    assert f'href="{SEMINAR}"' in html and "<mark>" in html
    assert "20 шілде 2022" in html  # result dates in the page language
    # The query box is in every page's header.
    page = client.get(SEED).content.decode()
    assert 'action="/kk/search"' in page
    site.close()


def test_cli_search(tmp_path):
    from qalam.cli.main import cli

    site = write_site(tmp_path / "s", {
        "config/system.yaml": "languages:\n  supported: [kk, ru]\n",
        "pages/01.a/item.kk.md": "---\ntitle: Дәрігерлер туралы\n---\nДәрігерлердің жұмысы.",
        "pages/01.a/item.ru.md": "---\ntitle: О врачах\n---\nРабота врачей.",
    })
    result = CliRunner().invoke(cli, ["search", str(site), "däriger", "--lang", "kk", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 1 and data["results"][0]["url"] == "/kk/a"
    result = CliRunner().invoke(cli, ["search", str(site), "врачи"])
    assert result.exit_code == 0 and "/ru/a" in result.output and "1 found" in result.output


def test_query_without_kazakh_letters_matches_words_with_consonant_alternation(make_site):
    # орталығы stems to орталық (ғ/қ alternate); "ortalygy" typed without Kazakh letters
    # cannot know that, so the loose key of the word itself is indexed too.
    site = make_site({
        "config/system.yaml": "languages:\n  supported: [kk]\n",
        "pages/01.a/item.kk.md": "---\ntitle: Жаңалық\n---\nГематология орталығы жұмыс істейді.",
    })
    service = SearchService(site)
    for q in ("орталығы", "ortalyğy", "ortalygy", "орталық"):
        results = service.search(SearchQuery(q=q))
        assert results.total == 1, q
        assert "<mark>орталығы</mark>" in results.hits[0].snippet, q
    service.backend.close()


@pytest.mark.parametrize("q,lang,expected", [
    ("дәрігер", "kk", SEMINAR), ("dariger", "kk", SEMINAR), ("däriger", "kk", SEMINAR),
    ("врачи", "ru", "/ru/news/2022-08-15-doctors-seminar"),
])
def test_demo_search_from_page_api_and_cli(q, lang, expected, tmp_path, client_for):
    """The issue's acceptance check: the same four queries on the demo site, three ways."""
    import shutil

    from qalam.cli.main import cli
    from qalam.content.site import Site

    site_dir = tmp_path / "demo"
    shutil.copytree(DEMO, site_dir, ignore=shutil.ignore_patterns(".qalam"))
    site = Site(site_dir, clock=lambda: NOW)
    client = client_for(site)
    page = client.get(f"/{lang}/search", {"q": q}).content.decode()
    assert f'href="{expected}"' in page and "<mark>" in page
    api = json.loads(client.get("/api/search", {"q": q}).content)
    assert api["results"][0]["url"] == expected and "<mark>" in api["results"][0]["snippet"]
    site.close()
    out = CliRunner().invoke(cli, ["search", str(site_dir), q, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["results"][0]["url"] == expected
