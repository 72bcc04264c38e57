"""qalam import wordpress: a small WXR export of our own making, plus hostile exports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qalam.importers.base import ImportSession
from qalam.importers.source import ImportProblem
from qalam.importers.wordpress import read_wordpress_export, wpautop

from ..conftest import NOW
from .helpers import new_site, read_page, snapshot

DATA = Path(__file__).parent / "data"
POST = "pages/02.news/2020-07-06-darigerler-onirlerge-barady/item.kk.md"
DRAFT = "pages/02.news/2020-07-20-tarify-na-elektritsestvo-vyrastut/item.ru.md"
FUTURE = "pages/02.news/2030-01-01-jana-jyldyq-koncert/item.kk.md"
PAGE = "pages/biz-turaly/default.kk.md"


def run(site, export, **kw):
    sess = ImportSession(site)
    for article in read_wordpress_export(export, sess, **kw):
        sess.add(article)
    return sess.finish()


@pytest.fixture
def wp(tmp_path):
    from PIL import Image

    src = tmp_path / "in"
    (src / "uploads" / "2020" / "07").mkdir(parents=True)
    shutil.copy(DATA / "wordpress-export.xml", src / "export.xml")
    Image.new("RGB", (8, 8), "red").save(src / "uploads/2020/07/darigerler.jpg")
    site = new_site(tmp_path / "site")
    report = run(site, src / "export.xml")
    return site, report, src


def test_posts_pages_and_what_is_not_imported(wp):
    site, report, _src = wp
    status = {o.source: (o.status, o.page) for o in report.outcomes}
    assert status == {
        "export.xml#post-10": ("imported", POST),
        "export.xml#post-12": ("imported", DRAFT),
        "export.xml#post-13": ("imported", FUTURE),
        "export.xml#post-14": ("skipped", ""),
        "export.xml#page-20": ("imported", PAGE),
    }
    assert "not pages, so not imported: 1 attachment, 1 nav_menu_item" in report.notes[0]
    assert report.exit_code == 0


def test_post_front_matter(wp):
    site, *_ = wp
    header, body = read_page(site / POST)
    assert header["title"] == "Дәрігерлер өңірлерге барады – вице-министр"  # &#8211; decoded
    assert header["date"] == "06-07-2020 21:35"  # from post_date_gmt, in the site's zone
    assert header["authors"] == ["Айгерим Сапарова"]  # display name, not the login
    assert header["taxonomy"] == {"category": ["Денсаулық"], "tag": ["COVID-19", "дәрігерлер"]}
    assert header["lead_image"] == {"file": "darigerler.jpg", "caption": "Ресейлік дәрігерлер Нұр-Сұлтан әуежайында"}
    assert header["metadata"] == {"description": "Ресейлік дәрігерлер өңірлерге барады."}
    assert header["dateline"] == {"city": "Нұр-Сұлтан", "agency": "BAQ.KZ"}
    assert header["import"]["guid"] == "https://old.example.kz/?p=10"
    assert header["import"]["wordpress"] == {"post_id": 10, "type": "post", "status": "publish"}
    assert "published" not in header


def test_post_body_is_markdown(wp):
    site, *_ = wp
    _header, body = read_page(site / POST)
    assert body.split("\n\n")[:3] == [
        "Бүгін елордаға Ресейден [дәрігерлер](https://old.example.kz/tag/darigerler/) тобы келді.",
        "===",
        "Топта 32 маман бар: эпидемиологтар, вирусологтар және реаниматологтар.",
    ]
    # [caption] -> the image (the resized copy's address leads to the original on disk) and its caption.
    assert "![Дәрігерлер](darigerler.jpg)\n\nДәрігерлер әуежайда" in body
    assert "- Нұр-Сұлтан\n- Шымкент" in body
    assert "wp:paragraph" not in body and "[caption" not in body
    assert "![жоқ сурет](https://old.example.kz/wp-content/uploads/2019/01/missing.jpg)" in body
    assert (site / POST).parent.joinpath("darigerler.jpg").is_file()


def test_draft_scheduled_and_page(wp):
    site, report, _src = wp
    draft, body = read_page(site / DRAFT)
    assert draft["published"] is False and draft["date"] == "20-07-2020 09:00"  # post_date in --timezone
    assert "С 1 августа тарифы на электроэнергию в Алматы вырастут на 9 процентов.  \nОб этом" in body
    assert '<th colspan="2">Тарифы, тенге за кВт·ч</th>' in body  # merged cells: kept as HTML
    assert '\\[gallery ids="101,102"\\]' in body
    warnings = next(o for o in report.outcomes if o.source == "export.xml#post-12").warnings
    assert any("shortcode(s) kept as text: [gallery]" in w for w in warnings)
    assert any("published: false" in w for w in warnings)
    future, _ = read_page(site / FUTURE)
    assert future["publish_date"] == "01-01-2030 00:05" and "published" not in future
    page, page_body = read_page(site / PAGE)
    assert page["title"] == "Біз туралы" and page_body.startswith("## Редакция")


def test_language_from_polylang(wp):
    site, *_ = wp
    assert (site / DRAFT).name == "item.ru.md"


def test_redirects_from_permalinks(wp, client_for):
    from qalam.content.site import Site

    site_dir, report, _src = wp
    text = (site_dir / "config/site.yaml").read_text(encoding="utf-8")
    assert "/2020/07/06/darigerler-onirlerge-barady: /news/2020-07-06-darigerler-onirlerge-barady[301]" in text
    assert "biz-turaly:" not in text  # the page keeps its address
    assert any("'?p=ID' links cannot be redirected" in n for n in report.notes)
    site = Site(site_dir, state_dir=site_dir.parent / "state", clock=lambda: NOW)
    try:
        client = client_for(site)
        r = client.get("/2020/07/06/darigerler-onirlerge-barady/")
        assert r.status_code == 301 and r["Location"] == "/2020/07/06/darigerler-onirlerge-barady"
        r = client.get(r["Location"])
        assert r.status_code == 301 and r["Location"] == "/kk/news/2020-07-06-darigerler-onirlerge-barady"
        assert client.get(r["Location"]).status_code == 200
        assert client.get("/kk/biz-turaly").status_code == 200
        assert client.get("/ru/news/2020-07-20-tarify-na-elektritsestvo-vyrastut").status_code == 404  # a draft
    finally:
        site.close()


def test_second_run_changes_nothing(wp):
    site, _report, src = wp
    before = snapshot(site)
    report = run(site, src / "export.xml")
    assert snapshot(site) == before
    assert {o.status for o in report.outcomes} == {"skipped"}


def test_wpautop():
    assert wpautop("Бір\nекі\n\nүш") == "<p>Бір<br />\nекі</p>\n<p>үш</p>"
    assert wpautop("<ul><li>a</li></ul>\nмәтін") == "<ul>\n<li>a</li>\n</ul>\n<p>мәтін</p>"
    assert wpautop("<pre>a\n\nb</pre>") == "<pre>a\n\nb</pre>"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY lol "lol">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&xxe;&lol;</title></item></channel></rss>"""


@pytest.mark.parametrize("data,message,line", [
    (XXE, "declares XML entities", None),
    (b"<?xml version='1.0'?>\n<rss>\n<channel>\n<item><title>x</titl></item>", "not well-formed XML", 4),
    (b"<?xml version='1.0'?>\n<rss><channel><title>\xff\xfe bad bytes</title></channel></rss>", "not well-formed XML", 2),
    (b"<?xml version='1.0'?><html><body>not an export</body></html>", "not a WordPress export", None),
    (b"PK\x03\x04" + b"\x00" * 64, "binary data", None),
])
def test_hostile_exports_import_nothing(tmp_path, data, message, line):
    export = tmp_path / "export.xml"
    export.write_bytes(data)
    site = new_site(tmp_path / "site")
    before = snapshot(site)
    sess = ImportSession(site)
    with pytest.raises(ImportProblem) as info:
        read_wordpress_export(export, sess)
    assert message in info.value.message and info.value.line == line
    assert str(info.value).startswith("export.xml")
    assert snapshot(site) == before


def test_huge_export_is_refused(tmp_path):
    export = tmp_path / "export.xml"
    export.write_bytes((DATA / "wordpress-export.xml").read_bytes())
    site = new_site(tmp_path / "site")
    with pytest.raises(ImportProblem, match="larger than the limit of 1.0 KB"):
        read_wordpress_export(export, ImportSession(site), max_bytes=1024)
