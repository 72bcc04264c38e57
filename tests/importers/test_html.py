"""qalam import html: saved article pages of our own making, hostile ones included; no network."""

from __future__ import annotations

import shutil
import socket

import pytest

from qalam.importers.base import ImportSession, run_import
from qalam.importers.html import read_html_file

from .helpers import new_site, page_files, read_page

DATA = __import__("pathlib").Path(__file__).parent / "data"


def jpeg(path, color="red"):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), color).save(path)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test: HTML import must work offline."""

    def refuse(*args, **kwargs):
        raise AssertionError("the HTML importer tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def run(site, paths, **kw):
    sess = ImportSession(site, **kw)
    return run_import(sess, paths, lambda p, s: read_html_file(p, s), name=lambda p: p.name)


@pytest.fixture
def saved_page(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DATA / "vrachi.html", src / "vrachi.html")
    jpeg(src / "vrachi_files" / "lead.jpg")
    jpeg(src / "vrachi_files" / "ward.png", "blue")
    (tmp_path / "secret.jpg").write_bytes(b"\xff\xd8\xff" + b"secret" * 10)  # outside the page's folder
    site = new_site(tmp_path / "site")
    report = run(site, [src / "vrachi.html"])
    [page] = page_files(site)
    header, body = read_page(page)
    return site, report, page, header, body


def test_metadata(saved_page):
    _site, report, page, header, _body = saved_page
    assert report.count("imported") == 1
    assert page.name == "item.ru.md" and page.parent.name == "2020-07-06-vratsi-iz-rossii-poedut-v-regiony"
    assert header["title"] == "Врачи из России поедут в регионы"
    assert header["date"] == "06-07-2020 21:35"
    assert header["authors"] == ["Айгерим Сапарова"]
    assert header["metadata"] == {"description": "Группа российских врачей прибыла в столицу и будет работать в регионах."}
    assert header["taxonomy"] == {"category": ["Здоровье"], "tag": ["COVID-19", "врачи"]}
    assert header["lead_image"] == {"file": "lead.jpg", "caption": "Врачи в аэропорту", "credit": "Иван Петров"}
    assert header["dateline"] == {"city": "Нур-Султан", "agency": "BAQ.KZ"}
    assert header["import"]["old_url"] == "https://old.example.kz/ru/news/12345-vrachi"
    assert header["related_candidates"][0]["url"] == "https://old.example.kz/ru/news/12300"


def test_main_text_without_page_furniture(saved_page):
    *_, body = saved_page
    assert body.startswith("Сегодня в столицу специальным рейсом прибыла группа российских врачей")
    assert "«Мы будем работать не только в столице, но и в регионах», — сказал **вице-министр**" in body
    assert "*наиболее напряжённой*" in body
    for furniture in ("Главная", "Поделиться", "Другие новости", "Погода на выходные", "Все права защищены",
                      "2074 просмотров", "Врачи из России поедут в регионы"):
        assert furniture not in body


def test_body_is_sanitised(saved_page):
    *_, body = saved_page
    for bad in ("<script", "onclick", "javascript:", "dataLayer", "<iframe", "<style", "color: red"):
        assert bad not in body
    assert "консультации и совместные обходы" in body  # the text of the javascript: link stays
    assert "[https://www.youtube.com/embed/abc123](https://www.youtube.com/embed/abc123)" in body  # video -> link


def test_images_on_disk_are_copied_and_others_reported(saved_page):
    _site, report, page, _header, body = saved_page
    assert sorted(p.name for p in page.parent.iterdir()) == ["item.ru.md", "lead.jpg", "ward.png"]
    assert "![Палата](ward.png)" in body
    assert "lead.jpg" not in body  # the lead photo is shown from the front matter, not twice
    warnings = report.outcomes[0].warnings
    assert any(w.startswith("image missing: ../../../../etc/passwd.jpg") for w in warnings)
    assert any(w.startswith("image not on disk: https://cdn.example.kz/remote.jpg") for w in warnings)
    assert "![удалённое фото](https://cdn.example.kz/remote.jpg)" in body
    assert "secret" not in "".join(p.read_bytes().decode("latin-1") for p in page.parent.iterdir())


def test_the_page_redirects_from_its_canonical_url(saved_page):
    site, *_ = saved_page
    text = (site / "config/site.yaml").read_text(encoding="utf-8")
    assert "/news/12345-vrachi: /ru/news/2020-07-06-vratsi-iz-rossii-poedut-v-regiony[301]" in text


def test_second_run_skips(saved_page, tmp_path):
    site, *_ = saved_page
    report = run(site, [tmp_path / "in" / "vrachi.html"])
    assert report.outcomes[0].status == "skipped"


PARAGRAPHS = "".join(
    f"<p>Абзац номер {i}: жергілікті әкімдік жаңа мектептің құрылысы туралы хабарлады, "
    f"құрылыс келесі жылы аяқталады деп күтілуде.</p>" for i in range(1, 5)
)


def test_windows_1251_page_with_a_charset_declaration(tmp_path):
    html = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>"
            "<title>Новая школа в Шымкенте</title></head><body><article><h1>Новая школа в Шымкенте</h1>"
            "<p>В Шымкенте построят новую школу на 1200 мест, сообщили в городском акимате.</p>"
            "<p>Строительство начнётся весной и завершится к сентябрю следующего года, добавили в акимате.</p>"
            "<p>В школе будут бассейн, спортивный зал и столовая; проект уже прошёл экспертизу.</p>"
            "</article></body></html>")
    src = tmp_path / "school.html"
    src.write_bytes(html.encode("cp1251"))
    site = new_site(tmp_path / "site")
    report = run(site, [src])
    header, body = read_page(page_files(site)[0])
    assert header["title"] == "Новая школа в Шымкенте"
    assert "построят новую школу на 1200 мест" in body
    assert any("no publication date" in w for w in report.outcomes[0].warnings)
    assert "Новая школа в Шымкенте" not in body


def test_what_markdown_cannot_show_stays_html(tmp_path):
    html = ("<html><head><title>Тарифтер өседі</title>"
            "<meta property='article:published_time' content='2021-01-10T09:00:00+06:00'></head><body><article>"
            f"<h1>Тарифтер өседі</h1>{PARAGRAPHS}"
            "<table><tr><th colspan='2'>Тариф</th></tr><tr><td>Қазір</td><td>20,5</td></tr></table>"
            "<p>Су 10 м<sup>3</sup> үшін есептеледі.</p></article></body></html>")
    src = tmp_path / "t.html"
    src.write_text(html, encoding="utf-8")
    site = new_site(tmp_path / "site")
    report = run(site, [src])
    _header, body = read_page(page_files(site)[0])
    # trafilatura keeps the table but not its cell spans, so it becomes a Markdown table.
    assert "| Тариф |  |\n|---|---|\n| Қазір | 20,5 |" in body
    assert "<p>Су 10 м<sup>3</sup> үшін есептеледі.</p>" in body  # no Markdown for superscripts
    assert any("kept as HTML" in w for w in report.outcomes[0].warnings)
    from qalam.content.markdown import MarkdownOptions, render_markdown

    rendered = render_markdown(body, MarkdownOptions(extra=True))
    assert "м<sup>3</sup>" in rendered and "<td>20,5</td>" in rendered and "Абзац номер 4" in rendered


@pytest.mark.parametrize("content,message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is a PNG image, not text"),
    (b"just some words without any markup at all\n", "no HTML in this file"),
    ("<html><head><title>Басты бет</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
     "<footer>© 2020</footer></body></html>".encode(), "no article text found in the page (only 9 characters"),
])
def test_hostile_pages_fail_clearly(tmp_path, content, message):
    src = tmp_path / "bad.html"
    src.write_bytes(content)
    site = new_site(tmp_path / "site")
    report = run(site, [src])
    assert report.exit_code == 1 and message in report.outcomes[0].reason
    assert report.outcomes[0].reason.startswith("bad.html")
    assert page_files(site) == []
