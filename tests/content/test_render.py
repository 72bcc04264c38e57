"""The content pipeline on real pages: links, images, media, Twig, summary (rule book §5, §6, §8)."""

from __future__ import annotations

import logging

ML = "languages:\n  supported: [kk, ru]\n  default_lang: kk\n"


def _site(make_site, body: str, extra: dict | None = None, header: str = ""):
    files = {
        "config/system.yaml": ML,
        "pages/01.home/default.kk.md": "---\ntitle: Home\n---\n",
        "pages/02.news/blog.kk.md": "---\ntitle: News\n---\n",
        "pages/02.news/01.first/item.kk.md": "---\ntitle: First\n---\nx",
        "pages/02.news/01.first/pic.png": b"\x89PNG\r\n\x1a\nfake",
        "pages/02.news/02.second/item.kk.md": f"---\ntitle: Second\n{header}---\n{body}",
        "pages/02.news/02.second/photo.jpg": b"\xff\xd8\xff\xe0fake",
        "pages/02.news/02.second/report.pdf": b"%PDF-1.4 fake",
        **(extra or {}),
    }
    site = make_site(files)
    page = site.tree("kk").find("/news/second")
    return site, page


def test_links_are_resolved_with_the_language_prefix(make_site):
    site, page = _site(make_site, "[a](../first) [b](/news/first) [c](../01.first) [d](#top) "
                                  "[e](https://example.org/x) [f](mailto:x@example.org) [g](../first#part)")
    html = site.content(page).html
    assert 'href="/kk/news/first"' in html  # relative
    assert html.count('href="/kk/news/first"') == 3  # absolute route, folder path with prefix
    assert 'href="#top"' in html and 'href="https://example.org/x"' in html and 'href="mailto:x@example.org"' in html
    assert 'href="/kk/news/first#part"' in html


def test_images_and_media_links(make_site):
    site, page = _site(make_site, "![p](photo.jpg?classes=wide) ![q](../first/pic.png) [r](report.pdf)")
    html = site.content(page).html
    assert 'src="/user/pages/02.news/02.second/photo.jpg"' in html and 'class="wide"' in html
    assert 'src="/user/pages/02.news/01.first/pic.png"' in html  # another page's medium
    assert 'href="/user/pages/02.news/02.second/report.pdf"' in html
    assert site.content(page).warnings == []


def test_missing_image_is_a_warning_not_a_crash(make_site, caplog):
    site, page = _site(make_site, "![gone](missing.jpg)")
    with caplog.at_level(logging.WARNING):
        rendered = site.content(page)
    assert 'src="/news/second/missing.jpg"' in rendered.html  # Grav leaves a page-route URL
    assert any("missing.jpg" in w for w in rendered.warnings)
    assert any("missing.jpg" in r.getMessage() for r in caplog.records)


def test_header_image_is_the_first_image_unless_disabled(make_site):
    from qalam.content.render import first_image

    site, page = _site(make_site, "x")
    assert first_image(page) == "photo.jpg"
    site2, page2 = _site(make_site, "x", header="header_image: false\n")
    assert first_image(page2) is None


def test_twig_in_content_only_when_enabled(make_site):
    site, page = _site(make_site, "Title: {{ page.title }}")
    assert "{{ page.title }}" in site.content(page).html
    site, page = _site(make_site, "Title: {{ page.title }} in {{ site.title }}",
                       header="process:\n  twig: true\n", extra={"config/site.yaml": "title: Сайт\n"})
    assert "Title: Second in Сайт" in site.content(page).html


def test_unknown_twig_function_is_a_placeholder(make_site, caplog):
    site, page = _site(make_site, "Prices: {{ pricelist_html() }} end", header="process:\n  twig: true\n")
    with caplog.at_level(logging.WARNING):
        html = site.content(page).html
    assert 'data-function="pricelist_html"' in html and "end" in html
    assert any("pricelist_html" in r.getMessage() for r in caplog.records)


def test_summary_divider_and_size_cut(make_site):
    site, page = _site(make_site, "Бірінші абзац.\n\n===\n\nЕкінші абзац.")
    rendered = site.content(page)
    assert "===" not in rendered.html and "Екінші абзац." in rendered.html
    assert rendered.summary().strip() == "<p>Бірінші абзац.</p>"
    long_body = "Сөз " * 200
    site, page = _site(make_site, long_body)
    summary = site.content(page).summary(format="long", size=20)
    assert summary.startswith("<p>Сөз Сөз") and summary.rstrip().endswith("...</p>")


def test_markdown_extra_per_page(make_site):
    site, page = _site(make_site, "Text[^1]\n\n[^1]: Note")
    assert "footnote" not in site.content(page).html
    site, page = _site(make_site, "Text[^1]\n\n[^1]: Note", header="markdown:\n  extra: true\n")
    assert "footnote" in site.content(page).html


def test_frontmatter_yaml_is_merged_under_the_header(make_site):
    site, page = _site(make_site, "x", header="show_sidebar: true\n",
                       extra={"pages/02.news/02.second/frontmatter.yaml": "show_sidebar: false\nauthor: Айгүл\n"})
    assert page.header["show_sidebar"] is True and page.header["author"] == "Айгүл"
