"""Class 7 of docs/security.md: imported archives are untrusted; their text never runs as Twig."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qalam.cli.main import cli

from ..conftest import NOW, write_site

PAYLOADS = ["{{ config.qalam|json_encode }}", "{{ config.system.languages|json_encode }}", "{{ site.title }}",
            "{% for k, v in config %}{{ k }}{% endfor %}", "{{ 7*7 }}"]
SITE = {
    "config/system.yaml": "languages:\n  supported: [kk]\npages:\n  process:\n    twig: true\n",
    "config/site.yaml": "title: SECRET-SITE-TITLE\n",
    "config/qalam.yaml": "outlets:\n  feeds: [{name: SECRET-OUTLET, url: 'https://x.example/feed', lang: kk}]\n",
    "pages/01.home/default.kk.md": "---\ntitle: Home\n---\nhome\n",
    "pages/02.news/blog.kk.md": "---\ntitle: News\ncontent:\n  items: '@self.children'\n---\n",
}


@pytest.mark.parametrize("kind", ["text", "html", "wordpress"])
def test_imported_twig_is_shown_as_text_not_run(tmp_path, client_for, kind):
    from qalam.content.site import Site

    root = write_site(tmp_path / "site", SITE)
    payload = " ".join(PAYLOADS)
    src = tmp_path / "in"
    src.mkdir()
    if kind == "text":
        path = src / "a.txt"
        path.write_text(f"Жаңа мектеп ашылды\n\n6 Шілде 2020, 21:35\n\nМектеп туралы мәтін. {payload}\n")
    elif kind == "html":
        path = src / "a.html"
        path.write_text(f"<html><head><title>Жаңа мектеп ашылды</title></head><body><article>"
                        f"<h1>Жаңа мектеп ашылды</h1><p>Мектеп туралы ұзын мәтін, бірнеше сөйлем. {payload}</p>"
                        f"<p>Тағы бір абзац мектеп туралы.</p></article></body></html>")
    else:
        path = src / "export.xml"
        path.write_text(
            '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>Жаңа мектеп ашылды</title>'
            '<link>https://old.example/a</link><wp:post_date>2020-07-06 21:35:00</wp:post_date>'
            '<wp:post_type>post</wp:post_type><wp:status>publish</wp:status>'
            f'<content:encoded><![CDATA[<p>Мектеп туралы мәтін. {payload}</p>]]></content:encoded>'
            '</item></channel></rss>')
    result = CliRunner().invoke(cli, ["import", kind, str(path), "--site", str(root), "--lang", "kk"])
    assert result.exit_code == 0, result.output
    site = Site(root, state_dir=tmp_path / "state", clock=lambda: NOW)
    client = client_for(site)
    pages = [p for p in site.tree("kk").iter_pages() if p.header.get("import")]
    assert len(pages) == 1
    page = pages[0]
    assert page.header["process"]["twig"] is False  # what Grav honours too
    html = client.get(page.url()).content.decode()
    assert "SECRET-OUTLET" not in html and "x.example" not in html and ">49<" not in html
    assert "config.qalam" in html  # shown as the text it is


def test_the_import_block_alone_keeps_twig_off(make_site, client_for):
    """Pages imported before the importer wrote `process.twig: false` are protected by the block."""
    site = make_site({**SITE, "pages/02.news/01.old/item.kk.md":
                      "---\ntitle: Old\nimport:\n  source_file: a.txt\nprocess:\n  twig: true\n---\n{{ 7*7 }} x\n"})
    html = client_for(site).get("/kk/news/old").content.decode()
    assert "{{ 7*7 }}" in html and "49 x" not in html


def test_an_editor_can_trust_an_imported_page(make_site, client_for):
    site = make_site({**SITE, "pages/02.news/01.old/item.kk.md":
                      "---\ntitle: Old\nimport:\n  source_file: a.txt\n  trusted: true\n---\n{{ 7*7 }} x\n"})
    assert "49 x" in client_for(site).get("/kk/news/old").content.decode()
