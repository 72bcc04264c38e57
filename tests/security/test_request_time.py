"""Class 9 of docs/security.md: every shape that can fail at request time is caught by `check`
(file:line, the fix) and degrades the page instead of answering 500."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from qalam.cli.main import cli

from ..conftest import write_site

BASE = {
    "config/system.yaml": "languages:\n  supported: [kk]\n",
    "pages/01.home/default.kk.md": "---\ntitle: Home\n---\nhome\n",
    "pages/02.news/01.a/item.kk.md": "---\ntitle: A\ndate: 01-11-2026\n---\nA body\n",
    "pages/02.news/02.b/item.kk.md": "---\ntitle: B\ndate: 02-11-2026\n---\nB body\n",
}
LISTING = "---\ntitle: News\ncontent:\n  items: '@self.children'\n{extra}---\n"
LISTING_ITEMS = "---\ntitle: News\ncontent:\n{extra}---\n"

BAD_HEADERS = [
    ("  order:\n    by: date\n    custom: true\n", "content.order.custom", 7),
    ("  order:\n    by: date\n    custom: {a: 1}\n", "content.order.custom", 7),
    ("  order: [date, desc]\n", "content.order: must be a mapping", 5),
    ("  limit: [1, 2]\n", "content.limit", 5),
    ("  filter: published\n", "content.filter", 5),
    ("  dateRange: yesterday\n", "content.dateRange", 5),
    ("  items: 42\n", "content.items", 4),  # (replaces the items line)
]


@pytest.mark.parametrize("extra,key,line", BAD_HEADERS)
def test_a_bad_collection_is_reported_and_the_page_still_answers(make_site, client_for, extra, key, line):
    listing = (LISTING_ITEMS if "items:" in extra else LISTING).format(extra=extra)
    site = make_site({**BASE, "pages/02.news/blog.kk.md": listing})
    r = client_for(site).get("/kk/news")
    assert r.status_code in (200, 404)
    problems = [str(p) for p in site.problems()]
    assert any(p.startswith(f"pages/02.news/blog.kk.md:{line}: error: {key}") for p in problems), problems


@pytest.mark.parametrize("header,key", [
    ("taxonomy: tag\n", "taxonomy"), ("taxonomy: {tag: {a: 1}}\n", "taxonomy"), ("routes: /x\n", "routes"),
    ("routes:\n  aliases: {a: 1}\n", "routes.aliases"), ("title: [a, b]\n", "title"), ("date: {a: 1}\n", "date"),
    ("process: yes\n", "process"), ("metadata: [a]\n", "metadata"), ("summary: 5\n", "summary"),
    ("markdown:\n  valid_link_attributes: {a: 1}\n", "markdown.valid_link_attributes"),
])
def test_a_bad_article_header_is_reported_and_served(make_site, client_for, header, key):
    site = make_site({**BASE, "pages/02.news/blog.kk.md": LISTING.format(extra=""),
                      "pages/02.news/03.c/item.kk.md":
                          f"---\n{'' if header.startswith('title') else 'title: C' + chr(10)}{header}---\nC body\n"})
    client = client_for(site)
    for url in ("/kk/news", "/kk/feed.rss", "/sitemap-kk.xml", "/kk/news/c"):
        assert client.get(url).status_code in (200, 404), url
    problems = [str(p) for p in site.problems()]
    assert any(p.startswith("pages/02.news/03.c/item.kk.md:") and f"error: {key}" in p for p in problems), problems


@pytest.mark.parametrize("file,text,key", [
    ("system.yaml", "languages: true\n", "languages"),
    ("system.yaml", "languages:\n  supported: [kk]\npages:\n  order: date\n", "pages.order"),
    ("system.yaml", "languages:\n  supported: [kk]\nhome: /home\n", "home"),
    ("site.yaml", "summary: short\n", "summary"),
    ("site.yaml", "taxonomies: {a: 1}\n", "taxonomies"),
    ("site.yaml", "metadata: [a]\n", "metadata"),
    ("qalam.yaml", "cache: 60\n", "cache"),
    ("qalam.yaml", "page_size: ten\n", "page_size"),
    ("qalam.yaml", "feeds:\n  limit: many\n", "feeds.limit"),
])
def test_a_bad_config_shape_is_reported_and_the_default_used(make_site, client_for, file, text, key):
    site = make_site({**BASE, "pages/02.news/blog.kk.md": LISTING.format(extra=""), f"config/{file}": text})
    client = client_for(site)
    for url in ("/", "/kk/news", "/kk/feed.rss", "/sitemap.xml", "/kk/news/a"):
        assert client.get(url).status_code in (200, 301, 302, 404), url
    problems = [str(p) for p in site.problems()]
    assert any(p.startswith(f"config/{file}:") and f": {key}: must be" in p and "the default" in p
               for p in problems), problems


def test_check_messages_show_no_python_internals(tmp_path):
    root = write_site(tmp_path / "site", {
        **BASE, "pages/02.news/blog.kk.md": LISTING.format(extra="  order:\n    custom: true\n  limit: [1]\n"),
        "pages/02.news/03.c/item.kk.md": "---\ntitle: [a]\ntaxonomy: 5\nroutes: x\ndate: {a: 1}\n---\nC\n",
        "config/site.yaml": "summary: short\ntaxonomies: {a: 1}\n",
    })
    result = CliRunner().invoke(cli, ["check", str(root)])
    assert result.exit_code == 1
    for internal in ("Traceback", "object has no attribute", "NoneType", "<class", "object is not", "TypeError",
                     "KeyError", "ValueError"):
        assert internal not in result.output, result.output
    assert all(re.match(r"^(pages|config)/[^:]+(:\d+)?: (error|warning): ", line)
               for line in result.output.splitlines() if line and not line[0].isdigit()), result.output
