"""The static export (``qalam build``): the whole site as files, rendered by the server's own views.

Phases, in :func:`build`: collect the URLs the content layer knows -> render them (and every
same-site link, ``src`` and ``srcset`` found in what was rendered) through Django in-process ->
add the redirect files and ``404.html`` -> write only the files whose bytes changed -> check that
every internal link lands on a file or a redirect. Pages keep the URLs the server uses: a page
``/kk/news/page:2`` is written as ``kk/news/page:2/index.html`` (docs/export.md says how a host
serves that), anything else (feeds, media, renditions) at its own path.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
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
    seconds: float = 0.0


def build(site: Site, out, base_url: str | None = None, progress: Progress | None = None,
          jobs: int = 1) -> BuildReport:
    """Export ``site`` into the folder ``out``; rewrite only what changed (see module docstring).

    ``jobs`` > 1 renders in that many forked processes (POSIX only); the output is the same.
    """
    started = time.perf_counter()
    base_url, warnings = _base_url(site, base_url)
    with _site_url(site, base_url), _quiet("django.request"):
        output = OutputTree(Path(out))
        renderer = Renderer(site, base_url, output.add)
        renderer.crawl(collect_urls(site), progress, jobs)
        for name, data in {**redirect_files(site, renderer.redirects), "404.html": renderer.not_found_page()}.items():
            output.add(name, data)
    report = output.finish()
    report.broken = check_links(output.hashes, renderer.links, renderer.redirects)
    report.redirects, report.errors, report.warnings = renderer.redirects, renderer.errors, warnings
    report.seconds = time.perf_counter() - started
    return report


def _base_url(site: Site, given: str | None) -> tuple[str, list[str]]:
    """``--base-url``, else ``qalam.site_url``, else a local address and a warning."""
    base = given or str(site.config.get("qalam.site_url") or "").strip()
    if base:
        return base.rstrip("/"), []
    return FALLBACK_BASE, [
        f"no --base-url and no qalam.site_url: feeds, sitemaps and share tags link to {FALLBACK_BASE}"
    ]


# --- collect ------------------------------------------------------------------------------------
def collect_urls(site: Site) -> list[str]:
    """The URLs the content layer knows: pages per language and script, listing pages 2..N,
    feeds, sitemaps, robots.txt and the old URLs of ``site.redirects``; the crawl finds the rest."""
    from .feeds import feed_path

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
    """Django's test client over the site, and the crawl of what it answers."""

    def __init__(self, site: Site, base_url: str, keep_file: Callable[[str, bytes], None]):
        from django.test import Client

        from .app import set_site

        set_site(site)
        self.site = site
        parts = urllib.parse.urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        https = {"wsgi.url_scheme": "https"} if parts.scheme == "https" else {}
        self.client = Client(HTTP_HOST=parts.netloc, **https)
        self.keep_file = keep_file  # files go straight to the output: a big site is never all in memory
        self.redirects: dict[str, tuple[str, int]] = {}
        self.links: dict[str, set[str]] = {}  # output file -> same-site URL paths it references
        self.errors: list[tuple[str, int]] = []
        self.seen: set[str] = set()

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
        response = self.client.get(url)
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            location = response["Location"]
            return Answer(url, status, redirect=location, links=[p for p in [self.local(location, url)] if p])
        if status != 200:
            return Answer(url, status)
        data = b"".join(response) if response.streaming else response.content
        ctype = response.get("Content-Type", "")
        links = []
        if ctype.startswith(_LINKING_TYPES):
            found = (self.local(link, url) for link in extract_links(data.decode("utf-8", "replace")))
            links = sorted({p for p in found if p})
        return Answer(url, status, name=output_path(url, ctype), data=data, links=links)

    def keep(self, answer: Answer) -> list[str]:
        """Record an answer; return its links."""
        if answer.redirect is not None:
            self.redirects[answer.url] = (answer.redirect, answer.status)
        elif answer.status >= 500:
            self.errors.append((answer.url, answer.status))
        elif answer.name is not None:
            self.keep_file(answer.name, answer.data)
            if answer.links:
                self.links[answer.name] = set(answer.links)
        return answer.links

    def local(self, link: str, base: str) -> str | None:
        """The decoded path of a same-site link (``None`` for other sites, anchors, mail...)."""
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
        from django.test import RequestFactory

        from .views.page import not_found

        request = RequestFactory().get("/404.html", HTTP_HOST=urllib.parse.urlsplit(self.origin).netloc)
        return not_found(request, self.site.default_lang).content


@dataclass
class Answer:
    """What the server answered for one URL (picklable: workers send it back)."""

    url: str
    status: int
    name: str | None = None
    data: bytes = b""
    redirect: str | None = None
    links: list[str] = field(default_factory=list)


_LINKING_TYPES = ("text/html", "text/css", "application/xml", "text/xml", "text/plain",
                  "application/rss+xml", "application/atom+xml")

#: The renderer a forked worker process uses (set in the parent before the fork).
_WORKER: Renderer | None = None


def _answer_in_worker(url: str) -> Answer:
    return _WORKER.answer(url)


#: The parent's per-site services, kept alive in a worker so the child never closes their connections.
_INHERITED: list = []


def _start_worker() -> None:
    """A SQLite connection must not be used across fork() (sqlite.org/howtocorrupt.html §2.6): the
    worker opens its own page-index connection, and a new view counter and search service."""
    import sqlite3

    from qalam.search import service

    from . import counter

    site = _WORKER.site
    _INHERITED.extend([site.index._conn, counter._counters.pop(site, None), service._services.pop(site, None)])
    site.index._conn = sqlite3.connect(str(site.index.db_path), check_same_thread=False, isolation_level=None)


@contextlib.contextmanager
def _workers(renderer: Renderer, jobs: int):
    """A function answering a list of URLs: in this process, or in ``jobs`` processes forked after
    Django and the site are set up (each inherits the loaded site; answers come back in order)."""
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


def output_path(url: str, content_type: str) -> str:
    """``/kk/news`` (HTML) -> ``kk/news/index.html``; ``/kk/feed.rss`` -> ``kk/feed.rss``."""
    path = urllib.parse.unquote(url).strip("/")
    if content_type.startswith("text/html") and not path.endswith(".html"):
        return f"{path}/index.html" if path else "index.html"
    return path or "index.html"


_LINK = re.compile(r"""(?:\b(?:href|src|poster|action)\s*=\s*["']([^"']+)["'])|(?:\bsrcset\s*=\s*["']([^"']+)["'])"""
                   r"""|(?:<loc>([^<]+)</loc>)|(?:url\(\s*["']?([^"')]+)["']?\s*\))|(?:^Sitemap:\s*(\S+))""", re.M)


def extract_links(text: str) -> list[str]:
    """Every ``href``/``src``/``srcset``/form ``action`` URL, sitemap ``<loc>``, CSS ``url()`` and
    ``Sitemap:`` line of robots.txt."""
    out = []
    for href, srcset, loc, css, robots in _LINK.findall(text):
        if srcset:
            out += [part.strip().split()[0] for part in srcset.split(",") if part.strip()]
        else:
            out.append(href or loc or css or robots)
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
def _site_url(site: Site, base_url: str):
    """``--base-url`` as ``qalam.site_url`` for the length of the build (feeds, sitemaps, OG)."""
    qalam = site.config.data.setdefault("qalam", {})
    saved = qalam.get("site_url")
    qalam["site_url"] = base_url
    try:
        yield
    finally:
        qalam["site_url"] = saved


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
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        try:
            self.old = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError, AttributeError):
            self.old = {}
        self.hashes: dict[str, str] = {}  # what this build produced: path -> sha256
        self.report = BuildReport()

    def add(self, name: str, data: bytes) -> None:
        if name in self.hashes:
            return  # two URLs for one file (the first one wins, as it would on a static host)
        digest = hashlib.sha256(data).hexdigest()
        self.hashes[name] = digest
        target = self.out / name
        if self.old.get(name) == digest and target.is_file():
            self.report.unchanged += 1
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.report.written.append(name)

    def finish(self) -> BuildReport:
        for name in sorted(set(self.old) - set(self.hashes)):
            (self.out / name).unlink(missing_ok=True)
            _prune(self.out, (self.out / name).parent)
            self.report.removed.append(name)
        manifest = json.dumps({"files": self.hashes}, ensure_ascii=False, indent=0, sort_keys=True)
        (self.out / MANIFEST).write_text(manifest + "\n", encoding="utf-8")
        self.report.files = len(self.hashes)
        self.report.written.sort()
        return self.report


def _prune(out: Path, folder: Path) -> None:
    while folder != out and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


# --- link check ---------------------------------------------------------------------------------
def check_links(files: Collection[str], links: dict[str, set[str]],
                redirects: dict[str, tuple[str, int]]) -> list[tuple[str, str]]:
    """(file, link) for every internal link that is neither an output file nor a redirect."""
    broken = []
    for name, targets in sorted(links.items()):
        for path in sorted(targets):
            if not lands(files, redirects, path):
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
