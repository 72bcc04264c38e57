"""The static export (`qalam build`), diffed against a committed golden tree.

The sample site is ``tests/fixtures/export-site`` (kk + ru, a news listing of two pages, tags,
an article with a photo, an author, a ``site.redirects`` entry, a folder without a page); its export with the clock at
NOW and ``--base-url https://example.kz`` is ``tests/fixtures/export-golden``. Text files are
compared exactly, binary files (photos, renditions) by hash.

After an intended change to the output, regenerate the golden tree and review the diff::

    QALAM_UPDATE_GOLDEN=1 .venv/bin/pytest tests/build/test_export.py
    git diff --stat tests/fixtures/export-golden
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from qalam.build.export import MANIFEST, build
from qalam.cli.main import cli
from qalam.content.site import Site

from ..conftest import NOW, REPO

SAMPLE = REPO / "tests" / "fixtures" / "export-site" / "user"
GOLDEN = REPO / "tests" / "fixtures" / "export-golden"
BASE = "https://example.kz"
MTIME = NOW.timestamp() - 86400
TEXT = {".html", ".xml", ".rss", ".atom", ".json", ".txt", ".css", ".svg", ".conf", ""}


@pytest.fixture
def sample(tmp_path):
    """A writable copy of the sample site, its clock at NOW, every file modified at MTIME."""
    root = tmp_path / "site"
    shutil.copytree(SAMPLE, root)
    for path in root.rglob("*"):
        os.utime(path, (MTIME, MTIME))  # sitemaps and feeds show modification times
    site = Site(root, state_dir=tmp_path / "state", clock=lambda: NOW)
    yield site
    site.close()


def tree(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def test_export_matches_the_golden_tree(sample, tmp_path):
    out = tmp_path / "out"
    report = build(sample, out, base_url=BASE)
    if os.environ.get("QALAM_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN, ignore=shutil.ignore_patterns(MANIFEST))
    produced, golden = tree(out), tree(GOLDEN)
    assert sorted(produced) == sorted(golden), "files differ from tests/fixtures/export-golden (see module docstring)"
    for name, path in produced.items():
        if path.suffix in TEXT:
            assert path.read_text(encoding="utf-8") == golden[name].read_text(encoding="utf-8"), name
        else:
            assert _hash(path) == _hash(golden[name]), name
    assert report.errors == []
    # Every internal link of the export leads to a file or a redirect (the Latin edition's
    # author and search pages included).
    assert report.broken == []
    assert (out / "kk-latn/author/aigul-seiitova/index.html").is_file()


def test_several_processes_give_the_same_output(sample, tmp_path):
    one = build(sample, tmp_path / "one", base_url=BASE)
    four = build(sample, tmp_path / "four", base_url=BASE, jobs=4)
    assert four.written == one.written and four.broken == one.broken and four.redirects == one.redirects
    hashes = [{n: _hash(p) for n, p in tree(tmp_path / name).items()} for name in ("one", "four")]
    assert hashes[0] == hashes[1]


def test_workers_hash_and_write_and_skip_unchanged_files(sample, tmp_path):
    """With several processes the workers hash and write the files; a second build finds every
    file as the first one left it and writes nothing."""
    first = build(sample, tmp_path / "out", base_url=BASE, jobs=2, full=True)
    again = build(sample, tmp_path / "out", base_url=BASE, jobs=2, full=True)
    assert first.written and again.written == [] and again.unchanged == first.files == again.files


def test_a_build_keeps_the_search_index_the_server_made(sample, tmp_path, monkeypatch):
    """The search index synced by the server (or `qalam index`) is current for a build with
    --base-url: the build indexes nothing again (it used to re-index every page)."""
    from qalam.search.service import for_site

    service = for_site(sample)
    service.sync(refresh=False)
    upserts = []
    original = service.backend.apply
    monkeypatch.setattr(service.backend, "apply", lambda up, rm: original(upserts.extend(up) or up, rm))
    build(sample, tmp_path / "out", base_url=BASE)
    assert upserts == []


def test_a_file_is_its_canonical_urls_answer(tmp_path):
    """Two URLs can name one file (`/x` and `/x/index.html`): the canonical URL's answer is
    written whichever comes first; without one, the first other URL's, once the crawl is over."""
    from qalam.build.export import OutputTree, canonical_url

    assert [canonical_url(n) for n in ("index.html", "kk/news/index.html", "kk/feed.rss", "a.html")] == \
        ["/", "/kk/news", "/kk/feed.rss", "/a.html"]
    out = OutputTree(tmp_path / "out")
    out.add("x/index.html", b"other", canonical=False)
    out.add("x/index.html", b"canonical")
    out.add("y/index.html", b"first other", canonical=False)
    out.add("y/index.html", b"second other", canonical=False)
    out.finish()
    assert (tmp_path / "out/x/index.html").read_bytes() == b"canonical"
    assert (tmp_path / "out/y/index.html").read_bytes() == b"first other"


def test_the_export_holds_every_kind_of_url(sample, tmp_path):
    out = tmp_path / "out"
    build(sample, out, base_url=BASE)
    for name in [
        "kk/index.html", "ru/index.html", "kk-latn/index.html", "kk/news/index.html", "kk/news/page:2/index.html",
        "kk-latn/news/page:2/index.html", "kk/news/tag:медицина/index.html", "kk/news/clinic/index.html",
        "kk-latn/news/clinic/index.html", "kk/author/aigul-seiitova/index.html", "kk/search/index.html",
        "kk/feed.rss", "kk/feed.atom", "kk/feed.json", "kk/news/feed.rss", "sitemap.xml", "sitemap-kk.xml",
        "robots.txt", "user/pages/02.news/01.clinic/photo.jpg", "_qalam/static/qalam.css", "404.html",
        "_redirects", "nginx-redirects.conf",
    ]:
        assert (out / name).is_file(), name
    assert not (out / "kk/news/page:3/index.html").exists()
    assert any(p.startswith("_qalam/img/") for p in tree(out)), "the photo's renditions"
    assert f"{BASE}/kk/news/clinic" in (out / "sitemap-kk.xml").read_text(encoding="utf-8")
    redirects = (out / "_redirects").read_text(encoding="utf-8").splitlines()
    assert "/old-news /kk/news 302" in redirects and "/ru/old-news /ru/news 302" in redirects
    assert "/kk/archive /kk/archive/year-2025 302" in redirects  # a folder without a page of its own
    assert '"/kk/old-news" "/kk/news";' in (out / "nginx-redirects.conf").read_text(encoding="utf-8")


def test_a_rebuild_rewrites_only_what_changed(sample, tmp_path):
    out = tmp_path / "out"
    first = build(sample, out, base_url=BASE)
    assert first.unchanged == 0 and len(first.written) == first.files
    assert first.full_reason == "no earlier build state in the output folder"
    again = build(sample, out, base_url=BASE)
    assert again.written == [] and again.removed == [] and again.files == first.files
    assert again.rendered == 0 and again.full_reason == ""  # nothing changed: nothing rendered

    school = sample.pages_dir / "02.news/02.school/item.kk.md"
    school.write_text(school.read_text(encoding="utf-8").replace("Мектеп салынды.", "Мектеп ашылды."), encoding="utf-8")
    sample.refresh()
    changed = build(sample, out, base_url=BASE)
    # The article, the listing page and tag page that show its summary — in Kazakh, in the Latin
    # edition and in Russian (which falls back to the Kazakh file) —, the feeds that carry it, and
    # the sitemaps with its new modification time. Nothing else.
    assert changed.written == [
        "kk-latn/news/index.html", "kk-latn/news/school/index.html", "kk-latn/news/tag:білім/index.html",
        "kk/feed-full.rss", "kk/feed.atom", "kk/feed.json", "kk/feed.rss",
        "kk/news/feed.atom", "kk/news/feed.json", "kk/news/feed.rss",
        "kk/news/index.html", "kk/news/school/index.html", "kk/news/tag:білім/index.html",
        "ru/news/index.html", "ru/news/school/index.html", "ru/news/tag:білім/index.html",
        "sitemap-kk-latn.xml", "sitemap-kk.xml", "sitemap.xml",
    ]
    assert changed.removed == [] and changed.files == first.files
    assert changed.full_reason == "" and changed.changed_files == ["02.news/02.school/item.kk.md"]
    assert changed.rendered < first.rendered / 2  # only the URLs that used the changed page
    assert "Мектеп ашылды." in (out / "kk/news/school/index.html").read_text(encoding="utf-8")
    # The incremental result is exactly what a full build gives.
    fresh = tmp_path / "fresh"
    build(sample, fresh, base_url=BASE)
    assert {k: _hash(p) for k, p in tree(out).items()} == {k: _hash(p) for k, p in tree(fresh).items()}

    shutil.rmtree(sample.pages_dir / "03.about")
    sample.refresh()
    removed = build(sample, out, base_url=BASE)
    assert "kk/about/index.html" in removed.removed and not (out / "kk/about").exists()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert "kk/about/index.html" not in manifest and manifest["robots.txt"] == _hash(out / "robots.txt")


@pytest.mark.parametrize("change, reason", [
    ("title", "the header of pages/02.news/02.school/item.kk.md changed"),
    ("new page", "the site's files and folders changed"),
    ("config", "the configuration"),
    ("clock", "a scheduled publish or unpublish time has passed"),
])
def test_what_renders_everything_again(sample, tmp_path, change, reason):
    out = tmp_path / "out"
    first = build(sample, out, base_url=BASE)
    school = sample.pages_dir / "02.news/02.school/item.kk.md"
    if change == "title":
        text = school.read_text(encoding="utf-8")
        title = next(line for line in text.splitlines() if line.startswith("title:"))
        school.write_text(text.replace(title, "title: 'Жаңа тақырып'", 1), encoding="utf-8")
    elif change == "new page":
        (sample.pages_dir / "02.news/09.new").mkdir()
        (sample.pages_dir / "02.news/09.new/item.kk.md").write_text(
            "---\ntitle: Жаңа\ndate: '2026-11-20 10:00'\n---\nМәтін\n", encoding="utf-8")
    elif change == "config":
        site_yaml = sample.user_dir / "config/site.yaml"
        site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace("Qalam Export", "Qalam Export 2"), encoding="utf-8")
    elif change == "clock":
        upcoming = sample.pages_dir / "02.news/08.upcoming"
        upcoming.mkdir()
        (upcoming / "item.kk.md").write_text(
            "---\ntitle: Алда\ndate: '2026-11-20 10:00'\npublish_date: '%s'\n---\nМәтін\n"
            % (NOW + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"), encoding="utf-8")
        sample.refresh()
        build(sample, out, base_url=BASE)  # the scheduled page is not out yet
        sample._clock = lambda: NOW + timedelta(days=2)
    sample.refresh(force_config=change == "config")
    again = build(sample, out, base_url=BASE)
    assert reason in again.full_reason
    assert again.rendered >= first.rendered - 5
    if change == "clock":
        assert (out / "kk/news/upcoming/index.html").is_file()


def test_full_renders_everything(sample, tmp_path):
    out = tmp_path / "out"
    first = build(sample, out, base_url=BASE)
    again = build(sample, out, base_url=BASE, full=True)
    assert again.rendered == first.rendered and again.written == []


def test_a_damaged_manifest_means_a_full_build(sample, tmp_path):
    out = tmp_path / "out"
    first = build(sample, out, base_url=BASE)
    (out / MANIFEST).write_text('{"files": {}, "incremental": {"format": 1, "answers": 3}}', encoding="utf-8")
    again = build(sample, out, base_url=BASE)
    assert again.rendered == first.rendered and again.full_reason == "no earlier build state in the output folder"


def test_the_link_check_reports_a_broken_link(sample, tmp_path):
    market = sample.pages_dir / "02.news/03.market/item.kk.md"
    market.write_text(market.read_text(encoding="utf-8") + "\n[Жоқ бет](/no-such-page) ![](missing.png)\n",
                      encoding="utf-8")
    sample.refresh()
    report = build(sample, tmp_path / "out")
    broken = report.broken
    assert ("kk/news/market/index.html", "/kk/no-such-page") in broken
    assert ("kk-latn/news/market/index.html", "/kk-latn/no-such-page") in broken
    assert ("kk/news/market/index.html", "/news/market/missing.png") in broken
    assert {link for _page, link in broken} == {
        "/kk/no-such-page", "/kk-latn/no-such-page", "/ru/no-such-page", "/news/market/missing.png",
    }


def test_a_redirect_to_nothing_is_a_broken_link(tmp_path):
    from qalam.build.export import check_links

    files = {"kk/index.html": b"", "kk/news/index.html": b""}
    redirects = {"/old": ("/kk/news", 301), "/gone": ("/kk/gone", 302), "/away": ("https://other.kz/x", 302)}
    links = {"kk/index.html": {"/old", "/gone", "/away", "/kk/news", "/kk"}}
    assert check_links(files, links, redirects) == [("kk/index.html", "/gone")]


def test_the_cli_builds_the_site(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    out = tmp_path / "public"
    result = CliRunner().invoke(cli, ["build", str(site), "-o", str(out), "--base-url", BASE],
                                env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.exit_code == 0, result.output
    assert "0 unchanged, 0 removed" in result.output and "0 broken links" in result.output
    assert (out / "kk/news/index.html").is_file() and (out / MANIFEST).is_file()
    result = CliRunner().invoke(cli, ["build", str(site), "-o", str(out), "--base-url", BASE, "--jobs", "2"])
    assert result.exit_code == 0 and "(0 written," in result.output
    result = CliRunner().invoke(cli, ["build", str(site), "-o", str(out), "--base-url", "example.kz"])
    assert result.exit_code == 2 and "is not an http(s) address" in result.output


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_watch_rebuilds_on_a_text_edit_and_on_a_new_page(tmp_path):
    """`qalam build --watch` as a user runs it: an edit made right after the first build (before
    the watcher is ready) is caught up, a text edit is rebuilt, a new page file too; Ctrl+C ends it."""
    import signal
    import subprocess
    import sys
    import threading
    import time

    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    out = tmp_path / "public"
    article = site / "pages/02.news/02.school/item.kk.md"
    page = out / "kk/news/school/index.html"
    proc = subprocess.Popen([sys.executable, "-m", "qalam.cli.main", "build", str(site), "-o", str(out),
                             "--base-url", BASE, "--watch"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True).start()

    def until(check, what: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if check():
                return
            assert proc.poll() is None, "".join(lines)
            time.sleep(0.05)
        raise AssertionError(f"{what}; the command said:\n{''.join(lines)}")

    try:
        until(page.is_file, "the first build")
        # Edited before "watching" is printed: the watcher catches up when it starts.
        article.write_text(article.read_text(encoding="utf-8") + "\n\nЕРТЕ ТҮЗЕТУ\n", encoding="utf-8")
        until(lambda: "ЕРТЕ ТҮЗЕТУ" in page.read_text(encoding="utf-8"), "the early edit")
        until(lambda: any(line.startswith("watching") for line in lines), "watching")
        article.write_text(article.read_text(encoding="utf-8") + "\n\nКЕЙІН ТҮЗЕТУ\n", encoding="utf-8")
        until(lambda: "КЕЙІН ТҮЗЕТУ" in page.read_text(encoding="utf-8"), "the text edit")
        until(lambda: any("1 page file changed" in line for line in lines), "an incremental rebuild")
        new = site / "pages/02.news/04.new/item.kk.md"
        new.parent.mkdir()
        new.write_text("---\ntitle: Жаңа мақала\ndate: '2026-11-01 10:00'\n---\nЖаңа мәтін\n", encoding="utf-8")
        until(lambda: (out / "kk/news/new/index.html").is_file(), "the new page")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0, "".join(lines)
