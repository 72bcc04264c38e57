"""The search backend interface: what callers (web, CLI) use, whatever the engine.

A backend stores :class:`SearchDocument` s analysed by :func:`qalam.lang.analyze` and
answers :class:`SearchQuery` s. The SQLite FTS5 backend is the default; a PostgreSQL
backend implements the same protocol, so callers never change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Protocol


@dataclass
class SearchDocument:
    """One page in one language, as plain text."""

    key: str  # "<lang>:<folder path>", unique per page and language
    lang: str
    url: str
    title: str
    text: str  # the rendered page as plain text
    section: str = ""  # top-level folder slug ("news")
    date: datetime | None = None
    published_from: datetime | None = None  # scheduled publication window
    published_until: datetime | None = None
    version: str = ""  # changes whenever the source changes (file mtime, size, config version)


@dataclass
class SearchQuery:
    q: str
    lang: str | None = None
    section: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 10
    match_any: bool = False  # any word may match (related articles); default: every word must
    exclude_urls: tuple[str, ...] = ()
    #: Whether the answer needs the number of all matches (a results page does; related articles
    #: do not, and skip counting). Without it, ``SearchResults.total`` counts only what was returned.
    count: bool = True


@dataclass
class SearchHit:
    url: str
    title: str
    lang: str
    section: str
    date: datetime | None
    snippet: str  # HTML: escaped text with <mark> around matched words
    score: float
    title_html: str = ""  # escaped title with <mark> around matched words


@dataclass
class SearchResults:
    query: SearchQuery
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


class SearchBackend(Protocol):
    def versions(self) -> dict[str, str]:
        """Key -> version of every stored document (to find what changed)."""

    def apply(self, upserts: Iterable[SearchDocument], removals: Iterable[str]) -> None:
        """Store new and changed documents and drop removed ones, atomically."""

    def search(self, query: SearchQuery, *, now: datetime, tz: tzinfo) -> SearchResults:
        """Ranked, filtered (dates in ``tz``), paginated hits with highlighted snippets."""

    def clear(self) -> None:
        """Forget every document."""

    def close(self) -> None:
        """Release connections."""
