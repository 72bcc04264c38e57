"""Top results from champion lists (search/topk.py): the same answer as scoring every match.

A generated archive with a small vocabulary (so most queries match most pages, the case the
lists are for) is searched twice for every query: by the threshold algorithm over champion
lists, and by FTS5 scoring every match. Pages, order, scores and counts must be equal, also
after edits and removals move the statistics, with filters, deep pages and short lists.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from qalam.search import topk
from qalam.search.backend import SearchDocument, SearchQuery
from qalam.search.sqlite import SQLiteSearchBackend

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
WORDS = ("дәрігер дәрігерлер дәрігерлердің аурухана ауруханасы министр министрлігі денсаулық сақтау "
         "білім беру мектеп мектептері оқушылар ұстаз жоба жобасы қала қаласы ауыл ауылдары Қазақстан "
         "Қазақстанның президент үкімет су жол көлік вице-министр зертхана сауалнама").split()
RU_WORDS = "врач врачи больница министр здоровье школа ученики город дорога правительство".split()


def document(i: int, rng: random.Random, *, lang: str = "kk", extra: int = 0) -> SearchDocument:
    words = WORDS if lang == "kk" else RU_WORDS
    title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 6)))
    text = " ".join(rng.choice(words) for _ in range(rng.randint(20, 120) + extra))
    scheduled = i % 37 == 0
    return SearchDocument(
        key=f"{lang}:{i}", lang=lang, url=f"/{lang}/news/{i}", title=title, text=text,
        section=("news", "sport", "culture")[i % 3], date=NOW - timedelta(hours=i),
        published_from=NOW + timedelta(days=1) if scheduled else None,
        version="1",
    )


@pytest.fixture()
def small_lists(monkeypatch):
    """Short lists and small steps, so lists are trimmed and read to their floors; a small
    first tier, so both ways of ranking pages with every word are taken."""
    monkeypatch.setattr(topk, "KEEP", 24)
    monkeypatch.setattr(topk, "STEP", 4)
    monkeypatch.setattr(topk, "SMALL_FIRST_TIER", 60)


class Counting:
    """Counts how often the lists answered a query (so the test fails without them)."""

    def __init__(self, monkeypatch):
        self.answered = self.tried = 0
        original = topk.ThresholdRanking.top

        def top(ranking, k, **kwargs):
            self.tried += 1
            result = original(ranking, k, **kwargs)
            self.answered += result is not None
            return result

        monkeypatch.setattr(topk.ThresholdRanking, "top", top)


def both_ways(backend: SQLiteSearchBackend, query: SearchQuery):
    fast = backend.search(query, now=NOW)
    backend.champions = False
    try:
        slow = backend.search(SearchQuery(**vars(query)), now=NOW)
    finally:
        backend.champions = True
    return fast, slow


def assert_same(fast, slow, label):
    assert [h.url for h in fast.hits] == [h.url for h in slow.hits], label
    for a, b in zip(fast.hits, slow.hits):
        assert a.score == pytest.approx(b.score, rel=1e-9, abs=0), label
    assert fast.total == slow.total, label


QUERIES = ["дәрігер", "дәрігерлердің аурухана", "министр денсаулық сақтау", "Qazaqstan", "мектеп",
           "вице-министр", "жоба қала ауыл", "ұстаз оқушылар", "zertxana", "врачи больница", "су"]


def test_champion_lists_give_the_same_answer_as_scoring_every_match(tmp_path, monkeypatch, small_lists):
    rng = random.Random(7)
    backend = SQLiteSearchBackend(tmp_path / "search.sqlite3")
    docs = [document(i, rng) for i in range(400)] + [document(i, rng, lang="ru") for i in range(60)]
    for start in range(0, len(docs), 50):
        backend.apply(docs[start:start + 50], [])
    counting = Counting(monkeypatch)
    variants = [dict(), dict(page=2), dict(page=5, per_page=7), dict(section="sport"), dict(lang="kk"),
                dict(match_any=True), dict(lang="ru"), dict(page=40)]
    for q in QUERIES:
        for extra in variants:
            query = SearchQuery(q=q, **extra)
            fast, slow = both_ways(backend, query)
            assert_same(fast, slow, (q, extra))
    assert counting.answered >= counting.tried // 3, (counting.answered, counting.tried)

    # Edits, removals and much longer pages move document frequencies and the average length
    # (impacts were computed with the first average: the bound must stay a bound).
    changed = [document(i, rng, extra=400) for i in range(0, 400, 3)]
    backend.apply(changed, [f"kk:{i}" for i in range(1, 400, 5)])
    backend.apply([document(i, rng) for i in range(400, 450)], [])
    for q in QUERIES:
        for extra in variants[:5]:
            query = SearchQuery(q=q, **extra)
            fast, slow = both_ways(backend, query)
            assert_same(fast, slow, ("after edits", q, extra))
    backend.close()


def test_scores_are_fts5_bm25(tmp_path, monkeypatch):
    """Without trimming, every list is complete and the answer is the lists' own."""
    rng = random.Random(3)
    backend = SQLiteSearchBackend(tmp_path / "search.sqlite3")
    backend.apply([document(i, rng) for i in range(120)], [])
    counting = Counting(monkeypatch)
    for q in QUERIES:
        fast, slow = both_ways(backend, SearchQuery(q=q, per_page=50))
        assert_same(fast, slow, q)
    assert counting.answered == counting.tried > 0


def test_counts_follow_language_section_and_publication_window(tmp_path):
    rng = random.Random(11)
    backend = SQLiteSearchBackend(tmp_path / "search.sqlite3")
    docs = [document(i, rng) for i in range(300)]
    backend.apply(docs, [])
    for section in (None, "news", "sport"):
        got = backend.search(SearchQuery(q="дәрігер", lang="kk", section=section), now=NOW).total
        expected = sum(
            1 for d in docs
            if (section is None or d.section == section) and d.published_from is None
            and "дәрігер" in (d.title + " " + d.text)
        )
        assert got == expected, section
        # After the scheduled pages are published, they count.
        later = backend.search(SearchQuery(q="дәрігер", lang="kk", section=section),
                               now=NOW + timedelta(days=2)).total
        assert later == sum(1 for d in docs if (section is None or d.section == section)
                            and "дәрігер" in (d.title + " " + d.text))
    backend.close()


def test_terms_are_stored_as_fts5_reads_them():
    assert topk.clean_terms("Ab_c  d\u0301e-f  ") == "ab c d e-f"
    assert topk.is_simple("вице-министр") and not topk.is_simple("a_b") and not topk.is_simple("")
    # Repeated words next to each other are all counted (str.count does not overlap).
    phrase = topk.Phrase("t a", 0)
    padded = [f" {c.replace(' ', '  ')} " for c in ("a a a", "b a", "", "", "")]
    assert topk.weighted_frequency(phrase, padded) == 3 * 10.0 + 1 * 1.0
