"""Folder scan, flags, slugs, routes and dispatch — expectations from the rule book §1, §2."""

from __future__ import annotations

from datetime import datetime, timezone

ML = {
    "config/system.yaml": """
        languages:
          supported: [kk, ru, en]
          default_lang: kk
          include_default_lang: true
        home:
          alias: /home
        timezone: Asia/Almaty
    """,
}


def test_numeric_prefix_visibility_and_slug(make_site):
    site = make_site({
        "pages/01.Home/default.md": "---\ntitle: Home\n---\nHi",
        "pages/02.news/blog.md": "---\ntitle: News\n---\n",
        "pages/02.news/2022-07-20-visit/item.md": "---\ntitle: Visit\n---\nText",
        "pages/hidden/default.md": "---\ntitle: Hidden\n---\n",
        "pages/03.custom/default.md": "---\ntitle: Custom\nslug: My-Slug\n---\n",
    })
    tree = site.tree()
    now = site.now()
    home = tree.pages["01.Home"]
    assert home.slug == "home"  # lowercased (force_lowercase_urls)
    assert home.visible(now) is True  # numeric prefix -> visible
    hidden = tree.pages["hidden"]
    assert hidden.visible(now) is False and hidden.routable(now) is True
    # Folder dates are part of the slug, not a feature.
    assert tree.pages["02.news/2022-07-20-visit"].route == "/news/2022-07-20-visit"
    # A header slug is used as written.
    custom = tree.pages["03.custom"]
    assert custom.route == "/My-Slug"
    assert tree.find("/custom") is custom  # raw route registered too


def test_modules_and_folders_without_page_file(make_site):
    site = make_site({
        "pages/01.landing/modular.md": "---\ntitle: Landing\n---\n",
        "pages/01.landing/_hero/hero.md": "---\ntitle: Hero\n---\nBig",
        "pages/01.landing/02._features/features.md": "---\ntitle: F\nroutable: true\n---\n",
        "pages/02.group/01.first/default.md": "---\ntitle: First\n---\n",
        "pages/images/photo.jpg": b"\xff\xd8\xff\xe0fake",
    })
    tree = site.tree()
    now = site.now()
    hero = tree.pages["01.landing/_hero"]
    assert hero.is_module and hero.template_name == "modular/hero"
    assert hero.visible(now) is False and hero.routable(now) is False
    assert tree.pages["01.landing/02._features"].routable(now) is True  # routable: true wins
    group = tree.pages["02.group"]
    assert group.has_file is False and group.routable(now) is False
    # A folder without a page redirects to its first visible routable child.
    res = site.resolve("/group")
    assert (res.kind, res.location) == ("redirect", "/group/first")
    assert site.resolve("/landing/_hero").kind == "not_found"


def test_templates_from_file_names(make_site):
    site = make_site({
        "pages/01.a/item.md": "x",
        "pages/02.b/blog.md": "x",
        "pages/03.c/fancy.md": "x",
        "pages/04.d/item.md": "---\ntemplate: blog\n---\nx",
    })
    tree = site.tree()
    assert [tree.pages[k].template_name for k in ("01.a", "02.b", "03.c", "04.d")] == ["item", "blog", "fancy", "blog"]


def test_published_beats_publish_dates(make_site):
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    site = make_site({
        "pages/01.a/item.md": "---\npublished: true\npublish_date: '01-01-2030 10:00'\n---\n",
        "pages/02.b/item.md": "---\npublish_date: '01-01-2030 10:00'\n---\n",
        "pages/03.c/item.md": "---\nunpublish_date: '01-01-2020 10:00'\n---\n",
        "pages/04.d/item.md": "---\npublished: false\n---\n",
        "pages/05.e/item.md": "---\npublished: false\npublish_date: '01-01-2020 10:00'\n---\n",
    }, now=now)
    tree = site.tree()
    got = {k: tree.pages[k].published(now) for k in ("01.a", "02.b", "03.c", "04.d", "05.e")}
    assert got == {"01.a": True, "02.b": False, "03.c": False, "04.d": False, "05.e": False}
    # published:false forces visible=false
    assert tree.pages["04.d"].visible(now) is False


def test_scheduled_page_appears_on_time_without_restart(make_site):
    clock = {"now": datetime(2029, 12, 31, 23, 0, tzinfo=timezone.utc)}
    from qalam.content.site import Site

    site = make_site({
        "config/system.yaml": "timezone: UTC\n",
        "pages/01.news/blog.md": "---\ncontent:\n  items: '@self.children'\n---\n",
        "pages/01.news/a/item.md": "---\ntitle: A\npublish_date: '01-01-2030 00:00'\nunpublish_date: '02-01-2030 00:00'\n---\n",
    })
    assert isinstance(site, Site)
    site._clock = lambda: clock["now"]
    assert site.resolve("/news/a").kind == "not_found"
    assert site.listing(site.tree().find("/news")).items == []
    clock["now"] = datetime(2030, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    assert site.resolve("/news/a").kind == "page"
    assert [p.title for p in site.listing(site.tree().find("/news")).items] == ["A"]
    clock["now"] = datetime(2030, 1, 2, 0, 0, 0, tzinfo=timezone.utc)
    assert site.resolve("/news/a").kind == "not_found"


def test_languages_prefix_and_fallback(make_site):
    site = make_site({
        **ML,
        "pages/01.home/default.kk.md": "---\ntitle: Басты\n---\n",
        "pages/01.home/default.ru.md": "---\ntitle: Главная\n---\n",
        "pages/02.news/blog.kk.md": "---\ntitle: Жаңалықтар\n---\n",
        "pages/02.news/blog.ru.md": "---\ntitle: Новости\n---\n",
        "pages/02.news/01.only-kk/item.kk.md": "---\ntitle: Тек қазақша\n---\n",
        "pages/02.news/02.plain/item.md": "---\ntitle: Plain\n---\n",
        "pages/02.news/03.only-ru/item.ru.md": "---\ntitle: Только по-русски\n---\n",
    })
    # `/` goes to the default language; a path without prefix gets one (302).
    assert (site.resolve("/").kind, site.resolve("/").location) == ("redirect", "/kk")
    assert site.resolve("/news").location == "/kk/news"
    assert site.resolve("/kk").page.title == "Басты"
    assert site.resolve("/RU").page.title == "Главная"  # prefix matched case-insensitively
    # Untranslated page: served in the default language under /en/ (chain en, kk, '').
    res = site.resolve("/en/news/only-kk")
    assert res.kind == "page" and res.page.title == "Тек қазақша" and res.page.file_lang == "kk"
    # The plain .md file is in every chain after the default language.
    assert site.resolve("/ru/news/plain").page.file_lang == ""
    # A page only in Russian is not in the kk tree chain [kk, ''] -> no file -> not routable.
    assert site.resolve("/kk/news/only-ru").kind == "not_found"
    assert site.resolve("/ru/news/only-ru").page.title == "Только по-русски"
    assert site.tree("en").chain == ["en", "kk", ""]


def test_include_default_lang_false(make_site):
    site = make_site({
        "config/system.yaml": "languages:\n  supported: [ru, en]\n  include_default_lang: false\n",
        "pages/01.home/default.ru.md": "---\ntitle: Главная\n---\n",
        "pages/02.about/default.ru.md": "---\ntitle: О нас\n---\n",
    })
    assert site.resolve("/").page.title == "Главная"
    assert site.resolve("/about").page.title == "О нас"
    assert (site.resolve("/ru/about").kind, site.resolve("/ru/about").location) == ("redirect", "/about")
    assert site.resolve("/en/about").page.title == "О нас"  # fallback to the default language


def test_language_files_ignored_when_multilang_off(make_site):
    site = make_site({
        "pages/01.home/default.md": "---\ntitle: Home\n---\n",
        "pages/02.x/item.kk.md": "---\ntitle: KK\n---\n",
    })
    assert site.tree().pages["02.x"].has_file is False
    assert site.resolve("/x").kind == "not_found"


def test_home_alias_and_hide_in_urls(make_site):
    site = make_site({
        "config/system.yaml": "home:\n  alias: /blog\n  hide_in_urls: true\n",
        "pages/01.blog/blog.md": "---\ntitle: Blog\n---\n",
        "pages/01.blog/post/item.md": "---\ntitle: Post\n---\n",
    })
    assert site.resolve("/").page.title == "Blog"
    assert site.resolve("/blog").page.title == "Blog"
    assert site.resolve("/post").page.title == "Post"
    assert site.tree().find("/post").url() == "/post"


def test_site_routes_redirects_and_redirect_header(make_site):
    site = make_site({
        "config/site.yaml": """
            redirects:
              /changelog: /blog/b
              /old/(.*): /blog/$1
              /perm: /blog/b[301]
            routes:
              /something/else: /blog/b
              /another/one/(.*): /blog/$1
        """,
        "pages/01.blog/blog.md": "---\ntitle: Blog\n---\n",
        "pages/01.blog/b/item.md": "---\ntitle: B\nroutes:\n  aliases: [/bee]\n---\n",
        "pages/01.blog/c/item.md": "---\ntitle: C\nredirect: '/blog/b[301]'\n---\n",
        "pages/01.blog/d/item.md": "---\ntitle: D\nredirect: 'https://example.org/x'\n---\n",
    })
    assert site.resolve("/something/else").page.title == "B"  # route: served, no redirect
    assert site.resolve("/another/one/b").page.title == "B"
    assert site.resolve("/bee").page.title == "B"  # alias
    r = site.resolve("/changelog")
    assert (r.kind, r.location, r.status) == ("redirect", "/blog/b", 302)
    assert site.resolve("/old/b").location == "/blog/b"
    assert site.resolve("/perm").status == 301
    r = site.resolve("/blog/c")
    assert (r.location, r.status) == ("/blog/b", 301)
    assert site.resolve("/blog/d").location == "https://example.org/x"
    # Trailing slash is redirected away.
    r = site.resolve("/blog/b/")
    assert (r.kind, r.location, r.status) == ("redirect", "/blog/b", 301)


def test_url_params_are_split_from_the_path(make_site):
    site = make_site({"pages/01.blog/blog.md": "---\ntitle: Blog\n---\n"})
    res = site.resolve("/blog/tag:ab c/page:2")
    assert res.page.title == "Blog" and res.params == {"tag": "ab c", "page": "2"}


def test_media_urls_and_safe_paths(make_site):
    site = make_site({
        "pages/02.news/38.slug/item.md": "---\ntitle: S\n---\n![x](photo.JPEG)",
        "pages/02.news/38.slug/photo.JPEG": b"\xff\xd8\xff\xe0fake",
        "pages/02.news/38.slug/notes.yaml": "secret: 1\n",
    })
    res = site.resolve("/user/pages/02.news/38.slug/photo.JPEG")
    assert res.kind == "media" and res.file.name == "photo.JPEG"
    # Page-route media (Grav's fallbackUrl).
    assert site.resolve("/news/slug/photo.JPEG").kind == "media"
    # Page files, YAML and path escapes are never served.
    for bad in ("/user/pages/02.news/38.slug/item.md", "/user/pages/02.news/38.slug/notes.yaml",
                "/user/pages/02.news/../38.slug/photo.JPEG", "/user/pages/../config/site.yaml",
                "/user/pages/%2e%2e/%2e%2e/etc/passwd"):
        assert site.resolve(bad).kind == "not_found", bad


def test_incremental_refresh_picks_up_changes(make_site):
    site = make_site({"pages/01.a/item.md": "---\ntitle: One\n---\n"})
    path = site.pages_dir / "01.a" / "item.md"
    path.write_text("---\ntitle: Two\n---\n", encoding="utf-8")
    import os

    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    report = site.refresh()
    assert report.parsed == 1 and report.unchanged == 0
    assert site.tree().find("/a").title == "Two"
    (site.pages_dir / "02.b").mkdir()
    (site.pages_dir / "02.b" / "item.md").write_text("---\ntitle: B\n---\n", encoding="utf-8")
    report = site.refresh()
    assert report.parsed == 1 and report.unchanged == 1
    assert site.tree().find("/b").title == "B"
    # Nothing changed: nothing re-parsed.
    assert site.refresh().parsed == 0


def _touch_later(path, seconds: int = 1) -> None:
    import os

    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def test_a_text_edit_keeps_the_trees_and_follows_the_file_time(make_site):
    site = make_site({
        "pages/01.a/item.md": "---\ntitle: A\ndate: '2026-01-05 10:00'\n---\nOld text",
        "pages/02.b/item.md": "---\ntitle: B\n---\nUndated",
        "pages/03.c/item.md": "---\ntitle: C\n---\nC",
    })
    tree = site.tree()
    a, b = tree.find("/a"), tree.find("/b")
    assert "Old text" in site.content(a).html
    version, b_date = site.version, b.date
    (site.pages_dir / "01.a/item.md").write_text("---\ntitle: A\ndate: '2026-01-05 10:00'\n---\nNew text", encoding="utf-8")
    (site.pages_dir / "02.b/item.md").write_text("---\ntitle: B\n---\nStill undated", encoding="utf-8")
    _touch_later(site.pages_dir / "01.a/item.md")
    _touch_later(site.pages_dir / "02.b/item.md", 5)
    assert site.refresh().parsed == 2
    assert site.tree() is tree and site.version == version + 1  # same trees, caches dropped
    assert "New text" in site.content(a).html
    assert a.modified == a.mtime and a.date.year == 2026  # the header's date stays
    assert b.date > b_date and b.date == b.mtime  # an undated page is dated by its file
    # A header edit builds the trees again.
    (site.pages_dir / "03.c/item.md").write_text("---\ntitle: See\n---\nC", encoding="utf-8")
    _touch_later(site.pages_dir / "03.c/item.md")
    site.refresh()
    assert site.tree() is not tree and site.tree().find("/c").title == "See"


def test_refresh_changed_rereads_only_the_named_files(make_site, monkeypatch):
    """The watcher's path (qalam build --watch): known page files re-read without a folder walk;
    a header edit that keeps every route replaces the page in place (test_incremental.py checks it
    equals a rebuild); anything unknown falls back to a full refresh."""
    import qalam.content.site as site_module

    site = make_site({
        "pages/01.a/item.md": "---\ntitle: A\ndate: '2026-01-05 10:00'\n---\nOld text",
        "pages/02.b/item.md": "---\ntitle: B\ndate: '2026-01-06 10:00'\n---\nB",
    })
    tree, a = site.tree(), site.tree().find("/a")
    assert "Old text" in site.content(a).html
    walks = []
    real_scan = site_module.scan_pages
    monkeypatch.setattr(site_module, "scan_pages", lambda *args, **kw: walks.append(1) or real_scan(*args, **kw))

    path_a = site.pages_dir / "01.a/item.md"
    path_a.write_text("---\ntitle: A\ndate: '2026-01-05 10:00'\n---\nNew text", encoding="utf-8")
    _touch_later(path_a)
    version = site.version
    assert site.refresh_changed([str(path_a)]).parsed == 1
    assert walks == [] and site.tree() is tree and site.version == version + 1
    assert "New text" in site.content(a).html and a.modified == a.mtime

    path_b = site.pages_dir / "02.b/item.md"
    path_b.write_text("---\ntitle: Bee\ndate: '2026-01-06 10:00'\n---\nB", encoding="utf-8")
    _touch_later(path_b)
    site.refresh_changed([str(path_b)])
    assert walks == [] and site.tree() is tree and site.tree().find("/b").title == "Bee"

    # A file the last scan did not know (a new page): the full refresh finds it.
    (site.pages_dir / "03.c").mkdir()
    new_page = site.pages_dir / "03.c/item.md"
    new_page.write_text("---\ntitle: C\n---\nC", encoding="utf-8")
    site.refresh_changed([str(new_page)])
    assert walks == [1] and site.tree().find("/c") is not None


def test_index_persists_between_runs(tmp_path):
    from qalam.content.site import Site

    from ..conftest import write_site

    root = write_site(tmp_path / "s", {"pages/01.a/item.md": "---\ntitle: A\n---\nbody"})
    state = tmp_path / "state"
    first = Site(root, state_dir=state)
    assert first.last_sync.parsed == 1
    first.close()
    second = Site(root, state_dir=state)
    assert second.last_sync.parsed == 0 and second.last_sync.unchanged == 1
    assert second.tree().find("/a").title == "A"
    second.close()
    rebuilt = Site(root, state_dir=state, rebuild=True)
    assert rebuilt.last_sync.parsed == 1
    rebuilt.close()


def test_state_dir_defaults_to_dot_qalam_and_is_git_ignored(tmp_path):
    from qalam.content.site import Site

    from ..conftest import write_site

    root = write_site(tmp_path / "s", {"pages/01.a/item.md": "x"})
    site = Site(root)
    assert site.state_dir == root / ".qalam"
    assert (root / ".qalam" / "index.sqlite3").exists()
    assert (root / ".qalam" / ".gitignore").read_text().strip().endswith("*")
    site.close()
    # A folder holding user/ works too.
    holder = tmp_path / "holder"
    write_site(holder / "user", {"pages/01.a/item.md": "x"})
    site = Site(holder)
    assert site.user_dir == holder / "user"
    site.close()


def test_not_a_site_folder(tmp_path):
    import pytest

    from qalam.content.site import Site, SiteError

    with pytest.raises(SiteError, match="not a Grav site folder"):
        Site(tmp_path)


def test_site_route_target_may_carry_params(make_site):
    site = make_site({
        "config/site.yaml": "routes:\n  /services: /events/category:service\n",
        "pages/01.events/blog.md": "---\ntitle: Events\n---\n",
    })
    res = site.resolve("/services")
    assert res.page.title == "Events" and res.params == {"category": "service"}


def test_unpublished_folder_redirects_to_its_first_visible_child(make_site):
    site = make_site({
        "pages/01.section/default.md": "---\ntitle: Section\npublished: false\n---\n",
        "pages/01.section/01.child/default.md": "---\ntitle: Child\n---\n",
        "pages/02.draft/default.md": "---\ntitle: Draft\npublished: false\n---\n",
    })
    res = site.resolve("/section")
    assert (res.kind, res.location) == ("redirect", "/section/child")
    assert site.resolve("/draft").kind == "not_found"
