"""Class 5 of docs/security.md: pages with Grav `access:` rules are private: readers never see them;
logged-in newsroom accounts whose role meets the rules do (test_logged_in_readers)."""

from __future__ import annotations

import pytest

from qalam.content.pages import access_rules


SECRET = "Құпия мәжіліс хаттамасы"

RULES = [
    "access:\n  site.login: true\n",
    "access:\n  site:\n    login: true\n",
    "access:\n  admin.login: true\n  site.login: false\n",
    "access:\n  site.editor: 'true'\n",
    "access: true\n",
    "access: [site.login]\n",
]


def files(rule: str) -> dict[str, str]:
    return {
        "config/system.yaml": "languages:\n  supported: [kk, ru]\n",
        "config/site.yaml": "title: Test\ntaxonomies: [category, tag]\n",
        "pages/01.home/default.kk.md": "---\ntitle: Басты\n---\nHome\n",
        "pages/02.news/blog.kk.md": "---\ntitle: Жаңалықтар\ncontent:\n  items: '@self.children'\n"
                                   "  order:\n    by: date\n    dir: desc\n---\n",
        "pages/02.news/01.public/item.kk.md": "---\ntitle: Ашық жаңалық\ndate: 01-11-2026 10:00\n"
                                              "taxonomy:\n  tag: [мәжіліс]\nauthors: [Айгүл Серік]\n---\n"
                                              "Мәжіліс туралы ашық мәтін.\n",
        "pages/02.news/02.private/item.kk.md": f"---\ntitle: {SECRET}\ndate: 02-11-2026 10:00\n{rule}"
                                               "taxonomy:\n  tag: [мәжіліс]\nauthors: [Айгүл Серік]\n---\n"
                                               f"{SECRET}. Мәжіліс туралы жабық мәтін.\n",
        "pages/02.news/02.private/photo.jpg": b"\xff\xd8\xff\xe0" + b"0" * 100,
    }


@pytest.mark.parametrize("rule", RULES)
def test_a_private_page_is_nowhere(make_site, client_for, rule, tmp_path):
    site = make_site(files(rule))
    client = client_for(site)
    assert client.get("/kk/news/public").status_code == 200
    for url in ("/kk/news/private", "/kk-latn/news/private", "/kk/news/02.private",
                "/user/pages/02.news/02.private/photo.jpg", "/kk/news/private/photo.jpg"):
        r = client.get(url)
        assert r.status_code == 404, url
    for url in ("/kk/news", "/kk", "/kk/feed.rss", "/kk/feed.atom", "/kk/feed.json", "/kk/feed-full.rss",
                "/sitemap.xml", "/sitemap-kk.xml", "/sitemap-news.xml", "/kk/tag:мәжіліс", "/kk/news/tag:мәжіліс",
                "/kk/search?q=мәжіліс", "/api/search?q=мәжіліс&lang=kk", "/kk/news/public", "/kk/popular",
                "/kk/author/aigul-serik", "/kk-latn/news"):
        r = client.get(url)
        body = r.content.decode("utf-8", "replace")
        assert SECRET not in body and "private" not in body.replace("Cache-Control", ""), (url, r.status_code)
    from qalam.build.export import build

    out = tmp_path / "out"
    build(site, out, base_url="https://example.kz")
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
            assert "private" not in str(path.relative_to(out)), path
    problems = [str(p) for p in site.problems()]
    assert any("02.private/item.kk.md" in p and "private: the page has Grav access rules" in p for p in problems)


def test_search_index_never_holds_a_private_page(make_site):
    from qalam.search.backend import SearchQuery
    from qalam.search.service import for_site

    site = make_site(files(RULES[0]))
    search = for_site(site)
    search.sync()
    results = search.search(SearchQuery("мәжіліс", lang="kk", match_any=True))
    assert [h.url for h in results.hits] == ["/kk/news/public"]


def test_access_rules_are_read_like_grav():
    assert access_rules({"site.login": True}) == {"site.login": True}
    assert access_rules({"site": {"login": True}}) == {"site.login": True}
    assert access_rules({"site.login": False}) == {"site.login": False}
    assert access_rules(None) == {} and access_rules({}) == {}
    assert any(access_rules(["site.login"]).values())  # unreadable rules never make a page public


@pytest.mark.parametrize("rule, allowed", [
    ("access:\n  site.login: true\n", {"author", "editor", "admin"}),
    ("access:\n  admin.login: true\n  site.login: false\n", {"editor", "admin"}),
    ("access:\n  admin.super: true\n", {"admin"}),
    ("access:\n  site.editor: 'true'\n", {"author", "editor", "admin"}),
    ("access: true\n", set()),  # a rule Qalam cannot read is met by no one
])
def test_logged_in_readers_with_a_matching_role(make_site, rule, allowed):
    from django.test import Client

    from qalam.web.accounts import add_user
    from qalam.web.app import ensure_database, set_site

    site = make_site(files(rule))
    set_site(site)
    ensure_database(site)
    anonymous = Client(SERVER_NAME="localhost").get("/kk/news/private")
    for role in ("author", "editor", "admin"):
        user = add_user(f"u-{role}", role, "ұзын-құпия-сөз-2026")
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        response = client.get("/kk/news/private")
        if role in allowed:
            assert response.status_code == 200 and SECRET in response.content.decode()
            assert response["Cache-Control"] == "private, no-store" and "Cookie" in response["Vary"]
        else:
            assert response.status_code == 404 and SECRET not in response.content.decode()
            assert response.content == anonymous.content  # the same 404 as for a page that is not there
        # Still nowhere else, even for the account.
        assert SECRET not in client.get("/kk/news").content.decode()
        assert SECRET not in client.get("/kk/feed.rss").content.decode()
    assert anonymous.status_code == 404 and SECRET not in anonymous.content.decode()
