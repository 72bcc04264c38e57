"""SQLite FTS5 search backend (the default): pre-analysed terms, BM25, own snippets.

Documents are analysed by :func:`qalam.lang.analyze` (the same pipeline as queries),
and FTS5 indexes the resulting terms, so Kazakh stems in both scripts and Russian
stems match whatever the reader typed. Four columns per document: title terms, body
terms, and their "loose" (no diacritics) keys; BM25 weighs the title above the body
and exact terms above loose ones. Snippets are cut from the stored plain text around
the densest run of matched words, HTML-escaped, with ``<mark>`` around the matches.
"""

from __future__ import annotations

import html
import sqlite3
import threading
from collections.abc import Iterable
from datetime import datetime, time, timezone, tzinfo
from pathlib import Path

from qalam.lang.analyze import analyze
from qalam.lang.stopwords import stop_terms
from qalam.lang.translit import loose_key

from .backend import SearchDocument, SearchHit, SearchQuery, SearchResults

SCHEMA_VERSION = "2"
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
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, body, title_loose, body_loose,
    tokenize = "unicode61 remove_diacritics 0 tokenchars '-'"
);
"""
#: BM25 column weights: title terms, body terms, title loose keys, body loose keys.
WEIGHTS = (10.0, 1.0, 4.0, 0.4)
SNIPPET_CHARS = 240
SNIPPET_SCAN_CHARS = 60_000


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
    return " ".join(t.term for t in tokens), " ".join(k for t in tokens for k in _loose_keys(t, lang))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class SQLiteSearchBackend:
    """FTS5 index in one SQLite file (WAL mode; writes through one lock)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
        row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            self._conn.executescript("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS fts;")
        self._conn.executescript(SCHEMA)
        self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))

    # --- writing -------------------------------------------------------------------
    def versions(self) -> dict[str, str]:
        with self._lock:
            return dict(self._conn.execute("SELECT key, version FROM docs").fetchall())

    def apply(self, upserts: Iterable[SearchDocument], removals: Iterable[str]) -> None:
        rows = []
        for doc in upserts:
            title_terms, title_loose = _terms(doc.title, doc.lang)
            body_terms, body_loose = _terms(doc.text, doc.lang)
            rows.append((doc, title_terms, body_terms, title_loose, body_loose))
        removals = list(removals)
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                for key in removals:
                    self._delete(key)
                for doc, tt, bt, tl, bl in rows:
                    self._delete(doc.key)
                    cur = conn.execute(
                        "INSERT INTO docs(key, lang, url, title, text, section, date_ts, pub_from, pub_until, version)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (doc.key, doc.lang, doc.url, doc.title, doc.text, doc.section, _ts(doc.date),
                         _ts(doc.published_from), _ts(doc.published_until), doc.version),
                    )
                    conn.execute(
                        "INSERT INTO fts(rowid, title, body, title_loose, body_loose) VALUES (?,?,?,?,?)",
                        (cur.lastrowid, tt, bt, tl, bl),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _delete(self, key: str) -> None:
        row = self._conn.execute("SELECT id FROM docs WHERE key=?", (key,)).fetchone()
        if row is not None:
            self._conn.execute("DELETE FROM fts WHERE rowid=?", (row[0],))
            self._conn.execute("DELETE FROM docs WHERE id=?", (row[0],))

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM docs")
            self._conn.execute("DELETE FROM fts")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- querying ------------------------------------------------------------------
    def _languages(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT DISTINCT lang FROM docs ORDER BY lang")]

    def search(self, query: SearchQuery, *, now: datetime, tz: tzinfo = timezone.utc) -> SearchResults:
        results = SearchResults(query=query)
        with self._lock:
            langs = [query.lang] if query.lang else self._languages()
        parts, counts, params, analysed = [], [], [], {}
        for lang in langs:
            tokens = analyze(query.q, lang)
            if not any(t.term for t in tokens):
                continue
            # A word matches by its exact term or by a loose key. Question and function words
            # (кім, қашан, кто, the ...) are left out when the query has other words (and are
            # not highlighted in snippets then either).
            unique = list({t.term: t for t in tokens if t.term}.values())
            stops = stop_terms(lang)
            content = [t for t in unique if t.term not in stops] or unique
            analysed[lang] = ({t.term for t in content}, {k for t in content for k in _loose_keys(t, lang)})
            groups = [
                "(" + " OR ".join(
                    [f"{{title body}} : {_quote(t.term)}"]
                    + [f"{{title_loose body_loose}} : {_quote(k)}" for k in _loose_keys(t, lang)]
                ) + ")"
                for t in content
            ]
            every, some = " AND ".join(groups), " OR ".join(groups)
            if query.match_any or len(groups) == 1:
                tiers = [(0, some)]
            else:
                # Pages with every word first, then pages with some of them (a reader's question
                # rarely has all its words in the answer), each tier by BM25.
                tiers = [(0, every), (1, f"({some}) NOT ({every})")]
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
            # Match in FTS5 first (one index lookup), then filter the matches through `docs`;
            # joining the other way round makes SQLite probe the FTS index once per document.
            for tier, match in tiers:
                # The covering index `docs_match` answers the filters without reading the rows.
                parts.append(
                    f"SELECT d.id, d.date_ts, {tier} AS tier, m.score FROM ("
                    f"SELECT rowid AS id, bm25(fts, {', '.join(str(w) for w in WEIGHTS)}) AS score "
                    "FROM fts WHERE fts MATCH ?) AS m CROSS JOIN docs d INDEXED BY docs_match ON d.id = m.id WHERE "
                    + " AND ".join(where)
                )
                counts.append(
                    "SELECT d.id FROM (SELECT rowid AS id FROM fts WHERE fts MATCH ?) AS m "
                    "CROSS JOIN docs d INDEXED BY docs_match ON d.id = m.id WHERE " + " AND ".join(where)
                )
                params.extend([match, *args])
        if not parts:
            return results
        union = " UNION ALL ".join(parts)
        offset = (max(1, query.page) - 1) * query.per_page
        with self._lock:
            # The best page is sorted inside SQLite (LIMIT: a top-k sort, not a full one); the
            # count, when wanted, matches and joins without scoring.
            best = self._conn.execute(
                f"SELECT id, tier, score FROM ({union}) ORDER BY tier, score, date_ts DESC LIMIT ? OFFSET ?",
                [*params, query.per_page, offset],
            ).fetchall()
            if query.count:
                results.total = self._conn.execute(f"SELECT COUNT(*) FROM ({' UNION ALL '.join(counts)})",
                                                   params).fetchone()[0]
            else:
                results.total = offset + len(best)
            chosen = [r[0] for r in best]
            found = {
                r[0]: r for r in self._conn.execute(
                    f"SELECT id, lang, url, title, section, date_ts FROM docs WHERE id IN ({','.join('?' * len(chosen))})",
                    chosen).fetchall()
            } if chosen else {}
            rows = [(*found[r[0]], r[1], r[2]) for r in best if r[0] in found]
            texts = {
                r[0]: r[1]
                for r in self._conn.execute(
                    f"SELECT id, substr(text, 1, {SNIPPET_SCAN_CHARS}) FROM docs WHERE id IN "
                    f"({','.join('?' * len(rows))})",
                    [r[0] for r in rows],
                ).fetchall()
            } if rows else {}
        for doc_id, lang, url, title, section, date_ts, _tier, score in rows:
            terms, loose = analysed[lang]
            results.hits.append(
                SearchHit(
                    url=url,
                    title=title,
                    lang=lang,
                    section=section,
                    date=datetime.fromtimestamp(date_ts, tz=timezone.utc) if date_ts is not None else None,
                    snippet=snippet(texts.get(doc_id, ""), lang, terms, loose),
                    title_html=highlight(title, lang, terms, loose),
                    score=-score,
                )
            )
        return results


def _matches(text: str, lang: str, terms: set[str], loose: set[str]):
    return [t for t in analyze(text, lang) if t.term in terms or any(k in loose for k in _loose_keys(t, lang))]


def highlight(text: str, lang: str, terms: set[str], loose: set[str]) -> str:
    """The whole text, escaped, with matched words in <mark>."""
    return _mark(text, 0, len(text), _matches(text, lang, terms, loose))


def snippet(text: str, lang: str, terms: set[str], loose: set[str], size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters around the densest run of matches, escaped, matches in <mark>."""
    if not text:
        return ""
    hits = _matches(text, lang, terms, loose)
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
