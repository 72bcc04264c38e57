"""Related articles from the champion lists alone (SQLiteSearchBackend.similar): pages that
share the query's words, in its language, published, never the excluded ones, close to the
exact BM25 order, and a fraction of its cost (docs/search.md)."""

from __future__ import annotations

import random

import pytest

from qalam.search.backend import SearchQuery
from qalam.search.sqlite import SQLiteSearchBackend
from tests.search.test_topk import NOW, WORDS, document


@pytest.fixture()
def backend(tmp_path):
    rng = random.Random(7)
    b = SQLiteSearchBackend(tmp_path / "search.sqlite3")
    b.apply([document(i, rng) for i in range(400)] + [document(i, rng, lang="ru") for i in range(100)], [])
    yield b
    b.close()


def exact(backend, query):
    backend.champions = False
    try:
        return [h.url for h in backend.search(SearchQuery(**vars(query)), now=NOW).hits]
    finally:
        backend.champions = True


def topical_archive(tmp_path) -> SQLiteSearchBackend:
    """Pages on 12 topics: each page mixes its topic's words with words every page uses (so
    common words match most of the archive, the case that made exact ranking slow)."""
    from qalam.search.backend import SearchDocument

    rng = random.Random(11)
    common = WORDS[:12]
    topics = [[f"{root}{suffix}" for suffix in ("а", "ов", "ин", "ек", "ұс", "ім", "ар", "ын")]
              for root in ("тау", "көл", "дала", "өзен", "орман", "шөл", "тас", "құм", "бұлақ", "шың", "жар", "сай")]
    docs = []
    for i in range(600):
        topic = topics[i % 12]
        title = " ".join(rng.sample(topic, 2) + rng.sample(common, 2))
        text = " ".join(rng.choice(topic if rng.random() < 0.3 else common) for _ in range(rng.randint(30, 90)))
        docs.append(SearchDocument(key=f"kk:{i}", lang="kk", url=f"/kk/news/{i}", title=title, text=text,
                                   section="news", date=NOW, version="1",
                                   published_from=None if i % 37 else NOW.replace(year=2027)))
    b = SQLiteSearchBackend(tmp_path / "topical.sqlite3")
    b.apply(docs, [])
    return b, topics, common


def test_similar_pages_share_the_topic_are_published_and_close_to_the_exact_order(tmp_path):
    b, topics, common = topical_archive(tmp_path)
    rng = random.Random(5)
    overlap = same_topic = 0
    try:
        for n in range(24):
            t = n % 12
            query = SearchQuery(" ".join(rng.sample(topics[t], 2) + rng.sample(common, 3)), lang="kk",
                                match_any=True, per_page=8, exclude_urls=(f"/kk/news/{t}",), count=False)
            urls = b.similar(query, now=NOW)
            assert len(urls) == 8 and len(set(urls)) == 8 and f"/kk/news/{t}" not in urls
            numbers = [int(u.rsplit("/", 1)[1]) for u in urls]
            assert not any(i % 37 == 0 for i in numbers)  # scheduled: not yet published
            same_topic += sum(i % 12 == t for i in numbers)
            overlap += len(set(urls) & set(exact(b, SearchQuery(**{**vars(query), "per_page": 16}))))
    finally:
        b.close()
    assert same_topic >= 0.95 * 24 * 8, same_topic
    assert overlap >= 0.85 * 24 * 8, overlap  # nearly all are among the exact ranking's best 16


def test_similar_never_returns_other_languages_or_excluded_pages(backend):
    rng = random.Random(3)
    for _ in range(10):
        exclude = (f"/kk/news/{rng.randrange(400)}",)
        query = SearchQuery(" ".join(rng.sample(WORDS, 5)), lang="kk", match_any=True, per_page=8,
                            exclude_urls=exclude, count=False)
        urls = backend.similar(query, now=NOW)
        assert len(urls) == 8 and all(u.startswith("/kk/news/") for u in urls) and exclude[0] not in urls


def test_similar_follows_changes_to_the_index(backend):
    from qalam.search.backend import SearchDocument

    query = SearchQuery("зертхана сауалнама вице-министр", lang="kk", match_any=True, per_page=4, count=False)
    before = backend.similar(query, now=NOW)
    backend.apply([SearchDocument(key="kk:new", lang="kk", url="/kk/news/new",
                                  title="зертхана сауалнама вице-министр", text="зертхана сауалнама вице-министр " * 5,
                                  section="news", date=NOW, version="1")], [])
    after = backend.similar(query, now=NOW)
    assert "/kk/news/new" not in before and after[0] == "/kk/news/new"


def test_similar_filters_agree_with_the_search_filters(backend):
    """Similar pages pass the same filters as search results: section, date range, publication
    window and exclusions (checked in Python against columns kept per document)."""
    from datetime import timedelta

    rng = random.Random(9)
    for n in range(30):
        words = " ".join(rng.sample(WORDS, 4))
        kwargs = {}
        if n % 3 == 0:
            kwargs["section"] = "sport"
        if n % 2 == 0:
            kwargs["date_from"] = (NOW - timedelta(hours=rng.randrange(50, 300))).date()
        if n % 5 == 0:
            kwargs["date_to"] = (NOW - timedelta(hours=rng.randrange(0, 200))).date()
        query = SearchQuery(words, lang="kk", match_any=True, per_page=50, count=False, **kwargs)
        allowed = set(exact(backend, SearchQuery(words, lang="kk", match_any=True, per_page=500, **kwargs)))
        urls = backend.similar(query, now=NOW)
        assert urls and set(urls) <= allowed, (kwargs, set(urls) - allowed)


def test_similar_sees_a_publication_window_changed_by_another_process(backend, tmp_path):
    """A header edit that changes no word (only `publish_date`) leaves the index's statistics as
    they were: the columns kept per document still follow it (SQLite's data_version)."""
    from dataclasses import replace

    from qalam.search.backend import SearchDocument

    query = SearchQuery("зертхана сауалнама вице-министр", lang="kk", match_any=True, per_page=4, count=False)
    doc = SearchDocument(key="kk:new", lang="kk", url="/kk/news/new", title="зертхана сауалнама вице-министр",
                         text="зертхана сауалнама вице-министр " * 5, section="news", date=NOW, version="1")
    backend.apply([doc], [])
    assert backend.similar(query, now=NOW)[0] == "/kk/news/new"
    other = SQLiteSearchBackend(backend.path if hasattr(backend, "path") else tmp_path / "search.sqlite3")
    try:
        other.apply([replace(doc, published_from=NOW.replace(year=NOW.year + 1), version="2")], [])
    finally:
        other.close()
    assert "/kk/news/new" not in backend.similar(query, now=NOW)


def test_without_champion_lists_the_caller_searches(backend, tmp_path):
    backend.champions = False
    assert backend.similar(SearchQuery("мектеп", lang="kk", match_any=True), now=NOW) is None


def test_related_articles_use_the_lists_and_fall_back_to_search(make_site, monkeypatch):
    from qalam.search import sqlite as sqlite_module
    from qalam.search.related import related_pages
    from qalam.search.service import for_site

    files = {"pages/01.news/blog.md": "---\ntitle: News\n---\n"}
    for i, title in enumerate(["Мектеп оқушылары жобасы", "Мектеп оқушылары сауалнама", "Жол көлік қала",
                               "Мектеп жобасы ұстаз", "Аурухана дәрігер"]):
        files[f"pages/01.news/a{i}/item.md"] = f"---\ntitle: {title}\ndate: 2026-11-0{i + 1}\n---\n{title} мәтін\n"
    site = make_site(files)
    for_site(site).sync()
    page = site.resolve("/news/a0").page
    calls = []
    real = sqlite_module.SQLiteSearchBackend.similar
    monkeypatch.setattr(sqlite_module.SQLiteSearchBackend, "similar",
                        lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    titles = [p.title for p in related_pages(page, 2)]
    assert calls and set(titles) == {"Мектеп оқушылары сауалнама", "Мектеп жобасы ұстаз"}
    monkeypatch.setattr(sqlite_module.SQLiteSearchBackend, "similar", lambda self, *a, **k: None)
    assert set(p.title for p in related_pages(page, 2)) == set(titles)
