"""In-place updates of the page trees (a new article folder, a changed header) give exactly what a
full rebuild gives; anything unusual falls back to the rebuild."""

from __future__ import annotations

import pytest

from qalam.content.site import Site

from ..conftest import NOW
from ..newsroom.conftest import NEWS_SITE


def shape(site: Site) -> dict:
    """Everything a reader's request depends on in the trees: routes, order, headers, flags."""
    out = {}
    for lang in site.language_codes:
        tree = site.tree(lang)
        out[lang] = {
            "routes": {k: (v.page.node.rel, v.is_main) for k, v in tree.routes.items()},
            "children": {rel: [c.node.rel for c in p.children] for rel, p in tree.pages.items()},
            "pages": {rel: (p.route, p.title, p.published(NOW), p.date, dict(p.header), p.parent.node.rel if p.parent else None)
                      for rel, p in tree.pages.items()},
            "home": tree.home.node.rel if tree.home else None,
        }
    return out


def fresh(site: Site, tmp_path) -> Site:
    return Site(site.user_dir, state_dir=tmp_path / "fresh-state", clock=lambda: NOW)


@pytest.mark.parametrize("folder, route", [("02.news/new-story", "/kk/news/new-story"), ("02.news/00.first", "/kk/news/first"),
                                           ("02.news/zz-last", "/kk/news/zz-last"), ("04.section", "/kk/section")])
def test_adding_a_folder_in_place_equals_a_rebuild(make_site, tmp_path, folder, route):
    site = make_site(NEWS_SITE)
    site.tree("kk"), site.tree("ru")
    version = site.version
    path = site.pages_dir / folder
    path.mkdir()
    (path / "item.kk.md").write_text("---\ntitle: Жаңа\ndate: '05-11-2026 10:00'\n---\nМәтін\n", encoding="utf-8")
    trees_before = dict(site._trees)
    site.add_page_folder(path)
    assert site.version == version + 1
    assert site._trees == trees_before  # the same tree objects: patched, not rebuilt
    assert shape(site) == shape(fresh(site, tmp_path))
    assert site.resolve(route).kind == "page"


def test_a_folder_with_subfolders_falls_back_to_a_refresh(make_site, tmp_path):
    site = make_site(NEWS_SITE)
    site.tree("kk")
    path = site.pages_dir / "02.news" / "bundle"
    (path / "child").mkdir(parents=True)
    (path / "item.kk.md").write_text("---\ntitle: A\n---\n", encoding="utf-8")
    (path / "child" / "item.kk.md").write_text("---\ntitle: B\n---\n", encoding="utf-8")
    site.add_page_folder(path)
    assert shape(site) == shape(fresh(site, tmp_path))
    assert site.resolve("/kk/news/bundle/child").kind == "page"


@pytest.mark.parametrize("new_header, patched", [
    ("title: Жаңартылған\ndate: '03-11-2026 10:00'\npublished: false\n", True),   # routes stay
    ("title: Басқа\nslug: baska-slug\n", False),                               # the route moves
    ("title: Бүркеншік\nroutes:\n  aliases: ['/old-story-alias']\n", False),   # a new alias
])
def test_a_changed_header_in_place_equals_a_rebuild(make_site, tmp_path, new_header, patched):
    site = make_site(NEWS_SITE)
    site.tree("kk"), site.tree("ru")
    trees = dict(site._trees)
    path = site.pages_dir / "02.news" / "old-story" / "item.kk.md"
    path.write_text(f"---\n{new_header}---\nЖаңа мәтін\n", encoding="utf-8")
    site.refresh_changed([path])
    assert (site._trees == trees) is patched
    assert shape(site) == shape(fresh(site, tmp_path))


def test_already_current(make_site):
    site = make_site(NEWS_SITE)
    site.tree("kk")
    page = site.pages_dir / "02.news" / "old-story" / "item.kk.md"
    assert site.already_current([page, page.parent, site.pages_dir / "02.news" / ".item.kk.md.x.tmp"])
    page.write_text("---\ntitle: Өзгерді\n---\nбасқа ұзындықтағы мәтін\n", encoding="utf-8")
    assert not site.already_current([page])  # changed on disk, not yet read
    site.refresh_changed([page])
    assert site.already_current([page])
    assert not site.already_current([site.pages_dir / "02.news" / "unknown.md"])
    assert not site.already_current([site.user_dir / "config" / "site.yaml"])


def test_the_watchers_refresh_takes_the_short_ways_and_falls_back(make_site, tmp_path, monkeypatch):
    import qalam.content.site as site_module

    site = make_site(NEWS_SITE)
    site.tree("kk"), site.tree("ru")
    folder = site.pages_dir / "02.news" / "from-another-worker"
    folder.mkdir()
    page = folder / "item.kk.md"
    page.write_text("---\ntitle: Басқа процесс\ndate: '06-11-2026 10:00'\n---\nМәтін\n", encoding="utf-8")
    walks = []
    real = site_module.scan_pages
    monkeypatch.setattr(site_module, "scan_pages", lambda path, **kw: walks.append(str(path)) or real(path, **kw))
    site.refresh_paths([folder, page, folder.parent, folder / ".item.kk.md.tmp"])
    assert walks == [str(folder)]  # only the new folder was scanned
    assert site.resolve("/kk/news/from-another-worker").kind == "page"
    assert shape(site) == shape(fresh(site, tmp_path))
    # A deleted page: the full refresh.
    page.unlink()
    folder.rmdir()
    site.refresh_paths([page, folder])
    assert walks[-1] == str(site.pages_dir)
    assert site.resolve("/kk/news/from-another-worker").kind == "not_found"


def test_adding_an_image_in_place_equals_a_refresh(make_site, tmp_path, monkeypatch):
    import qalam.content.site as site_module

    site = make_site(NEWS_SITE)
    site.tree("kk"), site.tree("ru")
    trees = dict(site._trees)
    image = site.pages_dir / "02.news" / "old-story" / "photo.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 64)
    walks = []
    real = site_module.scan_pages
    monkeypatch.setattr(site_module, "scan_pages", lambda path, **kw: walks.append(path) or real(path, **kw))
    version = site.version
    site.add_media_file(image)
    assert walks == [] and site._trees == trees and site.version == version + 1
    assert "photo.jpg" in site.tree("kk").find("/news/old-story").node.media
    assert site.resolve("/kk/news/old-story/photo.jpg").kind == "media"
    fresh_site = fresh(site, tmp_path)
    assert set(fresh_site.scan.nodes["02.news/old-story"].media) == set(site.scan.nodes["02.news/old-story"].media)
    site.refresh()
    assert site.version == version + 1  # the full refresh finds nothing new: the same structure
