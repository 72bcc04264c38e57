"""The page writer: layout, idempotence, dry run, atomic writes, sections, languages."""

from __future__ import annotations


import pytest

from qalam.importers.base import ImportSession, ImportSetupError, run_import
from qalam.importers.text import read_text_file

from .helpers import new_site, page_files, read_page, snapshot

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32 + b"\xff\xd9"
ARTICLES = {
    "a.txt": "Бірінші жаңалық\n6 шілде 2020, 21:35\n\nБірінші мақаланың мәтіні.\n\nЕкінші абзац.\n",
    "b.txt": "Екінші жаңалық\n7 шілде 2020, 09:00\n\nЕкінші мақаланың мәтіні.\nphoto.jpg\n",
    "c.txt": "Новость на русском\n8 июля 2020 г., 10:15\n\nТекст русской новости о погоде в столице.\n",
}


def write_inputs(root, files=ARTICLES, images=True):
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    if images:
        (root / "photo.jpg").write_bytes(JPEG)
    return sorted(root.glob("*.txt"))


def run(site, paths, *, base="https://old.example.kz/kk/news", **kw):
    sess = ImportSession(site, **kw)
    return run_import(sess, paths, lambda p, s: read_text_file(p, s, old_url_base=base), name=lambda p: p.name)


def test_layout_languages_and_report(tmp_path):
    site = new_site(tmp_path / "site")
    report = run(site, write_inputs(tmp_path / "in"))
    assert [o.status for o in report.outcomes] == ["imported"] * 3
    rels = sorted(p.relative_to(site).as_posix() for p in page_files(site))
    assert rels == [
        "pages/02.news/2020-07-06-birinsi-janalyq/item.kk.md",
        "pages/02.news/2020-07-07-ekinsi-janalyq/item.kk.md",
        "pages/02.news/2020-07-08-novost-na-russkom/item.ru.md",
    ]
    assert (site / "pages/02.news/2020-07-07-ekinsi-janalyq/photo.jpg").read_bytes() == JPEG
    assert report.outcomes[2].url == "/ru/news/2020-07-08-novost-na-russkom"
    assert report.summary() == "imported 3, skipped 0, failed 0; 0 warning(s); added 3 redirect(s)"
    assert report.lines()[0] == ("imported: a.txt -> pages/02.news/2020-07-06-birinsi-janalyq/item.kk.md  "
                                 "(/kk/news/2020-07-06-birinsi-janalyq)")


def test_second_run_changes_nothing(tmp_path):
    site = new_site(tmp_path / "site")
    paths = write_inputs(tmp_path / "in")
    run(site, paths)
    before = snapshot(site)
    report = run(site, paths)
    assert snapshot(site) == before
    assert [o.status for o in report.outcomes] == ["skipped"] * 3
    assert report.outcomes[0].reason.startswith("already imported (the same source) as pages/02.news/2020-07-06-")
    assert report.exit_code == 0 and report.redirects_added == 0


def test_same_old_url_with_changed_text_is_not_imported_again(tmp_path):
    site = new_site(tmp_path / "site")
    run(site, write_inputs(tmp_path / "in"))
    changed = write_inputs(tmp_path / "in2", {"a.txt": ARTICLES["a.txt"] + "\nҚосылған абзац.\n"}, images=False)
    report = run(site, changed)
    assert report.outcomes[0].status == "skipped"
    assert "same old URL https://old.example.kz/kk/news/a" in report.outcomes[0].reason


def test_duplicates_in_one_run_and_taken_folder_names(tmp_path):
    site = new_site(tmp_path / "site")
    # A hand-made page already has the folder name the import would take.
    taken = site / "pages/02.news/2020-07-06-birinsi-janalyq"
    taken.mkdir(parents=True)
    (taken / "item.kk.md").write_text("---\ntitle: Қолмен жазылған\n---\nМәтін\n", encoding="utf-8")
    files = {"a.txt": ARTICLES["a.txt"], "a-copy.txt": ARTICLES["a.txt"],
             "other.txt": ARTICLES["a.txt"].replace("Бірінші мақаланың", "Басқа мақаланың")}
    report = run(site, write_inputs(tmp_path / "in", files, images=False), base=None)
    by_source = {o.source: o for o in report.outcomes}
    assert by_source["a-copy.txt"].status == "imported"  # sorted first
    assert by_source["a.txt"].status == "skipped" and "a-copy.txt" not in by_source["a.txt"].reason
    assert by_source["a.txt"].reason.startswith("already imported (the same source) as pages/02.news/2020-07-06-birinsi-janalyq-2/")
    assert by_source["other.txt"].page == "pages/02.news/2020-07-06-birinsi-janalyq-3/item.kk.md"
    assert (taken / "item.kk.md").read_text(encoding="utf-8") == "---\ntitle: Қолмен жазылған\n---\nМәтін\n"


def test_dry_run_writes_nothing(tmp_path):
    site = new_site(tmp_path / "site")
    before = snapshot(site)
    report = run(site, write_inputs(tmp_path / "in"), dry_run=True, section="archive")
    assert snapshot(site) == before
    assert report.count("imported") == 3 and report.redirects_added == 3
    assert report.lines()[0].startswith("would import: a.txt -> pages/03.archive/2020-07-06-birinsi-janalyq/")
    assert "would create the section pages/03.archive/ with a listing page blog.md" in report.lines()[-1]
    assert report.summary().endswith("(dry run: nothing written)")


def test_missing_section_is_created_with_a_listing(tmp_path, make_site):
    site = new_site(tmp_path / "site")
    report = run(site, write_inputs(tmp_path / "in"), section="archive")
    assert (site / "pages/03.archive/blog.md").is_file()
    header, _ = read_page(site / "pages/03.archive/blog.md")
    assert header["title"] == "Archive" and header["content"]["items"] == "@self.children"
    assert any("created the section pages/03.archive/" in n for n in report.notes)
    news = site / "pages/02.news"
    assert sorted(p.name for p in news.iterdir()) == ["blog.kk.md"]


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    site = new_site(tmp_path / "site")
    before = snapshot(site)

    def broken_copy(src, dst):
        open(dst, "wb").write(b"half")
        raise OSError(28, "No space left on device")

    import qalam.importers.base as base

    monkeypatch.setattr(base, "copy_image", broken_copy)
    paths = write_inputs(tmp_path / "in", {"b.txt": ARTICLES["b.txt"]})
    report = run(site, paths)
    assert report.exit_code == 1
    assert "could not write pages/02.news/2020-07-07-ekinsi-janalyq/item.kk.md: No space left on device" in \
        report.outcomes[0].reason
    assert snapshot(site) == before  # no page, no temporary folder, no redirect
    assert not any(p.name.startswith(".qalam-import-") for p in (site / "pages/02.news").iterdir())


def test_interrupted_run_gets_its_redirects_on_the_next_run(tmp_path):
    site = new_site(tmp_path / "site")
    paths = write_inputs(tmp_path / "in")
    site_yaml = (site / "config/site.yaml").read_text(encoding="utf-8")
    run(site, paths)
    # As if the run had stopped after the pages and before config/site.yaml was written:
    (site / "config/site.yaml").write_text(site_yaml, encoding="utf-8")
    report = run(site, paths)
    assert report.count("skipped") == 3 and report.redirects_added == 3
    text = (site / "config/site.yaml").read_text(encoding="utf-8")
    assert "/news/a: /news/2020-07-06-birinsi-janalyq[301]" in text
    assert "/news/c: /ru/news/2020-07-08-novost-na-russkom[301]" in text


def test_single_language_site_writes_plain_md(tmp_path):
    site = new_site(tmp_path / "site", {"config/system.yaml": "timezone: Asia/Almaty\n"})
    run(site, write_inputs(tmp_path / "in"))
    names = sorted(p.name for p in page_files(site))
    assert names == ["item.md", "item.md", "item.md"]


def test_language_the_site_does_not_serve(tmp_path):
    site = new_site(tmp_path / "site", {"config/system.yaml": "languages:\n  supported: [kk, en]\n"})
    report = run(site, write_inputs(tmp_path / "in"))
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert [o.source for o in failed] == ["c.txt"]
    assert "the article is in 'ru', which this site does not serve (kk, en)" in failed[0].reason
    assert report.exit_code == 1
    with pytest.raises(ImportSetupError, match="--lang ru: this site serves kk, en"):
        ImportSession(site, lang="ru")


def test_forced_language(tmp_path):
    site = new_site(tmp_path / "site")
    run(site, write_inputs(tmp_path / "in", {"c.txt": ARTICLES["c.txt"]}, images=False), lang="en")
    assert [p.name for p in page_files(site)] == ["item.en.md"]


def test_unknown_site_and_time_zone_are_setup_errors(tmp_path):
    with pytest.raises(ImportSetupError, match="no such folder"):
        ImportSession(tmp_path / "nowhere")
    site = new_site(tmp_path / "site")
    with pytest.raises(ImportSetupError, match="unknown time zone 'Mars/Olympus'"):
        ImportSession(site, source_tz="Mars/Olympus")


def test_an_unexpected_error_in_one_file_does_not_stop_the_others(tmp_path, monkeypatch):
    import qalam.importers.text as text_mod

    site = new_site(tmp_path / "site")
    real = text_mod.parse_article_text

    def flaky(text, **kw):
        if "Екінші жаңалық" in text:
            raise RuntimeError("boom")
        return real(text, **kw)

    monkeypatch.setattr(text_mod, "parse_article_text", flaky)
    report = run(site, write_inputs(tmp_path / "in"))
    assert [o.status for o in report.outcomes] == ["imported", "failed", "imported"]
    assert report.outcomes[1].reason == "b.txt: could not be read (RuntimeError: boom); nothing was written for it"
    assert report.redirects_added == 2 and len(page_files(site)) == 2
