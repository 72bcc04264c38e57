"""Collections (`content:`), ordering, filters, taxonomy, pagination — rule book §3."""

from __future__ import annotations


def _blog(extra_header: str = "", posts: dict | None = None) -> dict:
    files = {
        "config/system.yaml": "timezone: UTC\n",
        "config/site.yaml": "taxonomies: [category, tag, author]\n",
        "pages/01.blog/blog.md": "---\ntitle: Blog\ncontent:\n" + extra_header + "---\n",
    }
    posts = posts or {
        "01.alpha": ("Alpha", "01-01-2020 10:00", "[news, kz]"),
        "02.beta": ("Beta", "03-01-2020 10:00", "[news]"),
        "10.gamma": ("Gamma", "02-01-2020 10:00", "[kz]"),
        "delta": ("Delta", "05-01-2020 10:00", "[other]"),  # no prefix: invisible, still listed
        "03._module": ("Module", "06-01-2020 10:00", "[news]"),
    }
    for folder, (title, date, tags) in posts.items():
        files[f"pages/01.blog/{folder}/item.md"] = f"---\ntitle: {title}\ndate: '{date}'\ntaxonomy:\n  tag: {tags}\n---\n{title} body"
    return files


def titles(listing):
    return [p.title for p in listing.items]


def test_children_default_order_is_natural_folder_order(make_site):
    site = make_site(_blog("  items: '@self.children'\n"))
    listing = site.listing(site.tree().find("/blog"))
    # natural: 01 < 02 < 10 < delta; modules are not children; invisible pages are listed
    assert titles(listing) == ["Alpha", "Beta", "Gamma", "Delta"]


def test_unquoted_self_children_is_accepted(make_site):
    site = make_site(_blog("  items: @self.children\n  order:\n    by: title\n    dir: desc\n"))
    assert titles(site.listing(site.tree().find("/blog"))) == ["Gamma", "Delta", "Beta", "Alpha"]


def test_order_by_date_desc_limit_and_pagination(make_site):
    site = make_site(_blog("  items: '@self.children'\n  order:\n    by: date\n    dir: desc\n  limit: 3\n  pagination: true\n"))
    blog = site.tree().find("/blog")
    first = site.listing(blog)
    assert titles(first) == ["Delta", "Beta", "Gamma"]
    assert (first.total, first.pages_count, first.page_no) == (4, 2, 1)
    second = site.listing(blog, {"page": "2"})
    assert titles(second) == ["Alpha"]
    assert second.page_url(1) == "/blog" and first.page_url(2) == "/blog/page:2"


def test_admin_mangled_items_limit_and_pagination_strings(make_site):
    site = make_site(_blog("  items: \"- '@self.children'\"\n  limit: '2'\n  pagination: '1'\n  order:\n    by: folder\n"))
    listing = site.listing(site.tree().find("/blog"))
    assert titles(listing) == ["Alpha", "Beta"] and listing.pages_count == 2


def test_custom_order_and_filter(make_site):
    site = make_site(_blog("  items: '@self.children'\n  order:\n    by: date\n    custom: [gamma]\n  filter:\n    visible: true\n"))
    assert titles(site.listing(site.tree().find("/blog"))) == ["Gamma", "Alpha", "Beta"]


def test_modular_filter_and_modules_type(make_site):
    site = make_site(_blog("  items: '@self.modules'\n"))
    assert titles(site.listing(site.tree().find("/blog"))) == ["Module"]


def test_taxonomy_collections_and_url_filters(make_site):
    site = make_site(_blog("  items: '@self.children'\n  order:\n    by: date\n"))
    blog = site.tree().find("/blog")
    assert titles(site.listing(blog, {"tag": "kz"})) == ["Alpha", "Gamma"]
    assert titles(site.listing(blog, {"tag": "news,kz"})) == ["Alpha"]  # AND
    listing = site.listing(blog, {"tag": "kz", "page": "1"})
    assert listing.page_url(1) == "/blog/tag:kz"
    # @taxonomy collection from another page
    from qalam.content.collections import collection

    spec = {"items": {"@taxonomy.tag": "news"}, "order": {"by": "title"}}
    # Every published page is indexed in taxonomy, modules included (Taxonomy::addTaxonomy).
    assert titles(collection(blog, site.now(), spec=spec)) == ["Alpha", "Beta", "Module"]
    spec = {"items": {"@taxonomy": {"tag": ["news", "kz"]}}}
    assert titles(collection(blog, site.now(), spec=spec)) == ["Alpha"]
    # Matching is exact and case-sensitive.
    spec = {"items": {"@taxonomy.tag": "KZ"}}
    assert titles(collection(blog, site.now(), spec=spec)) == []


def test_unpublished_excluded_and_descendants(make_site):
    files = _blog("  items: '@self.descendants'\n  order:\n    by: title\n")
    files["pages/01.blog/02.beta/sub/item.md"] = "---\ntitle: Sub\n---\n"
    files["pages/01.blog/draft/item.md"] = "---\ntitle: Draft\npublished: false\n---\n"
    site = make_site(files)
    assert titles(site.listing(site.tree().find("/blog"))) == ["Alpha", "Beta", "Delta", "Gamma", "Sub"]


def test_page_children_from_elsewhere_and_date_range(make_site):
    files = _blog("  items: '@self.children'\n")
    files["pages/02.home/default.md"] = (
        "---\ntitle: Home\ncontent:\n  items:\n    '@page.children': '/blog'\n"
        "  dateRange:\n    start: '02-01-2020'\n    end: '04-01-2020'\n  order:\n    by: date\n---\n"
    )
    site = make_site(files)
    assert titles(site.listing(site.tree().find("/home"))) == ["Gamma", "Beta"]
