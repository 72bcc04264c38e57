"""View counter: buffered hits, one writer, bots, the beacon, most-read lists, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import urllib.request

import pytest

from ..cli.test_serve import free_port, get, wait_until
from ..conftest import DEMO, NOW

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
T0 = NOW.timestamp()
HOUR = 3600.0

SITE_FILES = {
    "config/system.yaml": "languages:\n  supported: [kk, ru]\n  default_lang: kk\n",
    "config/site.yaml": "title: Жаңалықтар сайты\n",
    "config/qalam.yaml": "counter:\n  flush_seconds: 3600\n  bots: [MyMonitor]\n",
    "pages/01.home/default.kk.md": "---\ntitle: Басты\n---\nБасты бет\n",
    "pages/01.home/default.ru.md": "---\ntitle: Главная\n---\nГлавная\n",
    "pages/02.news/blog.kk.md": "---\ntitle: Жаңалықтар\ncontent:\n  items: '@self.children'\n---\n",
    "pages/02.news/blog.ru.md": "---\ntitle: Новости\ncontent:\n  items: '@self.children'\n---\n",
    "pages/02.news/01.alpha/item.kk.md": "---\ntitle: Альфа жаңалығы\ndate: '01-11-2026 10:00'\nviews: 2074\n---\nМәтін\n",
    "pages/02.news/01.alpha/item.ru.md": "---\ntitle: Новость альфа\ndate: '01-11-2026 10:00'\n---\nТекст\n",
    "pages/02.news/02.beta/item.kk.md": "---\ntitle: Бета жаңалығы\ndate: '02-11-2026 10:00'\n---\nМәтін\n",
    "pages/02.news/03.gamma/item.kk.md": "---\ntitle: Гамма жаңалығы\ndate: '03-11-2026 10:00'\n---\nМәтін\n",
    "pages/02.news/04.draft/item.kk.md": "---\ntitle: Жоба\npublished: false\n---\nМәтін\n",
    "pages/02.news/05.gone/item.kk.md": "---\ntitle: Кейін жасырылған\ndate: '04-11-2026 10:00'\n---\nМәтін\n",
    "pages/03.landing/modular.kk.md": "---\ntitle: Лендинг\n---\n",
    "pages/03.landing/_hero/hero.kk.md": "---\ntitle: Hero\n---\nҮлкен мәтін\n",
}
ALPHA, BETA, GAMMA, GONE = (f"kk:02.news/0{i}" for i in ("1.alpha", "2.beta", "3.gamma", "5.gone"))


class Clock:
    def __init__(self, t: float = T0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def news(make_site):
    """A kk/ru news site, a fake clock at NOW for its counter; every counter stopped afterwards."""
    from qalam.news import counter

    site = make_site(SITE_FILES)
    clock = Clock()
    vc = counter.for_site(site, clock=clock)
    yield site, vc, clock
    counter.stop(site)


def db_rows(vc) -> tuple[int, int]:
    """(rows, sum of views) in the totals table, read through a connection of our own."""
    with sqlite3.connect(vc.db_path) as db:
        return db.execute("SELECT COUNT(*), COALESCE(SUM(n), 0) FROM counter_totals").fetchone()


# --- buffering and flushing -----------------------------------------------------------------------
def test_hits_stay_in_memory_until_flushed(news):
    _site, vc, _clock = news
    for _ in range(100):
        vc.hit(BETA)
    vc.hit(GAMMA)
    assert db_rows(vc) == (0, 0)  # nothing written per hit
    assert vc.buffered() == 101
    assert vc.count(BETA) == 100  # ...but counted already
    assert vc.flush() == 101
    assert db_rows(vc) == (2, 101)
    assert vc.buffered() == 0 and vc.count(BETA) == 100
    assert vc.flush() == 0  # nothing left


def test_count_adds_the_views_header_start_value(news):
    from qalam.news.counter import page_key, views_for

    site, vc, _clock = news
    alpha = site.tree("kk").pages["02.news/01.alpha"]
    assert page_key(alpha) == ALPHA
    assert views_for(alpha) == 2074  # imported archive: starts at its `views:`
    vc.hit(ALPHA)
    vc.hit(ALPHA)
    assert views_for(alpha) == 2076
    vc.flush()
    assert views_for(alpha) == 2076
    assert db_rows(vc) == (1, 2)  # the start value is never stored: the header stays the source
    assert views_for(site.tree("ru").pages["02.news/01.alpha"]) == 0  # each language counts apart


def test_writer_thread_flushes_on_its_own(make_site):
    from qalam.news import counter

    files = dict(SITE_FILES, **{"config/qalam.yaml": "counter:\n  flush_seconds: 0.05\n"})
    site = make_site(files)
    vc = counter.for_site(site)
    try:
        for _ in range(7):
            vc.hit(BETA)
        assert vc._thread is not None and vc._thread.is_alive()  # started lazily by the first hit
        wait_until(lambda: db_rows(vc) == (1, 7), timeout=20, step=0.02)
        assert vc.flushes >= 1
    finally:
        counter.stop(site)
    assert vc._thread is None


def test_a_failed_flush_loses_nothing(news):
    _site, vc, _clock = news
    vc.hit(BETA, 5)
    broken, vc._db = vc._db, sqlite3.connect(":memory:", check_same_thread=False)  # no tables: writes fail
    with pytest.raises(sqlite3.Error):
        vc.flush()
    assert vc.buffered() == 5 and vc.count(BETA) == 5
    vc._db = broken
    assert vc.flush() == 5
    assert db_rows(vc) == (1, 5)


def test_counts_survive_a_restart(news, make_site):
    from qalam.news.counter import ViewCounter

    site, vc, _clock = news
    vc.hit(BETA, 3)
    vc.close()  # what atexit / SIGTERM does
    again = ViewCounter(site, clock=Clock())
    assert again.count(BETA) == 3
    again.hit(BETA)
    again.close()
    assert ViewCounter(site).count(BETA) == 4


# --- most read ------------------------------------------------------------------------------------------
def test_most_read_windows_per_language_with_a_fake_clock(news):
    _site, vc, clock = news
    clock.t = T0 - 9 * 24 * HOUR
    vc.hit(GONE, 50)  # nine days ago
    vc.flush()
    clock.t = T0 - 3 * 24 * HOUR
    vc.hit(ALPHA, 5)  # three days ago
    clock.t = T0 - 2 * HOUR
    vc.hit(BETA, 3)
    clock.t = T0
    vc.hit(GAMMA, 1)
    vc.hit("ru:02.news/01.alpha", 9)
    vc.flush()
    assert vc.most_read("kk", 24, 10) == [(BETA, 3), (GAMMA, 1)]
    assert vc.most_read("kk", 168, 10) == [(ALPHA, 5), (BETA, 3), (GAMMA, 1)]
    assert vc.most_read("kk", 168, 2) == [(ALPHA, 5), (BETA, 3)]
    assert vc.most_read("ru", 24, 10) == [("ru:02.news/01.alpha", 9)]
    # Buckets older than 8 days are pruned; totals are kept.
    with sqlite3.connect(vc.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM counter_hourly WHERE key = ?", (GONE,)).fetchone() == (0,)
    assert vc.count(GONE) == 50
    # The window slides with the clock: a day later only the 7-day list has them.
    clock.t = T0 + 25 * HOUR
    assert vc.most_read("kk", 24, 10) == []
    assert vc.most_read("kk", 168, 10) == [(ALPHA, 5), (BETA, 3), (GAMMA, 1)]


def test_most_read_pages_lists_only_pages_readers_can_open(news):
    from qalam.news.counter import most_read_pages

    site, vc, _clock = news
    vc.hit(GONE, 9)
    vc.hit("kk:02.news/04.draft", 8)  # unpublished since
    vc.hit("kk:02.news", 7)  # a listing
    vc.hit("kk:01.home", 6)
    vc.hit("kk:02.news/99.deleted", 5)
    vc.hit(BETA, 2)
    vc.hit(ALPHA, 1)
    vc.flush()
    entries = most_read_pages(site, "kk", 24, 5)
    assert [(e["title"], e["url"], e["views"]) for e in entries] == [
        ("Кейін жасырылған", "/kk/news/gone", 9),
        ("Бета жаңалығы", "/kk/news/beta", 2),
        ("Альфа жаңалығы", "/kk/news/alpha", 1),
    ]
    assert most_read_pages(site, "xx", 24, 5) == []


# --- bots -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ua", [
    "", "   ", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; YandexBot/3.0)", "facebookexternalhit/1.1", "Slackbot-LinkExpanding 1.0",
    "TelegramBot (like TwitterBot)", "WhatsApp/2.23.20.0", "curl/8.5.0", "Wget/1.21", "python-requests/2.32",
    "Go-http-client/1.1", "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0", "Mozilla/5.0 (compatible; bingbot/2.0)",
])
def test_bots_and_empty_user_agents_are_not_readers(ua):
    from qalam.news.counter import is_bot

    assert is_bot(ua)


@pytest.mark.parametrize("ua", [
    BROWSER, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36",
])
def test_browsers_are_readers(ua):
    from qalam.news.counter import is_bot

    assert not is_bot(ua)


# --- the beacon through Django -------------------------------------------------------------------------
def beacon(client, body: str = "", ua: str = BROWSER, query: str = "", **headers):
    return client.post("/_qalam/view" + (f"?{query}" if query else ""), data=body, content_type="text/plain",
                       HTTP_USER_AGENT=ua, **headers)


def test_beacon_counts_a_page_view(news, client_for):
    site, vc, _clock = news
    client = client_for(site)
    r = beacon(client, "/kk/news/beta")
    assert r.status_code == 204 and r.content == b""
    assert r["Cache-Control"] == "no-store"
    assert beacon(client, "/kk-latn/news/beta").status_code == 204  # the Latin edition is the same page
    assert beacon(client, query="p=/kk/news/beta").status_code == 204
    assert beacon(client, "http://localhost/kk/news/beta").status_code == 204  # a URL on this site
    assert beacon(client, "/kk/news/beta", HTTP_SEC_FETCH_SITE="same-origin").status_code == 204
    assert beacon(client, "/kk/news/beta", HTTP_ORIGIN="http://localhost").status_code == 204
    assert beacon(client, "/ru/news/alpha").status_code == 204
    assert vc.count(BETA) == 6
    assert vc.count("ru:02.news/01.alpha") == 1
    assert db_rows(vc) == (0, 0)  # still only in memory


def test_beacon_refuses_what_is_not_a_reader_viewing_a_page_of_this_site(news, client_for):
    site, vc, _clock = news
    client = client_for(site)
    assert beacon(client, "/kk/news/nope").status_code == 404
    assert beacon(client, "/kk/news/draft").status_code == 404  # unpublished
    assert beacon(client, "/kk/landing/_hero").status_code == 404  # a module is not a page
    assert beacon(client, "/news/beta").status_code == 404  # a redirect (no language prefix)
    assert beacon(client, "/_qalam/view").status_code == 404
    assert beacon(client, "//evil.example/kk/news/beta").status_code == 404
    assert beacon(client, "https://evil.example/kk/news/beta").status_code == 404
    assert beacon(client, "").status_code == 400
    assert beacon(client, "/kk/news/" + "x" * 3000).status_code == 413
    assert beacon(client, "/kk/news/beta", HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert beacon(client, "/kk/news/beta", HTTP_ORIGIN="https://evil.example").status_code == 403
    # Bots are answered like readers but not counted.
    assert beacon(client, "/kk/news/beta", ua="Mozilla/5.0 (compatible; Googlebot/2.1)").status_code == 204
    assert beacon(client, "/kk/news/beta", ua="").status_code == 204
    assert beacon(client, "/kk/news/beta", ua="MyMonitor/1.0").status_code == 204  # qalam.counter.bots
    # Only POST counts: GET and HEAD (prefetchers, link checkers) do not.
    for method in (client.get, client.head):
        r = method("/_qalam/view?p=/kk/news/beta", HTTP_USER_AGENT=BROWSER)
        assert r.status_code == 405 and r["Allow"] == "POST"
    assert vc.count(BETA) == 0 and vc.buffered() == 0


def test_fast_path_answers_the_beacon_before_django(news):
    from qalam.news.counter import BeaconASGI

    site, vc, _clock = news
    passed = []

    async def inner(scope, receive, send):
        passed.append(scope["path"])

    app = BeaconASGI(inner, site)

    async def call(method: str, path: str, body: bytes = b"", headers=()):
        sent, chunks = [], [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return chunks.pop(0)

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": method, "path": path, "query_string": b"",
                 "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", BROWSER.encode()), *headers]}
        await app(scope, receive, send)
        return sent

    sent = asyncio.run(call("POST", "/_qalam/view", "/kk/news/gamma".encode()))
    assert sent[0]["status"] == 204 and (b"cache-control", b"no-store") in sent[0]["headers"]
    assert sent[1]["body"] == b""
    assert asyncio.run(call("POST", "/_qalam/view", b"/kk/news/nope"))[0]["status"] == 404
    assert asyncio.run(call("GET", "/_qalam/view"))[0]["status"] == 405
    assert asyncio.run(call("POST", "/_qalam/view", b"/kk/news/gamma", [(b"origin", b"https://evil.example")]))[0][
        "status"] == 403
    asyncio.run(call("GET", "/kk/news/gamma"))
    assert passed == ["/kk/news/gamma"]  # everything else goes to Django
    assert vc.count(GAMMA) == 1


# --- the theme --------------------------------------------------------------------------------------------
def test_article_page_carries_the_beacon_and_the_sidebar_lists(news, client_for):
    site, vc, _clock = news
    client = client_for(site)
    html = client.get("/kk/news/beta").content.decode()
    # An external script (no 'unsafe-inline' in the page's Content-Security-Policy).
    assert '<script src="/_qalam/static/beacon.js" data-path="/kk/news/beta" async></script>' in html
    assert "<script>" not in html
    js = b"".join(client.get("/_qalam/static/beacon.js").streaming_content
                  if hasattr(client.get("/_qalam/static/beacon.js"), "streaming_content")
                  else [client.get("/_qalam/static/beacon.js").content]).decode()
    assert 'navigator.sendBeacon("/_qalam/view", path)' in js
    assert 'class="most-read"' not in html  # no views yet: no empty box
    vc.hit(ALPHA, 4)
    vc.hit(BETA, 2)
    vc.flush()
    html = client.get("/kk/news/gamma").content.decode()
    sidebar = html.split('<aside class="sidebar">', 1)[1]
    box = sidebar.split('<section class="most-read">', 1)[1].split("</section>", 1)[0]
    assert box.index('<a href="/kk/news/alpha">Альфа жаңалығы</a>') < box.index('<a href="/kk/news/beta">Бета жаңалығы</a>')
    assert "24 сағат" in box and "7 күн" in box and "4 рет қаралды" in box
    assert '<a href="/kk/popular">' in box


def test_popular_page_per_language(news, client_for):
    site, vc, clock = news
    client = client_for(site)
    clock.t = T0 - 3 * 24 * HOUR
    vc.hit(GAMMA, 7)
    clock.t = T0
    vc.hit(BETA, 2)
    vc.hit("ru:02.news/01.alpha", 3)
    vc.flush()
    r = client.get("/kk/popular")
    assert r.status_code == 200 and r["Cache-Control"] == "public, max-age=60"
    html = r.content.decode()
    assert "<h1 class=\"page-title\">Ең көп оқылған</h1>" in html
    day = html.split('id="day"', 1)[1].split("</section>", 1)[0]
    week = html.split('id="week"', 1)[1].split("</section>", 1)[0]
    assert '<a href="/kk/news/beta">Бета жаңалығы</a>' in day and "Гамма" not in day
    assert week.index("Гамма жаңалығы") < week.index("Бета жаңалығы")
    assert "Новость" not in html
    ru = client.get("/ru/popular").content.decode()
    assert "Самое читаемое" in ru and '<a href="/ru/news/alpha">Новость альфа</a>' in ru and "Бета" not in ru
    assert 'href="/kk/popular"' in ru  # the language switcher leads to the other lists
    latin = client.get("/kk-latn/popular")
    assert latin.status_code == 200 and "Eñ köp oqylğan" in latin.content.decode()
    assert client.get("/xx/popular").status_code in (302, 404)


def test_a_page_called_popular_wins(make_site, client_for):
    files = dict(SITE_FILES, **{"pages/04.popular/default.kk.md": "---\ntitle: Біздің таңдау\n---\nӨз бетіміз\n"})
    site = make_site(files)
    html = client_for(site).get("/kk/popular").content.decode()
    assert "Біздің таңдау" in html and "Ең көп оқылған" not in html


def test_single_language_site_counts_and_lists_without_a_prefix(make_site, client_for):
    from qalam.news import counter

    site = make_site({
        "config/site.yaml": "title: One\ndefault_lang: en\n",
        "pages/01.blog/01.post/item.md": "---\ntitle: Only post\ndate: '01-11-2026'\n---\nText\n",
    })
    client = client_for(site)
    try:
        assert beacon(client, "/blog/post").status_code == 204
        vc = counter.for_site(site)
        assert vc.count(":01.blog/01.post") == 1
        vc.flush()
        html = client.get("/popular").content.decode()
        assert '<a href="/blog/post">Only post</a>' in html and "Views: 1" in html
    finally:
        counter.stop(site)


# --- a real server: counts written on a clean shutdown ----------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_writes_buffered_views_on_clean_shutdown(tmp_path, sig):
    site = tmp_path / "demo"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns(".qalam"))
    (site / "config" / "qalam.yaml").write_text("counter:\n  flush_seconds: 3600\n", encoding="utf-8")
    port = free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "qalam")
    proc = subprocess.Popen([exe, "serve", str(site), "--port", str(port), "--no-watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(base + "/kk")[0] == 200)
        n = 25
        for i in range(n):
            req = urllib.request.Request(base + "/_qalam/view", data=b"/kk/news/2022-07-20-experts-visit",
                                         headers={"User-Agent": BROWSER, "Content-Type": "text/plain"})
            with urllib.request.urlopen(req, timeout=5) as resp:
                assert resp.status == 204
        bot = urllib.request.Request(base + "/_qalam/view", data=b"/kk/news/2022-07-20-experts-visit",
                                     headers={"User-Agent": "curl/8.5.0"})
        with urllib.request.urlopen(bot, timeout=5) as resp:
            assert resp.status == 204
        db = site / ".qalam" / "state.sqlite3"
        with sqlite3.connect(db) as conn:  # an hour's flush interval: nothing written yet
            assert conn.execute("SELECT COALESCE(SUM(n), 0) FROM counter_totals").fetchone() == (0,)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in out, out
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT key, n FROM counter_totals").fetchall()
    assert rows == [("kk:02.news/01.2022-07-20-experts-visit", n)]
