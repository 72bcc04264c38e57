"""Page-cache misses rendered by the pipeline directly (serve/direct.py) answer exactly what
Django answers: the same status, bytes and headers, for every kind of public URL."""

from __future__ import annotations

import shutil

import pytest

from ..conftest import DEMO
from .test_hotpath import call

URLS = [
    "/kk/news/2026-11-22-mobile-clinic", "/kk/news", "/ru", "/kk-latn/news", "/", "/kk/news/",
    "/kk/feed.rss", "/kk/feed.atom", "/kk/feed.json", "/sitemap.xml", "/sitemap-kk.xml", "/robots.txt",
    "/kk/search", "/kk/popular", "/nowhere/at/all", "/_qalam/static/qalam.css", "/_qalam/static/missing.css",
    # with a query string: rendered for each reader (search, paging, anything else is ignored)
    "/kk/search?q=емхана", "/kk/search?q=%D0%B5%D0%BC%D1%85%D0%B0%D0%BD%D0%B0&page=2", "/kk/search?q=",
    "/kk/news?fresh=1", "/?x=1", "/kk/feed.rss?utm_source=x", "/nowhere?q=1",
]
#: Set by the server, not the application (and not part of what is compared).
SERVER_HEADERS = {"date", "server", "x-cache"}


@pytest.fixture
def apps(tmp_path):
    from qalam.content.site import Site
    from qalam.serve.direct import PipelineASGI
    from qalam.web.app import get_asgi_application

    shutil.copytree(DEMO, tmp_path / "site")
    site = Site(tmp_path / "site", state_dir=tmp_path / "state")
    django = get_asgi_application(site)
    yield PipelineASGI(site, django), django
    site.close()


def _headers(response) -> dict[str, str]:
    return {name.decode().lower(): value.decode("latin-1") for name, value in response.raw_headers
            if name.decode().lower() not in SERVER_HEADERS}


@pytest.mark.parametrize("url", URLS)
def test_the_direct_render_answers_what_django_answers(apps, url):
    direct, django = apps
    path, _, query = url.partition("?")
    query = query.encode()
    ours, theirs = call(direct, path, query=query), call(django, path, query=query)
    assert (ours.status, ours.body) == (theirs.status, theirs.body)
    assert _headers(ours) == _headers(theirs)


def test_accept_language_reaches_the_pipeline(apps):
    direct, django = apps
    headers = [("accept-language", "ru-RU,ru;q=0.9")]
    ours, theirs = call(direct, "/", headers), call(django, "/", headers)
    assert ours.status == theirs.status and ours.headers.get("location") == theirs.headers.get("location")


def test_serve_renders_misses_and_queries_without_django(tmp_path, monkeypatch):
    """`qalam serve` wires the direct renderer behind the page cache: misses and requests with a
    query string never reach Django; paths it owns do, and so does anything with a cookie."""
    from qalam.serve import serving
    from qalam.serve.direct import PipelineASGI

    from qalam.content.site import Site

    shutil.copytree(DEMO, tmp_path / "site")
    site = Site(tmp_path / "site", state_dir=tmp_path / "state")
    try:
        app = serving.build_app(site)
        cache = app.app
        assert isinstance(cache.render, PipelineASGI)
        seen = []
        inner = cache.app

        async def django(scope, receive, send):
            seen.append(scope["path"])
            await inner(scope, receive, send)

        cache.app = cache.render.framework = django
        first = call(cache, "/kk/news/2026-11-22-mobile-clinic")
        assert first.status == 200 and first.headers["x-cache"] == "MISS" and seen == []
        assert call(cache, "/kk/news/2026-11-22-mobile-clinic").headers["x-cache"] == "HIT"
        found = call(cache, "/kk/search", query=b"q=%D0%B5%D0%BC%D1%85%D0%B0%D0%BD%D0%B0")
        assert found.status == 200 and "емхана" in found.body.decode().lower() and seen == []
        assert call(cache, "/kk/search", query=b"q=clinic").headers["x-cache"] == "MISS"  # never stored
        head = call(cache, "/kk/news", method="HEAD", query=b"a=1")
        assert head.status == 200 and head.body == b"" and seen == []
        etag = call(cache, "/kk/news", query=b"a=1").headers["etag"]
        assert call(cache, "/kk/news", [("if-none-match", etag)], query=b"a=1").status == 304
        assert call(cache, "/kk/news", [("host", "evil.example")], query=b"a=1").status == 400
        # Paths Django owns reach it through the direct renderer too (the editor's login page).
        assert call(cache, "/editor/login").status == 200 and seen[-1] == "/editor/login"
        assert call(cache, "/kk/search", [("cookie", "x=1")], query=b"q=a").status == 200
        assert seen[-1] == "/kk/search"
    finally:
        site.close()


def test_django_is_loaded_and_warmed_after_startup_not_before(tmp_path):
    """Readers' pages skip Django, so a server starts without it (a cold start's first pages do
    not wait for it) and loads and warms it in the background shortly after, with one cheap
    request (else its first editor request did Django's one-time work behind readers)."""
    import asyncio

    from qalam.content.site import Site
    from qalam.serve import serving

    shutil.copytree(DEMO, tmp_path / "site")
    site = Site(tmp_path / "site", state_dir=tmp_path / "state")
    app = serving.ServingApp(site, watch=False, warm_delay=0.05)
    seen = []
    loaded_at_startup = []
    load = app.framework.load

    def watched_load():
        framework = load()
        if not seen:
            async def django(scope, receive, send):
                seen.append((scope["path"], scope["query_string"]))
                await framework(scope, receive, send)

            app.framework._app = django
        return app.framework._app

    app.framework.load = watched_load

    async def lifespan():
        queue = [{"type": "lifespan.startup"}]
        sent = []

        async def receive():
            if queue:
                return queue.pop(0)
            await app.warmed  # the warm-up, then shut down
            return {"type": "lifespan.shutdown"}

        async def send(message):
            sent.append(message["type"])
            if message["type"] == "lifespan.startup.complete":
                loaded_at_startup.append(app.framework.loaded)

        await app({"type": "lifespan"}, receive, send)
        return sent

    try:
        assert asyncio.run(lifespan()) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
        assert loaded_at_startup == [False]
        assert seen == [(serving.WARM_PATH, serving.WARM_QUERY)]
    finally:
        site.close()
