"""The page cache in front of Django (serve/hotpath.py): hits, invalidation, bypasses, bounds."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.conftest import NOW, write_site

SYSTEM = """
languages:
  supported: [kk]
  default_lang: kk
pages:
  dateformat:
    default: 'd-m-Y H:i'
"""


def article(title: str, date: str, extra: str = "") -> str:
    return f"---\ntitle: '{title}'\ndate: '{date}'\n{extra}---\n\nМәтін: {title}.\n"


FILES = {
    "config/system.yaml": SYSTEM,
    "config/site.yaml": "title: Qalam Times\n",
    "pages/01.home/default.kk.md": "---\ntitle: Басты бет\n---\nСәлем\n",
    "pages/02.news/blog.kk.md": "---\ntitle: Жаңалықтар\ncontent: {items: '@self.children'}\n---\n",
    "pages/02.news/01.old/item.kk.md": article("Ескі хабар", "01-03-2023 11:00"),
    "pages/02.news/02.later/item.kk.md": article(
        "Кейінгі хабар", "24-11-2026 09:00", "publish_date: '24-11-2026 09:00'\n"
    ),
    "pages/02.news/03.going/item.kk.md": article(
        "Кететін хабар", "20-11-2026 09:00", "unpublish_date: '25-11-2026 09:00'\n"
    ),
}


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class Counting:
    """Wraps Django and counts the requests it sees."""

    def __init__(self, app):
        self.app = app
        self.calls = []

    async def __call__(self, scope, receive, send):
        self.calls.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@pytest.fixture
def served(tmp_path):
    """(site, clock, make_app): make_app(**kwargs) -> (PageCacheASGI, Counting)."""
    from qalam.content.site import Site
    from qalam.serve.hotpath import PageCacheASGI
    from qalam.web.app import get_asgi_application

    clock = Clock(NOW)
    site = Site(write_site(tmp_path / "site", FILES), state_dir=tmp_path / "state", clock=clock)

    def make_app(**kwargs):
        django = Counting(get_asgi_application(site))
        return PageCacheASGI(django, site, **kwargs), django

    yield site, clock, make_app
    site.close()


class Response:
    def __init__(self, messages):
        start = messages[0]
        self.status = start["status"]
        self.headers = {}
        for name, value in start["headers"]:
            self.headers.setdefault(name.decode().lower(), value.decode("latin-1"))
        self.raw_headers = start["headers"]
        self.body = b"".join(m.get("body", b"") for m in messages[1:])

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(app, path: str, headers=(), method: str = "GET", query: bytes = b"") -> Response:
    """One request through an ASGI app, in process."""

    async def run():
        sent = []
        chunks = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive():
            if chunks:
                return chunks.pop(0)
            await asyncio.Event().wait()  # the client stays connected (Django listens for a disconnect)

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
            "method": method, "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
            "headers": [(k.encode(), v.encode()) for k, v in [("host", "localhost"), *headers] if k != "host" or
                        not any(h == "host" for h, _ in headers) or v != "localhost"],
            "client": ("127.0.0.1", 1234), "server": ("localhost", 80),
        }
        await app(scope, receive, send)
        return sent

    return Response(asyncio.run(run()))


def test_second_get_is_a_hit_without_django(served):
    site, _clock, make_app = served
    app, django = make_app()
    first = call(app, "/kk/news/old")
    assert first.status == 200 and first.headers["x-cache"] == "MISS"
    assert "Ескі хабар" in first.text
    second = call(app, "/kk/news/old")
    assert second.headers["x-cache"] == "HIT" and second.body == first.body
    assert django.calls == [("GET", "/kk/news/old")]
    # The cache's own header never leaves; the validators and the content type do.
    for response in (first, second):
        assert "x-qalam-valid-until" not in response.headers
        assert response.headers["content-type"].startswith("text/html")
        assert int(response.headers["content-length"]) == len(response.body)
    assert second.headers["etag"] == first.headers["etag"]
    assert app.hits == 1 and app.misses == 1 and len(app) == 1


def test_content_change_makes_the_next_get_a_miss(served):
    site, _clock, make_app = served
    app, django = make_app()
    assert "Ескі хабар" in call(app, "/kk/news/old").text
    assert "Ескі хабар" in call(app, "/kk/news").text
    assert call(app, "/kk/news").headers["x-cache"] == "HIT"
    path = site.pages_dir / "02.news/01.old/item.kk.md"
    path.write_text(article("Жаңартылған хабар", "01-03-2023 11:00"), encoding="utf-8")
    site.refresh()
    page = call(app, "/kk/news/old")
    assert page.headers["x-cache"] == "MISS" and "Жаңартылған хабар" in page.text
    listing = call(app, "/kk/news")
    assert listing.headers["x-cache"] == "MISS" and "Жаңартылған хабар" in listing.text
    assert call(app, "/kk/news").headers["x-cache"] == "HIT"
    assert len(django.calls) == 4


def test_scheduled_publish_appears_on_time_although_cached(served):
    site, clock, make_app = served
    app, django = make_app(ttl=10**7)  # only the schedule may end the entries here
    later = site.tree("kk").pages["02.news/02.later"]
    publish = later.publish_date
    assert publish > NOW
    assert "Кейінгі хабар" not in call(app, "/kk/news").text
    assert call(app, "/kk/news/later").status == 404
    home = call(app, "/kk")
    assert home.status == 200

    clock.now = publish - timedelta(seconds=1)
    listing = call(app, "/kk/news")
    assert listing.headers["x-cache"] == "HIT" and "Кейінгі хабар" not in listing.text
    # Browsers and CDNs may not keep it past the publish moment either.
    assert listing.headers["cache-control"] == "public, max-age=1"
    calls = len(django.calls)

    clock.now = publish
    listing = call(app, "/kk/news")
    assert listing.headers["x-cache"] == "MISS" and "Кейінгі хабар" in listing.text
    page = call(app, "/kk/news/later")
    assert page.status == 200 and "Кейінгі хабар" in page.text
    assert call(app, "/kk/news").headers["x-cache"] == "HIT"
    assert call(app, "/kk/news/later").headers["x-cache"] == "HIT"
    # A page with no scheduled change around it stays cached.
    assert call(app, "/kk").headers["x-cache"] == "HIT"
    assert len(django.calls) == calls + 2


def test_scheduled_unpublish_removes_the_page_on_time(served):
    site, clock, make_app = served
    app, _django = make_app(ttl=10**7)
    going = site.tree("kk").pages["02.news/03.going"]
    assert "Кететін хабар" in call(app, "/kk/news").text
    assert call(app, "/kk/news/going").status == 200
    clock.now = going.unpublish_date - timedelta(seconds=1)
    # (the listing also ends at the publish of 02.later, earlier; the article only at its unpublish)
    page = call(app, "/kk/news/going")
    assert page.headers["x-cache"] == "HIT" and page.status == 200
    clock.now = going.unpublish_date
    assert call(app, "/kk/news/going").status == 404
    listing = call(app, "/kk/news")
    assert listing.headers["x-cache"] == "MISS" and "Кететін хабар" not in listing.text


def test_ttl_bounds_entries_without_scheduled_changes(served):
    _site, clock, make_app = served
    app, django = make_app(ttl=60)
    call(app, "/kk/news/old")
    clock.now = NOW + timedelta(seconds=59)
    assert call(app, "/kk/news/old").headers["x-cache"] == "HIT"
    clock.now = NOW + timedelta(seconds=60)
    assert call(app, "/kk/news/old").headers["x-cache"] == "MISS"
    assert len(django.calls) == 2


def test_cookies_authorization_and_query_strings_bypass(served):
    _site, _clock, make_app = served
    app, django = make_app()
    call(app, "/kk/news/old")
    for response in (
        call(app, "/kk/news/old", [("cookie", "sessionid=abc")]),
        call(app, "/kk/news/old", [("authorization", "Basic eDp5")]),
        call(app, "/kk/news/old", query=b"x=1"),
    ):
        assert response.status == 200 and "x-cache" not in response.headers
        assert "x-qalam-valid-until" not in response.headers
    assert len(django.calls) == 4
    # A POST goes to Django untouched.
    assert call(app, "/kk/news/old", method="POST").status == 405
    assert len(django.calls) == 5 and len(app) == 1


def test_conditional_get_is_answered_from_the_cache(served):
    _site, _clock, make_app = served
    app, django = make_app()
    first = call(app, "/kk/news/old")
    etag = first.headers["etag"]
    not_modified = call(app, "/kk/news/old", [("if-none-match", etag)])
    assert not_modified.status == 304 and not_modified.body == b""
    assert not_modified.headers["etag"] == etag and not_modified.headers["x-cache"] == "HIT"
    assert call(app, "/kk/news/old", [("if-none-match", '"other"')]).status == 200
    assert call(app, "/kk/news/old", [("if-modified-since", first.headers["last-modified"])]).status == 304
    assert len(django.calls) == 1
    # A conditional miss: Django renders the full page (stored), the reader gets a 304.
    fresh, django2 = make_app()
    response = call(fresh, "/kk/news/old", [("if-none-match", etag)])
    assert response.status == 304 and response.headers["x-cache"] == "MISS"
    assert call(fresh, "/kk/news/old").body == first.body
    assert len(django2.calls) == 1


def test_head_returns_headers_only(served):
    _site, _clock, make_app = served
    app, django = make_app()
    miss = call(app, "/kk/news/old", method="HEAD")
    assert miss.status == 200 and miss.body == b"" and miss.headers["x-cache"] == "MISS"
    full = call(app, "/kk/news/old")
    assert full.headers["x-cache"] == "HIT" and int(miss.headers["content-length"]) == len(full.body) > 0
    hit = call(app, "/kk/news/old", method="HEAD")
    assert hit.body == b"" and hit.headers["x-cache"] == "HIT"
    assert django.calls == [("GET", "/kk/news/old")]
    # HEAD of something not cacheable: headers only as well.
    missing = call(app, "/kk/nowhere", method="HEAD")
    assert missing.status == 404 and missing.body == b""


def _fake_app(headers, status=200, body=b"<p>x</p>"):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app, calls


HTML = (b"content-type", b"text/html; charset=utf-8")
PUBLIC = (b"cache-control", b"public, max-age=60")


@pytest.mark.parametrize("headers, status", [
    ([HTML, PUBLIC, (b"set-cookie", b"csrftoken=x")], 200),
    ([HTML, PUBLIC, (b"vary", b"Cookie")], 200),
    ([HTML, PUBLIC, (b"vary", b"Accept-Language")], 200),
    ([HTML, (b"cache-control", b"private, max-age=60")], 200),
    ([HTML, (b"cache-control", b"no-store")], 200),
    ([HTML], 200),
    ([(b"content-type", b"image/png"), PUBLIC], 200),
    ([HTML, PUBLIC, (b"location", b"/kk")], 302),
    ([HTML, PUBLIC], 404),
    ([HTML, PUBLIC, (b"x-qalam-valid-until", b"0")], 200),  # already past
])
def test_responses_that_are_never_stored(served, headers, status):
    from qalam.serve.hotpath import PageCacheASGI

    site, _clock, _make = served
    inner, calls = _fake_app(headers, status)
    app = PageCacheASGI(inner, site)
    call(app, "/a")
    again = call(app, "/a")
    assert again.status == status and again.headers["x-cache"] == "MISS"
    assert "x-qalam-valid-until" not in again.headers
    assert calls == ["/a", "/a"] and len(app) == 0


def test_vary_accept_encoding_and_feeds_are_stored_for_their_max_age(served):
    from qalam.serve.hotpath import PageCacheASGI

    site, clock, _make = served
    inner, calls = _fake_app([(b"content-type", b"application/rss+xml"), (b"cache-control", b"public, max-age=30"),
                              (b"vary", b"Accept-Encoding")])
    app = PageCacheASGI(inner, site, ttl=600)
    call(app, "/feed.rss")
    assert call(app, "/feed.rss").headers["x-cache"] == "HIT"
    clock.now = NOW + timedelta(seconds=30)  # no X-Qalam-Valid-Until: at most its own max-age
    assert call(app, "/feed.rss").headers["x-cache"] == "MISS"
    assert len(calls) == 2


def test_lru_is_bounded_by_bytes(served):
    from qalam.serve.hotpath import PageCacheASGI

    site, _clock, _make = served
    inner, calls = _fake_app([HTML, PUBLIC, (b"x-qalam-valid-until", b"never")], body=b"x" * 1000)
    app = PageCacheASGI(inner, site, max_bytes=11000)
    for n in range(5):
        call(app, f"/p{n}")
    assert len(app) == 5 and app.size <= app.max_bytes
    call(app, "/p0")  # used: now the most recent
    for n in range(5, 9):
        call(app, f"/p{n}")
    assert app.size <= app.max_bytes and len(app) < 9
    assert call(app, "/p0").headers["x-cache"] == "HIT"
    assert call(app, "/p1").headers["x-cache"] == "MISS"  # least recently used: evicted
    # An entry bigger than an eighth of the cache is never stored.
    big, _ = _fake_app([HTML, PUBLIC], body=b"x" * 2000)
    small_cache = PageCacheASGI(big, site, max_bytes=11000)
    call(small_cache, "/big")
    assert len(small_cache) == 0

    # A big response in many chunks is streamed on once it is too big to store.
    async def chunked(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [HTML, PUBLIC]})
        for _ in range(4):
            await send({"type": "http.response.body", "body": b"y" * 1000, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    streamed = PageCacheASGI(chunked, site, max_bytes=11000)
    for method in ("GET", "HEAD"):
        response = call(streamed, "/stream", method=method)
        assert response.status == 200 and response.headers["x-cache"] == "MISS"
        assert response.body == (b"y" * 4000 if method == "GET" else b"")
    assert len(streamed) == 0


def test_host_is_part_of_the_key(served):
    site, _clock, make_app = served
    site.config.data["qalam"]["hosts"] = ["other.example"]  # a second name the site answers to
    app, django = make_app()
    assert call(app, "/kk/news/old").headers["x-cache"] == "MISS"
    other = call(app, "/kk/news/old", [("host", "other.example")])
    assert other.headers["x-cache"] == "MISS" and len(app) == 2
    assert call(app, "/kk/news/old", [("host", "OTHER.example:80")]).headers["x-cache"] == "HIT"
    assert len(django.calls) == 2


def test_a_forged_host_never_reaches_django_or_the_cache(served):
    _site, _clock, make_app = served
    app, django = make_app()
    for host in ("evil.example", "localhost.evil.example", "127.0.0.1.evil", "evil.example:8000", ""):
        r = call(app, "/kk/news/old", [("host", host)])
        assert r.status == 400 and "x-cache" not in r.headers, host
    assert len(app) == 0 and django.calls == []


def test_with_a_base_url_the_host_does_not_split_the_cache(served):
    site, _clock, make_app = served
    site.config.data["site"]["base_url"] = "https://news.example.kz"
    app, django = make_app()
    first = call(app, "/kk/news/old")
    assert 'href="https://news.example.kz/kk/news/old"' in first.text
    again = call(app, "/kk/news/old", [("host", "news.example.kz")])
    assert again.headers["x-cache"] == "HIT" and len(django.calls) == 1


def test_concurrent_misses_are_rendered_once(served):
    from qalam.serve.hotpath import PageCacheASGI

    site, _clock, _make = served

    def slow_app(headers):
        calls = []

        async def app(scope, receive, send):
            calls.append(scope["path"])
            await asyncio.sleep(0.05)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"<p>x</p>"})

        return app, calls

    async def many(app, n):
        async def one():
            sent = []

            async def receive():
                await asyncio.Event().wait()

            async def send(message):
                sent.append(message)

            scope = {"type": "http", "method": "GET", "path": "/a", "query_string": b"", "scheme": "http",
                     "headers": [(b"host", b"localhost")]}
            await app(scope, receive, send)
            return sent

        return await asyncio.gather(*[one() for _ in range(n)])

    inner, calls = slow_app([HTML, PUBLIC])
    app = PageCacheASGI(inner, site)
    answers = asyncio.run(many(app, 10))
    assert calls == ["/a"] and all(a[1]["body"] == b"<p>x</p>" for a in answers)
    states = sorted(dict(a[0]["headers"])[b"x-cache"] for a in answers)
    assert states == [b"HIT"] * 9 + [b"MISS"]
    # Not cacheable: the waiting readers go to Django themselves.
    inner, calls = slow_app([HTML, PUBLIC, (b"set-cookie", b"a=b")])
    app = PageCacheASGI(inner, site)
    answers = asyncio.run(many(app, 5))
    assert len(calls) == 5 and all(a[0]["status"] == 200 for a in answers)
    assert app._pending == {}


def test_serve_puts_the_beacon_and_the_page_cache_before_django(tmp_path, monkeypatch):
    import uvicorn
    from click.testing import CliRunner

    from qalam.cli import main
    from qalam.news.counter import BeaconASGI
    from qalam.serve import serving
    from qalam.serve.hotpath import PageCacheASGI

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    root = write_site(tmp_path / "site", FILES)
    result = CliRunner().invoke(main.cli, ["serve", str(root), "--no-watch", "--port", "8123"])
    assert result.exit_code == 0, result.output
    app = started["app"]
    assert isinstance(app, serving.ServingApp) and not app.services.watch and started["lifespan"] == "on"
    assert isinstance(app.app, BeaconASGI) and isinstance(app.app.app, PageCacheASGI)
    cache = app.app.app
    assert cache.site.user_dir == root and started["port"] == 8123 and "workers" not in started
    assert cache.disk is not None and cache.disk.root == cache.site.state_dir / "pagecache"
    cache.site.close()


def test_serve_with_workers_hands_uvicorn_the_factory(tmp_path, monkeypatch):
    import os

    import uvicorn
    from click.testing import CliRunner

    from qalam.cli import main
    from qalam.serve import serving

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    monkeypatch.delenv(serving.ENV_SITE, raising=False)
    monkeypatch.delenv(serving.ENV_WATCH, raising=False)
    root = write_site(tmp_path / "site", FILES)
    result = CliRunner().invoke(main.cli, ["serve", str(root), "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert started["app"] == "qalam.serve.serving:app_factory" and started["factory"] is True
    assert started["workers"] == 3 and started["lifespan"] == "on"
    assert os.environ[serving.ENV_SITE] == str(root) and os.environ[serving.ENV_WATCH] == "1"
    # What each worker builds from it.
    made = serving.app_factory()
    assert isinstance(made, serving.ServingApp) and made.site.user_dir == root and made.services.watch
    made.site.close()

    started.clear()
    result = CliRunner().invoke(main.cli, ["serve", str(root), "--workers", "auto", "--no-watch"])
    cpus = len(os.sched_getaffinity(0))
    assert result.exit_code == 0 and started.get("workers", 1) == cpus, result.output
    assert os.environ[serving.ENV_WATCH] == ("0" if cpus > 1 else "1")
    if cpus == 1:
        started["app"].site.close()
    result = CliRunner().invoke(main.cli, ["serve", str(root), "--workers", "0"])
    assert result.exit_code == 2 and "at least 1 worker" in result.output
    result = CliRunner().invoke(main.cli, ["serve", str(root), "--workers", "many"])
    assert result.exit_code == 2 and "'auto'" in result.output
