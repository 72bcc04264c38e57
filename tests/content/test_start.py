"""Starting a site quickly: the kept folder walk, parsed dates and headers kept in the page
index, and the garbage collector paused and frozen while long-lived objects are built
(content/snapshot.py, content/index.py, content/bulk.py)."""

from __future__ import annotations

import gc
import json
import time
import weakref

import pytest

from qalam.content import bulk, site as site_module, snapshot
from qalam.content.site import Site
from tests.conftest import NOW, write_site

FILES = {
    "config/system.yaml": "timezone: Asia/Almaty\n",
    "pages/01.home/default.md": "---\ntitle: Home\n---\nhome\n",
    "pages/02.news/blog.md": "---\ntitle: News\ncontent:\n  items: '@self.children'\n---\n",
    "pages/02.news/a/item.md": "---\ntitle: A\ndate: '31-12-2025 17:23'\n---\nfirst\n",
    "pages/02.news/b/item.md": "---\ntitle: B\ndate: 2026-01-02 09:00\ntaxonomy: tag\n---\nsecond\n",
    "pages/02.news/b/photo.jpg": b"\xff\xd8\xff\xe0 not really",
}


def open_site(tmp_path, **kwargs) -> Site:
    return Site(tmp_path / "user", state_dir=tmp_path / "state", clock=lambda: NOW, **kwargs)


@pytest.fixture
def root(tmp_path):
    return write_site(tmp_path / "user", FILES)


def no_walk(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the folders were walked")

    monkeypatch.setattr(site_module, "scan_pages", refuse)


def test_a_start_from_the_kept_walk_does_not_walk_and_serves_the_same(root, tmp_path, monkeypatch):
    first = open_site(tmp_path)
    pages = {p.route: (p.title, p.date) for p in first.tree().iter_pages()}
    media = dict(first.scan.nodes["02.news/b"].media)
    first.close()
    assert (tmp_path / "state" / snapshot.NAME).is_file()

    no_walk(monkeypatch)
    again = open_site(tmp_path, from_snapshot=True)
    assert again.unchecked
    assert {p.route: (p.title, p.date) for p in again.tree().iter_pages()} == pages
    assert again.scan.nodes["02.news/b"].media == media
    assert [c.rel for c in again.scan.root.children] == ["01.home", "02.news"]
    assert again.resolve("/news/b").page.title == "B"
    again.close()


def test_what_changed_while_no_server_ran_shows_after_the_check(root, tmp_path):
    open_site(tmp_path).close()
    # edited, added and removed while nothing ran: the index does not know yet
    (root / "pages/02.news/a/item.md").write_text("---\ntitle: A, edited\n---\nfirst\n")
    (root / "pages/02.news/c").mkdir()
    (root / "pages/02.news/c/item.md").write_text("---\ntitle: C\n---\nthird\n")
    (root / "pages/02.news/b/item.md").unlink()
    site = open_site(tmp_path, from_snapshot=True)
    assert site.unchecked and site.resolve("/news/a").page.title == "A"  # the kept walk, for now
    report = site.refresh()  # what the server does in the background (serve/serving.py)
    assert report.changed and not site.unchecked
    assert site.resolve("/news/a").page.title == "A, edited"
    assert site.resolve("/news/c").page.title == "C"
    assert site.resolve("/news/b").kind == "not_found"
    site.close()
    # and the walk that found it is kept for the next start
    site = open_site(tmp_path, from_snapshot=True)
    assert site.unchecked and site.resolve("/news/c").page.title == "C"
    site.close()


def test_the_kept_walk_is_not_used_once_the_index_changed(root, tmp_path, monkeypatch):
    open_site(tmp_path).close()
    other = open_site(tmp_path)  # another process syncs a change without keeping its walk
    other.tree()  # (a watcher's refresh of known files patches the trees in place)
    (root / "pages/02.news/a/item.md").write_text("---\ntitle: A2\n---\nx\n")
    other.refresh_changed([root / "pages/02.news/a/item.md"])
    other.close()
    site = open_site(tmp_path, from_snapshot=True)
    assert not site.unchecked  # walked: the kept walk belongs to an older index generation
    assert site.resolve("/news/a").page.title == "A2"
    site.close()


@pytest.mark.parametrize("spoil", ["garbage", "other-format", "other-settings", "rebuilt-index"])
def test_a_kept_walk_that_may_not_match_is_ignored(root, tmp_path, spoil):
    open_site(tmp_path).close()
    path = tmp_path / "state" / snapshot.NAME
    if spoil == "garbage":
        path.write_text("{not json")
    elif spoil == "other-format":
        head, body = path.read_text().split("\n", 1)
        data = json.loads(head)
        data["format"] = 999
        path.write_text(json.dumps(data) + "\n" + body)
    elif spoil == "other-settings":
        (root / "config/system.yaml").write_text("timezone: Asia/Almaty\npages:\n  ignore_files: [notes.txt]\n")
    else:
        (tmp_path / "state" / "index.sqlite3").unlink()  # a new index counts from 1 again
    site = open_site(tmp_path, from_snapshot=True)
    assert not site.unchecked
    assert site.resolve("/news/b").page.title == "B"
    site.close()


def test_server_checks_the_folders_in_the_background(root, tmp_path):
    from qalam.serve.serving import Services

    open_site(tmp_path).close()
    (root / "pages/02.news/a/item.md").write_text("---\ntitle: Checked\n---\nx\n")
    site = open_site(tmp_path, from_snapshot=True)
    services = Services(site, watch=False, check_delay=0.0, leader_retry=60)
    services.start()
    try:
        deadline = time.monotonic() + 10
        while site.unchecked and time.monotonic() < deadline:
            time.sleep(0.02)
        assert site.resolve("/news/a").page.title == "Checked"
    finally:
        services.stop()
        site.close()


def test_header_dates_are_parsed_once_per_site_not_once_per_start(root, tmp_path, monkeypatch):
    first = open_site(tmp_path)
    a = first.resolve("/news/a").page
    assert (a.date.year, a.date.month, a.date.day, a.date.hour, a.date.minute) == (2025, 12, 31, 17, 23)
    assert str(a.date.tzinfo) == "Asia/Almaty"
    first.close()

    calls = []
    real = site_module.parse_grav_date
    monkeypatch.setattr(site_module, "parse_grav_date", lambda *a, **k: calls.append(a) or real(*a, **k))
    again = open_site(tmp_path)
    b = again.resolve("/news/a").page
    assert b.date == a.date and b.date.tzinfo is again.tz and b.date.utcoffset() == a.date.utcoffset()
    assert calls == []
    again.close()


def test_kept_dates_follow_the_time_zone(root, tmp_path):
    first = open_site(tmp_path)
    almaty = first.resolve("/news/a").page.date
    first.close()
    (root / "config/system.yaml").write_text("timezone: Europe/Moscow\n")
    again = open_site(tmp_path)
    moscow = again.resolve("/news/a").page.date
    assert (moscow.hour, str(moscow.tzinfo)) == (17, "Europe/Moscow") and moscow != almaty
    again.close()


def test_a_wall_time_that_does_not_exist_is_not_kept():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert site_module._keepable(datetime(2026, 7, 1, 12, 0, tzinfo=berlin), berlin)
    assert not site_module._keepable(datetime(2026, 3, 29, 2, 30, tzinfo=berlin), berlin)  # clocks jump 2 -> 3
    assert not site_module._keepable(datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("UTC")), berlin)


def test_header_shapes_are_checked_when_parsed_and_kept(root, tmp_path, monkeypatch):
    from qalam.content import index as index_module

    site = open_site(tmp_path)
    b = site.resolve("/news/b").page
    assert b.taxonomy == {} and b.header_problems and b.header_problems[0][0] == "taxonomy"
    site.close()
    real = index_module.conform_header
    monkeypatch.setattr(index_module, "conform_header", lambda h: pytest.fail("checked again"))
    monkeypatch.setattr("qalam.content.pages.conform_header", lambda h: real(h) if not h else pytest.fail("again"))
    again = open_site(tmp_path)
    b = again.resolve("/news/b").page
    assert b.taxonomy == {} and b.header_problems[0][0] == "taxonomy" and "taxonomy" not in b.header
    assert again.index.entries["02.news/b/item.md"].header["taxonomy"] == "tag"  # the file's own header
    again.close()


def test_a_frozen_content_version_is_collected_once_it_is_dropped(root, tmp_path):
    bulk.keep_long_lived()
    try:
        site = open_site(tmp_path)
        old = weakref.ref(site.resolve("/news/a").page)
        assert gc.get_freeze_count() > 0  # the pages are out of the collector's sight
        (root / "pages/02.news/d").mkdir()
        (root / "pages/02.news/d/item.md").write_text("---\ntitle: D\n---\n")
        site.refresh()  # a new version: the old trees (cycles: parent <-> children) are dropped
        assert site.resolve("/news/d").page.title == "D"  # the next bulk step collected first
        assert old() is None
        site.close()
    finally:
        bulk.keep_long_lived(False)
        gc.unfreeze()


def test_bulk_steps_nest_and_leave_a_paused_collector_paused():
    assert gc.isenabled()
    with bulk.bulk_allocation():
        assert not gc.isenabled()
        with bulk.bulk_allocation():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk.bulk_allocation():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_kept_folders_are_read_when_first_needed(root, tmp_path, monkeypatch):
    open_site(tmp_path).close()
    read = []
    real = snapshot.read
    monkeypatch.setattr(snapshot, "read", lambda *a, **k: read.append(1) or real(*a, **k))
    site = open_site(tmp_path, from_snapshot=True)
    assert site.last_sync.unchanged == 4 and read == []  # `qalam serve`'s supervisor stops here
    assert site.resolve("/news/b").page.title == "B" and read == [1]
    site.close()


def test_a_kept_walk_spoilt_after_its_first_line_means_a_walk_when_needed(root, tmp_path):
    open_site(tmp_path).close()
    path = tmp_path / "state" / snapshot.NAME
    head = path.read_bytes().split(b"\n", 1)[0]
    path.write_bytes(head + b"\n{broken")
    site = open_site(tmp_path, from_snapshot=True)
    assert site.unchecked
    assert site.resolve("/news/b").page.title == "B"  # walked instead
    assert not site.unchecked
    site.close()


def test_the_structure_digest_is_the_same_from_a_walk_and_from_the_kept_walk(root, tmp_path):
    """The page cache's disk layer names its entries by it (serve/hotpath.site_fingerprint): a
    worker that started from the kept walk and one that walked must agree."""
    walked = open_site(tmp_path)
    digest = walked.structure_digest
    walked.close()
    kept = open_site(tmp_path, from_snapshot=True)
    assert kept.structure_digest == digest and kept._scan is None  # from the first line alone
    kept.scan  # the folders read: the same digest computed from them
    kept.refresh()
    assert kept.structure_digest == digest
    (root / "pages/02.news/b/other.jpg").write_bytes(b"\xff\xd8 another")
    kept.refresh()
    assert kept.structure_digest != digest
    kept.close()
