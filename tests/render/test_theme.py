"""The default theme honours Grav's theme fields (rule book §3, "Theme fields in the seed page")."""

from __future__ import annotations

import pytest


@pytest.fixture
def flags_site(make_site, client_for):
    site = make_site({
        "config/site.yaml": "title: Flags\ndefault_lang: en\n",
        "pages/01.blog/blog.md": "---\ntitle: Blog\ncontent:\n  items: '@self.children'\n  order:\n    by: folder\n---\n",
        "pages/01.blog/01.plain/item.md": "---\ntitle: Plain\ndate: '01-02-2024'\n---\nSummary one.\n\n===\n\nMore one.",
        "pages/01.blog/02.nocontinue/item.md": (
            "---\ntitle: NoContinue\ncontinue_link: false\n---\nSummary two.\n\n===\n\nMore two."
        ),
        "pages/01.blog/03.hidden/item.md": "---\ntitle: HiddenFromList\nhide_from_post_list: true\n---\nx",
        "pages/01.blog/04.notitle/item.md": "---\ntitle: NoTitle\nhide_page_title: true\nshow_sidebar: false\n---\nBody",
        "pages/01.blog/05.short/item.md": "---\ntitle: Short\n---\nOnly a summary.",
        "pages/02.landing/modular.md": "---\ntitle: Landing\n---\n",
        "pages/02.landing/_hero/hero.md": "---\ntitle: Hero\n---\n## Big hero text",
    })
    return site, client_for(site)


def test_continue_link_and_hide_from_post_list(flags_site):
    _site, client = flags_site
    html = client.get("/blog").content.decode()
    assert "Summary one." in html and "More one." not in html
    assert 'class="continue"><a href="/blog/plain"' in html
    assert "Summary two." in html and 'href="/blog/nocontinue">' in html  # title link only
    assert 'class="continue"><a href="/blog/nocontinue"' not in html
    assert "HiddenFromList" not in html.split("<aside")[0]
    # A page whose summary is its whole content gets no continue link.
    assert 'class="continue"><a href="/blog/short"' not in html
    # ...but the hidden page is still reachable.
    assert client.get("/blog/hidden").status_code == 200


def test_hide_page_title_and_show_sidebar(flags_site):
    _site, client = flags_site
    html = client.get("/blog/notitle").content.decode()
    assert "<h1" not in html and "<aside" not in html and "Body" in html
    html = client.get("/blog/plain").content.decode()
    assert '<h1 class="page-title">Plain</h1>' in html and "<aside" in html


def test_single_language_site_html_lang_and_no_switcher(flags_site):
    _site, client = flags_site
    html = client.get("/blog/plain").content.decode()
    assert '<html lang="en">' in html and 'class="langs"' not in html and "hreflang" not in html


def test_modular_page_renders_its_modules(flags_site):
    _site, client = flags_site
    html = client.get("/landing").content.decode()
    assert "<h2>Big hero text</h2>" in html
    assert client.get("/landing/_hero").status_code == 404


def test_menu_lists_visible_top_level_pages(flags_site):
    _site, client = flags_site
    html = client.get("/blog/plain").content.decode()
    nav = html.split('class="menu"')[1].split("</nav>")[0]
    assert 'href="/blog"' in nav and 'aria-current="page"' in nav and 'href="/landing"' in nav


def test_hreflang_lists_only_published_translations(make_site, client_for):
    site = make_site({
        "config/system.yaml": "languages:\n  supported: [kk, ru]\n",
        "pages/01.a/item.kk.md": "---\ntitle: Қазақша\n---\nx",
        "pages/01.a/item.ru.md": "---\ntitle: Черновик\npublished: false\n---\nx",
    })
    html = client_for(site).get("/kk/a").content.decode()
    assert 'hreflang="kk"' in html and 'hreflang="ru" href=' not in html.split("</head>")[0]
