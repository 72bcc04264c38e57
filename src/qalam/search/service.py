"""Keeps a site's search index in step with its pages and answers queries.

The index follows the page index: each document's version is made of its file's
mtime and size (and the config's), so a sync re-analyses only what changed, the
same way the page index does. Scheduled pages are indexed with their publication
window and filtered at query time, so they appear on time without a re-index.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from datetime import timezone
from typing import TYPE_CHECKING

from qalam.content.config import truthy

from .backend import IndexReport, SearchBackend, SearchDocument, SearchQuery, SearchResults
from .text import html_to_text

if TYPE_CHECKING:  # pragma: no cover
    from qalam.content.pages import Page
    from qalam.content.site import Site

#: Fewer pages than this to index are analysed in this process (forking costs more).
PARALLEL_MIN = 400
#: Pages handed to the analysing processes at a time (bounds what waits to be written).
PARALLEL_WINDOW = 1000

#: A search document's dates (sent between processes in UTC).
_DATES = ("date", "published_from", "published_until")
#: What a forked analyser works on: (service, {key: (page, version)}), set before the fork.
_ANALYSER: tuple | None = None
#: Connections a forked analyser inherited: kept alive, never used (see PageIndex.reopen_after_fork).
_INHERITED: list = []


def _start_analyser() -> None:
    _INHERITED.append(_ANALYSER[0].site.index.reopen_after_fork())


def _analyse_in_worker(key: str) -> tuple:
    service, todo = _ANALYSER
    page, version = todo[key]
    doc = service._document(page, version)
    # Sent to the parent by pickle, which cannot carry a site's own time zone (a ZoneInfo read
    # from a file); the index stores instants, so UTC says the same.
    doc = dataclasses.replace(doc, **{name: value.astimezone(timezone.utc) for name in _DATES
                                      if (value := getattr(doc, name)) is not None})
    return service.backend.analyse(doc)


_services: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def make_backend(site: Site) -> SearchBackend:
    """The configured backend: SQLite FTS5 in the site's state folder (PostgreSQL later)."""
    from .sqlite import SQLiteSearchBackend

    return SQLiteSearchBackend(site.state_dir / "search.sqlite3")


def for_site(site: Site) -> SearchService:
    """The one search service of a site (created on first use)."""
    with _registry_lock:
        service = _services.get(site)
        if service is None:
            service = SearchService(site)
            _services[site] = service
        return service


class SearchService:
    def __init__(self, site: Site, backend: SearchBackend | None = None):
        self.site = site
        self.backend = backend or make_backend(site)
        self._synced_version: int | None = None
        self._lock = threading.Lock()

    # --- documents ---------------------------------------------------------------------
    def _config_stamp(self) -> str:
        raw = json.dumps(self.site.config.data, sort_keys=True, default=str)
        return hashlib.sha1(raw.encode()).hexdigest()[:12]

    def _candidates(self) -> Iterator[tuple[Page, str]]:
        """(page, version) for every page that can appear in search results, per language."""
        site = self.site
        stamp = self._config_stamp()
        for lang in site.language_codes:
            for page in site.tree(lang).iter_pages():
                if not page.has_file or page.file_lang not in (lang, ""):
                    continue  # untranslated pages are found in their own language
                if page.is_module or not page._routable or page._published_header is False:
                    continue
                entry = site.index.entries.get(page.file_rel)
                fm = page.node.frontmatter
                version = f"{entry.mtime_ns if entry else 0}:{entry.size if entry else 0}:" \
                          f"{fm.mtime_ns if fm else 0}:{page.url()}:{stamp}"
                yield page, version

    def document(self, page: Page) -> SearchDocument:
        site = self.site
        top = page.node.rel.split("/", 1)[0]
        top_page = page.tree.pages.get(top)
        windowed = page._published_header is None and truthy(site.config.get("system.pages.publish_dates", True))
        return SearchDocument(
            key=f"{page.lang}:{page.node.rel}",
            lang=page.lang or site.html_lang(""),  # one-language sites: site.default_lang
            url=page.url(),
            title=page.title,
            text=html_to_text(site.content(page).html),
            section=top_page.slug if top_page is not None and top_page is not page else "",
            date=page.date_from_header,
            published_from=page.publish_date if windowed else None,
            published_until=page.unpublish_date if windowed else None,
        )

    # --- syncing -----------------------------------------------------------------------
    def sync(self, *, progress: Callable[[int, int], None] | None = None, batch: int = 200,
             refresh: bool = True, jobs: int = 1) -> IndexReport:
        """Bring the search index in step with the site; analyse only changed pages.

        ``refresh=False``: trust the site's own view of its files (a serving site is kept
        current by its watcher and by the newsroom's saves; walking 10,000 folders again
        before each re-sync cost 0.4 s). ``jobs`` > 1: with many pages to index, render and
        analyse them in that many forked processes while this one writes the index (the
        writes are one SQLite transaction at a time; the index is the same)."""
        with self._lock:
            if refresh:
                self.site.refresh()
            version = self.site.version
            stored = self.backend.versions()
            report = IndexReport()
            wanted: dict[str, tuple[Page, str]] = {}
            for page, ver in self._candidates():
                wanted[f"{page.lang}:{page.node.rel}"] = (page, ver)
            todo = [(k, p, v) for k, (p, v) in wanted.items() if stored.get(k) != v]
            removals = [k for k in stored if k not in wanted]
            report.unchanged = len(wanted) - len(todo)
            report.added = sum(1 for k, _p, _v in todo if k not in stored)
            report.updated = len(todo) - report.added
            report.removed = len(removals)
            if removals:
                self.backend.apply([], removals)
            with self._documents(todo, jobs) as docs:
                done = 0
                for chunk in iter(lambda: list(itertools.islice(docs, batch)), []):
                    self.backend.apply(chunk, [])
                    done += len(chunk)
                    if progress:
                        progress(done, len(todo))
            self._synced_version = version
            return report

    def _document(self, page: Page, version: str) -> SearchDocument:
        doc = self.document(page)
        doc.version = version
        return doc

    @contextlib.contextmanager
    def _documents(self, todo: list[tuple[str, Page, str]], jobs: int):
        """The documents of ``todo`` in order: made here, or rendered and analysed (the
        backend's ``analyse``) by ``jobs`` forked processes that inherit the loaded site."""
        analyse = getattr(self.backend, "analyse", None)
        if jobs <= 1 or analyse is None or len(todo) < PARALLEL_MIN or not hasattr(os, "fork"):
            yield (self._document(page, ver) for _key, page, ver in todo)
            return
        import multiprocessing

        global _ANALYSER
        _ANALYSER = (self, {key: (page, ver) for key, page, ver in todo})
        try:
            with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_analyser) as pool:
                keys = [key for key, _p, _v in todo]
                # A window at a time: the workers outpace the writes, and every analysed page
                # they are ahead by waits in memory.
                yield (doc for i in range(0, len(keys), PARALLEL_WINDOW)
                       for doc in pool.imap(_analyse_in_worker, keys[i:i + PARALLEL_WINDOW], chunksize=32))
        finally:
            _ANALYSER = None

    def ensure_current(self) -> None:
        if self._synced_version != self.site.version or self._synced_version is None:
            self.sync(refresh=self._synced_version is None)

    def rebuild(self, **kwargs) -> IndexReport:
        self.backend.clear()
        self._synced_version = None
        return self.sync(**kwargs)

    # --- querying ----------------------------------------------------------------------
    def similar(self, query: SearchQuery) -> list[str]:
        """URLs most like the query's words, best first (related articles; the index as it is,
        never waiting for a sync). From the champion lists where the backend has them."""
        query.per_page = max(1, min(int(query.per_page or 10), 100))
        similar = getattr(self.backend, "similar", None)
        urls = similar(query, now=self.site.now(), tz=self.site.tz) if similar is not None else None
        if urls is None:
            urls = [hit.url for hit in self.search(query, sync=False).hits]
        return urls

    def search(self, query: SearchQuery, *, sync: bool = True) -> SearchResults:
        """Answer a query; ``sync=False`` uses the index as it is (page rendering must not
        wait for an index build: `qalam serve` builds it in the background)."""
        if sync:
            self.ensure_current()
        query.per_page = max(1, min(int(query.per_page or 10), 100))
        query.page = max(1, int(query.page or 1))
        return self.backend.search(query, now=self.site.now(), tz=self.site.tz)

