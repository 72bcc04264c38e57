"""Page views: counted in memory, written to SQLite by one background thread, most-read lists.

How a view is counted (details for users in docs/counter.md):

* An article page carries a tiny inline script (``partials/view_beacon.html``) that sends
  ``POST /_qalam/view`` with the page's path (``navigator.sendBeacon``). So a view is counted
  whatever served the HTML: Django, a cache, a CDN or a static export.
* The beacon is checked cheaply — same site only, not a bot, a page that exists and is routable
  now (``Site.resolve``) — and then :meth:`ViewCounter.hit` adds one to a dict in memory under
  a lock. No I/O on the request path.
* One writer thread per site flushes the buffer every ``qalam.counter.flush_seconds`` in a
  single transaction: a total per page and an hourly bucket (for the 24 h / 7 day lists;
  buckets older than 8 days are pruned). A flush *adds* its counts (``n = n + excluded.n``)
  in a WAL database with a busy timeout, so the worker processes of ``qalam serve --workers N``
  each flush their own buffer into the same file without losing or double-counting a view;
  each process shows its own unwritten views plus what all of them stored.
  :meth:`ViewCounter.close` (atexit, SIGTERM/SIGINT in ``qalam serve``; the lifespan shutdown
  of each worker, serve/serving.py) flushes what is left, so a clean shutdown loses nothing; a
  crash loses at most one flush interval.

A page is known by its key ``<lang>:<folder path>`` (``kk:02.news/01.2022-07-20-experts-visit``),
so the Latin edition and every alias of a page count towards the same page.

This module imports no Django: the Django view (``web/views/counter.py``) and the ASGI fast path
(:class:`BeaconASGI`, which answers the beacon before Django in ``qalam serve``) share
:func:`handle_beacon`.
"""

from __future__ import annotations

import atexit
import logging
import signal
import sqlite3
import sys
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from qalam.content.files import use_wal

if TYPE_CHECKING:  # pragma: no cover
    from qalam.content.pages import Page
    from qalam.content.site import Site

log = logging.getLogger("qalam.counter")

#: The beacon endpoint (POST, the page path as the body or as ``?p=``).
BEACON_PATH = "/_qalam/view"
#: Largest beacon body accepted (a URL path), in bytes.
MAX_BODY = 2048
#: Hourly buckets are kept this long (the longest list is 7 days; one day of slack).
KEEP_HOURS = 8 * 24
#: How long "most read" trusts the last look at whether another process wrote views.
DATA_VERSION_SECONDS = 0.5
#: The windows of the most-read lists, in hours.
DAY, WEEK = 24, 7 * 24

#: User-Agent substrings (lowercase) of clients that are not readers: crawlers, link
#: previewers, monitors, command-line and library HTTP clients. A site adds its own with
#: ``qalam.counter.bots``. Readers' browsers never contain these.
BOT_MARKERS: tuple[str, ...] = (
    "bot", "crawl", "spider", "slurp", "facebookexternalhit", "facebookcatalog", "preview",
    "mediapartners", "feedfetcher", "archiver", "headless", "phantomjs", "lighthouse", "pagespeed",
    "pingdom", "uptime", "monitor", "scrapy", "curl/", "wget/", "python-", "python/", "go-http-client",
    "java/", "libwww", "httpclient", "okhttp", "axios/", "node-fetch", "undici", "whatsapp",
    "telegram", "vkshare", "yandex", "bingpreview", "embedly", "quora link", "outbrain", "flipboard",
)

_counters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: Counters whose writer thread runs: kept alive until closed, so no buffered view is lost
#: when a test (or anything) drops its Site.
_live: set[ViewCounter] = set()
_registry_lock = threading.Lock()
_atexit_registered = False


def page_key(page: Page) -> str:
    """``<lang>:<folder path>`` of a page as seen in its language tree."""
    return f"{page.lang}:{page.node.rel}"


def split_key(key: str) -> tuple[str, str]:
    lang, _, rel = key.partition(":")
    return lang, rel


def start_value(page: Page) -> int:
    """The ``views:`` header: where an imported archive's counter starts."""
    try:
        return max(0, int(page.header.get("views") or 0))
    except (TypeError, ValueError):
        return 0


class ViewCounter:
    """The view counter of one site (get it with :func:`for_site`)."""

    def __init__(self, site: Site, *, clock: Callable[[], float] | None = None, db_path: str | Path | None = None):
        self._site = weakref.ref(site)
        self.db_path = Path(db_path) if db_path else site.state_dir / "state.sqlite3"
        self.clock = clock or time.time
        self._interval = _flush_seconds(site)
        self._lock = threading.Lock()  # the buffers (hit() holds only this)
        self._state = threading.Lock()  # DB commit + pending swap, as one step for readers
        self._flush_lock = threading.Lock()  # one flush at a time
        self._totals: dict[str, int] = {}
        self._hourly: dict[tuple[str, int], int] = {}
        self._pending: dict[str, int] = {}  # taken from the buffer, being written
        self._db = _connect(self.db_path)
        self._reader = _connect(self.db_path)
        self._read_lock = threading.Lock()
        self._generation = 0
        self._data_version_at = -DATA_VERSION_SECONDS
        self._data_version_value = 0
        self._cache: dict[tuple, list[tuple[str, int]]] = {}
        self._snapshot: tuple[tuple[int, int], dict[str, int]] | None = None
        self._pruned_hour: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._closing = False
        self.flushes = 0

    # --- counting (request path: memory only) ------------------------------------------
    def hit(self, key: str, n: int = 1) -> None:
        """Count ``n`` views of ``key`` now. Memory only; the writer thread stores them."""
        hour = int(self.clock() // 3600)
        with self._lock:
            self._totals[key] = self._totals.get(key, 0) + n
            self._hourly[(key, hour)] = self._hourly.get((key, hour), 0) + n
        if self._thread is None and not self._closing:
            self.start()

    def buffered(self) -> int:
        """Views counted but not written yet."""
        with self._lock:
            return sum(self._totals.values()) + sum(self._pending.values())

    # --- the writer -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the writer thread (idempotent; :meth:`hit` starts it on first use)."""
        with _registry_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            thread = threading.Thread(target=self._run, name="qalam-counter", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # interpreter shutting down: close() writes the buffer
                return
            self._thread = thread
            _live.add(self)
            _register_atexit()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except Exception:  # noqa: BLE001 — the buffer is kept and retried next time
                log.exception("could not write page views to %s", self.db_path)
            site = self._site()
            if site is not None:
                self._interval = _flush_seconds(site)

    def flush(self) -> int:
        """Write the buffered views in one transaction; returns how many were written."""
        with self._flush_lock:
            with self._lock:
                totals, hourly = self._totals, self._hourly
                self._totals, self._hourly = {}, {}
                self._pending = totals
            now_hour = int(self.clock() // 3600)
            prune = self._pruned_hour != now_hour
            if not totals and not prune:
                return 0
            with self._state:
                try:
                    with self._db:  # one transaction; rolled back on any error
                        self._db.executemany(
                            "INSERT INTO counter_totals(key, lang, n) VALUES (?, ?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET n = n + excluded.n",
                            [(k, split_key(k)[0], n) for k, n in totals.items()],
                        )
                        self._db.executemany(
                            "INSERT INTO counter_hourly(key, lang, hour, n) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT(key, hour) DO UPDATE SET n = n + excluded.n",
                            [(k, split_key(k)[0], h, n) for (k, h), n in hourly.items() if h > now_hour - KEEP_HOURS],
                        )
                        if prune:
                            self._db.execute("DELETE FROM counter_hourly WHERE hour <= ?", (now_hour - KEEP_HOURS,))
                except BaseException:
                    with self._lock:  # put them back: nothing is lost, the next flush retries
                        for k, n in totals.items():
                            self._totals[k] = self._totals.get(k, 0) + n
                        for kh, n in hourly.items():
                            self._hourly[kh] = self._hourly.get(kh, 0) + n
                        self._pending = {}
                    raise
                with self._lock:
                    self._pending = {}
                # With the commit, under the readers' lock: the snapshot of stored totals is
                # read again before anyone counts without the pending views.
                self._generation += 1
            self._pruned_hour = now_hour
            self.flushes += 1
            return sum(totals.values())

    def close(self) -> None:
        """Stop the writer and write everything buffered (safe to call more than once).

        A view counted after this starts the writer again (nothing is dropped)."""
        with _registry_lock:
            self._closing = True
            thread, self._thread = self._thread, None
            self._stop.set()
        try:
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=30)
            self.flush()
        finally:
            with _registry_lock:
                _live.discard(self)
                self._closing = False
        if self._totals:  # views that came in while closing
            self.start()

    # --- reading ----------------------------------------------------------------------------
    def stored(self, key: str) -> int:
        """Views written for ``key``, from a snapshot of every page's total read again when
        the file changes (a static build shows 10,000 counts: one query, not 10,000)."""
        stamp = (self._generation, self._data_version())
        snapshot = self._snapshot
        if snapshot is None or snapshot[0] != stamp:
            with self._read_lock:
                totals = dict(self._reader.execute("SELECT key, n FROM counter_totals"))
            snapshot = self._snapshot = (stamp, totals)
        return snapshot[1].get(key, 0)

    def count(self, key: str) -> int:
        """Views of ``key``: the page's ``views:`` start value + stored + not yet written."""
        start = 0
        site = self._site()
        if site is not None:
            lang, rel = split_key(key)
            page = site.tree(lang).pages.get(rel) if lang in site.language_codes else None
            if page is not None:
                start = start_value(page)
        with self._state:
            stored = self.stored(key)
            with self._lock:
                unwritten = self._totals.get(key, 0) + self._pending.get(key, 0)
        return start + stored + unwritten

    def _data_version(self) -> int:
        """SQLite's data version of the counter file, asked at most every
        :data:`DATA_VERSION_SECONDS` (every page shows "most read": a build asked 6,000 times).

        It changes with every commit of another connection: the writers of the other workers
        of `qalam serve --workers N` (they share the file); this process's own flushes bump
        ``_generation`` instead."""
        now = time.monotonic()
        if now - self._data_version_at >= DATA_VERSION_SECONDS:
            with self._read_lock:
                self._data_version_value = self._reader.execute("PRAGMA data_version").fetchone()[0]
            self._data_version_at = now
        return self._data_version_value

    def stamp(self) -> tuple[int, int, int]:
        """Changes whenever "most read" may: the hour, this process's flushes, other writers."""
        return int(self.clock() // 3600), self._generation, self._data_version()

    def most_read(self, lang: str, hours: int = DAY, limit: int = 10) -> list[tuple[str, int]]:
        """``[(key, views)]`` of ``lang`` in the last ``hours`` (whole hours, this one included),
        most first; as of the last flush (at most ``flush_seconds`` old), cached until the next."""
        hour = int(self.clock() // 3600)
        cache_key = (lang, hours, limit, hour, self._generation, self._data_version())
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT key, SUM(n) AS views FROM counter_hourly WHERE lang = ? AND hour > ? "
                "GROUP BY key ORDER BY views DESC, key LIMIT ?",
                (lang, hour - hours, limit),
            ).fetchall()
        result = [(k, int(n)) for k, n in rows]
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[cache_key] = result
        return result


def _flush_seconds(site: Site) -> float:
    try:
        return max(0.05, float(site.config.get("qalam.counter.flush_seconds") or 5))
    except (TypeError, ValueError):
        return 5.0


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 30000")
    use_wal(db)
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS counter_totals ("
        " key TEXT PRIMARY KEY, lang TEXT NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS counter_hourly ("
        " key TEXT NOT NULL, lang TEXT NOT NULL, hour INTEGER NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (key, hour)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX IF NOT EXISTS counter_hourly_lang_hour ON counter_hourly(lang, hour)")
    # Transactions are explicit: `with db:` needs a BEGIN when isolation_level is None.
    db.isolation_level = "DEFERRED"
    return db


# --- registry, start and stop ------------------------------------------------------------------
def for_site(site: Site, *, clock: Callable[[], float] | None = None) -> ViewCounter:
    """The one counter of a site (created on first use; ``clock`` only applies then)."""
    with _registry_lock:
        counter = _counters.get(site)
        if counter is None:
            counter = ViewCounter(site, clock=clock)
            _counters[site] = counter
        return counter


def start(site: Site) -> ViewCounter:
    """Start the site's writer thread now (``qalam serve``); in the main thread also make
    SIGTERM a clean exit, so the last views are written (see :func:`install_signal_handlers`)."""
    counter = for_site(site)
    counter.start()
    if threading.current_thread() is threading.main_thread():
        install_signal_handlers()
    return counter


def stop(site: Site) -> None:
    """Write what is buffered and stop the site's writer (the counter can start again)."""
    with _registry_lock:
        counter = _counters.get(site)
    if counter is not None:
        counter.close()


def close_all() -> None:
    """Flush and stop every running counter (registered with atexit)."""
    with _registry_lock:
        live = list(_live)
    for counter in live:
        try:
            counter.close()
        except Exception:  # noqa: BLE001 — at exit, report and go on with the others
            log.exception("could not write page views to %s", counter.db_path)


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(close_all)
        _atexit_registered = True


def install_signal_handlers() -> None:
    """Make SIGTERM exit through ``SystemExit`` (so atexit runs and the buffer is written).

    uvicorn catches SIGINT/SIGTERM while it serves, shuts down gracefully and then raises the
    signal again with the previous handler in place. Python's default SIGINT handler raises
    KeyboardInterrupt (atexit runs); the default SIGTERM action kills the process without
    atexit, so that one gets a handler. A handler someone else installed is left alone.
    """
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum, _frame) -> None:
    sys.exit(128 + signum)


# --- bots ------------------------------------------------------------------------------------------
_bot_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _markers(site: Site) -> tuple[str, ...]:
    """Built-in markers plus the site's ``qalam.counter.bots`` (re-read when the config changes)."""
    config = site.config
    cached = _bot_cache.get(site)
    if cached is not None and cached[0] is config:
        return cached[1]
    extra = config.get("qalam.counter.bots") or []
    if isinstance(extra, str):
        extra = [extra]
    markers = BOT_MARKERS + tuple(str(x).strip().lower() for x in extra if str(x).strip())
    _bot_cache[site] = (config, markers)
    return markers


def is_bot(user_agent: str | None, markers: tuple[str, ...] = BOT_MARKERS) -> bool:
    """Whether a User-Agent is not a reader: empty, or containing a bot marker."""
    ua = (user_agent or "").strip().lower()
    return not ua or any(m in ua for m in markers)


# --- the beacon ------------------------------------------------------------------------------------
def beacon_key(site: Site, target: str, host: str = "") -> str | None:
    """The page key a beacon's target (a path, or a URL on this host) counts for, or None."""
    target = (target or "").strip()
    if not target:
        return None
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not host or parts.netloc.lower() != host.lower():
            return None
    path = parts.path
    if not path.startswith("/") or path.startswith("//") or path == BEACON_PATH:
        return None
    res = site.resolve(path)
    page = res.page
    if res.kind != "page" or page is None or not page.has_file or page.is_module:
        return None
    return page_key(page)


def handle_beacon(
    site: Site, *, method: str, query: str = "", body: bytes = b"", headers: dict[str, str] | None = None,
) -> int:
    """Answer a view beacon: the HTTP status (204 counted or ignored as a bot, 4xx refused).

    ``headers`` are lowercase names. No cookie, session or user identity is read or set, so
    there is nothing for CSRF to protect; cross-site senders are refused through the
    ``Sec-Fetch-Site``/``Origin`` headers browsers add, so other sites cannot inflate counts
    through their readers' browsers.
    """
    headers = headers or {}
    if method != "POST":
        return 405
    host = headers.get("x-forwarded-host") or headers.get("host", "")
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        # Every current browser sends it: trust it over Origin (which a proxy's Host may not match).
        if fetch_site not in ("same-origin", "same-site", "none"):
            return 403
    else:
        origin = headers.get("origin", "")
        if origin and origin != "null" and urllib.parse.urlsplit(origin).netloc.lower() != host.lower():
            return 403
    if len(body) > MAX_BODY:
        return 413
    target = urllib.parse.parse_qs(query).get("p", [""])[0] if query else ""
    if not target:
        try:
            target = body.decode("utf-8").strip()
        except UnicodeDecodeError:
            return 400
    if not target:
        return 400
    if is_bot(headers.get("user-agent"), _markers(site)):
        return 204  # answered like a counted view: nothing to learn for the bot
    key = beacon_key(site, target, host)
    if key is None:
        return 404
    for_site(site).hit(key)
    return 204


class BeaconASGI:
    """ASGI middleware answering ``POST /_qalam/view`` before Django (the hot path in
    ``qalam serve``: the beacon costs a dict update, not a Django request)."""

    def __init__(self, app, site: Site):
        self.app = app
        self.site = site

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or scope.get("path") != BEACON_PATH:
            return await self.app(scope, receive, send)
        headers: dict[str, str] = {}
        for name, value in scope.get("headers") or ():
            headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        body = b""
        too_big = False
        if scope.get("method") == "POST":
            more = True
            while more:
                message = await receive()
                if message.get("type") == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_BODY:
                    too_big = True
                    break
        if too_big:
            status = 413
        else:
            try:
                status = handle_beacon(
                    self.site, method=scope.get("method", "GET"),
                    query=scope.get("query_string", b"").decode("latin-1"), body=body, headers=headers,
                )
            except Exception:  # noqa: BLE001 — a counter problem never breaks the site
                log.exception("view beacon failed")
                status = 500
        response_headers = [(b"cache-control", b"no-store"), (b"content-length", b"0")]
        if status == 405:
            response_headers.append((b"allow", b"POST"))
        if status == 413 or too_big:
            response_headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": b""})


# --- for templates ---------------------------------------------------------------------------------
def views_for(page: Page) -> int:
    """The view count shown on an article page (start value + counted views)."""
    try:
        return for_site(page.site).count(page_key(page))
    except sqlite3.Error:
        log.exception("cannot read the view count of %s", page_key(page))
        return start_value(page)


def most_read_pages(site: Site, lang: str, hours: int = DAY, limit: int = 5) -> list[dict]:
    """The most-read pages of ``lang`` in the last ``hours`` that readers can open now:
    ``[{"page", "url", "title", "date", "views"}]`` (``views`` = in the window)."""
    from qalam.content.collections import content_spec

    if site.languages.enabled and lang not in site.languages.supported:
        return []
    try:
        ranked = for_site(site).most_read(lang, hours, limit * 3 + 10)
    except sqlite3.Error:
        log.exception("cannot read the most-read list")
        return []
    now = site.now()
    tree = site.tree(lang)
    out = []
    for key, n in ranked:
        page = tree.pages.get(split_key(key)[1])
        if (
            page is None or not page.has_file or page.is_module or page.is_home
            or not page.routable(now) or content_spec(page) is not None
        ):
            continue
        out.append({"page": page, "url": page.url(), "title": page.title, "date": page.date, "views": n})
        if len(out) >= limit:
            break
    return out


def popular_url(site: Site, lang: str) -> str:
    return site.languages.prefix(lang) + "/popular"


def register(env, site: Site) -> None:
    """Jinja globals: ``most_read(lang, hours=24, limit=5)``, ``views_for(page)``, ``popular_url(lang)``."""

    def most_read(lang: str, hours: int = DAY, limit: int = 5) -> list[dict]:
        return most_read_pages(site, lang, hours, limit)

    env.globals["most_read"] = most_read
    env.globals["views_for"] = views_for
    env.globals["popular_url"] = lambda lang: popular_url(site, lang)
