"""Property-based tests (Hypothesis) over front matter, config, slugs, routes and URLs
(docs/security.md): no path escapes, no crash, no 500.

CI runs a few hundred examples in all; the slow mode runs 10,000+ of each::

    QALAM_HYPOTHESIS_EXAMPLES=10000 .venv/bin/pytest tests/security/test_properties.py
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qalam.content.urlpaths import OutputFolder, PathEscape, local_location, route_problem, slug_problem

from ..conftest import NOW, write_site

EXAMPLES = int(os.environ.get("QALAM_HYPOTHESIS_EXAMPLES", 60))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text that tends to break things: dots, slashes, percent signs, Kazakh letters, controls.
TRICKY = st.text(alphabet=st.sampled_from(list("./\\%2eEfF:?#@ ~-_aқ0\x00\n\t'\"{}[]<>&*!|$")), max_size=24)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    TRICKY, st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8) | TRICKY, inner,
                                                                       max_size=4)), max_leaves=12)

HEADER_KEYS = [
    "title", "slug", "date", "publish_date", "unpublish_date", "modified", "published", "visible", "routable",
    "taxonomy", "routes", "redirect", "external_url", "template", "content", "process", "markdown", "access",
    "metadata", "media_order", "lead_image", "dateline", "authors", "related", "source", "views", "menu",
    "order_by", "order_dir", "order_manual", "cache_enable", "never_cache_twig", "twig_first", "language",
    "summary", "header_image", "dateformat", "redirect_default_route", "import", "markdown_extra",
]
CONTENT = st.fixed_dictionaries({}, optional={
    "items": st.one_of(st.just("@self.children"), st.just("@page.children: /news"), VALUES,
                       st.just({"@taxonomy": {"tag": "x"}}), st.just({"@taxonomy.tag": VALUES})),
    "order": st.one_of(VALUES, st.fixed_dictionaries({}, optional={"by": VALUES, "dir": VALUES, "custom": VALUES})),
    "filter": VALUES, "limit": VALUES, "pagination": VALUES, "dateRange": VALUES, "url_taxonomy_filters": VALUES,
})
HEADERS = st.dictionaries(st.sampled_from(HEADER_KEYS), VALUES, max_size=6).flatmap(
    lambda h: st.builds(lambda c: {**h, **({"content": c} if c is not None else {})}, st.none() | CONTENT))


def dump(header: dict) -> str:
    return "---\n" + json.dumps(header, ensure_ascii=False, default=str) + "\n---\nBody [link](../other) {{ 1 }}\n"


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory):
    from qalam.content.site import Site

    root = write_site(tmp_path_factory.mktemp("fuzz") / "user", {
        "config/system.yaml": "languages:\n  supported: [kk, ru]\n",
        "pages/01.home/default.kk.md": "---\ntitle: Home\n---\nhome\n",
        "pages/02.news/blog.kk.md": "---\ntitle: News\ncontent:\n  items: '@self.children'\n---\n",
        "pages/02.news/01.a/item.kk.md": "---\ntitle: A\ntaxonomy: {tag: [x]}\n---\nA\n",
        "pages/02.news/02.b/item.kk.md": "---\ntitle: B\n---\nB\n",
        "pages/03.other/default.kk.md": "---\ntitle: Other\n---\nother\n",
    })
    site = Site(root, state_dir=tmp_path_factory.mktemp("fuzz-state"), clock=lambda: NOW)
    yield site
    site.close()


URLS = ["/kk", "/kk/news", "/kk/news/a", "/kk/news/b", "/kk/news/page:2", "/kk/news/tag:x", "/kk/feed.rss",
        "/kk/news/feed.atom", "/sitemap-kk.xml", "/sitemap-news.xml", "/kk/search?q=a", "/kk-latn/news",
        "/kk/author/a", "/kk/popular"]


@SETTINGS
@given(listing=HEADERS, article=HEADERS)
def test_no_front_matter_makes_a_500(fuzz_site, client_for, listing, article):
    root = fuzz_site.user_dir
    (root / "pages/02.news/blog.kk.md").write_text(dump({"title": "News", **listing}), encoding="utf-8")
    (root / "pages/02.news/01.a/item.kk.md").write_text(dump(article), encoding="utf-8")
    fuzz_site.refresh()
    client = client_for(fuzz_site)
    for url in URLS + [p.url() for p in fuzz_site.tree("kk").iter_pages() if p.url().startswith("/")][:8]:
        r = client.get(url)
        assert r.status_code != 500, (url, listing, article)
    fuzz_site.problems()  # `qalam check` never crashes either


CONFIG_KEYS = {
    "system.yaml": ["home", "pages", "languages", "param_sep", "timezone", "force_lowercase_urls"],
    "site.yaml": ["title", "redirects", "routes", "taxonomies", "summary", "metadata", "author", "base_url"],
    "qalam.yaml": ["feeds", "cache", "page_size", "site_url", "publisher", "hosts", "csp", "max_page_bytes"],
}


@SETTINGS
@given(name=st.sampled_from(sorted(CONFIG_KEYS)), data=st.data())
def test_no_config_makes_a_500(fuzz_site, client_for, name, data):
    root = fuzz_site.user_dir
    config = data.draw(st.dictionaries(st.sampled_from(CONFIG_KEYS[name]), VALUES, max_size=4))
    if name == "system.yaml":
        config.setdefault("languages", {"supported": ["kk", "ru"]})
    path = root / "config" / name
    path.write_text(json.dumps(config, ensure_ascii=False, default=str), encoding="utf-8")
    try:
        fuzz_site.refresh()
        client = client_for(fuzz_site)
        for url in URLS:
            r = client.get(url, HTTP_HOST="localhost")
            assert r.status_code != 500, (url, config)
        fuzz_site.problems()
    finally:
        path.unlink()
        fuzz_site.refresh()


@SETTINGS
@given(slug=TRICKY | st.text(max_size=20))
def test_slug_rule(slug):
    problem = slug_problem(slug)
    if problem is None:
        assert "/" not in slug and "\\" not in slug and slug.strip() not in (".", "..")


@SETTINGS
@given(route=st.lists(TRICKY, max_size=5).map(lambda segs: "/" + "/".join(segs)))
def test_a_route_without_a_problem_never_leaves_the_output(tmp_path_factory, route):
    out = OutputFolder(tmp_path_factory.mktemp("out") / "o")
    if route_problem(route) is None:
        try:
            target = out.write(route.strip("/") + "/index.html", b"x")
        except PathEscape:
            return
        assert str(target.resolve()).startswith(out.real)


@SETTINGS
@given(name=TRICKY | st.text(max_size=30))
def test_output_paths_never_escape(tmp_path_factory, name):
    base = tmp_path_factory.mktemp("esc")
    out = OutputFolder(base / "out")
    before = set(base.rglob("*"))
    try:
        out.write(name, b"x")
    except (PathEscape, OSError, ValueError):
        pass
    for path in set(base.rglob("*")) - before:
        assert str(path.resolve()).startswith(str((base / "out").resolve())), (name, path)


@SETTINGS
@given(location=TRICKY | st.text(max_size=30))
def test_redirect_locations_stay_on_the_site(location):
    out = local_location(location)
    assert out.startswith("/") and not out.startswith("//") and "\\" not in out
    assert not out.lower().startswith(("/%2f", "/%5c"))


@SETTINGS
@given(path=st.lists(TRICKY, max_size=4).map(lambda segs: "/" + "/".join(segs)))
def test_no_request_path_makes_a_500_or_leaves_the_site(fuzz_site, client_for, path):
    from django.test import RequestFactory

    from qalam.web.views.page import dispatch

    client_for(fuzz_site)  # serves this site
    # The path as a server hands it to Django (the test client would parse it as a URL first).
    request = RequestFactory(SERVER_NAME="localhost").get("/")
    request.path = request.path_info = request.META["PATH_INFO"] = path
    request.site = fuzz_site  # what the host middleware does
    r = dispatch(request)
    assert r.status_code != 500, path
    location = r.get("Location")
    if location:
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location, (path, location)
