"""SQLite FTS5 search backend (the default): pre-analysed terms, BM25, own snippets.

Documents are analysed by :func:`qalam.lang.analyze` (the same pipeline as queries),
and FTS5 indexes the resulting terms, so Kazakh stems in both scripts and Russian
stems match whatever the reader typed. Four columns per document: title terms, body
terms, and their "loose" (no diacritics) keys; BM25 weighs the title above the body
and exact terms above loose ones. Snippets are cut from the stored plain text around
the densest run of matched words, HTML-escaped, with ``<mark>`` around the matches.
"""

from __future__ import annotations

import hashlib
import html
import sqlite3
import threading
from collections.abc import Iterable
from datetime import datetime, time, timezone, tzinfo
from functools import lru_cache
from operator import itemgetter
from time import monotonic
from pathlib import Path

from qalam.content.files import use_wal
from qalam.lang.analyze import Token, analyze, scan
from qalam.lang.stopwords import stop_terms
from qalam.lang.translit import loose_key

from . import topk
from .backend import SearchDocument, SearchHit, SearchQuery, SearchResults

SCHEMA_VERSION = "3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    lang TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    section TEXT NOT NULL,
    date_ts REAL,
    pub_from REAL,
    pub_until REAL,
    version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_lang ON docs(lang, section);
-- Covers the join of the matches with their filters: without it every matched row is read from
-- the table, past its long `text` column, to reach the dates (two thirds of a query's time).
CREATE INDEX IF NOT EXISTS docs_match ON docs(id, lang, pub_from, pub_until, date_ts, section, url);
-- Champion lists (search/topk.py): per phrase ("t term": exact term in title+body, "l key":
-- loose key in the loose columns) its document frequency, and the documents with the highest
-- BM25 term weight, best first; `floor` bounds the weight of every document trimmed away.
CREATE TABLE IF NOT EXISTS phrases (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    df INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    floor REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS champions (
    pid INTEGER NOT NULL,
    impact REAL NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (pid, impact DESC, doc)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, body, title_loose, body_loose, meta,
    tokenize = "unicode61 remove_diacritics 0 tokenchars '-'"
);
"""
#: Entries of each word's champion lists that rank related articles (SQLiteSearchBackend.similar).
SIMILAR_DEPTH = 32
#: Champion list heads kept in memory for related articles (the cache is emptied when full).
SIMILAR_CACHE = 20_000
_by_score = itemgetter(1)
#: BM25 column weights: title terms, body terms, title loose keys, body loose keys.
WEIGHTS = topk.WEIGHTS
#: The `meta` column holds tokens for the language, the section and "has a publication window",
#: so that counting the matches of a language or section is an FTS5 intersection, without
#: joining every match to `docs`. Weight 0: it never changes a score.
FTS_WEIGHTS = (*WEIGHTS, 0.0)
WINDOWED = "qmwindowed"


def _meta_token(kind: str, value: str) -> str:
    """One FTS5 token for a language or section, whatever characters its name has."""
    return "qm" + kind + hashlib.blake2b(value.encode(), digest_size=8).hexdigest()


def _meta(doc: SearchDocument) -> str:
    tokens = [_meta_token("l", doc.lang), _meta_token("s", doc.section)]
    if doc.published_from or doc.published_until:
        tokens.append(WINDOWED)
    return " ".join(tokens)
SNIPPET_CHARS = 240
SNIPPET_SCAN_CHARS = 60_000
SNIPPET_LEAD_CHARS = 480
#: How long the index statistics (documents, tokens) are trusted without reading them again.
STATS_SECONDS = 0.5


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _loose_keys(token, lang: str) -> list[str]:
    """The loose key of the stem, and for Kazakh also of the unstemmed word.

    A reader typing without Kazakh letters cannot know consonant alternations the
    stemmer undoes (орталығы -> орталық), so the word's own loose key ("ortalygy")
    is indexed and searched as well.
    """
    keys = [token.loose]
    if lang in ("kk", ""):
        word_key = loose_key(token.word)
        if word_key and word_key != token.loose:
            keys.append(word_key)
    return keys


def _terms(text: str, lang: str) -> tuple[str, str]:
    tokens = analyze(text, lang)
    return (topk.clean_terms(" ".join(t.term for t in tokens)),
            topk.clean_terms(" ".join(k for t in tokens for k in _loose_keys(t, lang))))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class SQLiteSearchBackend:
    """FTS5 index in one SQLite file (WAL mode; writes through one lock)."""

    def __init__(self, path: str | Path, *, champions: bool = True):
        self.path = Path(path)
        #: Rank from champion lists where they can prove the answer (False: FTS5 scores every
        #: match; same answers, kept for comparison in benchmarks and tests).
        self.champions = champions
        self._stats_cache: tuple[float, tuple[int, int, float | None]] | None = None
        self._langs_cache: tuple[float, list[str]] | None = None
        #: Champion list heads read for related articles, for the index statistics they were read
        #: under (another process's change moves them, and the cache is dropped): the same common
        #: words come back in page after page of a build.
        self._heads: dict = {}
        self._heads_stats: tuple | None = None
        self._rows: dict[int, tuple | None] = {}  # _visible's columns per document
        self._rows_version: int | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        use_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
        row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            self._conn.executescript("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS fts; "
                                     "DROP TABLE IF EXISTS phrases; DROP TABLE IF EXISTS champions; "
                                     "DELETE FROM meta;")
        self._conn.executescript(SCHEMA)
        self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))

    # --- writing -------------------------------------------------------------------
    def versions(self) -> dict[str, str]:
        with self._lock:
            return dict(self._conn.execute("SELECT key, version FROM docs").fetchall())

    @staticmethod
    def analyse(doc: SearchDocument) -> tuple:
        """The CPU-bound part of indexing ``doc``, without the database (so it can run in
        another process, search/service.py): its term columns, meta tokens and phrase weights."""
        title_terms, title_loose = _terms(doc.title, doc.lang)
        body_terms, body_loose = _terms(doc.text, doc.lang)
        columns = (title_terms, body_terms, title_loose, body_loose, _meta(doc))
        return (doc, *columns, topk.phrase_weights(columns))

    def apply(self, upserts: Iterable[SearchDocument | tuple], removals: Iterable[str]) -> None:
        """Index ``upserts`` (documents, or what :meth:`analyse` made of them) and remove the
        documents with the keys ``removals``."""
        rows = [doc if isinstance(doc, tuple) else self.analyse(doc) for doc in upserts]
        removals = list(removals)
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                n_docs, n_tokens, avgdl0 = self._read_stats()
                gone, new = [], []
                for key in [*removals, *(r[0].key for r in rows)]:
                    old = self._delete(key)
                    if old is not None:
                        weights, dl = topk.phrase_weights(old[1])
                        gone.append((old[0], weights, dl))
                        n_docs, n_tokens = n_docs - 1, n_tokens - dl
                for doc, tt, bt, tl, bl, meta, (weights, dl) in rows:
                    cur = conn.execute(
                        "INSERT INTO docs(key, lang, url, title, text, section, date_ts, pub_from, pub_until, version)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (doc.key, doc.lang, doc.url, doc.title, doc.text, doc.section, _ts(doc.date),
                         _ts(doc.published_from), _ts(doc.published_until), doc.version),
                    )
                    conn.execute(
                        "INSERT INTO fts(rowid, title, body, title_loose, body_loose, meta) VALUES (?,?,?,?,?,?)",
                        (cur.lastrowid, tt, bt, tl, bl, meta),
                    )
                    new.append((cur.lastrowid, weights, dl))
                    n_docs, n_tokens = n_docs + 1, n_tokens + dl
                if avgdl0 is None and new:
                    avgdl0 = max(1.0, sum(dl for _i, _w, dl in new) / len(new))
                if avgdl0 is not None:
                    self._update_champions(gone, new, avgdl0)
                self._set_stats(n_docs, n_tokens, avgdl0)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _stats(self) -> tuple[int, int, float | None]:
        """Number of documents, of tokens, and the first average length (``avgdl0``).

        Kept in memory: this process's writes replace it, another process's (a second
        server worker re-syncing) are seen within :data:`STATS_SECONDS`."""
        now = monotonic()
        if self._stats_cache is not None and now - self._stats_cache[0] < STATS_SECONDS:
            return self._stats_cache[1]
        stats = self._read_stats()
        self._stats_cache = (now, stats)
        return stats

    def _read_stats(self) -> tuple[int, int, float | None]:
        meta = dict(self._conn.execute("SELECT key, value FROM meta WHERE key IN ('n_docs', 'n_tokens', 'avgdl0')"))
        return int(meta.get("n_docs", 0)), int(meta.get("n_tokens", 0)), \
            (float(meta["avgdl0"]) if "avgdl0" in meta else None)

    def _set_stats(self, n_docs: int, n_tokens: int, avgdl0: float | None) -> None:
        values = [("n_docs", str(n_docs)), ("n_tokens", str(n_tokens))]
        if avgdl0 is not None:
            values.append(("avgdl0", repr(avgdl0)))
        self._conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", values)
        self._stats_cache = self._langs_cache = None
        self._heads, self._rows = {}, {}  # this process changed the lists

    def _update_champions(self, gone, new, avgdl0: float) -> None:
        """Document frequencies and champion lists follow the removed and added documents."""
        conn = self._conn
        df: dict[str, int] = {}
        for sign, docs in ((-1, gone), (1, new)):
            for _doc, weights, _dl in docs:
                for key in weights:
                    df[key] = df.get(key, 0) + sign
        keys = list(df)
        conn.executemany("INSERT OR IGNORE INTO phrases(key) VALUES (?)", [(k,) for k in keys])
        ids: dict[str, tuple[int, float]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            for key, pid, floor in conn.execute(
                    f"SELECT key, id, floor FROM phrases WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                ids[key] = (pid, floor)
        size: dict[int, int] = {}
        for doc, weights, dl in gone:
            for key, f in weights.items():
                pid = ids[key][0]
                cur = conn.execute("DELETE FROM champions WHERE pid=? AND impact=? AND doc=?",
                                   (pid, topk.impact(f, dl, avgdl0), doc))
                size[pid] = size.get(pid, 0) - cur.rowcount
        entries = []
        for doc, weights, dl in new:
            for key, f in weights.items():
                pid, floor = ids[key]
                value = topk.impact(f, dl, avgdl0)
                if value > floor:
                    entries.append((pid, value, doc))
                    size[pid] = size.get(pid, 0) + 1
        conn.executemany("INSERT OR IGNORE INTO champions(pid, impact, doc) VALUES (?, ?, ?)", entries)
        conn.executemany("UPDATE phrases SET df = df + ?, size = size + ? WHERE id = ?",
                         [(df[k], size.get(ids[k][0], 0), ids[k][0]) for k in keys])
        conn.execute("DELETE FROM phrases WHERE df <= 0 AND size <= 0")
        for (pid,) in conn.execute("SELECT id FROM phrases WHERE size > ?", (2 * topk.KEEP,)).fetchall():
            row = conn.execute("SELECT impact FROM champions WHERE pid=? ORDER BY impact DESC LIMIT 1 OFFSET ?",
                               (pid, topk.KEEP)).fetchone()
            if row is None:
                continue
            conn.execute("DELETE FROM champions WHERE pid=? AND impact <= ?", (pid, row[0]))
            conn.execute("UPDATE phrases SET floor = max(floor, ?), "
                         "size = (SELECT count(*) FROM champions WHERE pid=?) WHERE id=?", (row[0], pid, pid))

    def _delete(self, key: str) -> tuple[int, tuple[str, ...]] | None:
        """Remove one document; its id and stored term columns (to update the statistics)."""
        row = self._conn.execute("SELECT id FROM docs WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        columns = self._conn.execute("SELECT title, body, title_loose, body_loose, meta FROM fts WHERE rowid=?",
                                     (row[0],)).fetchone()
        self._conn.execute("DELETE FROM fts WHERE rowid=?", (row[0],))
        self._conn.execute("DELETE FROM docs WHERE id=?", (row[0],))
        return row[0], tuple(columns or ("", "", "", "", ""))

    def clear(self) -> None:
        with self._lock:
            for table in ("docs", "fts", "phrases", "champions"):
                self._conn.execute(f"DELETE FROM {table}")
            self._conn.execute("DELETE FROM meta WHERE key IN ('n_docs', 'n_tokens', 'avgdl0')")
            self._stats_cache = self._langs_cache = None
            self._heads, self._rows = {}, {}

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- querying ------------------------------------------------------------------
    def _languages(self) -> list[str]:
        """The languages in the index (kept like the statistics: a distinct scan of 50,000
        rows is milliseconds a query)."""
        now = monotonic()
        if self._langs_cache is not None and now - self._langs_cache[0] < STATS_SECONDS:
            return self._langs_cache[1]
        langs = [r[0] for r in self._conn.execute("SELECT DISTINCT lang FROM docs ORDER BY lang")]
        self._langs_cache = (now, langs)
        return langs

    def search(self, query: SearchQuery, *, now: datetime, tz: tzinfo = timezone.utc) -> SearchResults:
        results = SearchResults(query=query)
        with self._lock:
            if not self._stats()[0]:
                return results  # nothing indexed yet
            langs = [query.lang] if query.lang else self._languages()
        offset = (max(1, query.page) - 1) * query.per_page
        want = offset + query.per_page
        plans, analysed = [], {}
        for lang in langs:
            # A word matches by its exact term or by a loose key.
            content = _content_words(query.q, lang)
            if not content:
                continue
            analysed[lang] = ({t.term for t in content}, {k for t in content for k in _loose_keys(t, lang)})
            phrases = [
                phrase for g, t in enumerate(content)
                for phrase in [topk.Phrase(f"t {t.term}", g)] + [topk.Phrase(f"l {k}", g) for k in _loose_keys(t, lang)]
            ]
            groups = [
                "(" + " OR ".join(
                    [f"{{title body}} : {_quote(p.term)}" if p.kind == "t" else f"{{title_loose body_loose}} : {_quote(p.term)}"
                     for p in phrases if p.group == g]
                ) + ")"
                for g in range(len(content))
            ]
            where, args = self._filters(query, lang, now, tz)
            plans.append((lang, phrases, groups, where, args))
        if not plans:
            return results
        ranked: list[topk.Candidate] = []
        with self._lock:
            for lang, phrases, groups, where, args in plans:
                tiered = not query.match_any and len(groups) > 1
                ranked.extend(self._best(phrases, groups, where, args, tiered, want))
            ranked.sort(key=lambda c: (c.tier, -c.score, -(c.date_ts or 0.0), c.id))
            best = ranked[offset:want]
            if query.count:
                results.total = sum(self._count(query, lang, " OR ".join(groups), where, args)
                                    for lang, _p, groups, where, args in plans)
            else:
                results.total = offset + len(best)
            chosen = [c.id for c in best]
            found = {
                r[0]: r for r in self._conn.execute(
                    f"SELECT id, lang, url, title, section, date_ts, substr(text, 1, {SNIPPET_SCAN_CHARS}) "
                    f"FROM docs WHERE id IN ({','.join('?' * len(chosen))})", chosen).fetchall()
            } if chosen else {}
        for c in best:
            if c.id not in found:
                continue
            _doc_id, lang, url, title, section, date_ts, text = found[c.id]
            terms, loose = analysed[lang]
            results.hits.append(
                SearchHit(
                    url=url,
                    title=title,
                    lang=lang,
                    section=section,
                    date=datetime.fromtimestamp(date_ts, tz=timezone.utc) if date_ts is not None else None,
                    snippet=snippet(text or "", lang, terms, loose),
                    title_html=highlight(title, lang, terms, loose),
                    score=c.score,
                )
            )
        return results

    def similar(self, query: SearchQuery, *, now: datetime, tz: tzinfo = timezone.utc) -> list[str] | None:
        """URLs of the documents most like ``query``'s words (any may match), best first: related
        articles. Ranked from the champion lists alone: each document met in the first
        :data:`SIMILAR_DEPTH` entries of a word's lists scores that word's IDF times its term
        weight there (BM25, as in search/topk.py), and a document not met scores nothing for
        the word. That is not the exact BM25 order a results page needs, but it is what
        "related" means, at a fraction of the cost: a 16-word query of common words matches
        most of an archive, and ranking it exactly took ~150 ms on 10,000 articles, against
        about a millisecond here. None when the index has no champion lists (then the caller
        asks :meth:`search`)."""
        lang = query.lang
        with self._lock:
            n_docs, _n_tokens, avgdl0 = self._stats()
            if not self.champions or avgdl0 is None or not n_docs or not lang:
                return None
            content = _content_words(query.q, lang)
            # One list per word: its stem's loose key (every form, both scripts) where it has one,
            # else its exact term (the word's other lists hold mostly the same pages).
            keys = sorted({key for t in content for key in [f"l {t.loose}" if t.loose else f"t {t.term}"]
                           if topk.is_simple(key[2:])})
            if not keys:
                return []
            conn = self._conn
            stats = self._stats()
            if self._heads_stats != stats or len(self._heads) > SIMILAR_CACHE:
                self._heads, self._heads_stats = {}, stats
            heads = self._heads
            want = max(1, query.per_page)
            depth = SIMILAR_DEPTH
            while True:
                scores: dict[int, float] = {}
                get = scores.get
                deeper = False
                for key in keys:
                    head = heads.get((key, depth))
                    if head is None:
                        head = heads[(key, depth)] = self._head(key, depth, n_docs)
                    more, entries = head
                    deeper = deeper or more
                    for doc, weight in entries:
                        scores[doc] = get(doc, 0.0) + weight
                best = [doc for doc, _score in sorted(scores.items(), key=_by_score, reverse=True)[: 2 * want + 8]]
                found = self._visible(best, query, lang, now, tz)
                # Most of the best may be in other languages or excluded: then look deeper once more.
                if len(found) >= want or not deeper or depth >= topk.KEEP * 2:
                    break
                depth *= 4
        return [found[d] for d in best if d in found][:want]

    def _visible(self, ids: list[int], query: SearchQuery, lang: str, now: datetime, tz: tzinfo) -> dict[int, str]:
        """The URLs of those of ``ids`` that pass the query's filters (as :meth:`_filters` says).

        The few columns the filters read are kept per document while the index does not change
        (SQLite's ``data_version`` for other connections' writes, :meth:`_changed` for this
        one's): related boxes meet the same popular documents again and again, and a query per
        box cost more than ranking it."""
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        rows = self._rows
        if self._rows_version != version or len(rows) > SIMILAR_CACHE:
            rows = self._rows = {}
            self._rows_version = version
        missing = [i for i in ids if i not in rows]
        if missing:
            for row in self._conn.execute(
                    f"SELECT id, url, lang, section, date_ts, pub_from, pub_until FROM docs "
                    f"WHERE id IN ({','.join('?' * len(missing))})", missing):
                rows[row[0]] = row[1:]
            for i in missing:
                rows.setdefault(i, None)  # gone: never shown
        now_ts = now.timestamp()
        lo = datetime.combine(query.date_from, time.min, tzinfo=tz).timestamp() if query.date_from else None
        hi = datetime.combine(query.date_to, time.max, tzinfo=tz).timestamp() if query.date_to else None
        excluded = set(query.exclude_urls)
        found: dict[int, str] = {}
        for i in ids:
            row = rows[i]
            if row is None:
                continue
            url, doc_lang, section, date_ts, pub_from, pub_until = row
            if (doc_lang != lang or (pub_from is not None and pub_from > now_ts)
                    or (pub_until is not None and pub_until <= now_ts) or url in excluded
                    or (query.section and section != query.section)
                    or (lo is not None and (date_ts is None or date_ts < lo))
                    or (hi is not None and (date_ts is None or date_ts >= hi))):
                continue
            found[i] = url
        return found

    def _head(self, key: str, depth: int, n_docs: int) -> tuple[bool, list[tuple[int, float]]]:
        """The first ``depth`` entries of a phrase's champion list as (document, IDF × weight),
        and whether the list goes on."""
        row = self._conn.execute("SELECT id, df, size FROM phrases WHERE key=?", (key,)).fetchone()
        if row is None:
            return False, []
        weight = topk.idf(n_docs, row[1])
        rows = self._conn.execute("SELECT doc, impact FROM champions WHERE pid=? ORDER BY impact DESC LIMIT ?",
                                  (row[0], depth)).fetchall()
        return row[2] > depth, [(doc, weight * impact) for doc, impact in rows]

    def _count(self, query: SearchQuery, lang: str, match: str, where: list[str], args: list) -> int:
        """How many pages match, without scoring them.

        Language and section are tokens in the `meta` column, so FTS5 counts their matches by
        itself; only matches with a publication window are joined to `docs` to see whether
        they are visible now. Date and exclusion filters join every match."""
        join = "CROSS JOIN docs d INDEXED BY docs_match ON d.id = m.id WHERE "
        if query.date_from or query.date_to or query.exclude_urls:
            return self._conn.execute(
                f"SELECT COUNT(*) FROM (SELECT rowid AS id FROM fts WHERE fts MATCH ?) AS m {join}"
                + " AND ".join(where), [match, *args]).fetchone()[0]
        # A site in one language needs no language condition (FTS5 then only counts the matches).
        scope = match if self._languages() == [lang] else f"({match}) AND {{meta}} : {_quote(_meta_token('l', lang))}"
        if query.section:
            scope += f" AND {{meta}} : {_quote(_meta_token('s', query.section))}"
        total = self._conn.execute("SELECT COUNT(*) FROM fts WHERE fts MATCH ?", [scope]).fetchone()[0]
        hidden = self._conn.execute(
            f"SELECT COUNT(*) FROM (SELECT rowid AS id FROM fts WHERE fts MATCH ?) AS m {join} NOT ("
            + " AND ".join(where) + ")", [f"({scope}) AND {{meta}} : {WINDOWED}", *args]).fetchone()[0]
        return total - hidden

    @staticmethod
    def _filters(query: SearchQuery, lang: str, now: datetime, tz: tzinfo) -> tuple[list[str], list]:
        where = ["d.lang = ?", "(d.pub_from IS NULL OR d.pub_from <= ?)", "(d.pub_until IS NULL OR d.pub_until > ?)"]
        args: list = [lang, now.timestamp(), now.timestamp()]
        if query.section:
            where.append("d.section = ?")
            args.append(query.section)
        if query.exclude_urls:
            where.append(f"d.url NOT IN ({','.join('?' * len(query.exclude_urls))})")
            args.extend(query.exclude_urls)
        if query.date_from:
            where.append("d.date_ts >= ?")
            args.append(datetime.combine(query.date_from, time.min, tzinfo=tz).timestamp())
        if query.date_to:
            where.append("d.date_ts < ?")
            args.append(datetime.combine(query.date_to, time.max, tzinfo=tz).timestamp())
        return where, args

    def _best(self, phrases: list[topk.Phrase], groups: list[str], where: list[str], args: list,
              tiered: bool, want: int) -> list[topk.Candidate]:
        """The ``want`` best matches of one language: pages with every word first (a reader's
        question rarely has all its words in the answer, so then pages with some of them),
        each tier by BM25. Champion lists answer most queries (search/topk.py); FTS5 scores
        every match when they cannot prove the answer."""
        every, some = " AND ".join(groups), " OR ".join(groups)
        ranking = self._threshold_ranking(phrases, len(groups), tiered, where, args)
        if ranking is not None:
            if not tiered or ranking.first_tier_size() > topk.SMALL_FIRST_TIER:
                top = ranking.top(want)
                if top is not None:
                    return top
            if tiered:
                first = self._scored(every, 0, where, args, want)
                if len(first) >= want:
                    return first
                top = ranking.top(want, first=first)
                if top is not None:
                    return top
        tiers = [(0, every), (1, f"({some}) NOT ({every})")] if tiered else [(0, some)]
        return [c for tier, match in tiers for c in self._scored(match, tier, where, args, want)][:want]

    def _scored(self, match: str, tier: int, where: list[str], args: list, want: int) -> list[topk.Candidate]:
        """Every match scored by FTS5's bm25(), filtered through `docs`, the best ``want``.

        Matching in FTS5 first and joining the matches to `docs` afterwards: joining the other
        way round makes SQLite probe the FTS index once per document. The covering index
        `docs_match` answers the filters without reading the rows."""
        rows = self._conn.execute(
            f"SELECT d.id, m.score, d.date_ts FROM ("
            f"SELECT rowid AS id, bm25(fts, {', '.join(str(w) for w in FTS_WEIGHTS)}) AS score "
            "FROM fts WHERE fts MATCH ?) AS m CROSS JOIN docs d INDEXED BY docs_match ON d.id = m.id WHERE "
            + " AND ".join(where) + " ORDER BY m.score, d.date_ts DESC LIMIT ?",
            [match, *args, want],
        ).fetchall()
        return [topk.Candidate(i, tier, -score, date_ts) for i, score, date_ts in rows]

    def _threshold_ranking(self, phrases: list[topk.Phrase], groups: int, tiered: bool, where: list[str],
                           args: list) -> topk.ThresholdRanking | None:
        n_docs, n_tokens, avgdl0 = self._stats()
        if not self.champions or avgdl0 is None or not n_docs or not all(topk.is_simple(p.term) for p in phrases):
            return None
        keys = sorted({p.key for p in phrases})
        lists, stats = {}, {}
        for key, pid, df, floor in self._conn.execute(
                f"SELECT key, id, df, floor FROM phrases WHERE key IN ({','.join('?' * len(keys))})", keys):
            lists[key], stats[key] = (pid, floor), df
        conn = self._conn
        filters = " AND ".join(where)

        def read_list(pid: int, offset: int, limit: int) -> list[tuple[float, int]]:
            return conn.execute("SELECT impact, doc FROM champions WHERE pid=? ORDER BY impact DESC LIMIT ? OFFSET ?",
                                (pid, limit, offset)).fetchall()

        def fetch(ids):
            ids = list(ids)
            if not ids:
                return {}
            marks = ",".join("?" * len(ids))
            dates = dict(conn.execute(f"SELECT d.id, d.date_ts FROM docs d INDEXED BY docs_match "
                                      f"WHERE d.id IN ({marks}) AND {filters}", [*ids, *args]).fetchall())
            if not dates:
                return {}
            return {
                row[0]: (row[1:], dates[row[0]])
                for row in conn.execute(f"SELECT rowid, title, body, title_loose, body_loose, meta FROM fts "
                                        f"WHERE rowid IN ({','.join('?' * len(dates))})", list(dates))
            }

        return topk.ThresholdRanking(phrases, lists, stats, n_docs=n_docs, avgdl=n_tokens / n_docs, avgdl0=avgdl0,
                                     groups=groups, tiered=tiered, read_list=read_list, fetch=fetch)


def _content_words(q: str, lang: str) -> list[Token]:
    """The query's words, once each. Question and function words (кім, қашан, кто, the ...) are
    left out when the query has other words (and are not highlighted in snippets then either)."""
    unique = list({t.term: t for t in analyze(q, lang) if t.term}.values())
    stops = stop_terms(lang)
    return [t for t in unique if t.term not in stops] or unique


_word_key = lru_cache(maxsize=65536)(loose_key)


def _matches(text: str, lang: str, terms: set[str], loose: set[str]) -> list[Token]:
    """The words of ``text`` that match the query (by term or loose key, as in `_loose_keys`)."""
    kazakh = lang in ("kk", "")
    return [
        Token(term, key, start, end, word) for start, end, word, term, key in scan(text, lang)
        if term in terms or key in loose or (kazakh and _word_key(word) in loose)
    ]


def highlight(text: str, lang: str, terms: set[str], loose: set[str]) -> str:
    """The whole text, escaped, with matched words in <mark>."""
    return _mark(text, 0, len(text), _matches(text, lang, terms, loose))


def snippet(text: str, lang: str, terms: set[str], loose: set[str], size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters around the densest run of matches, escaped, matches in <mark>."""
    if not text:
        return ""
    # The lead first: a news page's first paragraphs usually hold the words, and reading the
    # whole page for a denser run later costs a few milliseconds a hit.
    hits = _matches(text[:_word_end(text, min(len(text), SNIPPET_LEAD_CHARS))], lang, terms, loose) \
        or _matches(text, lang, terms, loose)
    if not hits:
        end = _word_end(text, min(len(text), size))
        return html.escape(text[:end]) + ("…" if end < len(text) else "")
    # The window (starting at a match) that holds the most matches.
    best_i, best_n, j = 0, 0, 0
    for i, tok in enumerate(hits):
        while j < len(hits) and hits[j].end - tok.start <= size:
            j += 1
        if j - i > best_n:
            best_i, best_n = i, j - i
    first = hits[best_i].start
    start = _word_start(text, max(0, first - size // 4))
    end = _word_end(text, min(len(text), start + size))
    inside = [t for t in hits if t.start >= start and t.end <= end]
    out = _mark(text, start, end, inside)
    return ("…" if start > 0 else "") + out + ("…" if end < len(text) else "")


def _mark(text: str, start: int, end: int, tokens) -> str:
    parts, pos = [], start
    for tok in tokens:
        if tok.start < pos or tok.end > end:
            continue
        parts.append(html.escape(text[pos:tok.start]))
        parts.append("<mark>" + html.escape(text[tok.start:tok.end]) + "</mark>")
        pos = tok.end
    parts.append(html.escape(text[pos:end]))
    return "".join(parts).strip()


def _word_start(text: str, i: int) -> int:
    if i <= 0:
        return 0
    while i > 0 and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and not text[i].isspace():
        i += 1
    return i
