"""Several serving workers (serve/serving.py): the page cache's disk layer, the leader lock, and
`qalam serve --workers 2` as real processes."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import DEMO

from ..cli.test_serve import free_port, get, wait_until
from .test_hotpath import FILES, Clock, Counting, call

ARTICLE = "/kk/news/old"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


# --- the disk layer of the page cache ------------------------------------------------------------------
@pytest.fixture
def disk_served(tmp_path):
    """(site, clock, make_app): make_app(**kwargs) -> (PageCacheASGI with a disk layer, Counting)."""
    from qalam.content.site import Site
    from qalam.serve.hotpath import PageCacheASGI
    from qalam.web.app import get_asgi_application
    from tests.conftest import NOW, write_site

    clock = Clock(NOW)
    site = Site(write_site(tmp_path / "site", FILES), state_dir=tmp_path / "state", clock=clock)
    disk = tmp_path / "state" / "pagecache"

    def make_app(**kwargs):
        django = Counting(get_asgi_application(site))
        return PageCacheASGI(django, site, disk_dir=kwargs.pop("disk_dir", disk), **kwargs), django

    yield site, clock, make_app
    site.close()


def get_page(app, path=ARTICLE, **kwargs):
    return call(app, path, **kwargs)


def test_an_entry_survives_a_new_cache_instance(disk_served):
    site, _clock, make_app = disk_served
    first, django1 = make_app()
    r1 = get_page(first)
    assert r1.status == 200 and r1.headers.get("x-cache") == "MISS" and len(django1.calls) == 1
    assert len(list((site.state_dir / "pagecache").iterdir())) == 1

    # Another worker, or the server after a restart: answered from disk, Django not asked.
    second, django2 = make_app()
    r2 = get_page(second)
    assert r2.status == 200 and r2.headers.get("x-cache") == "HIT" and django2.calls == []
    assert r2.body == r1.body and second.disk_hits == 1
    assert r2.headers.get("etag") == r1.headers.get("etag") and r2.headers.get("x-qalam-valid-until") is None
    # Now from its memory; conditional and HEAD requests work on a disk entry too.
    assert get_page(second).headers.get("x-cache") == "HIT" and second.disk_hits == 1
    assert get_page(second, headers=[("if-none-match", r1.headers["etag"])]).status == 304
    third, django3 = make_app()
    head = get_page(third, method="HEAD")
    assert head.status == 200 and head.body == b"" and head.headers.get("content-length") == str(len(r1.body))
    assert django3.calls == []


def test_a_disk_entry_of_other_content_is_not_served(disk_served):
    site, _clock, make_app = disk_served
    first, _ = make_app()
    assert "Ескі хабар" in get_page(first).body.decode()
    page = site.pages_dir / "02.news" / "01.old" / "item.kk.md"
    page.write_text(page.read_text(encoding="utf-8").replace("Ескі хабар", "Жаңа тақырып"), encoding="utf-8")
    os.utime(page, ns=(time.time_ns() + 10**9,) * 2)  # a new mtime even on a coarse clock
    site.refresh()

    second, django = make_app()
    r = get_page(second)
    assert r.headers.get("x-cache") == "MISS" and len(django.calls) == 1 and "Жаңа тақырып" in r.body.decode()
    # The old content's file was deleted when the fingerprint changed; the new one is there.
    files = list((site.state_dir / "pagecache").iterdir())
    assert len(files) == 1 and files[0].name.startswith(second.fingerprint(site.version) + "-")


def test_a_disk_entry_is_not_served_past_its_valid_until(disk_served):
    _site, clock, make_app = disk_served
    first, _ = make_app(ttl=60)
    assert get_page(first).headers.get("x-cache") == "MISS"
    clock.now += timedelta(seconds=59)
    second, django = make_app(ttl=60)
    assert get_page(second).headers.get("x-cache") == "HIT" and django.calls == []
    clock.now += timedelta(seconds=2)  # 61 s after the render
    third, django = make_app(ttl=60)
    assert get_page(third).headers.get("x-cache") == "MISS" and len(django.calls) == 1


def test_scheduled_publication_bounds_a_disk_entry(disk_served):
    """The news listing changes when 'later' is published (24-11-2026 09:00): its disk entry
    must not be served from that moment, whatever the ttl."""
    _site, clock, make_app = disk_served
    first, _ = make_app(ttl=10**9)
    assert "Кейінгі хабар" not in get_page(first, path="/kk/news").body.decode()
    clock.now = clock.now.replace(day=24, hour=9, minute=0, second=1)
    second, django = make_app(ttl=10**9)
    r = get_page(second, path="/kk/news")
    assert r.headers.get("x-cache") == "MISS" and "Кейінгі хабар" in r.body.decode()


def test_the_disk_layer_is_bounded(disk_served, tmp_path):
    from qalam.serve.hotpath import DiskCache

    site, _clock, make_app = disk_served
    app, _ = make_app()
    r = get_page(app)
    one = next((site.state_dir / "pagecache").iterdir()).stat().st_size
    assert one > len(r.body)

    # Room for about three entries: after more pages, the folder stays under the bound,
    # the oldest files having gone first.
    bound = one * 3 + one // 2
    site.config.data["qalam"]["hosts"] = [f"h{i}.example" for i in range(6)]
    small, _ = make_app(disk_dir=tmp_path / "small", disk_max_bytes=bound)
    paths = ["/kk/news/old", "/kk/news/going", "/kk/news", "/kk", "/kk/news/old", "/kk/news/going"]
    for i, path in enumerate(paths):
        get_page(small, path=path, headers=[("host", f"h{i}.example")])
        time.sleep(0.01)  # distinct modification times
        sizes = [p.stat().st_size for p in (tmp_path / "small").iterdir()]
        assert sum(sizes) <= bound
    assert 1 <= len(list((tmp_path / "small").iterdir())) < len(paths)
    # The newest entry is kept, the oldest one is gone.
    fp = small.fingerprint(site.version)
    assert (tmp_path / "small" / DiskCache(tmp_path / "small").path(
        ("http", "h5.example", "/kk/news/going"), fp).name).exists()
    assert not DiskCache(tmp_path / "small").path(("http", "h0.example", "/kk/news/old"), fp).exists()


def test_a_torn_or_foreign_file_is_not_served(disk_served):
    site, _clock, make_app = disk_served
    first, _ = make_app()
    body = get_page(first).body
    path = next((site.state_dir / "pagecache").iterdir())
    path.write_bytes(path.read_bytes()[:-100])  # cut short
    second, django = make_app()
    r = get_page(second)
    assert r.headers.get("x-cache") == "MISS" and r.body == body and len(django.calls) == 1


# --- the leader lock ----------------------------------------------------------------------------------------
def test_only_one_holds_the_leader_lock(tmp_path):
    from qalam.content.files import LeaderLock

    first, second = LeaderLock(tmp_path / "leader.lock"), LeaderLock(tmp_path / "leader.lock")
    assert first.acquire() and first.held
    assert not second.acquire() and not second.held
    assert first.acquire()  # holding it already
    first.release()
    assert second.acquire() and not first.acquire()
    second.release()


def test_the_leader_lock_is_freed_when_its_process_dies(tmp_path):
    from qalam.content.files import LeaderLock

    path = tmp_path / "leader.lock"
    code = (f"from qalam.content.files import LeaderLock; import sys, time; l = LeaderLock({str(path)!r}); "
            "print(l.acquire(), flush=True); time.sleep(30)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "True"
        lock = LeaderLock(path)
        assert not lock.acquire()
        child.kill()
        child.wait()
        assert lock.acquire()
        lock.release()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_one_process_leads_and_the_other_takes_over(tmp_path):
    """Two processes' services on one site: only one starts distribution and outlets; when it
    stops, the other becomes the leader."""
    from qalam.content.site import Site
    from qalam.news import distribution
    from qalam.serve.serving import Services
    from tests.conftest import write_site

    root = write_site(tmp_path / "site", FILES)
    one, two = Site(root, state_dir=tmp_path / "state"), Site(root, state_dir=tmp_path / "state")
    a = Services(one, watch=False, warm_delay=3600, leader_retry=0.05)
    b = Services(two, watch=False, warm_delay=3600, leader_retry=0.05)
    try:
        a.start()
        wait_until(lambda: a.leader, timeout=5)
        b.start()
        time.sleep(0.3)
        assert not b.leader and distribution.for_site(one).running
        assert two not in distribution._services or not distribution.for_site(two).running
        a.stop()
        assert not a.leader and not distribution.for_site(one).running
        wait_until(lambda: b.leader, timeout=5)
        assert distribution.for_site(two).running
    finally:
        a.stop()
        b.stop()
        one.close()
        two.close()


# --- `qalam serve --workers 2` -------------------------------------------------------------------------------
def _workers(pid: int) -> list[int]:
    """PIDs of the worker processes under ``pid`` (not multiprocessing's resource tracker)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"resource_tracker" not in cmdline:
            out.append(int(entry.name))
    return sorted(out)


def _has_granian() -> bool:
    import importlib.util

    return importlib.util.find_spec("granian") is not None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("server", [
    "uvicorn",
    pytest.param("granian", marks=pytest.mark.skipif(not _has_granian(), reason="pip install 'qalam[granian]'")),
])
def test_serve_with_two_workers(tmp_path, server):
    site = tmp_path / "demo"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns(".qalam"))
    (site / "config" / "qalam.yaml").write_text("counter:\n  flush_seconds: 3600\n", encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "qalam.cli.main", "serve", str(site), "--port", str(port),
                             "--workers", "2", "--server", server, "--no-watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    article = "/kk/news/2022-07-20-experts-visit"
    try:
        wait_until(lambda: get(base + article)[0] == 200, timeout=20, step=0.05)
        workers = wait_until(lambda: len(_workers(proc.pid)) == 2 and _workers(proc.pid), timeout=5)
        assert len(set(workers)) == 2
        # Many requests, each on its own connection, so both workers take some.
        for _ in range(40):
            status, html = get(base + article)
            assert status == 200 and "Сарапшының сапары" in html
        n = 30
        for _ in range(n):
            req = urllib.request.Request(base + "/_qalam/view", data=article.encode(),
                                         headers={"User-Agent": BROWSER, "Content-Type": "text/plain"})
            with urllib.request.urlopen(req, timeout=5) as resp:
                assert resp.status == 204
        # The disk layer holds the page, written by whichever worker rendered it.
        assert any((site / ".qalam" / "pagecache").iterdir())
        # One leader among the workers.
        leader = wait_until(lambda: (site / ".qalam" / "leader.lock").read_text().strip(), timeout=5)
        assert int(leader) in workers
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
        assert time.monotonic() - t0 < 5, "a clean stop takes a few seconds at most"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in out, out
    for pid in workers:  # no worker left behind
        assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    # Every view written at the stop (flush interval of an hour), none lost or counted twice.
    with sqlite3.connect(site / ".qalam" / "state.sqlite3") as conn:
        rows = conn.execute("SELECT key, n FROM counter_totals").fetchall()
    assert rows == [("kk:02.news/01.2022-07-20-experts-visit", n)]


@pytest.mark.skipif(_has_granian(), reason="granian is installed")
def test_serve_with_granian_says_how_to_install_it(tmp_path):
    from click.testing import CliRunner

    from qalam.cli.main import cli

    result = CliRunner().invoke(cli, ["serve", str(tmp_path), "--server", "granian"])
    assert result.exit_code == 2 and "pip install 'qalam[granian]'" in result.output


# --- state the workers share ---------------------------------------------------------------------------------
def test_views_of_two_processes_add_up_and_most_read_follows_both(tmp_path):
    """Two counters on one state folder stand for two workers: each flushes its own views."""
    from qalam.content.site import Site
    from qalam.news import counter as counter_module
    from qalam.news.counter import ViewCounter
    from tests.conftest import write_site

    root = write_site(tmp_path / "site", FILES)
    one, two = Site(root, state_dir=tmp_path / "state"), Site(root, state_dir=tmp_path / "state")
    a, b = ViewCounter(one), ViewCounter(two)
    key = "kk:02.news/01.old"
    try:
        assert b.most_read("kk") == []
        a.hit(key, 3)
        b.hit(key, 2)
        assert a.count(key) == 3 and b.count(key) == 2  # each sees its own unwritten views
        a.flush()
        # The other process's flush is seen within DATA_VERSION_SECONDS (a build or a busy
        # server does not ask SQLite again for every page).
        time.sleep(counter_module.DATA_VERSION_SECONDS)
        assert b.most_read("kk") == [(key, 3)]
        assert b.count(key) == 5
        b.flush()
        assert b.count(key) == 5 and b.most_read("kk") == [(key, 5)]  # its own flush: at once
        time.sleep(counter_module.DATA_VERSION_SECONDS)
        assert a.count(key) == 5 and a.most_read("kk") == [(key, 5)]
    finally:
        a.close()
        b.close()
        one.close()
        two.close()


def test_a_worker_shows_the_outlet_items_the_leader_fetched(tmp_path):
    from qalam.news.outlets import OutletsService
    from tests.fake_http import FakeServer, Reply

    from tests.news.test_outlets import GOOD_RSS, RSS_TYPE, outlet_site

    server = FakeServer({"/rss": Reply(200, GOOD_RSS, RSS_TYPE)})
    feeds = [{"name": "Kaz", "url": server.url + "/rss", "lang": "kk"}]
    leader_site, worker_site = outlet_site(tmp_path, feeds), outlet_site(tmp_path, feeds)
    leader, worker = OutletsService(leader_site), OutletsService(worker_site)
    try:
        assert worker.latest("kk") == []  # nothing fetched yet
        assert leader.refresh()[server.url + "/rss"] == "ok: 3 items"
        assert len(server.requests) == 1
        assert worker.latest("kk") == leader.latest("kk") and len(worker.latest("kk")) == 3
        assert len(server.requests) == 1  # the worker fetched nothing itself
    finally:
        leader.close()
        worker.close()
        leader_site.close()
        worker_site.close()
        server.close()
