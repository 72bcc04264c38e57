"""What `qalam serve` runs in each worker process: the app, its background services, the leader.

``qalam serve SITE --workers N`` (docs/serving.md) runs uvicorn; with N > 1 uvicorn's supervisor
starts N worker processes that share the listening socket, and each builds its app with
:func:`app_factory` (the site folder comes in the ``QALAM_SERVE_SITE`` environment variable).
``--server granian`` runs the same factory in granian's workers (:func:`run_granian`).
Every worker, the single-process server included, serves a :class:`ServingApp`:

* the ASGI chain ``BeaconASGI(PageCacheASGI(django))`` (:func:`build_app`), the page cache with
  its disk layer in ``.qalam/pagecache/`` shared by all workers;
* on ASGI lifespan startup, :class:`Services` starts this process's background threads: the view
  counter's writer (each process adds its own counts to SQLite, see news/counter.py), the folder
  watcher (each process refreshes its own ``Site``), and a thread that tries to become the
  *leader*: the one process holding :class:`LeaderLock` (``flock`` on ``.qalam/leader.lock``)
  runs what must happen once per site — IndexNow/Telegram deliveries (an article announced
  twice is a real fault), fetching other outlets' feeds, keeping the search index up to date.
  The lock is released by the kernel when its holder dies, and another worker takes it over
  within ``LEADER_RETRY`` seconds;
* on lifespan shutdown (SIGTERM/SIGINT; uvicorn's supervisor sends SIGTERM to each worker)
  they stop: buffered views are written, a delivery in progress is finished and recorded.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from qalam.content.files import LeaderLock

log = logging.getLogger("qalam.serve")

#: Environment variables :func:`app_factory` reads (set by ``qalam serve`` for its workers).
ENV_SITE = "QALAM_SERVE_SITE"
ENV_WATCH = "QALAM_SERVE_WATCH"
#: `qalam serve --base-url` and the trusted proxy addresses, for every worker process.
ENV_BASE_URL = "QALAM_BASE_URL"
ENV_TRUSTED_PROXIES = "QALAM_TRUSTED_PROXIES"


def config_overrides() -> dict | None:
    """Config set on the `qalam serve` command line (passed to workers in the environment)."""
    out: dict = {}
    if os.environ.get(ENV_BASE_URL):
        out["site"] = {"base_url": os.environ[ENV_BASE_URL]}
    if os.environ.get(ENV_TRUSTED_PROXIES):
        out["qalam"] = {"proxy": {"trusted": [a.strip() for a in os.environ[ENV_TRUSTED_PROXIES].split(",")
                                              if a.strip()]}}
    return out or None
#: How often a worker that is not the leader tries to take the lock (seconds).
LEADER_RETRY = 2.0


def leader_lock(site) -> LeaderLock:
    return LeaderLock(site.state_dir / "leader.lock")


class Services:
    """The background threads of one serving process (see the module doc)."""

    def __init__(self, site, *, watch: bool = True, warm_delay: float = 5.0, leader_retry: float = LEADER_RETRY,
                 check_delay: float = 5.0):
        self.site = site
        self.check_delay = check_delay
        self.watch = watch
        self.warm_delay = warm_delay
        self.leader_retry = leader_retry
        self.lock = leader_lock(site)
        self._stop = threading.Event()
        self._leading_lock = threading.Lock()  # becoming the leader vs stopping
        self._threads: list[threading.Thread] = []
        self._leading = False
        self._started = False

    @property
    def leader(self) -> bool:
        return self._leading

    def start(self) -> None:
        from qalam.news import counter

        if self._started:
            return
        self._started = True
        self._stop.clear()
        counter.start(self.site)  # writer thread (SIGTERM handler only in the main thread)
        if getattr(self.site, "unchecked", False):
            self._thread(self._check, "qalam-check")
        if self.watch:
            self._thread(self._watch, "qalam-watch")
        self._thread(self._lead, "qalam-leader")

    def _thread(self, target, name: str) -> None:
        thread = threading.Thread(target=target, daemon=True, name=name)
        thread.start()
        self._threads.append(thread)

    def _lead(self) -> None:
        """Become the leader as soon as no other process is; then start the once-per-site work."""
        from qalam.news import distribution, outlets

        while not self._stop.is_set():
            try:
                if self.lock.acquire():
                    break
            except OSError:
                log.exception("cannot take the leader lock %s", self.lock.path)
            self._stop.wait(self.leader_retry)
        with self._leading_lock:
            if self._stop.is_set():
                return
            self._leading = True
            log.info("process %d leads: deliveries, other outlets' feeds, the search index", os.getpid())
            outlets.start(self.site)  # other outlets' feeds (idle with none configured)
            distribution.start(self.site)  # IndexNow / Telegram on publish (idle while disabled)
        warm_search(self.site, self.warm_delay, self._stop)

    def _check(self) -> None:
        """The site started from the last folder walk (content/snapshot.py): walk the folders
        now, so that what changed while no server ran is picked up. After ``check_delay``
        seconds, not at once: the first pages are being rendered meanwhile, on the same core."""
        if self._stop.wait(self.check_delay):
            return
        try:
            report = self.site.refresh()
        except Exception:  # noqa: BLE001 — the next change the watcher sees refreshes again
            log.exception("could not check the folders against the kept walk")
            return
        if report.changed:
            log.warning("files changed while no server ran: %d read again, %d removed", report.parsed, report.removed)
            if self._leading:
                from qalam.search.service import for_site

                for_site(self.site).sync(refresh=False)  # the site was refreshed just now

    def _watch(self) -> None:
        watch(self.site, stop=self._stop, sync_search=lambda: self._leading)

    def stop(self) -> None:
        """Stop every thread; write buffered views; finish and record a delivery in progress."""
        from qalam.news import counter, distribution, outlets

        if not self._started:
            return
        self._started = False
        self._stop.set()
        try:
            with self._leading_lock:
                if self._leading:
                    distribution.stop(self.site)  # finishes and records a delivery in progress
                    outlets.stop(self.site)
        finally:
            try:
                counter.stop(self.site)
            finally:
                self._leading = False
                self.lock.release()
                for thread in self._threads:
                    if thread is not threading.current_thread():
                        thread.join(timeout=2)
                self._threads = []


#: The request that warms Django up after startup: cheap, no side effect.
WARM_PATH, WARM_QUERY = "/robots.txt", b"warm=1"
#: Seconds after startup when Django is loaded and warmed in the background: readers' pages never
#: need it, so it stays off the path of a cold start's first pages.
WARM_DELAY = 2.0


class LazyFramework:
    """The Django app (editor, API, sessions), imported and set up on first use or by the
    warm-up, in a thread: a server's first pages never wait for it (serve/direct.py answers
    them)."""

    def __init__(self, site):
        self.site = site
        self._app = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._app is not None

    def load(self):
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from qalam.web.app import get_asgi_application

                    self._app = get_asgi_application(self.site)
        return self._app

    async def __call__(self, scope, receive, send):
        app = self._app
        if app is None:
            import asyncio

            app = await asyncio.to_thread(self.load)
        return await app(scope, receive, send)


class ServingApp:
    """The ASGI app of a serving process: requests to :func:`build_app`'s chain, the lifespan
    protocol to :class:`Services` (started on startup, stopped on shutdown)."""

    def __init__(self, site, *, watch: bool = True, warm_delay: float = WARM_DELAY):
        self.site = site
        self.framework = LazyFramework(site)
        self.app = build_app(site, framework=self.framework)
        self.services = Services(site, watch=watch)
        self.warm_delay = warm_delay
        self.warmed = None  # the warm-up task, once started

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        import asyncio

        while True:
            message = await receive()
            kind = message["type"]
            if kind == "lifespan.startup":
                try:
                    self.services.start()
                except Exception as err:  # noqa: BLE001 — reported to the server, which stops
                    log.exception("could not start the background services")
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                self.warmed = asyncio.get_running_loop().create_task(self._warm_later())
                await send({"type": "lifespan.startup.complete"})
            elif kind == "lifespan.shutdown":
                try:
                    if self.warmed is not None and not self.warmed.done():
                        self.warmed.cancel()
                    self.services.stop()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return

    async def _warm_later(self) -> None:
        import asyncio

        await asyncio.sleep(self.warm_delay)
        await self.warm()

    async def warm(self) -> None:
        """Load Django in a thread and send one request through it: its first request otherwise
        did its one-time work (URL table, middleware paths) later, behind an editor's click."""
        import asyncio

        messages = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive():
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # connected until Django is done

        async def send(message):
            pass  # the answer is not needed

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
                 "method": "GET", "path": WARM_PATH, "raw_path": WARM_PATH.encode(), "query_string": WARM_QUERY,
                 "root_path": "", "headers": [(b"host", b"localhost")],  # loopback: always allowed
                 "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0)}
        try:
            await asyncio.to_thread(self.framework.load)
            await self.framework(scope, receive, send)
        except Exception:  # noqa: BLE001 — the first real request reports it properly
            log.exception("could not warm up the framework")


def build_app(site, *, framework=None):
    """The beacon, then the page cache (memory, then ``.qalam/pagecache/``; misses and queries
    rendered by the pipeline directly), then Django (``framework``, loaded on first use) for
    everything else."""
    from qalam.news.counter import BeaconASGI
    from qalam.serve.direct import PipelineASGI
    from qalam.serve.hotpath import PageCacheASGI

    django = framework if framework is not None else LazyFramework(site)
    cache = PageCacheASGI(django, site, disk_dir=site.state_dir / "pagecache", render=PipelineASGI(site, django))
    app = BeaconASGI(cache, site)
    trusted = site.config.get("qalam.proxy.trusted") or []
    if isinstance(trusted, str):
        trusted = [t.strip() for t in trusted.split(",") if t.strip()]
    if trusted:
        # X-Forwarded-For/-Proto believed only from these addresses (uvicorn's own middleware, the
        # same for granian); never X-Forwarded-Host: the host comes from the base URL (render/hosts.py).
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app = ProxyHeadersMiddleware(app, trusted_hosts=[str(t) for t in trusted])
    return app


def app_factory() -> ServingApp:
    """uvicorn's factory in each worker process (``qalam.serve.serving:app_factory``)."""
    from qalam.content import bulk
    from qalam.content.site import Site

    bulk.keep_long_lived()  # this process keeps its site's pages (content/bulk.py)
    path = os.environ.get(ENV_SITE)
    if not path:
        raise RuntimeError(f"{ENV_SITE} is not set: start workers with `qalam serve SITE --workers N`")
    site = Site(path, config_overrides=config_overrides(), from_snapshot=True)
    return ServingApp(site, watch=os.environ.get(ENV_WATCH, "1") != "0")


def run_granian(host: str, port: int, workers: int) -> None:
    """Serve with granian (``pip install 'qalam[granian]'``): its Rust HTTP layer answers cached
    pages faster than uvicorn (docs/serving.md); same app, same lifespan, same leader."""
    try:
        from granian import Granian
        from granian.constants import Interfaces, Loops
        from granian.http import HTTP1Settings
        from granian.log import LogLevels
    except ImportError as err:
        raise RuntimeError("granian is not installed: pip install 'qalam[granian]'") from err
    from qalam.serve.slowclients import header_timeout

    Granian(
        "qalam.serve.serving:app_factory", factory=True, address=host, port=port, interface=Interfaces.ASGI,
        workers=workers, loop=Loops.auto,  # uvloop when installed
        log_level=LogLevels.warning, respawn_failed_workers=True,
        http1_settings=HTTP1Settings(header_read_timeout=int(header_timeout() * 1000)),
    ).serve()


def warm_search(site, delay: float = 5.0, stop: threading.Event | None = None) -> None:
    """Bring the search index up to date in the background, so the first search is fast.

    It starts a few seconds after the server: building the index of a large site is CPU work
    that would otherwise compete (the GIL) with the first pages readers ask for.
    """
    from qalam.search.service import for_site

    if stop is not None:
        if stop.wait(delay):
            return
    else:
        time.sleep(delay)
    try:
        for_site(site).sync()
    except Exception:  # noqa: BLE001 — search catches up on the first query instead
        logging.getLogger("qalam.search").exception("could not update the search index")


def watch(site, *, stop: threading.Event | None = None, sync_search=lambda: True) -> None:
    """Pick up changed files as they happen (pages and config): ``site.refresh()``, and the
    search index too when ``sync_search()`` says so (the leader; other workers' searches bring
    it up to date for themselves on their next query)."""
    from watchfiles import watch as watch_files

    log = logging.getLogger("qalam.watch")
    paths = [str(site.pages_dir)]
    if (site.user_dir / "config").is_dir():
        paths.append(str(site.user_dir / "config"))
    for changes in watch_files(*paths, debounce=200, step=50, raise_interrupt=False, stop_event=stop):
        try:
            t0 = time.perf_counter()
            changed = [path for _change, path in changes]
            if site.already_current(changed):
                continue  # written and refreshed by the newsroom in this process: nothing to do
            report = site.refresh_paths(changed)
            if report.changed:
                if sync_search():
                    from qalam.search.service import for_site

                    for_site(site).sync(refresh=False)  # the site was refreshed just now
                log.warning("content changed: %d file(s) re-read in %.0f ms", report.parsed + report.removed,
                            (time.perf_counter() - t0) * 1000)
        except Exception:  # noqa: BLE001 — the watcher must survive a bad save
            log.exception("could not refresh the site after a change")
