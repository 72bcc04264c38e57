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
    ours, theirs = call(direct, url), call(django, url)
    assert (ours.status, ours.body) == (theirs.status, theirs.body)
    assert _headers(ours) == _headers(theirs)


def test_accept_language_reaches_the_pipeline(apps):
    direct, django = apps
    headers = [("accept-language", "ru-RU,ru;q=0.9")]
    ours, theirs = call(direct, "/", headers), call(django, "/", headers)
    assert ours.status == theirs.status and ours.headers.get("location") == theirs.headers.get("location")


def test_serve_renders_misses_without_django(tmp_path, monkeypatch):
    """`qalam serve` wires the direct renderer behind the page cache; Django gets what the cache
    does not take (a query string here)."""
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
        assert call(cache, "/kk/search", query=b"q=clinic").status == 200 and seen == ["/kk/search"]
        # Paths Django owns reach it through the direct renderer too (the editor's login page).
        assert call(cache, "/editor/login").status == 200 and seen[-1] == "/editor/login"
    finally:
        site.close()


def test_startup_sends_one_request_through_django(tmp_path):
    """Readers' pages skip Django, so the server warms it at startup with one cheap request
    (else its first editor or search request did Django's one-time work later, behind readers)."""
    import asyncio

    from qalam.content.site import Site
    from qalam.serve import serving

    shutil.copytree(DEMO, tmp_path / "site")
    site = Site(tmp_path / "site", state_dir=tmp_path / "state")
    app = serving.ServingApp(site, watch=False)
    seen = []
    cache = app.app.app
    inner = cache.app

    async def django(scope, receive, send):
        seen.append((scope["path"], scope["query_string"]))
        await inner(scope, receive, send)

    cache.app = django

    async def lifespan():
        queue = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent = []

        async def receive():
            return queue.pop(0)

        async def send(message):
            sent.append(message["type"])

        await app({"type": "lifespan"}, receive, send)
        return sent

    try:
        assert asyncio.run(lifespan()) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
        assert seen == [(serving.WARM_PATH, serving.WARM_QUERY)]
    finally:
        site.close()
