"""Other outlets' news: RSS/Atom feeds of other sites, fetched in the background, read by pages.

The site config lists the feeds::

    # user/config/qalam.yaml
    outlets:
      feeds:
        - {name: Kazinform, url: "https://www.inform.kz/rss/kaz.xml", lang: kk}
        - {name: Tengrinews, url: "https://tengrinews.kz/news.rss", lang: ru}
      refresh_minutes: 15
      max_items: 8
      timeout: 5          # seconds
      max_bytes: 1000000  # a bigger feed is refused

A background thread (:meth:`OutletsService.start`, started by ``qalam serve``) fetches each feed
with a timeout and a size limit, parses it with feedparser, keeps each feed's latest items with
their titles reduced to plain text and their links checked (http/https only), and stores the last
good result in ``<state>/outlets.sqlite3``. Pages only read what is cached
(:meth:`OutletsService.latest`); they never fetch, so a dead, slow or hostile feed never slows or
breaks a page. A failing feed keeps its last good items and is retried with a growing delay; its
error is logged when it starts (or changes), not on every attempt.

Templates call the Jinja global ``outlet_news(lang)`` (see :func:`register`) and include
``partials/outlets.html``. Documented in docs/outlets-and-distribution.md.
"""

from __future__ import annotations

import html
import http.client
import io
import logging
import re
import sqlite3
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import weakref
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from qalam import __version__
from qalam.content.files import use_wal

if TYPE_CHECKING:  # pragma: no cover
    from qalam.content.site import Site

log = logging.getLogger("qalam.outlets")

USER_AGENT = f"Qalam/{__version__} (news site; reads this feed to link to its stories)"
#: Longest title shown, in characters (longer titles are cut at a word and get "…").
TITLE_MAX = 200
#: Items kept per feed (the newest); `latest()` merges feeds and cuts to the limit asked for.
KEEP_PER_FEED = 30
#: A failing feed is retried after refresh_minutes, then twice that, ... at most this many seconds.
MAX_BACKOFF_SECONDS = 6 * 3600
#: The background thread looks at the config at least this often (new feeds show up without a restart).
MAX_SLEEP_SECONDS = 60.0


@dataclass(frozen=True)
class FeedConfig:
    name: str
    url: str
    lang: str  # '' = shown in every language


@dataclass(frozen=True)
class OutletItem:
    """One story of another outlet, safe to show: plain-text title, http(s) link, UTC time."""

    outlet: str
    title: str
    link: str
    published: datetime
    lang: str
    feed_url: str


@dataclass
class FeedState:
    url: str
    etag: str = ""
    modified: str = ""
    last_ok: float = 0.0
    last_error: str = ""
    failures: int = 0
    next_attempt: float = 0.0


class FeedError(Exception):
    """A feed could not be fetched or read (the message says why, without secrets)."""


# --- configuration ---------------------------------------------------------------------------------
def _http_url(value: object) -> str | None:
    """``value`` as an absolute http(s) URL, or None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _setting(site: Site, key: str, default: float, minimum: float) -> float:
    value = site.config.get(key, default)
    try:
        return max(minimum, float(value))
    except (TypeError, ValueError):
        return default


def configured_feeds(site: Site) -> tuple[list[FeedConfig], list[str]]:
    """The feeds of ``qalam.outlets.feeds`` that can be fetched, and what is wrong with the others."""
    raw = site.config.get("qalam.outlets.feeds") or []
    feeds: list[FeedConfig] = []
    problems: list[str] = []
    if not isinstance(raw, list):
        return [], ["qalam.outlets.feeds: must be a list of {name, url, lang}"]
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict):
            problems.append(f"qalam.outlets.feeds[{i}]: must be a mapping {{name, url, lang}}")
            continue
        url = _http_url(entry.get("url"))
        if url is None:
            problems.append(f"qalam.outlets.feeds[{i}]: url {entry.get('url')!r} is not an http(s) address; skipped")
            continue
        if url in seen:
            continue
        seen.add(url)
        name = str(entry.get("name") or "").strip() or (urllib.parse.urlsplit(url).hostname or url)
        lang = str(entry.get("lang") or "").strip()
        feeds.append(FeedConfig(name=name, url=url, lang=lang))
    return feeds, problems


# --- fetching ----------------------------------------------------------------------------------------
class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s) addresses (urllib would also follow ftp:)."""

    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if _http_url(urllib.parse.urljoin(req.full_url, newurl)) is None:
            raise FeedError(f"redirected to a non-http(s) address ({code})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_HttpOnlyRedirects)


@dataclass
class Fetched:
    status: int  # 200, or 304 when the feed has not changed
    body: bytes = b""
    etag: str = ""
    modified: str = ""
    content_type: str = ""


def fetch_feed(url: str, *, timeout: float, max_bytes: int, etag: str = "", modified: str = "") -> Fetched:
    """GET a feed: http(s) only, at most ``max_bytes`` (bigger is refused), within about ``timeout`` s.

    Each socket operation waits at most ``timeout``; reading stops once ``timeout`` has passed in
    all, so a feed that trickles bytes is cut off too (worst case about twice ``timeout``).
    """
    if _http_url(url) is None:
        raise FeedError("not an http(s) address")
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1",
        "Accept-Encoding": "identity",
    }
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    deadline = time.monotonic() + timeout
    try:
        resp = _opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 304:
            return Fetched(304, etag=etag, modified=modified)
        raise FeedError(f"HTTP {err.code}") from None
    except FeedError:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, TimeoutError) or isinstance(err, TimeoutError):
            raise FeedError(f"no answer within {timeout:g} s") from None
        raise FeedError(f"cannot connect: {reason}") from None
    with resp:
        length = resp.headers.get("Content-Length")
        if length and length.strip().isdigit() and int(length) > max_bytes:
            raise FeedError(f"feed is {int(length)} bytes, more than qalam.outlets.max_bytes ({max_bytes})")
        chunks: list[bytes] = []
        total = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise FeedError(f"feed took longer than {timeout:g} s to arrive")
                chunk = resp.read1(65536)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise FeedError(f"feed is more than qalam.outlets.max_bytes ({max_bytes}) bytes")
                chunks.append(chunk)
        except FeedError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as err:
            if isinstance(err, TimeoutError):
                raise FeedError(f"feed took longer than {timeout:g} s to arrive") from None
            raise FeedError(f"connection broke: {err}") from None
        body = _decode(b"".join(chunks), resp.headers.get("Content-Encoding", ""), max_bytes)
        return Fetched(
            200,
            body=body,
            etag=(resp.headers.get("ETag") or "")[:200],
            modified=(resp.headers.get("Last-Modified") or "")[:100],
            content_type=(resp.headers.get("Content-Type") or "")[:200],
        )


def _decode(body: bytes, encoding: str, max_bytes: int) -> bytes:
    """Undo gzip/deflate (servers that ignore `Accept-Encoding: identity`), never past ``max_bytes``."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FeedError(f"unsupported Content-Encoding {encoding!r}")
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    try:
        d = zlib.decompressobj(wbits)
        out = d.decompress(body, max_bytes + 1)
    except zlib.error:
        raise FeedError("cannot decompress the feed") from None
    if len(out) > max_bytes or d.unconsumed_tail:
        raise FeedError(f"feed is more than qalam.outlets.max_bytes ({max_bytes}) bytes uncompressed")
    return out


# --- parsing -------------------------------------------------------------------------------------------
_SPACE = re.compile(r"\s+")


def clean_title(raw: object, limit: int = TITLE_MAX) -> str:
    """Plain text of a feed title: tags (and script/style content) dropped, entities decoded,
    control and formatting characters (bidi overrides, zero-width) removed, whitespace collapsed,
    at most ``limit`` characters."""
    import nh3

    text = str(raw or "")
    text = html.unescape(nh3.clean(text, tags=set()))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = unicodedata.normalize("NFC", _SPACE.sub(" ", text).strip())
    if len(text) > limit:
        cut = text[: limit - 1]
        if " " in cut[limit // 2:]:
            cut = cut.rsplit(" ", 1)[0]
        text = cut.rstrip(" ,.;:-–—") + "…"
    return text


def clean_link(raw: object, base: str) -> str | None:
    """An absolute http(s) link (relative links resolved against the feed), or None."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return _http_url(urllib.parse.urljoin(base, raw.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class ParsedItem:
    title: str
    link: str
    published: datetime | None


def parse_feed(body: bytes, *, url: str, content_type: str = "", now: datetime | None = None) -> list[ParsedItem]:
    """Usable items of an RSS/Atom document, newest first (at most :data:`KEEP_PER_FEED`).

    Raises :class:`FeedError` when nothing usable is in it (not a feed, or no item with both a
    title and an http(s) link), so the last good items stay.
    """
    import feedparser

    now = now or datetime.now(timezone.utc)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never bytes or str: feedparser opens a str/bytes that looks like a path or URL.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=True)
    items: list[ParsedItem] = []
    seen: set[str] = set()
    for entry in parsed.get("entries") or []:
        title = clean_title(entry.get("title"))
        link = clean_link(entry.get("link"), url)
        if link is None:
            for alt in entry.get("links") or []:
                if isinstance(alt, dict) and alt.get("rel", "alternate") == "alternate":
                    link = clean_link(alt.get("href"), url)
                    if link:
                        break
        if not title or not link or link in seen:
            continue
        seen.add(link)
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = None
        if stamp:
            try:
                published = datetime(*stamp[:6], tzinfo=timezone.utc)
            except (TypeError, ValueError):
                published = None
        if published is not None and published > now:
            published = now  # a feed cannot pin itself to the top with a date in the future
        items.append(ParsedItem(title, link, published))
    if not items:
        if parsed.get("bozo"):
            problem = parsed.get("bozo_exception")
            raise FeedError(f"not a readable RSS/Atom feed ({type(problem).__name__ if problem else 'invalid'})")
        raise FeedError("the feed has no items with a title and an http(s) link")
    dated = sorted((i for i in items if i.published), key=lambda i: i.published, reverse=True)
    undated = [i for i in items if not i.published]
    return (dated + undated)[:KEEP_PER_FEED]


# --- the service -----------------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    feed_url TEXT NOT NULL,
    link TEXT NOT NULL,
    title TEXT NOT NULL,
    published TEXT NOT NULL,      -- ISO UTC; the first time we saw it when the feed gives no date
    PRIMARY KEY (feed_url, link)
);
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT NOT NULL DEFAULT '',
    modified TEXT NOT NULL DEFAULT '',
    last_ok REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class _Stored:
    title: str
    link: str
    published: datetime


class OutletsService:
    """Other outlets' latest items for one site: a cache in memory and SQLite, a refresh thread."""

    def __init__(self, site: Site, *, clock=None):
        self.site = site
        self.db_path: Path = site.state_dir / "outlets.sqlite3"
        self._clock = clock or time.time  # wall-clock seconds (scheduling survives restarts)
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._data_version: int | None = None
        self._items: dict[str, list[_Stored]] = {}
        self._states: dict[str, FeedState] = {}
        self._feeds_key: object = None
        self._feeds: list[FeedConfig] = []
        self._logged_config: set[str] = set()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # --- configuration ---------------------------------------------------------------------
    def feeds(self) -> list[FeedConfig]:
        """The configured feeds (re-read when the site's config object changes)."""
        config = self.site.config
        if self._feeds_key is not config:
            feeds, problems = configured_feeds(self.site)
            for problem in problems:
                if problem not in self._logged_config:
                    self._logged_config.add(problem)
                    log.error("%s", problem)
            self._feeds, self._feeds_key = feeds, config
        return self._feeds

    @property
    def timeout(self) -> float:
        return _setting(self.site, "qalam.outlets.timeout", 5.0, 0.1)

    @property
    def max_bytes(self) -> int:
        return int(_setting(self.site, "qalam.outlets.max_bytes", 1_000_000, 1024))

    @property
    def refresh_seconds(self) -> float:
        return _setting(self.site, "qalam.outlets.refresh_minutes", 15.0, 0.01) * 60

    @property
    def max_items(self) -> int:
        return int(_setting(self.site, "qalam.outlets.max_items", 8, 0))

    # --- storage -------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        """The database, opened (and the last good items loaded) on first use."""
        if self._db is None:
            with self._lock:
                if self._db is None:
                    db = sqlite3.connect(self.db_path, check_same_thread=False, timeout=10, isolation_level=None)
                    use_wal(db)
                    db.executescript(_SCHEMA)
                    self._load(db)
                    self._db = db
        return self._db

    def _load(self, db: sqlite3.Connection) -> None:
        """Read the last good items and the fetch states (call with the lock held)."""
        self._data_version = db.execute("PRAGMA data_version").fetchone()[0]
        items: dict[str, list[_Stored]] = {}
        for feed_url, link, title, published in db.execute(
            "SELECT feed_url, link, title, published FROM items ORDER BY published DESC"
        ):
            items.setdefault(feed_url, []).append(_Stored(title, link, datetime.fromisoformat(published)))
        states = {}
        for row in db.execute("SELECT url, etag, modified, last_ok, last_error, failures, next_attempt FROM feeds"):
            states[row[0]] = FeedState(*row)
        self._items, self._states = items, states

    def _reload_if_changed(self) -> None:
        """Read the items again when another process wrote them: with ``qalam serve --workers N``
        only the leader fetches (serve/serving.py), the other workers show what it stored.
        (``data_version`` changes on commits of other connections only, cheap to ask.)"""
        db = self._conn()
        with self._lock:
            if db.execute("PRAGMA data_version").fetchone()[0] != self._data_version:
                self._load(db)

    def state(self, url: str) -> FeedState:
        """The fetch state of one feed (last success, last error, failures, next attempt)."""
        self._conn()
        with self._lock:
            return self._states.get(url) or FeedState(url)

    def _save_state(self, st: FeedState) -> None:
        db = self._conn()
        with self._lock:
            self._states[st.url] = st
            db.execute(
                "INSERT OR REPLACE INTO feeds (url, etag, modified, last_ok, last_error, failures, next_attempt) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (st.url, st.etag, st.modified, st.last_ok, st.last_error, st.failures, st.next_attempt),
            )

    def _save_items(self, url: str, parsed: list[ParsedItem], now: datetime) -> None:
        db = self._conn()
        with self._lock:
            before = {s.link: s for s in self._items.get(url, [])}
            stored = []
            for item in parsed:
                when = item.published
                if when is None:  # undated: keep the moment we first saw it, so it does not jump
                    when = before[item.link].published if item.link in before else now
                stored.append(_Stored(item.title, item.link, when))
            stored.sort(key=lambda s: s.published, reverse=True)
            db.execute("BEGIN")
            try:
                db.execute("DELETE FROM items WHERE feed_url = ?", (url,))
                db.executemany(
                    "INSERT OR REPLACE INTO items (feed_url, link, title, published) VALUES (?, ?, ?, ?)",
                    [(url, s.link, s.title, s.published.isoformat()) for s in stored],
                )
                db.execute("COMMIT")
            except Exception:
                db.execute("ROLLBACK")
                raise
            self._items[url] = stored

    # --- reading (what pages do) ------------------------------------------------------------------
    def latest(self, lang: str, limit: int | None = None) -> list[OutletItem]:
        """The newest cached items for readers of ``lang``: feeds of that language and feeds
        without one (every feed on a one-language site). Never touches the network."""
        feeds = self.feeds()
        if not feeds:
            return []
        limit = self.max_items if limit is None else max(0, int(limit))
        if limit == 0:
            return []
        self._reload_if_changed()
        out: list[OutletItem] = []
        with self._lock:
            for feed in feeds:
                if lang and feed.lang and feed.lang != lang:
                    continue
                for s in self._items.get(feed.url, [])[:limit]:
                    out.append(OutletItem(feed.name, s.title, s.link, s.published, feed.lang, feed.url))
        out.sort(key=lambda i: i.published, reverse=True)
        return out[:limit]

    # --- refreshing (what the background thread does) -----------------------------------------------
    def refresh(self, *, force: bool = False) -> dict[str, str]:
        """Fetch every configured feed that is due (all with ``force``); returns url -> outcome."""
        feeds = self.feeds()
        if not feeds:
            return {}
        self._conn()
        now = self._clock()
        due = [f for f in feeds if force or self.state(f.url).next_attempt <= now]
        if not due:
            return {}
        with ThreadPoolExecutor(max_workers=min(4, len(due)), thread_name_prefix="qalam-outlet") as pool:
            outcomes = list(pool.map(self._refresh_feed, due))
        return {f.url: o for f, o in zip(due, outcomes)}

    def _refresh_feed(self, feed: FeedConfig) -> str:
        st = self.state(feed.url)
        started = self._clock()
        try:
            fetched = fetch_feed(
                feed.url, timeout=self.timeout, max_bytes=self.max_bytes, etag=st.etag, modified=st.modified,
            )
            if fetched.status == 304:
                outcome = "not modified"
            else:
                now = datetime.fromtimestamp(started, tz=timezone.utc)
                items = parse_feed(fetched.body, url=feed.url, content_type=fetched.content_type, now=now)
                self._save_items(feed.url, items, now)
                st.etag, st.modified = fetched.etag, fetched.modified
                outcome = f"ok: {len(items)} items"
        except FeedError as err:
            return self._failed(feed, st, str(err))
        except Exception as err:  # noqa: BLE001 — a hostile feed must never stop the others
            log.debug("outlet feed %s", feed.url, exc_info=True)
            return self._failed(feed, st, f"unexpected error: {type(err).__name__}")
        if st.failures:
            log.warning("outlet feed %s (%s) works again after %d failed attempt(s)", feed.name, feed.url, st.failures)
        st.failures, st.last_error, st.last_ok = 0, "", started
        st.next_attempt = started + self.refresh_seconds
        self._save_state(st)
        return outcome

    def _failed(self, feed: FeedConfig, st: FeedState, message: str) -> str:
        if message != st.last_error:  # log once when it starts failing (or fails differently)
            log.warning("outlet feed %s (%s): %s; showing its last good items, retrying later",
                        feed.name, feed.url, message)
        else:
            log.debug("outlet feed %s still failing: %s", feed.url, message)
        st.failures += 1
        st.last_error = message
        delay = min(self.refresh_seconds * 2 ** min(st.failures - 1, 16), max(MAX_BACKOFF_SECONDS, self.refresh_seconds))
        st.next_attempt = self._clock() + delay
        self._save_state(st)
        return f"error: {message}"

    # --- the thread -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the refresh thread (it idles while no feed is configured)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="qalam-outlets", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 10) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 — the thread must survive anything
                log.exception("could not refresh other outlets' feeds")
            self._stop.wait(self._sleep_seconds())

    def _sleep_seconds(self) -> float:
        feeds = self.feeds()
        if not feeds:
            return MAX_SLEEP_SECONDS
        soonest = min(self.state(f.url).next_attempt for f in feeds) - self._clock()
        return max(0.05, min(MAX_SLEEP_SECONDS, soonest))

    def close(self) -> None:
        self.stop()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


# --- registry and template API -------------------------------------------------------------------------
_services: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def for_site(site: Site) -> OutletsService:
    """The one outlets service of a site (created on first use)."""
    with _registry_lock:
        service = _services.get(site)
        if service is None:
            service = OutletsService(site)
            _services[site] = service
        return service


def start(site: Site) -> OutletsService:
    """Start the site's refresh thread (``qalam serve``); it does nothing while no feed is configured."""
    service = for_site(site)
    service.start()
    return service


def stop(site: Site) -> None:
    with _registry_lock:
        service = _services.get(site)
    if service is not None:
        service.stop()


def outlet_news(site: Site, lang: str, limit: int | None = None) -> list[OutletItem]:
    """Template global: the cached items for ``lang`` of the site ([] on any trouble)."""
    try:
        if not site.config.get("qalam.outlets.feeds"):
            return []
        return for_site(site).latest(lang, limit)
    except Exception:  # noqa: BLE001 — a side block never breaks a page
        log.exception("cannot read other outlets' news")
        return []


def register(env, site: Site) -> None:
    """Add ``outlet_news(lang, limit=None)`` to the site's Jinja environment."""
    env.globals["outlet_news"] = lambda lang, limit=None: outlet_news(site, lang, limit)
