"""Distribution on publish: IndexNow and Telegram, against fake endpoints on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from datetime import timedelta

import pytest

from qalam.news import distribution
from qalam.news.distribution import DistributionService
from tests.fake_http import FakeServer, Reply

from ..conftest import NOW, write_site

TOKEN = "123456:TEST-token_x"
KEY = "testkey12345"
SITE_URL = "https://news.example.kz"
OK_TG = Reply(200, json.dumps({"ok": True, "result": {"message_id": 42}}), {"Content-Type": "application/json"})

# NOW is 2026-11-23 12:00 UTC = 17:00 in Asia/Almaty (the site's time zone).
PAGES = {
    "config/system.yaml": "languages:\n  supported: [kk, ru]\n",
    "pages/01.news/blog.md": "---\ntitle: Жаңалықтар\ncontent:\n  items: '@self.children'\n---\n",
    "pages/01.news/fresh/item.kk.md": (
        "---\ntitle: 'Жаңа мектеп & «бала» <ашылды>'\ndate: '23-11-2026 15:00'\n---\n"
        "Астанада **жаңа мектеп** ашылды. Оқушылар қуанышты.\n\n===\n\nТолық мәтін осында."
    ),
    "pages/01.news/fresh/item.ru.md": (
        "---\ntitle: 'Открыта новая школа'\ndate: '23-11-2026 15:00'\n---\nВ Астане открыли школу.\n"
    ),
    "pages/01.news/ru-only/item.ru.md": "---\ntitle: 'Только по-русски'\ndate: '23-11-2026 14:00'\n---\nТекст.\n",
    "pages/01.news/scheduled/item.kk.md": (
        "---\ntitle: 'Кейінге қалған'\ndate: '23-11-2026 17:00'\npublish_date: '23-11-2026 17:30'\n---\nКейін.\n"
    ),
    "pages/01.news/hidden/item.kk.md": "---\ntitle: Жасырын\ndate: '23-11-2026 16:00'\npublished: false\n---\nЖоқ.\n",
    "pages/01.news/undated/item.kk.md": "---\ntitle: Күнсіз\n---\nКүні жоқ.\n",
    "pages/02.about/default.kk.md": "---\ntitle: Біз туралы\ndate: '23-11-2026 16:00'\n---\nБіз.\n",
    **{
        f"pages/01.news/old-{i:02d}/item.kk.md": f"---\ntitle: 'Мұрағат {i}'\ndate: '{i + 1:02d}-10-2026 10:00'\n---\nЕскі.\n"
        for i in range(20)
    },
}


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def endpoints():
    """A fake IndexNow and a fake Telegram Bot API; ``tg_replies`` / ``in_replies`` script the answers."""
    state = {"tg": [], "in": []}

    def tg(req):
        return state["tg"].pop(0) if state["tg"] else OK_TG

    def indexnow(req):
        return state["in"].pop(0) if state["in"] else Reply(202, "")

    ind = FakeServer({"/indexnow": indexnow})
    tgs = FakeServer({f"/bot{TOKEN}/sendMessage": tg})
    ind.script, tgs.script = state["in"], state["tg"]
    yield ind, tgs
    ind.close()
    tgs.close()


def config(ind: FakeServer | None, tg: FakeServer | None, *, site_url=SITE_URL, retries=5, extra="") -> str:
    out = f"site_url: '{site_url}'\ndistribution:\n  retries: {retries}\n"
    if ind is not None:
        out += f"  indexnow: {{enabled: true, key: {KEY}, endpoint: '{ind.url}/indexnow'}}\n"
    if tg is not None:
        out += f"  telegram: {{enabled: true, chat_id: '@qalam_test', api_base: '{tg.url}'}}\n"
    return out + extra


def open_site(tmp_path, qalam_yaml: str | None, clock=None):
    from qalam.content.site import Site

    root = tmp_path / "site"
    if not root.exists():
        files = dict(PAGES)
        if qalam_yaml is not None:
            files["config/qalam.yaml"] = qalam_yaml
        write_site(root, files)
    return Site(root, state_dir=tmp_path / "state", clock=clock or Clock())


def service_for(site, environ=None, **kwargs) -> DistributionService:
    kwargs.setdefault("base_delay", 0.05)
    kwargs.setdefault("poll_seconds", 0.02)
    return DistributionService(site, environ={"QALAM_TELEGRAM_TOKEN": TOKEN} if environ is None else environ, **kwargs)


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_disabled_by_default_sends_nothing_and_writes_nothing(tmp_path, endpoints):
    ind, tg = endpoints
    site = open_site(tmp_path, None)
    service = service_for(site)
    assert service.run_once() == (0, 0)
    service.start()
    time.sleep(0.2)
    service.stop()
    assert ind.requests == [] and tg.requests == []
    assert not (site.state_dir / "distribution.sqlite3").exists()
    assert service.outbox() == []
    site.close()


def test_what_is_sent(tmp_path, endpoints, caplog):
    ind, tg = endpoints
    caplog.set_level(logging.DEBUG)
    site = open_site(tmp_path, config(ind, tg))
    service = service_for(site)
    queued, delivered = service.run_once()
    # IndexNow: one notice per language version (kk with its Latin edition); the archive, the
    # scheduled, unpublished, undated and non-article pages are not announced.
    bodies = sorted((r.json() for r in ind.hits("/indexnow")), key=lambda b: b["urlList"][0])
    assert [b["urlList"] for b in bodies] == [
        [f"{SITE_URL}/kk/news/fresh", f"{SITE_URL}/kk-latn/news/fresh"],
        [f"{SITE_URL}/ru/news/fresh"],
        [f"{SITE_URL}/ru/news/ru-only"],
    ]
    for body in bodies:
        assert body["host"] == "news.example.kz" and body["key"] == KEY
        assert body["keyLocation"] == f"{SITE_URL}/{KEY}.txt"
    assert ind.hits("/indexnow")[0].headers["content-type"].startswith("application/json")
    # Telegram: one post per article folder, in the default language when the article has it.
    posts = [r.json() for r in tg.hits(f"/bot{TOKEN}/sendMessage")]
    assert len(posts) == 2
    by_link = {p["text"].rsplit("\n\n", 1)[1]: p for p in posts}
    assert set(by_link) == {f"{SITE_URL}/kk/news/fresh", f"{SITE_URL}/ru/news/ru-only"}
    kk = by_link[f"{SITE_URL}/kk/news/fresh"]
    assert kk["chat_id"] == "@qalam_test" and kk["parse_mode"] == "HTML"
    assert kk["text"] == (
        "<b>Жаңа мектеп &amp; «бала» &lt;ашылды&gt;</b>\n\n"
        "Астанада жаңа мектеп ашылды. Оқушылар қуанышты.\n\n"
        f"{SITE_URL}/kk/news/fresh"
    )
    assert (queued, delivered) == (5, 5)
    rows = service.outbox()
    assert {(r.channel, r.page_key, r.status, r.attempts) for r in rows} == {
        ("indexnow", "kk:01.news/fresh", "sent", 1),
        ("indexnow", "ru:01.news/fresh", "sent", 1),
        ("indexnow", "ru:01.news/ru-only", "sent", 1),
        ("telegram", "01.news/fresh", "sent", 1),
        ("telegram", "01.news/ru-only", "sent", 1),
    }
    assert {r.response for r in rows if r.channel == "telegram"} == {"message_id=42"}
    assert TOKEN not in caplog.text
    site.close()


def test_exactly_one_post_per_article_across_runs_and_edits(tmp_path, endpoints):
    ind, tg = endpoints
    site = open_site(tmp_path, config(ind, tg))
    service = service_for(site)
    service.run_once()
    assert len(tg.requests) == 2 and len(ind.requests) == 3
    assert service.run_once() == (0, 0)
    service.close()
    site.close()

    # A restart: a new Site and service over the same state folder.
    site = open_site(tmp_path, config(ind, tg))
    service = service_for(site)
    assert service.run_once() == (0, 0)
    # Editing the article (new title and text, even a new date) sends nothing again.
    path = site.pages_dir / "01.news" / "fresh" / "item.kk.md"
    path.write_text("---\ntitle: 'Түзетілген тақырып'\ndate: '23-11-2026 16:45'\n---\nЖаңа мәтін.\n", encoding="utf-8")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert site.refresh().changed
    assert site.tree("kk").find("/news/fresh").title == "Түзетілген тақырып"
    assert service.run_once() == (0, 0)
    assert len(tg.requests) == 2 and len(ind.requests) == 3
    site.close()


def test_retries_after_500s_with_exponential_backoff(tmp_path, endpoints):
    ind, tg = endpoints
    failures = iter([Reply(500, "busy"), Reply(502, "bad gateway")])

    def reply(req):  # the Kazakh article's post fails twice, then goes through
        if "/kk/news/fresh" in req.json()["text"]:
            return next(failures, OK_TG)
        return OK_TG

    tg.routes[f"/bot{TOKEN}/sendMessage"] = reply
    site = open_site(tmp_path, config(None, tg))
    service = service_for(site, base_delay=0.15)
    service.start()
    try:
        assert wait_for(lambda: len(tg.requests) >= 4, timeout=5)
        time.sleep(0.3)
    finally:
        service.stop()
    assert len(tg.requests) == 4
    retried = [r for r in tg.requests if "/kk/news/fresh" in r.json()["text"]]
    assert len(retried) == 3
    gaps = [retried[1].at - retried[0].at, retried[2].at - retried[1].at]
    assert gaps[0] >= 0.14 and gaps[1] >= 0.29, gaps  # 0.15 s, then 0.3 s
    rows = {r.page_key: r for r in service.outbox("telegram")}
    assert {r.status for r in rows.values()} == {"sent"}
    assert sorted(r.attempts for r in rows.values()) == [1, 3]
    site.close()


def test_gives_up_after_the_configured_attempts_and_4xx_is_final(tmp_path, endpoints, caplog):
    ind, tg = endpoints
    site = open_site(tmp_path, config(ind, tg, retries=2))
    ind.script[:] = [Reply(503, "down")] * 10
    tg.script[:] = [Reply(400, json.dumps({"ok": False, "error_code": 400,
                                           "description": f"Bad Request: chat not found for bot{TOKEN}"}))] * 10
    service = service_for(site, base_delay=0.01)
    caplog.set_level(logging.INFO, logger="qalam.distribution")
    service.run_once()
    time.sleep(0.05)
    service.run_once()
    time.sleep(0.05)
    service.run_once()
    assert len(ind.requests) == 6  # three notices, two attempts each
    assert len(tg.requests) == 2  # two posts, one attempt each: 400 is final
    rows = service.outbox()
    assert {r.status for r in rows} == {"failed"}
    tg_errors = {r.last_error for r in rows if r.channel == "telegram"}
    assert tg_errors == {"Telegram answered HTTP 400: Bad Request: chat not found for bot***"}
    assert {r.last_error for r in rows if r.channel == "indexnow"} == {"IndexNow answered HTTP 503: down"}
    assert TOKEN not in caplog.text
    assert "gave up after 2 attempt(s)" in caplog.text and "not retried" in caplog.text
    site.close()


def test_telegram_retry_after_is_honoured(tmp_path, endpoints):
    _ind, tg = endpoints
    tg.script[:] = [Reply(429, json.dumps({"ok": False, "error_code": 429, "description": "Too Many Requests",
                                           "parameters": {"retry_after": 30}}))]
    site = open_site(tmp_path, config(None, tg))
    t = {"now": 1000.0}
    service = service_for(site, base_delay=0.01, clock=lambda: t["now"])
    service.run_once()
    waiting = [r for r in service.outbox() if r.status == "pending"]
    assert len(waiting) == 1 and waiting[0].next_attempt == pytest.approx(1030.0)
    t["now"] = 1029.0
    service.deliver_due()
    assert len(tg.requests) == 2
    t["now"] = 1030.0
    service.deliver_due()
    assert len(tg.requests) == 3 and {r.status for r in service.outbox()} == {"sent"}
    site.close()


def test_refuses_without_site_url(tmp_path, endpoints, caplog):
    ind, tg = endpoints
    site = open_site(tmp_path, config(ind, tg, site_url=""))
    service = service_for(site)
    caplog.set_level(logging.ERROR, logger="qalam.distribution")
    assert service.run_once() == (0, 0)
    assert service.run_once() == (0, 0)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "qalam.site_url" in messages[0]  # logged once, names the setting
    assert ind.requests == [] and tg.requests == [] and service.outbox() == []
    site.close()


def test_refuses_telegram_without_token_but_indexnow_goes_on(tmp_path, endpoints, caplog):
    ind, tg = endpoints
    site = open_site(tmp_path, config(ind, tg))
    service = service_for(site, environ={})
    caplog.set_level(logging.ERROR, logger="qalam.distribution")
    service.run_once()
    service.run_once()
    assert [r.getMessage() for r in caplog.records if "QALAM_TELEGRAM_TOKEN" in r.getMessage()] != []
    assert len([r for r in caplog.records if "QALAM_TELEGRAM_TOKEN" in r.getMessage()]) == 1
    assert tg.requests == [] and len(ind.requests) == 3
    assert {r.channel for r in service.outbox()} == {"indexnow"}
    # A token that is not a bot token (it would be put in a URL) is refused too.
    bad = service_for(site, environ={"QALAM_TELEGRAM_TOKEN": "../../evil?x=1"})
    bad.run_once()
    assert tg.requests == []
    site.close()


def test_scheduled_page_is_posted_when_its_time_comes(tmp_path, endpoints):
    ind, tg = endpoints
    clock = Clock()
    site = open_site(tmp_path, config(None, tg), clock=clock)
    service = service_for(site, check_seconds=0.05)
    service.run_once()
    assert len(tg.requests) == 2
    service.start()
    try:
        time.sleep(0.2)
        assert len(tg.requests) == 2  # 17:30 has not come yet
        clock.now = NOW + timedelta(minutes=31)  # no file changed: the clock alone publishes it
        assert wait_for(lambda: len(tg.requests) == 3)
    finally:
        service.stop()
    text = tg.requests[-1].json()["text"]
    assert text.startswith("<b>Кейінге қалған</b>") and text.endswith(f"{SITE_URL}/kk/news/scheduled")
    site.close()


def test_worker_posts_a_new_article_after_a_refresh(tmp_path, endpoints):
    ind, tg = endpoints
    site = open_site(tmp_path, config(None, tg))
    service = service_for(site, check_seconds=3600)  # only the refresh can make it look
    service.start()
    try:
        assert wait_for(lambda: len(tg.requests) == 2)
        (site.pages_dir / "01.news" / "breaking").mkdir()
        (site.pages_dir / "01.news" / "breaking" / "item.kk.md").write_text(
            "---\ntitle: 'Шұғыл хабар'\ndate: '23-11-2026 16:55'\n---\nЖедел.\n", encoding="utf-8"
        )
        site.refresh()
        assert wait_for(lambda: len(tg.requests) == 3, timeout=3)
    finally:
        service.stop()
    assert tg.requests[-1].json()["text"].startswith("<b>Шұғыл хабар</b>")
    site.close()


def test_post_cut_off_mid_request_is_not_sent_twice(tmp_path, endpoints):
    ind, tg = endpoints
    site = open_site(tmp_path, config(ind, tg))
    service = service_for(site)
    service.scan()
    db = sqlite3.connect(site.state_dir / "distribution.sqlite3")
    # As if the process died while sending these two (claimed long ago, never finished).
    db.execute("UPDATE outbox SET status = 'sending', claimed_at = 1 WHERE page_key IN "
               "('01.news/fresh', 'kk:01.news/fresh')")
    db.commit()
    db.close()
    service.deliver_due()
    rows = {(r.channel, r.page_key): r for r in service.outbox()}
    assert rows[("telegram", "01.news/fresh")].status == "failed"
    assert "duplicate" in rows[("telegram", "01.news/fresh")].last_error
    assert rows[("indexnow", "kk:01.news/fresh")].status == "sent"  # a notice is harmless to repeat
    assert not any("/kk/news/fresh" in r.json()["text"] for r in tg.requests)
    site.close()


def test_key_file_is_served(tmp_path, endpoints, client_for):
    ind, _tg = endpoints
    site = open_site(tmp_path, config(ind, None))
    client = client_for(site)
    response = client.get(f"/{KEY}.txt")
    assert response.status_code == 200 and response.content.decode() == KEY
    assert response["Content-Type"].startswith("text/plain")
    # Any other name falls through to the pages (here: the language-prefix redirect, then a 404).
    other = client.get("/otherkey999.txt")
    assert other.status_code == 302 and other["Location"] == "/kk/otherkey999.txt"
    assert client.get("/kk/otherkey999.txt").status_code == 404
    site.close()


def test_key_file_not_served_when_disabled(tmp_path, client_for):
    site = open_site(tmp_path, f"distribution:\n  indexnow: {{enabled: false, key: {KEY}}}\n")
    response = client_for(site).get(f"/{KEY}.txt")
    assert response.status_code == 302 and response["Location"] == f"/kk/{KEY}.txt"  # the pages' answer
    site.close()


def test_registry_start_and_stop(tmp_path):
    site = open_site(tmp_path, None)
    service = distribution.start(site)
    assert distribution.for_site(site) is service and service.running
    distribution.stop(site)
    assert not service.running
    site.close()
