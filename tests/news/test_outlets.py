"""Other outlets' news: feeds fetched in the background from fake servers on 127.0.0.1, pages read the cache."""

from __future__ import annotations

import gzip
import logging
import time
from datetime import datetime, timezone

import pytest

from qalam.news import outlets
from qalam.news.outlets import TITLE_MAX, FeedError, OutletsService, clean_title, fetch_feed
from tests.fake_http import FakeServer, Reply

from ..conftest import NOW, write_site

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=utf-8"}


def rss(items: list[tuple[str, str, str | None]], channel: str = "Outlet") -> str:
    """items: (title as raw XML text, link, RFC 822 date or None)."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link>{f'<pubDate>{d}</pubDate>' if d else ''}</item>"
        for t, link, d in items
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{channel}</title>' \
           f"<link>https://outlet.example/</link><description>d</description>{body}</channel></rss>"


GOOD_RSS = rss([
    ("Астанада жаңа мектеп ашылды", "https://kaz.example/news/1", "Mon, 23 Nov 2026 09:00:00 GMT"),
    ("Алматыда қар жауды", "https://kaz.example/news/2", "Mon, 23 Nov 2026 11:00:00 GMT"),
    ("Ескі жаңалық", "https://kaz.example/news/3", "Sun, 22 Nov 2026 08:00:00 GMT"),
])

GOOD_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Ру-СМИ</title><id>urn:x</id><updated>2026-11-23T10:30:00Z</updated>
  <entry><title type="html">В Астане &lt;em&gt;открыли&lt;/em&gt; школу</title><id>urn:1</id>
    <link rel="alternate" href="https://ru.example/a/1"/><updated>2026-11-23T10:30:00Z</updated></entry>
  <entry><title>Снег в Алматы</title><id>urn:2</id>
    <link rel="alternate" href="/a/2"/><updated>2026-11-23T07:00:00Z</updated></entry>
</feed>"""

HOSTILE_RSS = rss([
    ("&lt;script&gt;alert(1)&lt;/script&gt;Safe &lt;b&gt;title&lt;/b&gt;", "https://h.example/1", None),
    ("<![CDATA[<img src=x onerror=alert(2)>Image   title\n\twith  spaces]]>", "https://h.example/2", None),
    ("Script link", "javascript:alert(3)", None),
    ("Data link", "data:text/html,&lt;script&gt;alert(4)&lt;/script&gt;", None),
    ("Bidi \u202eevil\u202c and zero\u200bwidth", "https://h.example/5", None),
    ("Long " + "сөз " * 200, "https://h.example/6", None),
    ("Future dated", "https://h.example/7", "Mon, 23 Nov 2099 09:00:00 GMT"),
    ("", "https://h.example/8", None),
])


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def servers():
    opened: list[FakeServer] = []

    def make(routes):
        server = FakeServer(routes)
        opened.append(server)
        return server

    yield make
    for s in opened:
        s.close()


def outlet_site(tmp_path, feeds: list[dict], *, extra: str = "", languages=("kk", "ru"), state="state"):
    from qalam.content.site import Site

    lines = ["outlets:", "  feeds:"]
    for f in feeds:
        lines.append("    - {" + ", ".join(f"{k}: '{v}'" for k, v in f.items()) + "}")
    lines += [f"  {line}" for line in extra.splitlines() if line.strip()]
    files = {
        "config/qalam.yaml": "\n".join(lines) + "\ntheme: outlettheme\n",
        "outlettheme/templates/item.html": (
            '{% extends "base.html" %}{% block main %}<h1>{{ title }}</h1>'
            '{% include "partials/outlets.html" %}{% endblock %}'
        ),
        "pages/01.news/blog.md": "---\ntitle: News\n---\n",
        "pages/01.news/story/item.kk.md": "---\ntitle: Біздің жаңалық\ndate: '23-11-2026 10:00'\n---\nМәтін.",
        "pages/01.news/story/item.ru.md": "---\ntitle: Наша новость\ndate: '23-11-2026 10:00'\n---\nТекст.",
    }
    if languages:
        files["config/system.yaml"] = "languages:\n  supported: [" + ", ".join(languages) + "]\n"
    root = tmp_path / "site"
    if not root.exists():
        write_site(root, files)
    return Site(root, state_dir=tmp_path / state, clock=lambda: NOW)


def test_good_rss_and_atom_per_language(tmp_path, servers):
    kz = servers({"/rss": Reply(200, GOOD_RSS, RSS_TYPE)})
    ru = servers({"/atom": Reply(200, GOOD_ATOM, ATOM_TYPE)})
    site = outlet_site(tmp_path, [
        {"name": "Kaz Outlet", "url": kz.url + "/rss", "lang": "kk"},
        {"name": "Ру-СМИ", "url": ru.url + "/atom", "lang": "ru"},
    ])
    service = OutletsService(site)
    outcome = service.refresh()
    assert outcome == {kz.url + "/rss": "ok: 3 items", ru.url + "/atom": "ok: 2 items"}
    kk_items = service.latest("kk")
    assert [i.title for i in kk_items] == ["Алматыда қар жауды", "Астанада жаңа мектеп ашылды", "Ескі жаңалық"]
    assert {i.outlet for i in kk_items} == {"Kaz Outlet"} and {i.lang for i in kk_items} == {"kk"}
    assert kk_items[0].published == datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)
    ru_items = service.latest("ru", limit=5)
    assert [i.title for i in ru_items] == ["В Астане открыли школу", "Снег в Алматы"]
    assert ru_items[1].link == ru.url + "/a/2"  # relative link resolved against the feed
    assert service.latest("kk", limit=1)[0].title == "Алматыда қар жауды"
    assert service.latest("en") == []  # no feed in English and none without a language
    # The request carried our User-Agent and asked for no compression.
    req = kz.hits("/rss")[0]
    assert req.headers["user-agent"].startswith("Qalam/") and req.headers["accept-encoding"] == "identity"
    service.close()
    site.close()


def test_feed_without_language_shows_everywhere_and_max_items(tmp_path, servers):
    kz = servers({"/rss": Reply(200, GOOD_RSS, RSS_TYPE)})
    site = outlet_site(tmp_path, [{"name": "Any", "url": kz.url + "/rss"}], extra="max_items: 2")
    service = OutletsService(site)
    service.refresh()
    assert len(service.latest("kk")) == 2 and len(service.latest("ru")) == 2 and len(service.latest("en")) == 2
    assert service.latest("kk")[0].outlet == "Any"
    site.close()


def test_hostile_titles_and_links(tmp_path, servers):
    h = servers({"/rss": Reply(200, HOSTILE_RSS, RSS_TYPE)})
    site = outlet_site(tmp_path, [{"name": "Hostile <b>", "url": h.url + "/rss", "lang": "kk"}])
    service = OutletsService(site)
    service.refresh()
    items = {i.link: i for i in service.latest("kk", limit=50)}
    assert "https://h.example/3" not in items and not any(link.startswith(("javascript:", "data:")) for link in items)
    assert set(items) == {"https://h.example/1", "https://h.example/2", "https://h.example/5",
                          "https://h.example/6", "https://h.example/7"}  # the untitled one is dropped
    assert items["https://h.example/1"].title == "Safe title"
    assert items["https://h.example/2"].title == "Image title with spaces"
    assert items["https://h.example/5"].title == "Bidi evil and zero width"
    long = items["https://h.example/6"].title
    assert len(long) <= TITLE_MAX and long.endswith("…")
    assert items["https://h.example/7"].published <= datetime.now(timezone.utc)  # no pinning to the top
    for item in items.values():
        assert "<" not in item.title and "alert" not in item.title
    site.close()


def test_clean_title_keeps_text_that_looks_like_markup_as_text():
    assert clean_title("5 &lt; 6 &amp;amp; 7") == "5 < 6 &amp; 7"
    assert clean_title("<style>p{}</style>Тақырып") == "Тақырып"
    assert clean_title(None) == ""


def test_slow_feed_never_slows_a_page(tmp_path, servers, client_for):
    good = servers({"/rss": Reply(200, GOOD_RSS, RSS_TYPE)})
    slow = servers({"/rss": Reply(200, GOOD_RSS, RSS_TYPE, delay=5)})
    trickle = servers({"/rss": Reply(200, GOOD_RSS, RSS_TYPE, trickle=0.3)})
    site = outlet_site(tmp_path, [
        {"name": "Good", "url": good.url + "/rss", "lang": "kk"},
        {"name": "Slow", "url": slow.url + "/rss", "lang": "kk"},
        {"name": "Trickle", "url": trickle.url + "/rss", "lang": "kk"},
    ], extra="timeout: 0.5")
    service = outlets.for_site(site)
    t0 = time.monotonic()
    outcome = service.refresh()
    took = time.monotonic() - t0
    assert outcome[good.url + "/rss"].startswith("ok")
    assert outcome[slow.url + "/rss"] == "error: no answer within 0.5 s"
    assert "longer than 0.5 s" in outcome[trickle.url + "/rss"]
    assert took < 2.5  # feeds are fetched side by side, each cut off near its timeout

    # While the background thread is busy with the slow feeds, pages answer at once from the cache.
    client = client_for(site)
    assert client.get("/kk/news/story").status_code == 200  # templates compiled
    for url in (slow.url + "/rss", trickle.url + "/rss"):
        service.state(url).next_attempt = 0  # due again now
    service.start()
    assert wait_for(lambda: len(slow.requests) == 2 and len(trickle.requests) == 2)  # fetches in flight
    t1 = time.monotonic()
    response = client.get("/kk/news/story")
    elapsed = time.monotonic() - t1
    service.stop()
    assert response.status_code == 200
    assert elapsed < 0.4, elapsed
    html = response.content.decode()
    assert "Өзгелердің жаңалығы" in html
    assert 'href="https://kaz.example/news/2" rel="noopener nofollow" target="_blank">Алматыда қар жауды</a>' in html
    assert '<span class="outlet">Good</span>' in html
    ru_html = client.get("/ru/news/story").content.decode()
    assert "Новости других СМИ" not in ru_html  # no Russian feed: no block at all
    site.close()


def test_huge_feed_is_refused_and_last_good_items_stay(tmp_path, servers):
    state = {"reply": Reply(200, GOOD_RSS, RSS_TYPE)}
    s = servers({"/rss": lambda req: state["reply"]})
    site = outlet_site(tmp_path, [{"name": "Big", "url": s.url + "/rss", "lang": "kk"}], extra="max_bytes: 20000")
    service = OutletsService(site)
    assert service.refresh()[s.url + "/rss"] == "ok: 3 items"
    huge = rss([(f"Title {i}", f"https://big.example/{i}", None) for i in range(2000)])
    assert len(huge) > 20000
    state["reply"] = Reply(200, huge, RSS_TYPE)  # announced by Content-Length
    assert "more than qalam.outlets.max_bytes" in service.refresh(force=True)[s.url + "/rss"]
    state["reply"] = Reply(200, huge, RSS_TYPE, content_length=False)  # only noticed while reading
    assert "more than qalam.outlets.max_bytes" in service.refresh(force=True)[s.url + "/rss"]
    bomb = gzip.compress(b"<rss>" + b" " * 5_000_000 + b"</rss>")
    state["reply"] = Reply(200, bomb, {**RSS_TYPE, "Content-Encoding": "gzip"})
    assert "uncompressed" in service.refresh(force=True)[s.url + "/rss"]
    assert [i.title for i in service.latest("kk")][0] == "Алматыда қар жауды"
    site.close()


def test_gzip_feed_is_read(tmp_path, servers):
    s = servers({"/rss": Reply(200, gzip.compress(GOOD_RSS.encode()), {**RSS_TYPE, "Content-Encoding": "gzip"})})
    site = outlet_site(tmp_path, [{"name": "Gz", "url": s.url + "/rss", "lang": "kk"}])
    service = OutletsService(site)
    assert service.refresh()[s.url + "/rss"] == "ok: 3 items"
    site.close()


def test_invalid_xml_and_500_keep_last_good_items_with_backoff_logged_once(tmp_path, servers, caplog):
    state = {"reply": Reply(200, GOOD_RSS, RSS_TYPE)}
    s = servers({"/rss": lambda req: state["reply"]})
    clock = {"t": NOW.timestamp()}
    site = outlet_site(tmp_path, [{"name": "Flaky", "url": s.url + "/rss", "lang": "kk"}],
                       extra="refresh_minutes: 10")
    service = OutletsService(site, clock=lambda: clock["t"])
    url = s.url + "/rss"
    assert service.refresh()[url] == "ok: 3 items"
    assert service.state(url).next_attempt == clock["t"] + 600
    assert service.refresh() == {}  # not due yet: nothing fetched
    assert len(s.hits("/rss")) == 1

    state["reply"] = Reply(200, "<html><body>Oops, <b>not a feed", {"Content-Type": "text/html"})
    caplog.set_level(logging.DEBUG, logger="qalam.outlets")
    clock["t"] += 600
    assert service.refresh()[url] == "error: not a readable RSS/Atom feed (SAXParseException)"
    state["reply"] = Reply(500, "boom")
    delays = []
    for _ in range(3):
        clock["t"] = service.state(url).next_attempt
        assert service.refresh()[url] == "error: HTTP 500"
        delays.append(service.state(url).next_attempt - clock["t"])
    assert delays == [1200, 2400, 4800]  # 10 min, doubled on each failure
    assert service.state(url).failures >= 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "HTTP 500" in r.getMessage()]
    assert len(warnings) == 1  # logged when it started failing, not on every attempt
    assert [i.title for i in service.latest("kk")][:1] == ["Алматыда қар жауды"]

    state["reply"] = Reply(200, GOOD_RSS.replace("Алматыда қар жауды", "Жаңа тақырып"), RSS_TYPE)
    clock["t"] = service.state(url).next_attempt
    assert service.refresh()[url] == "ok: 3 items"
    assert service.state(url).failures == 0 and service.state(url).last_error == ""
    assert service.latest("kk")[0].title == "Жаңа тақырып"
    assert any("works again" in r.getMessage() for r in caplog.records)
    site.close()


def test_cached_items_survive_a_restart(tmp_path, servers):
    s = servers({"/rss": Reply(200, GOOD_RSS, RSS_TYPE)})
    site = outlet_site(tmp_path, [{"name": "Kaz", "url": s.url + "/rss", "lang": "kk"}])
    service = OutletsService(site)
    service.refresh()
    before = service.latest("kk")
    service.close()
    site.close()
    s.close()  # the outlet is gone now

    site2 = outlet_site(tmp_path, [{"name": "Kaz", "url": s.url + "/rss", "lang": "kk"}])
    service2 = OutletsService(site2)
    assert service2.latest("kk") == before  # at once, without fetching
    assert service2.refresh(force=True)[s.url + "/rss"].startswith("error: cannot connect")
    assert service2.latest("kk") == before  # a failing feed keeps its last good items
    site2.close()


def test_conditional_get_and_removed_feed(tmp_path, servers):
    def reply(req):
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, GOOD_RSS, {**RSS_TYPE, "ETag": '"v1"'})

    s = servers({"/rss": reply})
    site = outlet_site(tmp_path, [{"name": "Kaz", "url": s.url + "/rss", "lang": "kk"}])
    service = OutletsService(site)
    assert service.refresh()[s.url + "/rss"] == "ok: 3 items"
    assert service.refresh(force=True)[s.url + "/rss"] == "not modified"
    assert len(service.latest("kk")) == 3
    # A feed taken out of the config disappears from pages at once.
    (site.user_dir / "config" / "qalam.yaml").write_text("outlets:\n  feeds: []\n", encoding="utf-8")
    site.refresh(force_config=True)
    assert service.latest("kk") == []
    site.close()


def test_only_http_urls_and_redirects(tmp_path, servers, caplog):
    s = servers({
        "/to-file": Reply(302, "", {"Location": "file:///etc/passwd"}),
        "/to-good": Reply(301, "", {"Location": "/rss"}),
        "/rss": Reply(200, GOOD_RSS, RSS_TYPE),
    })
    with pytest.raises(FeedError, match="http"):
        fetch_feed("file:///etc/passwd", timeout=1, max_bytes=1000)
    with pytest.raises(FeedError):
        fetch_feed(s.url + "/to-file", timeout=1, max_bytes=1000)
    assert fetch_feed(s.url + "/to-good", timeout=1, max_bytes=100000).status == 200
    caplog.set_level(logging.ERROR, logger="qalam.outlets")
    site = outlet_site(tmp_path, [
        {"name": "Local", "url": "file:///etc/passwd", "lang": "kk"},
        {"name": "Ftp", "url": "ftp://x.example/feed", "lang": "kk"},
        {"name": "Ok", "url": s.url + "/to-good", "lang": "kk"},
    ])
    service = OutletsService(site)
    assert list(service.refresh()) == [s.url + "/to-good"]
    assert sum("is not an http(s) address" in r.getMessage() for r in caplog.records) == 2
    service.latest("kk")
    assert sum("is not an http(s) address" in r.getMessage() for r in caplog.records) == 2  # logged once
    site.close()


def test_one_language_site_shows_every_feed(tmp_path, servers):
    s = servers({"/rss": Reply(200, GOOD_RSS, RSS_TYPE)})
    site = outlet_site(tmp_path, [{"name": "Kaz", "url": s.url + "/rss", "lang": "kk"}], languages=())
    service = OutletsService(site)
    service.refresh()
    assert len(service.latest("")) == 3
    site.close()


def test_no_feeds_means_no_database_and_no_block(tmp_path, make_site, client_for):
    site = make_site({
        "config/qalam.yaml": "theme: t\n",
        "t/templates/item.html": '{% extends "base.html" %}{% block main %}[{% include "partials/outlets.html" %}]'
                                 "{% endblock %}",
        "pages/01.story/item.md": "---\ntitle: S\ndate: '23-11-2026'\n---\nx",
    })
    service = outlets.start(site)
    html = client_for(site).get("/story").content.decode()
    outlets.stop(site)
    assert "[]" in html.replace("\n", "")
    assert outlets.outlet_news(site, "en") == []
    assert not (site.state_dir / "outlets.sqlite3").exists()
    assert not service.running


def test_template_escapes_titles(tmp_path, servers, client_for):
    s = servers({"/rss": Reply(200, rss([("1 &amp;lt; 2 &amp;amp; «тырнақша»", "https://q.example/1?a=1&amp;b=2",
                                           "Mon, 23 Nov 2026 09:00:00 GMT")]), RSS_TYPE)})
    site = outlet_site(tmp_path, [{"name": "A&B", "url": s.url + "/rss", "lang": "kk"}])
    outlets.for_site(site).refresh()
    html = client_for(site).get("/kk/news/story").content.decode()
    assert '<span class="outlet">A&amp;B</span>' in html
    assert 'href="https://q.example/1?a=1&amp;b=2"' in html
    assert ">1 &lt; 2 &amp; «тырнақша»</a>" in html
    assert '<time class="date" datetime="2026-11-23T09:00:00+00:00">' in html
    site.close()
