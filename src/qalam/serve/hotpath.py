"""The page cache: anonymous GETs of pages answered from memory, before Django.

``qalam serve`` runs ``BeaconASGI(PageCacheASGI(django_app, site, render=PipelineASGI(site)))``:
the view beacon, then this cache, then Django (docs/serving.md). A miss is rendered once by the
render pipeline directly (serve/direct.py: the bytes and headers Django would send, without its
request and middleware work); the same bytes then answer every anonymous reader until the page
can have changed. Everything the cache does not take goes to Django.

What goes through the cache (everything else goes straight to Django, untouched):

* ``GET`` and ``HEAD`` without a ``Cookie`` or ``Authorization`` header (a session, the editor)
  and without a query string. One with a query string (search, paging by ``?``, image
  versions) is rendered for each reader by the same renderer and never stored.
* The key is (scheme, Host, path): pages carry absolute URLs (canonical, Open Graph) built from
  the Host. Nothing else of the request changes a cached response: responses that depend on
  more (``Vary`` other than ``Accept-Encoding``; the language redirect of ``/``, which Django
  sends without ``Cache-Control: public``) are never stored.

What is stored: a ``200`` whose ``Content-Type`` is HTML, XML, JSON, RSS or Atom, with
``Cache-Control: public`` (and no ``no-store``/``private``/``no-cache``), no ``Set-Cookie``,
no ``Vary`` but ``Accept-Encoding``, and no bigger than an eighth of the cache (a bigger one is
streamed on as it comes). Redirects and 404s are not stored: Django does not mark them public,
and a flood of random paths must not push the real pages out of memory (docs/serving.md).

How long an entry is served, checked on every hit (no watcher or timer needed):

* while ``site.version`` is the one it was rendered under — any content or config change
  (``Site.refresh()``, run by the watcher) drops the whole cache at once;
* until the ``X-Qalam-Valid-Until`` header Django set (``render/answers.py``: the next scheduled
  publish/unpublish of the page — of a listing: of any page of its language tree — as a Unix
  time, or ``never``), so a scheduled page appears in its listing and at its URL on time; the
  header is removed before the response leaves;
* and at most ``ttl`` seconds (60 by default) — pages show the most-read box, which changes
  without a content change; responses without ``X-Qalam-Valid-Until`` (feeds, sitemaps, author
  and search pages) are also bounded by their own ``max-age``.

Times are ``site.now()``, so tests move the site's clock. On a hit ``max-age`` is lowered to what
is left of the entry's life, so no browser or CDN keeps a copy past a scheduled change.
``If-None-Match`` (or an exact ``If-Modified-Since``) matching the entry gets a 304 from the
cache. Every answer of a cacheable request carries ``X-Cache: HIT`` or ``MISS``.

The memory is an LRU bounded by total bytes (``max_bytes``, 64 MB by default). Under it, when
``disk_dir`` is given (``qalam serve``: ``.qalam/pagecache/``), a :class:`DiskCache` shared by
every worker process and kept across restarts: a memory miss looks there before Django, and
every stored response is also written there (one file per key, written atomically). A disk
entry is only served under the same *content fingerprint* (:func:`site_fingerprint`: the files,
config and theme the page was rendered from, identical in every process, unlike
``site.version``) and before its valid-until time; the folder is bounded by ``disk_max_bytes``
(256 MB by default, oldest files pruned first).

Concurrent misses of one key are coalesced: the first goes to Django, the others wait for its
response and are answered from it (so an entry expiring under load costs one render, not one
per waiting reader); if it cannot be stored they go to Django themselves.

This module imports no Django. All cache state is touched from the event loop only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from qalam.render.hosts import BAD_HOST_BODY, VALID_UNTIL, host_name

log = logging.getLogger("qalam.pagecache")

_VALID_UNTIL = VALID_UNTIL.lower().encode("latin-1")

#: Content types stored (the main type, without parameters).
CACHEABLE_TYPES = frozenset({
    "text/html", "text/xml", "application/xml", "application/json", "application/rss+xml",
    "application/atom+xml", "application/feed+json", "text/plain",
})
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_TTL = 60.0
#: Bound of the on-disk layer (all entry files together).
DEFAULT_DISK_BYTES = 256 * 1024 * 1024

_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")
_DROPPED = {b"content-length", b"x-cache", _VALID_UNTIL}
_OURS = {b"x-cache", _VALID_UNTIL}
_CONDITIONAL = {b"if-none-match", b"if-modified-since"}


@dataclass(slots=True)
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]  # without Content-Length, Cache-Control, X-Cache
    body: bytes
    version: int
    expires: float  # site clock, Unix time
    max_age: int | None  # the response's own max-age
    cache_control: bytes
    etag: bytes | None
    last_modified: bytes | None
    size: int


class PageCacheASGI:
    """ASGI middleware answering anonymous GET/HEAD of pages from memory (see the module doc)."""

    def __init__(
        self, app, site, *, max_bytes: int = DEFAULT_MAX_BYTES, ttl: float = DEFAULT_TTL,
        disk_dir: str | os.PathLike | None = None, disk_max_bytes: int = DEFAULT_DISK_BYTES, render=None,
    ):
        self.app = app
        #: What renders a miss (an ASGI app; serve/direct.py's pipeline without Django), else ``app``.
        self.render = render if render is not None else app
        self.site = site
        self.max_bytes = max_bytes
        self.max_entry = max(1, max_bytes // 8)  # one huge page never flushes the rest
        self.ttl = ttl
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._version = None
        self._pending: dict[tuple, asyncio.Future] = {}  # renders in flight, by key
        self._hosts_stamp: tuple | None = None  # (site.version, config) the two below belong to
        self._hosts: set[str] = set()
        self._base_url: str | None = None
        self.size = 0
        self.hits = self.misses = 0
        self.disk = DiskCache(disk_dir, disk_max_bytes) if disk_dir is not None else None
        self.disk_hits = 0
        self._fingerprint: tuple[int, str] | None = None  # (site.version, its fingerprint)

    # --- the cache ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0

    def _get(self, key: tuple, version: int, now: float) -> Entry | None:
        if version != self._version:  # content changed: nothing stored is valid any more
            self.clear()
            self._version = version
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if now >= entry.expires:
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _put(self, key: tuple, entry: Entry, *, disk: bool = True) -> Entry | None:
        if entry.version != self.site.version or entry.size > self.max_entry:
            return None  # rendered under content that changed meanwhile, or too big
        if entry.version != self._version:
            self.clear()
            self._version = entry.version
        if key in self._entries:
            self._remove(key)
        self._entries[key] = entry
        self.size += entry.size
        while self.size > self.max_bytes and self._entries:
            self._remove(next(iter(self._entries)))
        if disk and self.disk is not None:
            self._save(key, entry)
        return entry

    def _remove(self, key: tuple) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size

    # --- the disk layer ----------------------------------------------------------------------
    def fingerprint(self, version: int) -> str | None:
        """The content fingerprint of ``site.version`` == ``version``, or None when it cannot be
        taken now (the site is being refreshed, or has moved on): the disk is then skipped."""
        cached = self._fingerprint
        if cached is not None and cached[0] == version:
            return cached[1]
        lock = getattr(self.site, "_lock", None)
        # Never wait for a refresh in progress (it may parse files for seconds): skip the disk.
        if lock is not None and not lock.acquire(blocking=False):
            return None
        try:
            if self.site.version != version:
                return None
            fp = site_fingerprint(self.site)
        finally:
            if lock is not None:
                lock.release()
        if self.disk is not None and (cached is None or cached[1] != fp):
            self.disk.prune(keep=fp)  # entries of other content (older, or before a restart) go
        self._fingerprint = (version, fp)
        return fp

    def _load(self, key: tuple, version: int, now: float) -> Entry | None:
        fp = self.fingerprint(version)
        if fp is None:
            return None
        entry = self.disk.load(key, fp, now)
        if entry is None:
            return None
        entry.version = version
        self.disk_hits += 1
        return self._put(key, entry, disk=False)

    def _save(self, key: tuple, entry: Entry) -> None:
        fp = self.fingerprint(entry.version)
        if fp is not None:
            self.disk.store(key, fp, entry)

    # --- ASGI --------------------------------------------------------------------------------
    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        host = b""
        inm = ims = None
        for name, value in scope.get("headers") or ():
            name = name.lower()
            if name in (b"cookie", b"authorization"):
                return await self.app(scope, receive, _without_valid_until(send))
            if name == b"host":
                host = value
            elif name == b"if-none-match":
                inm = value
            elif name == b"if-modified-since":
                ims = value
        query = bool(scope.get("query_string"))
        if query and self.render is self.app:
            return await self.app(scope, receive, _without_valid_until(send))

        head = scope["method"] == "HEAD"
        site = self.site
        config = site.config
        stamp = (site.version, id(config))
        if self._hosts_stamp != stamp:  # worked out once per content/config version, not per request
            self._hosts_stamp, self._hosts, self._base_url = stamp, config.hosts, config.base_url
        name = host_name(host)
        if name not in self._hosts:
            # A forged Host never reaches a page or the cache (docs/security.md); Django's
            # HostMiddleware answers the same for what does not come through here.
            return await _bad_host(send)
        now = site.now().timestamp()
        if query:
            # Search, paging by `?`, image versions: rendered for each reader by the renderer
            # (the pipeline, without Django), never stored; HEAD and conditionals as for a miss.
            return await self._miss(scope, receive, send, None, now, head, inm, ims)
        # With a base URL, no byte of a page depends on the Host or scheme it was asked with.
        key = ("", "", scope.get("path", "")) if self._base_url else \
            (scope.get("scheme", "http"), name, scope.get("path", ""))
        entry = self._get(key, site.version, now)
        if entry is None and self.disk is not None and key not in self._pending:
            entry = self._load(key, site.version, now)  # another worker, or before a restart
        waited = False
        if entry is None and (pending := self._pending.get(key)) is not None:
            waited = True
            # The same page is being rendered for another reader: wait for it, not for Django.
            entry = await asyncio.shield(pending)
            if entry is not None and (entry.version != site.version or now >= entry.expires):
                entry = None
        if entry is not None:
            self.hits += 1
            return await self._answer(entry, send, now, head, inm, ims, b"HIT")
        self.misses += 1
        if waited:  # that response could not be stored: this reader goes to Django too
            return await self._miss(scope, receive, send, key, now, head, inm, ims)
        pending = self._pending[key] = asyncio.get_running_loop().create_future()
        stored = None
        try:
            stored = await self._miss(scope, receive, send, key, now, head, inm, ims)
        finally:
            if self._pending.get(key) is pending:
                del self._pending[key]
            if not pending.done():
                pending.set_result(stored)

    async def _miss(self, scope, receive, send, key: tuple | None, now: float, head: bool, inm, ims) -> Entry | None:
        """Let the renderer (the pipeline, else Django) answer; store and return the entry if it
        can be cached (never with ``key`` None: a request with a query string)."""
        site = self.site

        # Miss: the renderer renders the full page (a HEAD as a GET, conditionals removed), so the
        # answer can be stored; the reader's conditional request is answered from the entry.
        version = site.version
        headers = [h for h in scope.get("headers") or () if h[0].lower() not in _CONDITIONAL]
        inner = dict(scope, method="GET", headers=headers)
        state: dict = {"entry": None, "through": False, "chunks": []}

        async def go_through(start):
            """Pass the response on as Django sends it (minus our header), not stored."""
            state["through"] = True
            headers = [h for h in start.get("headers") or () if h[0].lower() not in _OURS]
            headers.append((b"x-cache", b"MISS"))
            await send(dict(start, headers=headers))

        async def capture(message):
            kind = message.get("type")
            if kind == "http.response.start":
                entry = self._entry(message.get("status", 200), message.get("headers") or (), version, now)
                if entry is None:
                    await go_through(message)
                else:
                    state["entry"], state["start"], state["size"] = entry, message, 0
                return
            if kind != "http.response.body":
                return await send(message)
            more = message.get("more_body", False)
            if state["through"]:
                if not head:
                    await send(message)
                elif not more:
                    await send({"type": "http.response.body", "body": b""})
                return
            entry = state["entry"]
            if entry is None:  # a body before the start: not ours to fix
                return await send(message)
            state["chunks"].append(message.get("body", b""))
            state["size"] += len(state["chunks"][-1])
            if more and state["size"] > self.max_entry:
                # Too big to store: stream it on instead of holding it all in memory.
                await go_through(state["start"])
                body = b"".join(state["chunks"])
                state["chunks"] = []
                return await send({"type": "http.response.body", "body": b"" if head else body, "more_body": True})
            if more:
                return
            entry.body = b"".join(state["chunks"])
            entry.size = len(entry.body) + sum(len(a) + len(b) for a, b in entry.headers) + 256
            state["stored"] = self._put(key, entry) if key is not None else None
            await self._answer(entry, send, now, head, inm, ims, b"MISS")

        await self.render(inner, receive, capture)
        return state.get("stored")

    def _entry(self, status: int, headers, version: int, now: float) -> Entry | None:
        """An entry (without its body yet) for a cacheable response start, else None."""
        if status != 200:
            return None
        kept: list[tuple[bytes, bytes]] = []
        ctype = cache_control = etag = last_modified = valid_until = None
        for name, value in headers:
            name = name.lower()
            if name == b"set-cookie":
                return None
            if name == b"vary":
                if any(v.strip().lower() not in (b"accept-encoding", b"") for v in value.split(b",")):
                    return None
            elif name == b"content-type":
                ctype = value
            elif name == b"cache-control":
                cache_control = value
                continue
            elif name == b"etag":
                etag = value
            elif name == b"last-modified":
                last_modified = value
            elif name == _VALID_UNTIL:
                valid_until = value
            if name not in _DROPPED:
                kept.append((name, value))
        if ctype is None or ctype.split(b";")[0].strip().lower().decode("latin-1") not in CACHEABLE_TYPES:
            return None
        cc = (cache_control or b"").lower()
        if b"public" not in cc or any(d in cc for d in (b"no-store", b"private", b"no-cache")):
            return None
        found = _MAX_AGE.search(cc.decode("latin-1"))
        max_age = int(found.group(1)) if found else None
        expires = now + self.ttl
        if valid_until is None:
            # Not a page view: no more than a shared cache would keep it.
            expires = min(expires, now + (max_age or 0))
        elif valid_until.strip().lower() != b"never":
            try:
                expires = min(expires, float(valid_until))
            except ValueError:
                return None
        if expires <= now:
            return None
        return Entry(status, kept, b"", version, expires, max_age, cache_control or b"", etag, last_modified, 0)

    async def _answer(self, entry: Entry, send, now: float, head: bool, inm, ims, state: bytes) -> None:
        left = max(0, int(entry.expires - now))
        cache_control = entry.cache_control
        if entry.max_age is not None and left < entry.max_age:
            cache_control = _MAX_AGE.sub(f"max-age={left}", cache_control.decode("latin-1")).encode("latin-1")
        if _not_modified(entry, inm, ims):
            headers = [(n, v) for n, v in entry.headers if n in (b"etag", b"last-modified", b"content-language")]
            headers += [(b"cache-control", cache_control), (b"x-cache", state)]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = entry.headers + [
            (b"cache-control", cache_control), (b"content-length", str(len(entry.body)).encode()), (b"x-cache", state),
        ]
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else entry.body})


def _not_modified(entry: Entry, inm: bytes | None, ims: bytes | None) -> bool:
    if inm is not None:
        if entry.etag is None:
            return False
        want = _weak(entry.etag)
        return any(tag.strip() == b"*" or _weak(tag.strip()) == want for tag in inm.split(b","))
    return ims is not None and entry.last_modified is not None and ims.strip() == entry.last_modified


def _weak(tag: bytes) -> bytes:
    return tag[2:] if tag.startswith(b"W/") else tag


async def _bad_host(send) -> None:
    body = BAD_HOST_BODY
    await send({"type": "http.response.start", "status": 400, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _without_valid_until(send):
    """``send`` removing the cache's own header from responses that bypass the cache."""

    async def wrapped(message):
        if message.get("type") == "http.response.start":
            headers = message.get("headers") or ()
            if any(h[0].lower() == _VALID_UNTIL for h in headers):
                message = dict(message, headers=[h for h in headers if h[0].lower() != _VALID_UNTIL])
        await send(message)

    return wrapped


# --- the disk layer ------------------------------------------------------------------------------------
_MAGIC = b"QALAM-PAGE 1\n"
_THEMES = Path(__file__).resolve().parent.parent / "render" / "themes"


def site_fingerprint(site) -> str:
    """What a rendered page depends on besides the clock, as a short hex string that every
    process computes the same for the same files: the page files (path, mtime, size), the folder
    structure and media (``Site.structure_digest``), the config
    files, the UI strings and the themes, and Qalam's version.
    (``site.version`` is a per-process counter: worker A's version 3 is not worker B's.)"""
    from qalam import __version__

    h = hashlib.blake2b(digest_size=12)
    h.update(__version__.encode())
    index = getattr(site, "index", None)
    entries = dict(getattr(index, "entries", None) or {})
    for rel in sorted(entries):
        e = entries[rel]
        h.update(f"\0{rel}\0{e.mtime_ns}\0{e.size}".encode("utf-8", "surrogateescape"))
    h.update(str(getattr(site, "structure_digest", "")).encode())
    h.update(repr(getattr(site, "_config_stamp", None)).encode("utf-8", "surrogateescape"))
    user_dir = getattr(site, "user_dir", None)
    folders = [_THEMES] + ([Path(user_dir) / "themes", Path(user_dir) / "languages"] if user_dir else [])
    for folder in folders:
        for dirpath, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue
                h.update(f"\0{dirpath}/{name}\0{st.st_mtime_ns}\0{st.st_size}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


class DiskCache:
    """Cached responses as files in one folder, shared by worker processes and restarts.

    A file is ``<fingerprint>-<hash of the key>``: the magic line, one JSON line (the key, status,
    headers, valid-until time, cache headers) and the body. It is written to a temporary file and
    renamed over the old one (``os.replace``), so a reader sees a whole entry or none. A lookup only
    opens the file of the current fingerprint, so entries of older content are never read; they are
    deleted when the fingerprint changes. The folder is kept under ``max_bytes``: when a write
    takes it over, files of other fingerprints go first, then the oldest (by modification time)
    until it is under three quarters of the bound.
    """

    def __init__(self, root: str | os.PathLike, max_bytes: int = DEFAULT_DISK_BYTES):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._size: int | None = None  # estimate of the folder's size (None: not scanned yet)
        self._made = False
        self._warned = 0.0

    def path(self, key: tuple, fp: str) -> Path:
        digest = hashlib.blake2b(repr(key).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
        return self.root / f"{fp}-{digest}"

    def load(self, key: tuple, fp: str, now: float) -> Entry | None:
        """The entry stored for ``key`` under fingerprint ``fp``, if still valid at ``now``."""
        try:
            with open(self.path(key, fp), "rb") as f:
                data = f.read()
        except OSError:
            return None
        try:
            if not data.startswith(_MAGIC):
                return None
            end = data.index(b"\n", len(_MAGIC))
            meta = json.loads(data[len(_MAGIC):end])
            if meta["fp"] != fp or meta["key"] != repr(key) or now >= meta["expires"]:
                return None
            body = data[end + 1:]
            if len(body) != meta["length"]:
                return None  # cut short (a full disk): never serve half a page
            headers = [(_enc(n), _enc(v)) for n, v in meta["headers"]]
            return Entry(
                meta["status"], headers, body, 0, float(meta["expires"]), meta["max_age"],
                _enc(meta["cache_control"]), _opt(meta["etag"]), _opt(meta["last_modified"]),
                len(body) + sum(len(a) + len(b) for a, b in headers) + 256,
            )
        except (ValueError, KeyError, TypeError):
            return None

    def store(self, key: tuple, fp: str, entry: Entry) -> None:
        """Write ``entry`` atomically (errors are logged, at most once a minute, and ignored)."""
        meta = {
            "fp": fp, "key": repr(key), "status": entry.status,
            "headers": [[_dec(n), _dec(v)] for n, v in entry.headers], "expires": entry.expires,
            "max_age": entry.max_age, "cache_control": _dec(entry.cache_control),
            "etag": _dec(entry.etag) if entry.etag is not None else None,
            "last_modified": _dec(entry.last_modified) if entry.last_modified is not None else None,
            "length": len(entry.body),
        }
        data = _MAGIC + json.dumps(meta, separators=(",", ":")).encode() + b"\n" + entry.body
        tmp = None
        try:
            if self._size is None:
                self._size = self._scan()[1]
            if not self._made:
                self.root.mkdir(parents=True, exist_ok=True)
                self._made = True
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path(key, fp))
            tmp = None
        except OSError as err:
            if time.monotonic() - self._warned > 60:
                self._warned = time.monotonic()
                log.warning("cannot write the page cache in %s: %s", self.root, err)
            return
        finally:
            if tmp is not None:
                _unlink(tmp)
        self._size += len(data)
        if self._size > self.max_bytes:
            self.prune(keep=fp)

    def _scan(self) -> tuple[list[tuple[float, int, str]], int]:
        files, total = [], 0
        try:
            with os.scandir(self.root) as it:
                for e in it:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    files.append((st.st_mtime, st.st_size, e.path))
                    total += st.st_size
        except OSError:
            pass
        return files, total

    def prune(self, keep: str | None = None) -> None:
        """Delete files of fingerprints other than ``keep`` and stale temporary files; then, while
        over ``max_bytes``, the oldest files until under three quarters of it."""
        files, _ = self._scan()
        now = time.time()
        kept, total = [], 0
        for mtime, size, path in files:
            name = os.path.basename(path)
            if name.startswith(".tmp-"):
                if now - mtime > 60:  # left by a process killed while writing
                    _unlink(path)
                    continue
            elif keep is not None and not name.startswith(keep + "-"):
                _unlink(path)
                continue
            kept.append((mtime, size, path))
            total += size
        if total > self.max_bytes:
            kept.sort()
            for _mtime, size, path in kept:
                if total <= self.max_bytes * 3 // 4:
                    break
                _unlink(path)
                total -= size
        self._size = total


def _enc(s: str) -> bytes:
    return s.encode("latin-1")


def _dec(b: bytes) -> str:
    return b.decode("latin-1")


def _opt(s: str | None) -> bytes | None:
    return None if s is None else s.encode("latin-1")


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
