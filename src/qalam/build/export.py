"""The static export (``qalam build``): the whole site as files, answered by the render pipeline
the server uses (render/pipeline.py), without a web framework.

Phases, in :func:`build`: collect the URLs the content layer knows -> render them (and every
same-site link, ``src`` and ``srcset`` found in what was rendered) through the pipeline ->
add the redirect files and ``404.html`` -> write only the files whose bytes changed -> check that
every internal link lands on a file or a redirect. Pages keep the URLs the server uses: a page
``/kk/news/page:2`` is written as ``kk/news/page:2/index.html`` (docs/export.md says how a host
serves that), anything else (feeds, media, renditions) at its own path.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import gc
import hashlib
import html
import json
import logging
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from qalam.content.collections import content_spec
from qalam.content.site import Site, _redirect_target

#: The manifest of the last build, kept in the output folder: ``{"files": {path: sha256}}``.
MANIFEST = ".qalam-build.json"
#: The address absolute links get when neither ``--base-url`` nor ``qalam.site_url`` is set.
FALLBACK_BASE = "http://localhost:8000"

Progress = Callable[[int, int], None]
FEED_FORMATS = ("rss", "atom", "json")


@dataclass
class BuildReport:
    """What a build produced and what it found wrong."""

    files: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    redirects: dict[str, tuple[str, int]] = field(default_factory=dict)
    broken: list[tuple[str, str]] = field(default_factory=list)  # (page that links, link)
    errors: list[tuple[str, int]] = field(default_factory=list)  # (URL, status) for 5xx answers
    warnings: list[str] = field(default_factory=list)
    #: Output paths refused because they would leave the output folder (urlpaths.OutputFolder).
    refused: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rendered: int = 0  # URLs rendered (an incremental build renders only what a change affects)
    #: Why every URL was rendered ("" when the build was incremental).
    full_reason: str = ""
    changed_files: list[str] = field(default_factory=list)  # page files whose body changed (incremental)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (`qalam -v build`)


def build(site: Site, out, base_url: str | None = None, progress: Progress | None = None,
          jobs: int = 1, full: bool = False) -> BuildReport:
    """Export ``site`` into the folder ``out``; rewrite only what changed (see module docstring).

    Incremental unless ``full``: when the last build's state in ``out`` shows that only the
    bodies of some pages changed since, only the URLs that used those pages are rendered
    (:func:`plan`); anything else renders every URL (and still writes only changed files).
    ``jobs`` > 1 renders in that many forked processes (POSIX only); the output is the same.
    """
    # The loaded site (pages, trees, index rows) is millions of objects the cyclic garbage
    # collector would otherwise scan again and again during the build (profiled).
    # (`qalam build --watch` freezes it once between rebuilds itself.)
    owner = gc.get_freeze_count() == 0
    if owner:
        gc.freeze()
    try:
        return _build(site, out, base_url, progress, jobs, full)
    finally:
        if owner:
            gc.unfreeze()


def _build(site: Site, out, base_url: str | None, progress: Progress | None, jobs: int, full: bool) -> BuildReport:
    started = time.perf_counter()
    phases: dict[str, float] = {}
    clock = [started]

    def phase(name: str) -> None:
        now = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + now - clock[0]
        clock[0] = now

    base_url, warnings = _base_url(site, base_url)
    # Related articles come from the search index: bring it in step first, or an export made
    # before any search (a fresh clone, a CI job) would have none, unlike the server's pages.
    # Outside the --base-url below: the index is the server's and `qalam index`'s too, and a
    # configuration that differs only while building would index every page again, twice.
    from qalam.search.service import for_site

    for_site(site).sync(refresh=False, jobs=jobs)
    phase("search index (related articles)")
    with _site_url(site, base_url), _quiet("qalam.web"):
        output = OutputTree(Path(out))
        state = None if full else (output.kept_state or BuildState.load(output.manifest))
        phase("read the last build's state")
        fingerprint = build_fingerprint(site, base_url)
        todo, reason, changed = plan(site, state, fingerprint)
        renderer = Renderer(site, base_url, output)
        if todo is None:
            seeds = collect_urls(site)
        else:
            output.keep_unrendered()
            renderer.known(state)
            seeds = sorted(todo)
        phase("plan")
        with _templates_fixed(site):
            renderer.crawl(seeds, progress, jobs)
        output.flush_deferred()
        redirects = {**(state.redirects() if todo is not None else {}), **renderer.redirects}
        for name, data in {**redirect_files(site, redirects), "404.html": renderer.not_found_page()}.items():
            output.add(name, data)
        phase("render")
        new_state = BuildState.after(site, fingerprint, renderer, state if todo is not None else None)
    # The links of the files not rendered again were checked by an earlier build.
    broken = {name: links for name, links in (state.broken if todo is not None else {}).items()
              if name not in output.produced and name in output.hashes}
    for name, link in check_links(output.hashes, renderer.links, redirects):
        broken.setdefault(name, []).append(link)
    phase("link check")
    output.manifest_extra = {**new_state.to_json(), "broken": broken}
    new_state.broken = broken
    report = output.finish(new_state)
    phase("write (files still being written, the manifest)")
    report.broken = sorted((name, link) for name, links in broken.items() for link in links)
    report.phases = phases
    report.redirects, report.errors, report.warnings = redirects, renderer.errors, warnings
    report.rendered, report.full_reason, report.changed_files = len(renderer.answered), reason, changed
    report.seconds = time.perf_counter() - started
    return report


# --- incremental builds -------------------------------------------------------------------------
#: Bump when the state's layout or meaning changes: an older state then means a full build.
STATE_FORMAT = 1


def build_fingerprint(site: Site, base_url: str) -> str:
    """What, when it changes, makes every URL render again: Qalam itself, the theme, the
    configuration, the base URL and the site's structure (folders, page files, media files)."""
    from qalam import __version__
    from qalam.render.theme import theme_dirs

    digest = hashlib.sha256()
    digest.update(f"{STATE_FORMAT}\0{__version__}\0{base_url}\0".encode())
    code_dir = Path(__file__).resolve().parents[1]
    for folder in [code_dir, *(Path(d) for d in theme_dirs(site))]:
        digest.update(_tree_stamp(folder).encode())
    digest.update(json.dumps(site.config.data, sort_keys=True, default=str).encode())
    digest.update(site.structure_digest.encode())
    return digest.hexdigest()


def _tree_stamp(folder: Path) -> str:
    """Names, sizes and times of the files under ``folder`` (Qalam's code, a theme)."""
    parts = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if not name.endswith((".pyc", ".pyo")):
                st = os.stat(os.path.join(dirpath, name))
                parts.append(f"{dirpath}/{name}:{st.st_mtime_ns}:{st.st_size}")
    return "\n".join(parts)


def header_hash(entry) -> str:
    return hashlib.sha1(json.dumps([entry.header, entry.problems], sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class BuildState:
    """What the last build needs remembered for the next one to be incremental (kept in the
    output folder's manifest): per page file its time, size and header; per URL what it
    became and the page files it used (``Site.depends_on``), as positions in ``rels``."""

    fingerprint: str
    valid_until: float | None  # the next scheduled publish/unpublish after that build
    rels: list[str]  # every page file, sorted
    inputs: dict[str, list]  # rel -> [mtime_ns, size, header hash]
    answers: dict[str, list]  # url -> [file name | None, redirect target | None, status, [positions in rels]]
    broken: dict[str, list[str]]  # file -> its broken links
    missing: set[str] = field(default_factory=set)  # linked URLs that answered 404

    @classmethod
    def load(cls, manifest: dict) -> BuildState | None:
        data = manifest.get("incremental")
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            return None
        try:
            rels = [row[0] for row in data["inputs"]]
            inputs = {row[0]: row[1:] for row in data["inputs"]}
            answers = data["answers"]
            if not isinstance(answers, dict) or not all(len(a) == 4 for a in answers.values()):
                return None
            broken = {k: list(v) for k, v in (manifest.get("broken") or {}).items()}
            return cls(data["fingerprint"], data.get("valid_until"), rels, inputs, answers, broken,
                       set(data.get("missing") or []))
        except (KeyError, IndexError, TypeError, ValueError):
            return None  # damaged: a full build writes a new one

    @classmethod
    def after(cls, site: Site, fingerprint: str, renderer: Renderer, before: BuildState | None) -> BuildState:
        old_inputs = before.inputs if before is not None else {}
        inputs = {}
        for rel, entry in site.index.entries.items():
            old = old_inputs.get(rel)
            same = old is not None and old[0] == entry.mtime_ns and old[1] == entry.size
            inputs[rel] = [entry.mtime_ns, entry.size, old[2] if same else header_hash(entry)]
        if before is not None and inputs.keys() == old_inputs.keys():
            rels, answers = before.rels, dict(before.answers)  # same files: positions still hold
        else:
            rels, answers = sorted(inputs), {}
        position = {rel: i for i, rel in enumerate(rels)}
        for url, (name, redirect, status, deps) in renderer.answered.items():
            answers[url] = [name, redirect, status, sorted(position[r] for r in deps if r in position)]
        now = site.now()
        changes = [c for lang in site.language_codes if (c := site.tree(lang).next_change(now)) is not None]
        missing = (before.missing if before is not None else set()) | renderer.missing
        return cls(fingerprint, min(changes).timestamp() if changes else None, rels, inputs, answers, {},
                   missing - answers.keys())

    def redirects(self) -> dict[str, tuple[str, int]]:
        return {url: (a[1], a[2]) for url, a in self.answers.items() if a[1] is not None}

    def using(self, rels: Iterable[str]) -> set[str]:
        """The URLs whose output used any of ``rels``."""
        names = set(rels)
        wanted = {i for i, rel in enumerate(self.rels) if rel in names}
        return {url for url, a in self.answers.items() if not wanted.isdisjoint(a[3])}

    def to_json(self) -> dict:
        return {"incremental": {
            "format": STATE_FORMAT,
            "fingerprint": self.fingerprint,
            "valid_until": self.valid_until,
            "inputs": [[rel, *self.inputs[rel]] for rel in self.rels],
            "answers": self.answers,
            "missing": sorted(self.missing),
        }}


def plan(site: Site, state: BuildState | None, fingerprint: str) -> tuple[set[str] | None, str, list[str]]:
    """(URLs to render, why everything is rendered, changed page files): the URLs are ``None``
    when a full render is needed, else those whose output used a page whose body changed."""
    if state is None:
        return None, "no earlier build state in the output folder", []
    if state.fingerprint != fingerprint:
        return None, "Qalam, the theme, the configuration or the site's files and folders changed", []
    if state.valid_until is not None and site.now().timestamp() >= state.valid_until:
        return None, "a scheduled publish or unpublish time has passed", []
    entries = site.index.entries
    if entries.keys() != state.inputs.keys():
        return None, "page files were added or removed", []
    changed = [rel for rel, e in entries.items() if [e.mtime_ns, e.size] != state.inputs[rel][:2]]
    for rel in changed:
        entry = entries[rel]
        if header_hash(entry) != state.inputs[rel][2]:
            return None, f"the header of pages/{rel} changed", changed
        if rel.endswith(".md") and "date" not in entry.header:
            # An undated page is dated by its file time, which moved: listings may reorder.
            return None, f"pages/{rel} has no date: its file time orders listings", changed
        if "modified" not in entry.header and _orders_by_modified(site):
            return None, f"a listing is ordered by file time, which moved for pages/{rel}", changed
    return state.using(changed), "", changed


def _orders_by_modified(site: Site) -> bool:
    """Whether any listing is ordered by file modification time (a body edit moves it)."""
    for lang in site.language_codes:
        for page in site.tree(lang).iter_pages():
            spec = content_spec(page)
            if spec is not None:
                order = spec.get("order")
                if isinstance(order, dict) and str(order.get("by") or "") == "modified":
                    return True
            if str(page.header.get("order_by") or "") == "modified":
                return True
    return str(site.config.get("system.pages.order.by") or "") == "modified"


def _base_url(site: Site, given: str | None) -> tuple[str, list[str]]:
    """``--base-url``, else ``qalam.site_url``, else a local address and a warning."""
    base = given or site.config.base_url or ""
    if base:
        return base.rstrip("/"), []
    return FALLBACK_BASE, [
        f"no --base-url and no qalam.site_url: feeds, sitemaps and share tags link to {FALLBACK_BASE}"
    ]


# --- collect ------------------------------------------------------------------------------------
def collect_urls(site: Site) -> list[str]:
    """The URLs the content layer knows: pages per language and script, listing pages 2..N,
    feeds, sitemaps, robots.txt and the old URLs of ``site.redirects``; the crawl finds the rest."""
    from qalam.news.feeds import feed_path

    now = site.now()
    urls = ["/", "/robots.txt", "/sitemap.xml"]
    for lang in site.language_codes:
        prefix = site.languages.prefix(lang)
        lang_urls = []
        for page in site.tree(lang).iter_pages():
            if page.has_file and page.file_lang not in (lang, ""):
                continue  # another language's file: that language exports it
            # Not routable ones too: a folder without a page redirects to its first child.
            lang_urls.append(page.url())
            if page.routable(now) and content_spec(page) is not None:
                listing = site.listing(page)
                lang_urls += [listing.page_url(n) for n in range(2, listing.pages_count + 1)]
                if page.parent is not None and page.parent.parent is None and not page.is_home:
                    lang_urls += [feed_path(site, lang or None, section=page.slug, fmt=f) for f in FEED_FORMATS]
        lang_urls += [feed_path(site, lang or None, fmt=f) for f in FEED_FORMATS]
        lang_urls += [prefix + "/feed-full.rss", prefix + "/search"]
        lang_urls += [prefix + _route(key) for key in _literal_redirects(site)]
        urls += lang_urls
        if site.latin_edition(lang):
            urls += [site.latin_url(u, lang) for u in lang_urls if not u.endswith((".rss", ".xml", ".json"))]
    urls += [_route(key) for key in _literal_redirects(site)]
    return list(dict.fromkeys(urls))


def _literal_redirects(site: Site) -> list[str]:
    redirects = site.config.get("site.redirects") or {}
    return [str(k) for k in redirects if not _REGEX.search(str(k))] if isinstance(redirects, dict) else []


def _route(key: str) -> str:
    return key if key.startswith("/") else "/" + key


_REGEX = re.compile(r"[\^$*+?{}\[\]\\|()]")


# --- render -------------------------------------------------------------------------------------
class Renderer:
    """The render pipeline asked for each URL, and the crawl of what it answers.

    The pipeline (render/pipeline.py) is what the server's catch-all view calls; the server's
    middleware only adds headers. Nothing here imports Django: the per-request round trip
    through Django's test client was once a fifth of a build (docs/benchmarks.md).
    """

    def __init__(self, site: Site, base_url: str, output: OutputTree):
        self.site = site
        parts = urllib.parse.urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.netloc_ref = f"//{parts.netloc}"
        self.scheme, self.host = parts.scheme, parts.netloc
        # site-absolute link -> decoded path: base-independent, kept across builds (--watch)
        self._local: dict[str, str | None] = _LOCAL_LINKS.setdefault(self.origin, {})
        if len(self._local) > 1_000_000:
            self._local.clear()
        self.output = output  # files go straight to the output: a big site is never all in memory
        self.redirects: dict[str, tuple[str, int]] = {}
        self.links: dict[str, set[str]] = {}  # output file -> same-site URL paths it references
        self.errors: list[tuple[str, int]] = []
        self.seen: set[str] = set()
        #: url -> [output file | None, redirect target | None, status, page files used] (BuildState)
        self.answered: dict[str, list] = {}
        self.missing: set[str] = set()  # URLs linked to that answered 404

    def known(self, state: BuildState) -> None:
        """An incremental build: what the last build answered is not asked for again unless seeded."""
        self.seen.update(state.answers)
        self.seen.update(state.missing)

    def crawl(self, seeds: Iterable[str], progress: Progress | None = None, jobs: int = 1) -> None:
        """Render the seeds, then whatever they link to that was not rendered yet, until nothing is new."""
        frontier = list(dict.fromkeys(seeds))
        self.seen.update(frontier)
        done = 0
        with _workers(self, jobs) as answer_all:
            while frontier:
                found: list[str] = []
                for answer in answer_all(frontier):
                    found += self.keep(answer)
                    done += 1
                    if progress:
                        progress(done, len(self.seen))
                frontier = [p for p in dict.fromkeys(found) if p not in self.seen]
                self.seen.update(frontier)

    def answer(self, url: str) -> Answer:
        """Ask the server for ``url``: a file, a redirect or nothing, and the same-site links in it."""
        self.site.dependencies = deps = set()
        try:
            response = self.respond(url)
        finally:
            self.site.dependencies = None
        if response is None:
            return Answer(url, 404)
        status = response.status
        if status in (301, 302, 303, 307, 308):
            location = response["Location"]
            return Answer(url, status, redirect=location, links=[p for p in [self.local(location, url)] if p],
                          deps=sorted(deps))
        if status != 200:
            return Answer(url, status, deps=sorted(deps))
        data = response.file.read() if response.file is not None else response.body
        if response.file is not None:
            response.file.close()
        ctype = response.content_type
        links = []
        if ctype.startswith(_LINKING_TYPES):
            found = {self.local(link, url) for link in extract_links(data.decode("utf-8", "replace"))}
            found.discard(None)
            links = sorted(found)
        return Answer(url, status, name=output_path(url, ctype), data=data, links=links, deps=sorted(deps))

    def keep(self, answer: Answer) -> list[str]:
        """Record an answer; return its links."""
        if answer.status < 500 and answer.status != 404:
            self.answered[answer.url] = [answer.name, answer.redirect, answer.status, answer.deps]
        elif answer.status == 404:
            self.missing.add(answer.url)
        if answer.redirect is not None:
            self.redirects[answer.url] = (answer.redirect, answer.status)
        elif answer.status >= 500:
            self.errors.append((answer.url, answer.status))
        elif answer.name is not None:
            canonical = answer.url == canonical_url(answer.name)
            if answer.digest is not None:  # a worker hashed and wrote it (canonical URLs only)
                self.output.record(answer.name, answer.digest, answer.written)
            else:
                self.output.add(answer.name, answer.data, canonical=canonical)
            if answer.links and (canonical or answer.name not in self.links):
                self.links[answer.name] = set(answer.links)
        return answer.links

    def respond(self, url: str):
        """The pipeline's reply for ``url``, or ``None`` when nothing is there (not rendered)."""
        from qalam.render.pipeline import answer
        from qalam.render.reply import Request

        reply = answer(self.site, Request.for_url(url, scheme=self.scheme, host=self.host), render_missing=False)
        return reply if reply is not None and reply.status != 404 else None

    def local(self, link: str, base: str) -> str | None:
        """The decoded path of a same-site link (``None`` for other sites, anchors, mail...)."""
        absolute = link.startswith(("http://", "https://", "//"))
        if absolute and not link.startswith((self.origin, self.netloc_ref)):
            return None  # another site (share links, sources): nothing to parse
        if (link[:1] == "/" and link[1:2] != "/") or absolute:
            # Site-absolute or absolute: the same answer from every page.
            try:
                return self._local[link]
            except KeyError:
                found = self._local[link] = self._local_path(link, base)
                return found
        return self._local_path(link, base)

    def _local_path(self, link: str, base: str) -> str | None:
        link = html.unescape(link.strip())
        if not link or link.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            return None
        if link.startswith(self.origin + "/") or link == self.origin:
            link = link[len(self.origin):] or "/"
        absolute = urllib.parse.urljoin(self.origin + base, link)
        parts = urllib.parse.urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None
        path = urllib.parse.unquote(parts.path) or "/"
        if path.startswith(("/api/", "/_qalam/view")):
            return None  # served by a running Qalam only (docs/export.md)
        return path

    def not_found_page(self) -> bytes:
        from qalam.render.answers import not_found

        return not_found(self.site, self.site.default_lang).body


#: Per origin, what each site-absolute link resolves to (a pure function of the two).
_LOCAL_LINKS: dict[str, dict[str, str | None]] = {}


@dataclass
class Answer:
    """What the server answered for one URL (picklable: workers send it back)."""

    url: str
    status: int
    name: str | None = None
    data: bytes = b""
    redirect: str | None = None
    links: list[str] = field(default_factory=list)
    deps: list[str] = field(default_factory=list)  # page files the answer used (Site.depends_on)
    digest: str | None = None  # set by a worker that stored the file itself (data is then empty)
    written: bool = False  # ... and whether it wrote it (else the output already held these bytes)


_LINKING_TYPES = ("text/html", "text/css", "application/xml", "text/xml", "text/plain",
                  "application/rss+xml", "application/atom+xml")

#: The renderer a forked worker process uses (set in the parent before the fork).
_WORKER: Renderer | None = None


def _answer_in_worker(url: str) -> Answer:
    """Render ``url``, and hash and write its file here (all cores share that work): only the
    canonical URL of a file is written by a worker, so two URLs for one file never race; the
    parent keeps the rest for the end of the crawl (OutputTree.add)."""
    answer = _WORKER.answer(url)
    if answer.name is not None and answer.data and url == canonical_url(answer.name):
        stored = _WORKER.output.store(answer.name, answer.data)
        if stored is not None:  # else (a path refused) the parent reports it
            answer.digest, answer.written = stored
            answer.data = b""
    return answer


#: The parent's per-site services, kept alive in a worker so the child never closes their connections.
_INHERITED: list = []


def _start_worker() -> None:
    """A SQLite connection must not be used across fork() (sqlite.org/howtocorrupt.html §2.6): the
    worker opens its own page-index connection, and a new view counter and search service."""
    from qalam.news import counter
    from qalam.search import service

    site = _WORKER.site
    _INHERITED.extend([site.index.reopen_after_fork(), counter._counters.pop(site, None),
                       service._services.pop(site, None)])
    _WORKER.output.in_worker()


@contextlib.contextmanager
def _workers(renderer: Renderer, jobs: int):
    """A function answering a list of URLs: in this process, or in ``jobs`` processes forked after
    the site is loaded (each inherits the loaded site; answers come back in order)."""
    if jobs <= 1:
        yield lambda urls: map(renderer.answer, urls)
        return
    import multiprocessing

    global _WORKER
    _WORKER = renderer
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker) as pool:
            yield lambda urls: pool.imap(_answer_in_worker, urls, chunksize=max(1, min(64, len(urls) // (jobs * 8))))
    finally:
        _WORKER = None


def canonical_url(name: str) -> str:
    """The one URL whose answer a file is: ``kk/news/index.html`` -> ``/kk/news`` (not
    ``/kk/news/`` nor ``/kk/news/index.html``, which :func:`output_path` maps to it too)."""
    if name == "index.html":
        return "/"
    if name.endswith("/index.html"):
        return "/" + name[: -len("/index.html")]
    return "/" + name


def output_path(url: str, content_type: str) -> str:
    """``/kk/news`` (HTML) -> ``kk/news/index.html``; ``/kk/feed.rss`` -> ``kk/feed.rss``."""
    path = urllib.parse.unquote(url).strip("/")
    if content_type.startswith("text/html") and not path.endswith(".html"):
        return f"{path}/index.html" if path else "index.html"
    return path or "index.html"


_ATTR = re.compile(r"""\b(href|src|poster|action|srcset)\s*=\s*["']([^"']+)["']""")
_LOC = re.compile(r"<loc>([^<]+)</loc>")
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
_ROBOTS = re.compile(r"^Sitemap:\s*(\S+)", re.M)


def extract_links(text: str) -> list[str]:
    """Every ``href``/``src``/``srcset``/form ``action`` URL, sitemap ``<loc>``, CSS ``url()`` and
    ``Sitemap:`` line of robots.txt.

    One simple pattern per kind, each run only when its marker is in the text: a single
    pattern with every alternative cost more than rendering the page (found by profiling).
    """
    out = []
    for name, value in _ATTR.findall(text):
        if name == "srcset":
            out += [part.strip().split()[0] for part in value.split(",") if part.strip()]
        else:
            out.append(value)
    for marker, pattern in (("<loc>", _LOC), ("url(", _CSS_URL), ("Sitemap:", _ROBOTS)):
        if marker in text:
            out += pattern.findall(text)
    return out


@contextlib.contextmanager
def _quiet(logger: str):
    """The crawl asks for URLs that may not exist; the link check reports the ones that matter."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


@contextlib.contextmanager
def _templates_fixed(site: Site):
    """No template up-to-date check (a stat per template per page) while the build runs."""
    from qalam.render.theme import environment

    env = environment(site)
    saved, env.auto_reload = env.auto_reload, False
    try:
        yield
    finally:
        env.auto_reload = saved


@contextlib.contextmanager
def _site_url(site: Site, base_url: str):
    """``--base-url`` as ``qalam.site_url`` for the length of the build (feeds, sitemaps, OG)."""
    qalam = site.config.data.setdefault("qalam", {})
    site_cfg = site.config.data.setdefault("site", {})
    saved = qalam.get("site_url"), site_cfg.get("base_url")
    qalam["site_url"] = site_cfg["base_url"] = base_url
    try:
        yield
    finally:
        qalam["site_url"], site_cfg["base_url"] = saved


# --- redirects ----------------------------------------------------------------------------------
def redirect_files(site: Site, redirects: dict[str, tuple[str, int]]) -> dict[str, bytes]:
    """``_redirects`` (Netlify, Cloudflare Pages) and ``nginx-redirects.conf`` (one ``map`` per status:
    nginx's ``return`` takes its status as a constant)."""
    netlify, maps = [], {}
    for source, (target, status) in sorted(redirects.items()):
        netlify.append(f"{_quote(source)} {target} {status}")
        maps.setdefault(status, []).append(f"    {_nginx_str(source)} {_nginx_str(target)};")  # $uri is decoded
    patterns = site.config.get("site.redirects") or {}
    default = int(site.config.get("system.pages.redirect_default_code") or 302)
    for key in [str(k) for k in patterns if _REGEX.search(str(k))] if isinstance(patterns, dict) else []:
        # Only nginx understands regular expressions; _redirects cannot have them.
        target, status = _redirect_target(str(patterns[key]), default)
        maps.setdefault(status, []).append(f"    {_nginx_str('~^' + _route(key.lstrip('^')).rstrip('$') + '$')} "
                                           f"{_nginx_str(target)};")
    lines = ["# Generated by `qalam build` (docs/export.md). Include this file inside `http {}` and put these",
             "# lines in the `server {}` block:"]
    lines += [f"#   if ($qalam_redirect_{code}) {{ return {code} $qalam_redirect_{code}; }}" for code in sorted(maps)]
    for status in sorted(maps):
        lines += [f"map $uri $qalam_redirect_{status} {{", '    default "";', *maps[status], "}"]
    return {"_redirects": "".join(line + "\n" for line in netlify).encode(),
            "nginx-redirects.conf": ("\n".join(lines) + "\n").encode()}


def _quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~%")


def _nginx_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- write --------------------------------------------------------------------------------------
class OutputTree:
    """The output folder. A file is written only when its bytes differ from what the last build's
    manifest records; :meth:`finish` removes the files this build did not produce."""

    def __init__(self, out: Path):
        from qalam.content.urlpaths import OutputFolder, PathEscape

        self.folder = OutputFolder(out)  # every write and delete proven to stay inside `out`
        self.out = out
        self.kept_state: BuildState | None = None  # the last build's state, if still in memory
        try:
            self.manifest, self.kept_state = _read_manifest(out / MANIFEST)
            self.old = self.manifest.get("files", {})
        except (OSError, ValueError, AttributeError):
            self.manifest, self.old = {}, {}
        if not isinstance(self.manifest, dict) or not isinstance(self.old, dict):
            self.manifest, self.old = {}, {}
        self.report = BuildReport()
        for name in list(self.old):
            try:
                self.folder.path(name)
            except (PathEscape, TypeError):
                self.report.refused.append(f"ignored in the last build's manifest: {name!r}")
                del self.old[name]
        self.hashes: dict[str, str] = {}  # what this build produced: path -> sha256
        self.produced: set[str] = set()  # files this build added (a file's canonical URL wins, else the first)
        self._deferred: dict[str, bytes] = {}  # files from a URL that is not their canonical one
        self.manifest_extra: dict = {}  # the incremental build state, kept beside the hashes
        self._writer = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="qalam-write")
        self._pending: collections.deque[concurrent.futures.Future] = collections.deque()

    def keep_unrendered(self) -> None:
        """An incremental build: the last build's files stay unless this one replaces them."""
        self.hashes = dict(self.old)

    def add(self, name: str, data: bytes, *, canonical: bool = True) -> None:
        """Write ``name`` unless it holds these bytes already. Two URLs can name one file
        (``/x``, ``/x/index.html``): the file is its canonical URL's answer (canonical_url), or,
        without one, the first other URL's, written when the crawl ends (:meth:`finish`)."""
        if not canonical:
            self._deferred.setdefault(name, data)
            return
        if name in self.produced:
            return
        from qalam.content.urlpaths import PathEscape

        try:
            target = self.folder.path(name)
        except PathEscape as err:
            self.report.refused.append(str(err))
            return
        self.produced.add(name)
        digest = hashlib.sha256(data).hexdigest()
        self.hashes[name] = digest
        if self._unchanged(name, target, digest):
            self.report.unchanged += 1
            return
        self.report.written.append(name)
        # Writes go to threads (file system calls release the GIL): rendering goes on meanwhile.
        self._pending.append(self._writer.submit(self._write, name, data))
        if len(self._pending) > 512:  # bounded: a big site is never all in memory
            self._pending.popleft().result()

    def in_worker(self) -> None:
        """In a forked build worker: this process's own view of the output folder (the parent's
        threads do not exist here; the last manifest, read before the fork, is shared)."""
        from qalam.content.urlpaths import OutputFolder

        self.folder = OutputFolder(self.out)
        self._writer = None

    def store(self, name: str, data: bytes) -> tuple[str, bool] | None:
        """Hash ``name`` and write it unless the last build left these bytes there, in this
        process (a worker): its digest and whether it was written; ``None`` when the path is
        refused (the parent's :meth:`add` then reports it)."""
        from qalam.content.urlpaths import PathEscape

        try:
            target = self.folder.path(name)
        except PathEscape:
            return None
        digest = hashlib.sha256(data).hexdigest()
        if self._unchanged(name, target, digest):
            return digest, False
        try:
            self.folder.write(name, data)
        except PathEscape:
            return None
        return digest, True

    def _unchanged(self, name: str, target: Path, digest: str) -> bool:
        """The last build wrote these bytes to ``name`` and the file is still there."""
        return self.old.get(name) == digest and target.is_file() and not target.is_symlink()

    def record(self, name: str, digest: str, written: bool) -> None:
        """A file a worker stored (:meth:`store`)."""
        self.produced.add(name)
        self.hashes[name] = digest
        if written:
            self.report.written.append(name)
        else:
            self.report.unchanged += 1

    def _write(self, name: str, data: bytes) -> None:
        from qalam.content.urlpaths import PathEscape

        try:
            self.folder.write(name, data)
        except PathEscape as err:  # a link or a file where a folder should be, in the output
            self.report.refused.append(str(err))
            self.hashes.pop(name, None)

    def flush_deferred(self) -> None:
        """Write the files no canonical URL answered for (the crawl is over)."""
        deferred, self._deferred = self._deferred, {}
        for name, data in deferred.items():
            self.add(name, data)

    def finish(self, state: BuildState | None = None) -> BuildReport:
        self.flush_deferred()
        while self._pending:
            self._pending.popleft().result()  # a write that failed raises here
        self._writer.shutdown()
        from qalam.content.urlpaths import PathEscape

        for name in sorted(set(self.old) - set(self.hashes)):
            # Names from the last manifest: a file anyone could edit, so each is checked again.
            try:
                self.folder.remove(name)
            except PathEscape as err:
                self.report.refused.append(f"not deleted: {err}")
                continue
            self.report.removed.append(name)
        self.write_manifest(state)
        self.report.files = len(self.hashes)
        self.report.written.sort()
        return self.report


    def write_manifest(self, state: BuildState | None = None) -> None:
        """The manifest, written atomically (a build stopped half-way leaves the old one whole)."""
        from qalam.content.files import atomic_write_bytes

        content = {"files": self.hashes, **self.manifest_extra}
        manifest = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        # Not fsynced: the manifest is derived state, and a damaged one means a full build.
        path = self.out / MANIFEST
        atomic_write_bytes(path, (manifest + "\n").encode("utf-8"), durable=False)
        st = path.stat()
        _LAST_MANIFEST.clear()  # one output folder at a time is plenty
        _LAST_MANIFEST[str(path.resolve())] = ((st.st_mtime_ns, st.st_size), content, state)


#: The manifest this process wrote last, per output folder: ``qalam build --watch`` then skips
#: reading and parsing it again (a 10 000-article site's manifest is 5 MB).
_LAST_MANIFEST: dict[str, tuple[tuple[int, int], dict, BuildState | None]] = {}


def _read_manifest(path: Path) -> tuple[dict, BuildState | None]:
    """The manifest at ``path`` (``OSError``/``ValueError`` when missing or damaged), and the
    build state in it when this process wrote it and the file was not touched since."""
    st = path.stat()
    kept = _LAST_MANIFEST.get(str(path.resolve()))
    if kept is not None and kept[0] == (st.st_mtime_ns, st.st_size):
        return kept[1], kept[2]
    return json.loads(path.read_text(encoding="utf-8")), None


# --- link check ---------------------------------------------------------------------------------
def check_links(files: Collection[str], links: dict[str, set[str]],
                redirects: dict[str, tuple[str, int]]) -> list[tuple[str, str]]:
    """(file, link) for every internal link that is neither an output file nor a redirect."""
    broken = []
    landed: dict[str, bool] = {}  # most links (menus, tags) are on many pages
    for name, targets in sorted(links.items()):
        for path in sorted(targets):
            ok = landed.get(path)
            if ok is None:
                ok = landed[path] = lands(files, redirects, path)
            if not ok:
                broken.append((name, path))
    return broken


def lands(files: Collection[str], redirects: dict[str, tuple[str, int]], path: str) -> bool:
    """Whether ``path`` is an output file, or a chain of redirects (at most 10) ending at one."""
    for _hop in range(10):
        if exists(files, path):
            return True
        if path not in redirects:
            return False
        target = urllib.parse.urlsplit(redirects[path][0])
        if target.netloc:
            return True  # another site: not ours to check
        path = urllib.parse.unquote(target.path)
    return False


def exists(files: Collection[str], path: str) -> bool:
    rel = str(PurePosixPath(path.strip("/")))
    rel = "" if rel == "." else rel
    return rel in files or (f"{rel}/index.html" if rel else "index.html") in files
