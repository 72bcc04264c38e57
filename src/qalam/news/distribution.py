"""Distribution on publish: tell IndexNow about new articles and post them to a Telegram channel.

Off by default; configured in ``user/config/qalam.yaml``::

    site_url: https://example.kz          # required: links and IndexNow need the public address
    distribution:
      indexnow: {enabled: true, key: 3f1c0a9b6e2d4c8f}   # served at https://example.kz/3f1c0a9b6e2d4c8f.txt
      telegram: {enabled: true, chat_id: "@example_news"}  # token: QALAM_TELEGRAM_TOKEN env variable
      retries: 5

How it works (docs/outlets-and-distribution.md has the user's view):

* **Detection.** A worker thread (:meth:`DistributionService.start`, started by ``qalam serve``)
  looks at the site after every ``Site.refresh()`` that changed something (it watches
  ``site.version``) and once a minute, since a ``publish_date`` page becomes published by the clock
  alone. An *article* is a dated ``item`` page (``article(page).is_article``) that is routable and
  published now, in a language that has its own file for it.
* **Only recent articles.** An article is announced only while its publication moment
  (the later of ``date`` and ``publish_date``) is within the last :data:`LOOKBACK_HOURS` hours.
  Turning distribution on for a site with a long archive therefore announces at most the last
  day's articles, never the whole archive; an imported archive is not announced either.
* **Idempotent.** ``<state>/distribution.sqlite3`` holds an outbox keyed by (channel, page key).
  A row is written once, with what will be sent, and never again for the same key: one post per
  article ever, across restarts, and editing the article later sends nothing. IndexNow is keyed
  per language version (``kk:news/x``: each URL is a page for search engines, the Latin edition
  URL goes with the Kazakh one); Telegram per article folder (``news/x``), posted in the default
  language when the article has it, so one channel gets one post per story.
* **Delivery.** The worker sends due rows, never a request handler. A failure (no connection, 5xx,
  429) is retried after ``BASE_DELAY * 2**(attempt-1)`` seconds (Telegram's ``retry_after`` when it
  asks for longer), up to ``qalam.distribution.retries`` attempts in all; a 4xx answer is final. A
  row that ends ``failed`` is not tried again (the log says why). A Telegram post cut off mid-request
  (the process died) is marked failed rather than re-sent, so the channel never gets a duplicate;
  an IndexNow notice is simply sent again.
* **Refusals.** With ``qalam.site_url`` empty nothing is sent (an error log names the setting);
  Telegram needs ``QALAM_TELEGRAM_TOKEN`` and ``chat_id``, IndexNow a key of 8-128 letters, digits
  or dashes. Each problem is logged once, not every minute.
"""

from __future__ import annotations

import html
import http.client
import json
import logging
import os
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from qalam import __version__
from qalam.content.files import use_wal
from qalam.content.config import truthy

if TYPE_CHECKING:  # pragma: no cover
    from qalam.content.pages import Page
    from qalam.content.site import Site

log = logging.getLogger("qalam.distribution")

#: Articles published longer ago than this are never announced (first enable, imports, long outages).
LOOKBACK_HOURS = 24
#: Seconds between looks for articles published by the clock (scheduled `publish_date`).
CHECK_SECONDS = 60.0
#: First retry delay in seconds; doubles on each further attempt, up to MAX_DELAY.
BASE_DELAY = 30.0
MAX_DELAY = 3600.0
#: Seconds a claimed delivery may stay "sending" before it is treated as cut off.
STALE_SENDING = 300.0
#: Longest lead in a Telegram post, in characters.
LEAD_MAX = 300
#: Seconds to wait for IndexNow or Telegram.
HTTP_TIMEOUT = 10.0
TOKEN_ENV = "QALAM_TELEGRAM_TOKEN"
CHANNELS = ("indexnow", "telegram")
USER_AGENT = f"Qalam/{__version__}"

_KEY_RE = re.compile(r"^[A-Za-z0-9-]{8,128}$")
_TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$")
_URL_SAFE = "/:@!$&'()*+,;=-._~%"


class DeliveryError(Exception):
    """A delivery did not go through; ``permanent`` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass
class Delivery:
    """One row of the outbox."""

    channel: str
    page_key: str
    url: str
    payload: dict
    status: str  # pending | sending | sent | failed | expired
    attempts: int
    next_attempt: float
    created: float
    sent_at: float | None
    last_error: str
    response: str


# --- settings --------------------------------------------------------------------------------------
def _http_url(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    url = value.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def site_url(site: Site) -> str | None:
    """``qalam.site_url`` without its trailing slash, or None when it is not an http(s) address."""
    return site.config.base_url


def indexnow_key(site: Site) -> str | None:
    """The IndexNow key when IndexNow is enabled and the key is well-formed (what `/<key>.txt` serves)."""
    if not truthy(site.config.get("qalam.distribution.indexnow.enabled")):
        return None
    key = str(site.config.get("qalam.distribution.indexnow.key") or "").strip()
    return key if _KEY_RE.match(key) else None


def absolute_url(base: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return base + urllib.parse.quote(path, safe=_URL_SAFE)


def telegram_text(title: str, lead: str, link: str) -> str:
    """The post: bold headline, the lead, the link (Telegram's HTML parse mode)."""
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731
    parts = [f"<b>{esc(title)}</b>"]
    if lead:
        parts.append(esc(lead))
    parts.append(esc(link))
    return "\n\n".join(parts)


def lead_text(site: Site, page: Page, limit: int = LEAD_MAX) -> str:
    """The article's summary as one short paragraph of plain text."""
    from qalam.search.text import html_to_text

    rendered = site.content(page)
    size = limit * 2
    summary = rendered.summary(enabled=True, format="short", size=size)
    text = re.sub(r"\s+", " ", html_to_text(summary)).strip()
    if len(text) > limit:
        cut = text[: limit - 1]
        if " " in cut[limit // 2:]:
            cut = cut.rsplit(" ", 1)[0]
        text = cut.rstrip(" ,.;:-–—") + "…"
    return text


def _publication_moment(page: Page) -> datetime | None:
    times = [t for t in (page.date_from_header, page.publish_date) if t is not None]
    return max(times) if times else None


# --- HTTP --------------------------------------------------------------------------------------------
def _post_json(url: str, payload: dict, *, secret: str = "") -> tuple[int, bytes]:
    """POST ``payload`` as JSON; (status, first 64 KiB of the body). Connection trouble raises."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(
        url, data=data, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:  # noqa: S310 — http(s) checked
            return resp.status, resp.read(65536)
    except urllib.error.HTTPError as err:
        try:
            body = err.read(65536)
        except OSError:
            body = b""
        err.close()
        return err.code, body
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as err:
        reason = str(getattr(err, "reason", err))
        if secret:
            reason = reason.replace(secret, "***")
        raise DeliveryError(f"cannot connect: {reason}") from None


def _snippet(body: bytes) -> str:
    return re.sub(r"\s+", " ", body[:300].decode("utf-8", "replace")).strip()


# --- the service ----------------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    channel TEXT NOT NULL,             -- indexnow | telegram
    page_key TEXT NOT NULL,            -- indexnow: '<lang>:<folder>'; telegram: '<folder>'
    url TEXT NOT NULL,                 -- the article's absolute URL when queued
    payload TEXT NOT NULL,             -- JSON, frozen when queued (edits later change nothing)
    status TEXT NOT NULL,              -- pending | sending | sent | failed | expired
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    claimed_at REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    sent_at REAL,
    last_error TEXT NOT NULL DEFAULT '',
    response TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel, page_key)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt);
"""


class DistributionService:
    """The outbox of one site and the worker that fills and empties it."""

    def __init__(
        self,
        site: Site,
        *,
        base_delay: float = BASE_DELAY,
        max_delay: float = MAX_DELAY,
        check_seconds: float = CHECK_SECONDS,
        poll_seconds: float = 1.0,
        lookback_hours: float = LOOKBACK_HOURS,
        clock=None,
        environ: Mapping[str, str] | None = None,
    ):
        self.site = site
        self.db_path = site.state_dir / "distribution.sqlite3"
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.check_seconds = check_seconds
        self.poll_seconds = poll_seconds
        self.lookback = timedelta(hours=lookback_hours)
        self._clock = clock or time.time  # wall-clock seconds for retry scheduling (survives restarts)
        self._environ = environ if environ is not None else os.environ
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._logged: set[str] = set()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()

    # --- configuration -------------------------------------------------------------------------
    def enabled(self) -> bool:
        """Whether any channel is switched on (configured or not)."""
        return any(truthy(self.site.config.get(f"qalam.distribution.{c}.enabled")) for c in CHANNELS)

    @property
    def retries(self) -> int:
        try:
            return max(1, int(self.site.config.get("qalam.distribution.retries") or 1))
        except (TypeError, ValueError):
            return 5

    @property
    def token(self) -> str:
        return (self._environ.get(TOKEN_ENV) or "").strip()

    def active_channels(self) -> list[str]:
        """Enabled channels whose settings are complete; logs (once) why the others are refused."""
        cfg = self.site.config
        problems: list[str] = []
        active: list[str] = []
        enabled = [c for c in CHANNELS if truthy(cfg.get(f"qalam.distribution.{c}.enabled"))]
        if enabled and site_url(self.site) is None:
            problems.append(
                "qalam.distribution: qalam.site_url is not set (or not an http(s) address) — set it to the site's "
                "public address, e.g. `site_url: https://example.kz` in config/qalam.yaml; nothing is announced "
                "or posted without it"
            )
            enabled = []
        for channel in enabled:
            if channel == "indexnow":
                key = str(cfg.get("qalam.distribution.indexnow.key") or "").strip()
                if not _KEY_RE.match(key):
                    problems.append(
                        "qalam.distribution.indexnow.key: set a key of 8-128 letters, digits or dashes "
                        "(e.g. `python -c \"import uuid; print(uuid.uuid4().hex)\"`); IndexNow is off until then"
                    )
                    continue
                if _http_url(cfg.get("qalam.distribution.indexnow.endpoint")) is None:
                    problems.append("qalam.distribution.indexnow.endpoint: not an http(s) URL; IndexNow is off")
                    continue
            if channel == "telegram":
                if not self.token:
                    problems.append(
                        f"qalam.distribution.telegram: the {TOKEN_ENV} environment variable is not set (the bot "
                        "token from @BotFather); Telegram posting is off"
                    )
                    continue
                if not _TOKEN_RE.match(self.token):
                    problems.append(f"qalam.distribution.telegram: {TOKEN_ENV} does not look like a bot token "
                                    "(digits, a colon, then letters); Telegram posting is off")
                    continue
                if not str(cfg.get("qalam.distribution.telegram.chat_id") or "").strip():
                    problems.append(
                        "qalam.distribution.telegram.chat_id: set the channel (@name or numeric id); "
                        "Telegram posting is off"
                    )
                    continue
                if _http_url(cfg.get("qalam.distribution.telegram.api_base")) is None:
                    problems.append("qalam.distribution.telegram.api_base: not an http(s) URL; Telegram posting is off")
                    continue
            active.append(channel)
        self._report(problems)
        return active

    def _report(self, problems: list[str]) -> None:
        with self._lock:
            for p in problems:
                if p not in self._logged:
                    log.error("%s", p)
            self._logged = set(problems)  # a problem fixed and back is logged again

    # --- storage ---------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            with self._lock:
                if self._db is None:
                    db = sqlite3.connect(self.db_path, check_same_thread=False, timeout=10, isolation_level=None)
                    use_wal(db)
                    db.executescript(_SCHEMA)
                    self._db = db
        return self._db

    def outbox(self, channel: str | None = None) -> list[Delivery]:
        """Every row of the outbox (for tests, checks and a future admin view)."""
        if not self.db_path.exists():
            return []
        sql = ("SELECT channel, page_key, url, payload, status, attempts, next_attempt, created, sent_at, "
               "last_error, response FROM outbox")
        args: tuple = ()
        if channel:
            sql += " WHERE channel = ?"
            args = (channel,)
        with self._lock:
            rows = self._conn().execute(sql + " ORDER BY created, channel, page_key", args).fetchall()
        return [Delivery(r[0], r[1], r[2], json.loads(r[3]), *r[4:]) for r in rows]

    # --- detection ----------------------------------------------------------------------------------
    def published_articles(self) -> list[Page]:
        """Articles published now whose publication moment is within the look-back window."""
        from qalam.content.article import article

        site = self.site
        now = site.now()
        since = now - self.lookback
        out: list[Page] = []
        for lang in site.language_codes:
            for page in site.tree(lang).iter_pages():
                if not page.has_file or page.file_lang not in (lang, "") or page.is_module:
                    continue
                if page.template_name != "item" or page.redirect or page.external_url:
                    continue
                moment = _publication_moment(page)
                if moment is None or moment < since or not page.routable(now):
                    continue
                if article(page).is_article:
                    out.append(page)
        return out

    def scan(self) -> int:
        """Queue what was published and not yet queued; returns how many rows were added."""
        active = self.active_channels()
        if not active:
            return 0
        base = site_url(self.site)
        assert base is not None  # active_channels() checked it
        articles = self.published_articles()
        if not articles:
            return 0
        db = self._conn()
        added = 0
        now = self._clock()
        with self._lock:
            for channel in active:
                known = {r[0] for r in db.execute("SELECT page_key FROM outbox WHERE channel = ?", (channel,))}
                for key, page in self._keyed(channel, articles).items():
                    if key in known:
                        continue
                    try:
                        url, payload = self._payload(channel, page, base)
                    except Exception:  # noqa: BLE001 — one broken page never stops the others
                        log.exception("cannot prepare %s for %s", page.file_rel, channel)
                        continue
                    cur = db.execute(
                        "INSERT OR IGNORE INTO outbox (channel, page_key, url, payload, status, created, next_attempt) "
                        "VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                        (channel, key, url, json.dumps(payload, ensure_ascii=False), now, now),
                    )
                    if cur.rowcount:
                        added += 1
                        log.info("queued %s for %s", url, channel)
        if added:
            self._wake.set()
        return added

    def _keyed(self, channel: str, articles: list[Page]) -> dict[str, Page]:
        if channel == "indexnow":
            return {f"{p.lang}:{p.node.rel}": p for p in articles}
        # Telegram: one post per article folder, in the default language when it has the article.
        order: dict[str, int] = {}
        for code in [self.site.default_lang, *self.site.language_codes]:
            order.setdefault(code, len(order))
        chosen: dict[str, Page] = {}
        for page in sorted(articles, key=lambda p: order.get(p.lang, len(order))):
            chosen.setdefault(page.node.rel, page)
        return chosen

    def _payload(self, channel: str, page: Page, base: str) -> tuple[str, dict]:
        url = absolute_url(base, page.url())
        if channel == "indexnow":
            urls = [url]
            if self.site.latin_edition(page.lang):
                urls.append(absolute_url(base, self.site.latin_url(page.url(), page.lang)))
            return url, {"urlList": urls}
        return url, {"text": telegram_text(page.title, lead_text(self.site, page), url)}

    # --- delivery --------------------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """Send every pending row whose time has come; returns how many went through."""
        active = self.active_channels()
        if not active or not self.db_path.exists():
            return 0
        db = self._conn()
        now = self._clock()
        self._recover_stale(now)
        with self._lock:
            rows = db.execute(
                "SELECT channel, page_key, url, payload, attempts, created FROM outbox "
                "WHERE status = 'pending' AND next_attempt <= ? ORDER BY created",
                (now,),
            ).fetchall()
        sent = 0
        for channel, key, url, payload, attempts, created in rows:
            if self._stop.is_set():
                break
            if channel not in active:
                continue
            if now - created > self.lookback.total_seconds():
                self._set(channel, key, status="expired", last_error="not delivered within the look-back window")
                continue
            with self._lock:
                claimed = db.execute(
                    "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_at = ? "
                    "WHERE channel = ? AND page_key = ? AND status = 'pending'",
                    (self._clock(), channel, key),
                ).rowcount
            if not claimed:
                continue
            attempt = attempts + 1
            try:
                response = self._send(channel, json.loads(payload))
            except DeliveryError as err:
                self._failed(channel, key, url, attempt, err)
                continue
            except Exception as err:  # noqa: BLE001 — treat like a temporary failure, never crash the worker
                log.debug("delivery to %s", channel, exc_info=True)
                self._failed(channel, key, url, attempt, DeliveryError(f"unexpected error: {type(err).__name__}"))
                continue
            self._set(channel, key, status="sent", sent_at=self._clock(), response=response[:500], last_error="")
            log.info("%s: delivered %s (attempt %d)", channel, url, attempt)
            sent += 1
        return sent

    def _failed(self, channel: str, key: str, url: str, attempt: int, err: DeliveryError) -> None:
        message = str(err)
        if err.permanent or attempt >= self.retries:
            self._set(channel, key, status="failed", last_error=message)
            why = "not retried" if err.permanent else f"gave up after {attempt} attempt(s)"
            log.error("%s: could not deliver %s: %s (%s)", channel, url, message, why)
            return
        delay = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        if err.retry_after:
            delay = max(delay, min(err.retry_after, 86400.0))
        self._set(channel, key, status="pending", next_attempt=self._clock() + delay, last_error=message)
        (log.warning if attempt == 1 else log.info)(
            "%s: %s failed (%s); attempt %d of %d in %.3g s", channel, url, message, attempt + 1, self.retries, delay,
        )

    def _set(self, channel: str, key: str, **fields) -> None:
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._lock:
            self._conn().execute(
                f"UPDATE outbox SET {cols} WHERE channel = ? AND page_key = ?", (*fields.values(), channel, key)
            )

    def _recover_stale(self, now: float) -> None:
        """Rows left 'sending' by a process that died mid-request (or hung past STALE_SENDING)."""
        with self._lock:
            db = self._conn()
            db.execute(
                "UPDATE outbox SET status = 'pending', next_attempt = ? "
                "WHERE status = 'sending' AND channel = 'indexnow' AND claimed_at < ?",
                (now, now - STALE_SENDING),
            )
            db.execute(
                "UPDATE outbox SET status = 'failed', last_error = "
                "'cut off while sending; not sent again so the channel never gets a duplicate' "
                "WHERE status = 'sending' AND channel = 'telegram' AND claimed_at < ?",
                (now - STALE_SENDING,),
            )

    def _send(self, channel: str, payload: dict) -> str:
        if channel == "indexnow":
            return self._send_indexnow(payload)
        if channel == "telegram":
            return self._send_telegram(payload)
        raise DeliveryError(f"unknown channel {channel!r}", permanent=True)

    def _send_indexnow(self, payload: dict) -> str:
        cfg = self.site.config
        base = site_url(self.site) or ""
        key = str(cfg.get("qalam.distribution.indexnow.key") or "").strip()
        body = {
            "host": urllib.parse.urlsplit(base).netloc,
            "key": key,
            "keyLocation": f"{base}/{key}.txt",
            "urlList": list(payload.get("urlList") or []),
        }
        status, answer = _post_json(str(cfg.get("qalam.distribution.indexnow.endpoint")).strip(), body)
        if status in (200, 202):
            return f"HTTP {status}"
        message = f"IndexNow answered HTTP {status}" + (f": {_snippet(answer)}" if answer else "")
        raise DeliveryError(message, permanent=400 <= status < 500 and status not in (408, 429))

    def _send_telegram(self, payload: dict) -> str:
        cfg = self.site.config
        token = self.token
        api = str(cfg.get("qalam.distribution.telegram.api_base")).strip().rstrip("/")
        body = {
            "chat_id": str(cfg.get("qalam.distribution.telegram.chat_id")).strip(),
            "text": payload.get("text", ""),
            "parse_mode": "HTML",
        }
        status, answer = _post_json(f"{api}/bot{token}/sendMessage", body, secret=token)
        try:
            data = json.loads(answer.decode("utf-8")) if answer else {}
        except (UnicodeDecodeError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        if status == 200 and data.get("ok") is True:
            result = data.get("result") if isinstance(data.get("result"), dict) else {}
            return f"message_id={result.get('message_id', '')}"
        description = str(data.get("description") or _snippet(answer) or "").replace(token, "***")[:300]
        params = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
        retry_after = params.get("retry_after")
        retry_after = float(retry_after) if isinstance(retry_after, (int, float)) else None
        code = status if status != 200 else int(data.get("error_code") or 0)
        message = f"Telegram answered HTTP {status}" + (f": {description}" if description else "")
        temporary = code == 429 or code >= 500 or code in (0, 408)
        raise DeliveryError(message, permanent=not temporary, retry_after=retry_after)

    # --- the worker ---------------------------------------------------------------------------------------
    def run_once(self) -> tuple[int, int]:
        """One pass: queue what is new, send what is due. (queued, delivered)"""
        if not self.enabled():
            return 0, 0
        return self.scan(), self.deliver_due()

    def start(self) -> None:
        """Start the worker thread (it idles while distribution is disabled)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="qalam-distribution", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 15) -> None:
        """Stop the worker after the delivery in progress (so it is recorded)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        seen_version: int | None = None
        last_check = float("-inf")
        # One sender per site, however many processes start this worker (`qalam serve --workers N`
        # starts it in the leader only): an article must never be announced twice.
        lock = self._sender_lock()
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    held = lock.acquire()
                except OSError:
                    log.exception("cannot take the distribution lock %s", lock.path)
                    held = False
                if not held:  # another process sends; take over when it stops
                    self._wake.wait(max(self.poll_seconds, 1.0))
                    continue
                seen_version, last_check = self._work_once(seen_version, last_check)
                self._wake.wait(self._sleep_seconds())
        finally:
            lock.release()

    def _sender_lock(self):
        """``flock`` on ``.qalam/distribution.lock``, held while this worker runs."""
        from qalam.content.files import LeaderLock

        return LeaderLock(self.site.state_dir / "distribution.lock")

    def _work_once(self, seen_version: int | None, last_check: float) -> tuple[int | None, float]:
        """Queue what is new (on a content change or every ``check_seconds``), send what is due."""
        try:
            if self.enabled():
                mono = time.monotonic()
                version = self.site.version
                if version != seen_version or mono - last_check >= self.check_seconds:
                    seen_version, last_check = version, mono
                    self.scan()
                self.deliver_due()
        except Exception:  # noqa: BLE001 — the worker must survive anything
            log.exception("distribution worker")
        return seen_version, last_check

    def _sleep_seconds(self) -> float:
        wait = self.poll_seconds
        if self._db is not None:
            with self._lock:
                now = self._clock()
                row = self._db.execute(
                    "SELECT MIN(next_attempt) FROM outbox WHERE status = 'pending' AND next_attempt > ?", (now,)
                ).fetchone()
            if row and row[0] is not None:
                wait = min(wait, max(0.01, row[0] - now))
        return wait

    def close(self) -> None:
        self.stop()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


# --- registry ---------------------------------------------------------------------------------------------
_services: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def for_site(site: Site, **kwargs) -> DistributionService:
    """The one distribution service of a site (created on first use; ``kwargs`` only then)."""
    with _registry_lock:
        service = _services.get(site)
        if service is None:
            service = DistributionService(site, **kwargs)
            _services[site] = service
        return service


def start(site: Site) -> DistributionService:
    """Start the site's distribution worker (``qalam serve``); idle while distribution is disabled."""
    service = for_site(site)
    service.start()
    return service


def stop(site: Site) -> None:
    with _registry_lock:
        service = _services.get(site)
    if service is not None:
        service.stop()
